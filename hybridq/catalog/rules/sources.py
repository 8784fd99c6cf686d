"""Rules about sources: options that fit the kind, paths that name files, document templates."""

from __future__ import annotations

from typing import Iterator

from hybridq.catalog.issues import Issue
from hybridq.catalog.rules.context import RuleContext
from hybridq.catalog.rules.tables import IDENTIFIER
from hybridq.paths import expand, is_pattern, resolve, template_fields


def _sources_of_reported_tables(ctx: RuleContext) -> set[str | None]:
    """What tables with an error already reported name as their source (None: not a name).

    Those are tables naming an unknown source and tables left out after a schema error. Such a
    table may be meant for any source, so warning that a source fills no table would only repeat
    that error.
    """
    names = {t.source for t in ctx.catalog.tables.values() if t.source not in ctx.catalog.sources}
    raw_tables = ctx.located.data.get("tables") if isinstance(ctx.located.data, dict) else None
    for path in ctx.dropped:
        if path[0] == "tables" and len(path) == 2:
            raw = raw_tables.get(path[1]) if isinstance(raw_tables, dict) else None
            source = raw.get("source") if isinstance(raw, dict) else None
            names.add(source if isinstance(source, str) else None)
    return names


def check_source_options(ctx: RuleContext) -> Iterator[Issue]:
    reported = _sources_of_reported_tables(ctx)
    maybe_used_by_reported = set(ctx.catalog.sources) if reported - set(ctx.catalog.sources) else reported
    for name, source in ctx.catalog.sources.items():
        if source.csv is not None and source.kind != "csv":
            yield ctx.issue(("sources", name, "csv"), f"csv options on a {source.kind} source",
                            "remove 'csv:' or set kind: csv")
        if source.kind != "documents" and source.path and template_fields(source.path):
            yield ctx.issue(("sources", name, "path"),
                            f"path template fields {template_fields(source.path)} are only filled for documents sources",
                            "use a glob such as data/*.csv, or kind: documents")
        used_by = [t for t, table in ctx.catalog.tables.items() if table.source == name]
        if not used_by and name not in maybe_used_by_reported:
            yield ctx.issue(("sources", name), f"source '{name}' fills no table", level="warning",
                            hint="add a table with 'source: " + name + "' or remove the source")
        elif len(used_by) > 1:
            yield ctx.issue(("sources", name), f"source '{name}' fills several tables: {', '.join(used_by)}",
                            "a source fills exactly one table; declare one source per table")


def check_source_paths(ctx: RuleContext) -> Iterator[Issue]:
    for name, source in ctx.catalog.sources.items():
        path = ("sources", name, "path")
        if source.path is None or expand(ctx.base_dir, source.path):
            continue
        where = resolve(ctx.base_dir, source.path)
        if is_pattern(source.path):
            yield ctx.issue(path, f"'{source.path}' matches no file yet (looked for {where})", level="warning",
                            hint="the table stays empty until files appear; check the path if that is unexpected")
        else:
            yield ctx.issue(path, f"file not found: {source.path} (looked for {where})",
                            "paths are relative to the catalog file")


def check_document_templates(ctx: RuleContext) -> Iterator[Issue]:
    for name, source in ctx.catalog.sources.items():
        if source.kind != "documents" or source.path is None:
            continue
        fields = template_fields(source.path)
        for field in fields:
            if not IDENTIFIER.match(field):
                yield ctx.issue(("sources", name, "path"), f"template field '{{{field}}}' is not a plain name",
                                "write fields as {name} with letters, digits and '_'")
        if len(set(fields)) != len(fields):
            yield ctx.issue(("sources", name, "path"), "a template field appears twice", "name each field once")
        for tname, table in ctx.catalog.tables.items():
            if table.source != name:
                continue
            if not ctx.column_known(tname, source.body_column):
                yield ctx.issue(("tables", tname, "columns"),
                                f"documents table {tname} has no column '{source.body_column}' for the document text",
                                f"add '{source.body_column}: {{type: TEXT, semantic: true}}', or set body_column on the source")
