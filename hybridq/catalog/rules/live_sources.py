"""Rules about sources that are not files: SQLite, PostgreSQL, HTTP JSON and Python callables.

Their options sit in a block named after the kind (`postgres: {table: ...}`), like `csv:`.
Credentials never appear in the catalog: a PostgreSQL source names the environment variable that
holds its connection string, and HTTP headers that carry secrets read them from `{{ env.NAME }}`.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Iterator

import jinja2
from jinja2 import meta

from hybridq.catalog.issues import Issue
from hybridq.catalog.model import FILE_KINDS, Source
from hybridq.catalog.rules.context import RuleContext

OPTION_BLOCKS = ("sqlite", "postgres", "http", "python")
MODES = {
    **{kind: ("manual", "watch", "poll") for kind in FILE_KINDS},
    "sqlite": ("manual", "watch", "poll"),
    "postgres": ("manual", "poll", "stream"),
    "http": ("manual", "poll"),
    "python": ("manual", "poll"),
}
SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|password|api[-_]?key|^x-.*key", re.I)
SECRET_PARAM = re.compile(r"[?&](password|passwd|pwd|token|secret|api[-_]?key|access[-_]?key|key)=([^&{]+)", re.I)
PAGE_VARIABLES = {"page": "page", "offset": "offset", "cursor": "cursor"}


def check_live_source_options(ctx: RuleContext) -> Iterator[Issue]:
    """Each kind has its option block and no other; a path where the kind reads a file."""
    for name, source in ctx.catalog.sources.items():
        base = ("sources", name)
        for block in OPTION_BLOCKS:
            if getattr(source, block) is not None and source.kind != block:
                yield ctx.issue(base + (block,), f"{block} options on a {source.kind} source",
                                f"remove '{block}:' or set kind: {block}")
        if source.kind in ("postgres", "http", "python") and getattr(source, source.kind) is None:
            yield ctx.issue(base, f"a {source.kind} source needs a '{source.kind}:' block",
                            _BLOCK_HINT[source.kind])
        if source.kind in FILE_KINDS + ("sqlite",) and source.path is None:
            yield ctx.issue(base, f"a {source.kind} source needs a 'path'", "paths are relative to the catalog file")
        if source.kind in ("postgres", "http", "python") and source.path is not None:
            yield ctx.issue(base + ("path",), f"a {source.kind} source reads no file; 'path' is not used",
                            "remove 'path:'")
        if source.refresh.mode not in MODES[source.kind]:
            yield ctx.issue(base + ("refresh", "mode"),
                            f"refresh mode '{source.refresh.mode}' does not apply to {source.kind} sources",
                            f"{source.kind} sources can use: {', '.join(MODES[source.kind])}")


_BLOCK_HINT = {
    "postgres": "e.g. postgres: {dsn_env: ACME_PG_DSN, table: public.tickets}",
    "http": "e.g. http: {url: 'https://api.example.com/items?page={{ page }}', records: data.items}",
    "python": "e.g. python: {function: 'my_module:rows'}",
}


def check_table_or_query(ctx: RuleContext) -> Iterator[Issue]:
    for name, source in ctx.catalog.sources.items():
        opts = source.postgres if source.kind == "postgres" else source.sqlite if source.kind == "sqlite" else None
        block = ("sources", name, source.kind)
        if source.kind == "sqlite" and opts is None:
            yield ctx.issue(("sources", name), "a sqlite source needs 'sqlite: {table: ...}' (or a query)",
                            "e.g. sqlite: {table: orders}")
            continue
        if opts is None:
            continue
        if (opts.table is None) == (opts.query is None):
            yield ctx.issue(block, "give exactly one of 'table' and 'query'",
                            "table: name reads a whole table; query: SELECT ... reads a query's rows")
        elif opts.query is not None and not re.match(r"^\s*(with|select)\b", opts.query, re.I):
            yield ctx.issue(block + ("query",), "the query must be a SELECT", "write SELECT ... FROM ...")


def _options(ctx: RuleContext, kind: str):
    """(source name, its option block, the block's YAML path) of every source of `kind` that has one."""
    for name, source in ctx.catalog.sources.items():
        opts = getattr(source, kind)
        if source.kind == kind and opts is not None:
            yield name, opts, ("sources", name, kind)


def check_postgres_capture(ctx: RuleContext) -> Iterator[Issue]:
    for name, opts, block in _options(ctx, "postgres"):
        if opts.capture == "watermark" and not opts.watermark_column:
            yield ctx.issue(block + ("capture",), "capture: watermark needs a watermark_column",
                            "name a column set on every insert and update, e.g. watermark_column: updated_at")
        if opts.capture == "replication" and opts.query is not None:
            yield ctx.issue(block + ("capture",), "logical replication follows a table, not a query",
                            "use table: ..., or capture: watermark / full")
        if opts.watermark_column:
            for tname, table in _tables_of(ctx, name):
                if not ctx.column_known(tname, opts.watermark_column):
                    yield ctx.issue(block + ("watermark_column",),
                                    f"watermark column '{opts.watermark_column}' is not a column of {tname}",
                                    "the watermark is read from the rows: add the column to the table")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", opts.dsn_env):
            yield ctx.issue(block + ("dsn_env",), f"'{opts.dsn_env}' is not an environment variable name",
                            "name the variable that holds the connection string, e.g. dsn_env: ACME_PG_DSN; "
                            "the connection string itself never goes in the catalog")
        for tname, table in _tables_of(ctx, name):
            if opts.capture in ("replication", "watermark") and not table.primary_key:
                yield ctx.issue(("tables", tname, "primary_key"),
                                f"capture: {opts.capture} applies changes by key; {tname} has no primary_key",
                                "add primary_key: <column>, or use capture: full")


def check_http_options(ctx: RuleContext) -> Iterator[Issue]:
    for _name, opts, block in _options(ctx, "http"):
        variables = yield from _template_issues(ctx, block + ("url",), opts.url)
        style = opts.pagination.style
        wanted = PAGE_VARIABLES.get(style)
        if wanted and variables is not None and wanted not in variables:
            yield ctx.issue(block + ("url",), f"pagination style '{style}' needs {{{{ {wanted} }}}} in the URL",
                            f"e.g. ...?{wanted}={{{{ {wanted} }}}}" + ("&limit={{ limit }}" if style == "offset" else ""))
        if style in ("cursor",) and not opts.pagination.next_path:
            yield ctx.issue(block + ("pagination",), "pagination style 'cursor' needs next_path",
                            "the dotted path of the next cursor in each response, e.g. next_path: meta.next_cursor")
        secret = SECRET_PARAM.search(opts.url)
        if secret:
            yield ctx.issue(block + ("url",), f"the URL carries a credential ({secret.group(1)}=...) in the catalog",
                            f"read it from the environment: {secret.group(1)}={{{{ env.MY_{secret.group(1).upper()} }}}}")
        yield from _header_issues(ctx, block + ("headers",), opts.headers)


def check_python_functions(ctx: RuleContext) -> Iterator[Issue]:
    for _name, opts, block in _options(ctx, "python"):
        module = opts.function.split(":", 1)[0]
        if not _module_exists(module, str(ctx.base_dir)):
            yield ctx.issue(block + ("function",), f"module '{module}' cannot be found",
                            "the module must be installed or sit next to the catalog file")


def _module_exists(module: str, folder: str) -> bool:
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
    finally:
        if added:
            sys.path.remove(folder)


def _tables_of(ctx: RuleContext, source: str):
    return [(t, table) for t, table in ctx.catalog.tables.items() if table.source == source]


_ENV = jinja2.Environment()


def _template_issues(ctx: RuleContext, path: tuple, text: str):
    """Issues of a jinja2 template (a generator); returns the variables it uses, or None."""
    try:
        parsed = _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        yield ctx.issue(path, f"template error: {exc.message} (template line {exc.lineno})",
                        "variables are written {{ name }}; environment variables {{ env.NAME }}")
        return None
    return meta.find_undeclared_variables(parsed)


def _header_issues(ctx: RuleContext, path: tuple, headers: dict[str, str]) -> Iterator[Issue]:
    for header, value in headers.items():
        variables = yield from _template_issues(ctx, path + (header,), value)
        if SECRET_HEADER.search(header) and variables is not None and "env" not in variables:
            yield ctx.issue(path + (header,), f"header '{header}' holds a credential written in the catalog",
                            f"read it from the environment, e.g. {header}: \"Bearer {{{{ env.MY_TOKEN }}}}\"")


def header_issues(ctx: RuleContext, path: tuple, headers: dict[str, str]) -> Iterator[Issue]:
    """The header checks, for other places that send HTTP requests (alert webhooks)."""
    return _header_issues(ctx, path, headers)


def source_label(source: Source) -> str:
    """How a non-file source is named in problems and status."""
    opts = getattr(source, source.kind, None)
    if source.kind in ("postgres", "sqlite") and opts is not None:
        return f"{source.kind}:{opts.table or 'query'}"
    if source.kind == "http" and opts is not None:
        return opts.url
    if source.kind == "python" and opts is not None:
        return opts.function
    return source.path or source.kind
