"""The `hybridq` command: a thin shell over the Python API.

Each command is one small function whose docstring is its help. Library errors become messages
here (and only here), without a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from rich.table import Table

from hybridq import render
from hybridq.errors import HybridqError
from hybridq.render import FORMATS, MAX_ROWS

out, err = render.consoles()


def friendly(fn):
    """Turn hybridq errors into messages and exit codes; never a traceback for user errors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HybridqError as exc:
            raise SystemExit(render.print_error(exc, err))
        except KeyboardInterrupt:
            err.print("interrupted", style="yellow")
            raise SystemExit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hybridq")
def main():
    """hybridq: ask questions over tables and documents together, on live data.

    \b
    hybridq init ./data > acme.yaml
    hybridq catalog validate acme.yaml
    hybridq refresh acme.yaml
    hybridq sql acme.yaml "SELECT count(*) FROM customers"
    """


def open_store(catalog_file: str, *, warm: bool = True):
    """The session a query command uses: the store's owner process when there is one (found from
    the catalog file alone, without loading the engine), else a background owner started for it
    (see `hybridq owner`), else the store opened in this process."""
    from hybridq.serve import background
    from hybridq.serve.client import OwnerClient, RemoteSession, remote_for

    remote = remote_for(catalog_file, rows="json")
    if remote is not None and background.stale(remote.client.info, catalog_file):
        err.print("the catalog changed since the background owner started: restarting it", style="dim")
        background.stop(remote.client.info)
        remote = None
    if remote is not None:
        return remote
    if warm and background.enabled():
        from hybridq.catalog.validate import load_catalog

        load_catalog(catalog_file)  # its errors, if any, are shown here rather than in the owner's log
        err.print("starting a background owner for this store (it loads the model once; "
                  f"stop it with: hybridq owner stop {catalog_file})", style="dim")
        info = background.start(catalog_file)
        return RemoteSession(catalog_file, OwnerClient(info), rows="json")
    import hybridq

    return hybridq.connect(catalog_file)


def with_store(catalog_file: str, action, *, warm: bool = True):
    """`action(session)` on the store; once more if the owner it reached stopped meanwhile."""
    from hybridq.serve.client import OwnerGone

    for attempt in (1, 2):
        hq = open_store(catalog_file, warm=warm)
        _announce_model(hq)
        try:
            return action(hq)
        except OwnerGone:
            if attempt == 2:
                raise
        finally:
            hq.close()


# -- catalog ---------------------------------------------------------------------------------

@main.group()
def catalog():
    """Check and describe catalog files."""


@catalog.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@friendly
def catalog_validate(file):
    """Check a catalog and print every issue with its file:line and a hint.

    Exits with 1 when there are errors (warnings alone exit with 0).

    \b
    hybridq catalog validate catalogs/acme.yaml
    """
    from hybridq.catalog.validate import validate_file

    result = validate_file(file)
    for issue in result.issues:
        err.print(issue.format(), style="yellow" if issue.level == "warning" else "red", markup=False)
    if result.errors:
        err.print(f"{len(result.errors)} error(s), {len(result.issues) - len(result.errors)} warning(s)", style="red")
        raise SystemExit(1)
    c = result.catalog
    out.print(f"{file}: ok ({len(c.tables)} tables, {len(c.relationships)} relationships, "
              f"{len(c.glossary)} glossary terms, {len(c.examples)} examples"
              + (f", {len(result.issues)} warning(s)" if result.issues else "") + ")")


@catalog.command("schema")
def catalog_schema():
    """Print the JSON Schema of the catalog format (for editor completion and checks).

    \b
    hybridq catalog schema > hybridq-catalog.schema.json
    """
    from hybridq.catalog.jsonschema import catalog_json_schema

    click.echo(json.dumps(catalog_json_schema(), indent=2))


# -- init ------------------------------------------------------------------------------------

@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--name", help="Catalog name (default: the directory's name).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the catalog here instead of stdout.")
@friendly
def init(directory, name, output):
    """Write a starter catalog inferred from the data files and document folders in DIRECTORY.

    Types come from DuckDB; primary keys, long-text (semantic) columns, time columns, units and
    relationships are guessed and marked for review. Before it is written, every source is read
    as the first refresh will read it; rows it would leave out are listed (check: ...).

    \b
    hybridq init ./data > acme.yaml
    """
    from hybridq.refresh.infer import infer_catalog

    target_dir = Path(output).resolve().parent if output else Path.cwd()
    text = infer_catalog(Path(directory), relative_to=target_dir, name=name)
    for line in text.splitlines():
        if line.startswith("# check: "):  # rows the first refresh would leave out: said before writing
            err.print(line[2:], style="yellow", markup=False)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        err.print(f"wrote {output}; review the lines marked 'review' and run: hybridq catalog validate {output}")
    else:
        click.echo(text, nl=False)


# -- refresh and status ----------------------------------------------------------------------

@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--watch", is_flag=True, help="Keep the store live: apply file changes as they happen (Ctrl-C stops).")
@click.option("--table", "tables", multiple=True, help="Only refresh these tables.")
@friendly
def refresh(catalog_file, watch, tables):
    """Bring the store up to date with its sources; only changed rows and documents are re-embedded.

    \b
    hybridq refresh catalogs/acme.yaml
    hybridq refresh catalogs/acme.yaml --watch
    """
    from hybridq.cli_progress import RichProgress

    def run(hq):
        report = hq.refresh(list(tables) or None, progress=RichProgress(err),
                            log=lambda line: err.print(line, style="yellow", markup=False))
        _print_report(report)
        if not watch:
            return
        where = "this process" if hasattr(hq, "store") else f"the process that owns the store (pid {hq.owner_pid})"
        hq.watch(log=lambda line: err.print(line, markup=False), ready=lambda: err.print(
            f"watching {catalog_file}; changes are applied and queries answered by {where} (Ctrl-C stops)"))

    with_store(catalog_file, run, warm=False)


@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--table", "tables", multiple=True, help="Only these tables.")
@friendly
def release(catalog_file, tables):
    """Drop the replication slots and publications PostgreSQL sources made for this store.

    Run it before removing a PostgreSQL source from the catalog: a slot keeps WAL on the server
    until it is dropped. The next refresh of those tables reads them whole again.

    \b
    hybridq release catalogs/acme.yaml --table tickets
    """
    import hybridq

    with hybridq.connect(catalog_file) as hq:
        if not hasattr(hq, "release_sources"):
            raise HybridqError(f"the store is in use by process {hq.owner_pid}",
                               hint=f"stop it (a background owner: hybridq owner stop {catalog_file}), then release")
        done = hq.release_sources(list(tables) or None)
    out.print("\n".join(done) or "nothing to release", markup=False)


MAX_PROBLEM_LINES = 20


def _print_report(report) -> None:
    issues = report.issues
    for source, issue in issues[:MAX_PROBLEM_LINES]:
        err.print(f"{source}: {issue.format()}", style="yellow", markup=False)
    if len(issues) > MAX_PROBLEM_LINES:
        err.print(f"... and {len(issues) - MAX_PROBLEM_LINES:,} more problem(s); all are kept with the sources' "
                  "problems in the store (hybridq status)", style="yellow")
    out.print(report.summary(), markup=False)


def _announce_model(hq) -> None:
    """Loading the embedding model takes seconds: say so when it starts (in this process only)."""
    if hasattr(hq, "on_model_load"):
        from hybridq.cli_progress import model_loading  # (rich's progress bars: not for the owner's answers)

        hq.on_model_load = lambda model: model_loading(err, model)


@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@friendly
def status(catalog_file, fmt):
    """Show per table and source: mode, last refresh, rows, chunks, problems and lag behind the
    source (replication lag for PostgreSQL); per alert: last evaluation and last change.

    \b
    hybridq status catalogs/acme.yaml
    """
    report = with_store(catalog_file, lambda hq: hq.status())
    if fmt == "json":
        click.echo(_json(report.to_dict()))
        return
    table = Table("table", "source", "mode", "refreshed", "rows", "chunks", "errors", "lag")
    for r in report.tables:
        table.add_row(r.table, f"{r.source} ({r.kind})", r.mode + (f", {r.capture}" if r.capture else ""),
                      _when(r.refreshed_at), f"{r.rows:,}", ", ".join(f"{c}: {n:,}" for c, n in r.chunks.items()) or "-",
                      f"{r.error_count:,}", _lag(r))
    out.print(table)
    if report.alerts:
        alerts = Table("alert", "reads", "notifies", "evaluated", "last change", "rows", "pending")
        for a in report.alerts:
            change = f"{_when(a.last_change)} (+{a.last_added} -{a.last_removed})" if a.last_change else "none yet"
            alerts.add_row(a.name, ", ".join(a.tables), ", ".join(a.notify) or "-", _when(a.last_evaluated), change,
                           f"{a.rows:,}", str(a.pending_deliveries))
        out.print(alerts)
    for r in report.tables:
        if r.detail:
            err.print(f"{r.source}: {r.detail}", style="dim", markup=False)
        if r.last_error:
            err.print(f"{r.source}: last error at {_when(r.last_error_at)}: {r.last_error}", style="yellow", markup=False)
        for line in r.errors:
            err.print(f"{r.source}: {line}", style="yellow", markup=False)
        if r.error_count > len(r.errors):
            err.print(f"{r.source}: and {r.error_count - len(r.errors):,} more", style="yellow", markup=False)
    for a in report.alerts:
        if a.last_error:
            err.print(f"alert {a.name}: {a.last_error}", style="yellow", markup=False)


def _when(moment) -> str:
    return moment.isoformat(sep=" ", timespec="seconds") if moment else "never"


def _lag(r) -> str:
    if r.kind not in ("csv", "parquet", "jsonl", "json", "documents"):
        parts = [f"{r.lag_seconds:.1f}s" if r.lag_seconds is not None else None,
                 f"{r.lag_bytes:,} bytes of WAL" if r.lag_bytes is not None else None]
        return ", ".join(p for p in parts if p) or "-"
    if not r.pending_files:
        return "up to date"
    return f"{r.pending_files} file(s) pending" + (f", {r.lag_seconds:.1f}s" if r.lag_seconds is not None else "")


# -- queries ---------------------------------------------------------------------------------


def _query_text(query: str | None, file: str | None) -> str:
    """The query from the argument, a file (-f q.sql) or standard input (- or -f -)."""
    if (query is None) == (file is None):
        raise click.UsageError("give the query as an argument, or with -f FILE (- reads standard input)")
    if file is not None:
        return click.open_file(file, encoding="utf-8").read()
    return sys.stdin.read() if query == "-" else query


def _params(items: tuple[str, ...]) -> list | dict | None:
    """--param NAME=VALUE for $NAME; --param 1=VALUE, 2=VALUE ... for ? (or $1, $2) in order."""
    if not items:
        return None
    named, numbered = {}, {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.BadParameter(f"{item!r}: write NAME=VALUE (a name for $NAME, a number for the N-th ?)",
                                     param_hint="--param")
        (numbered if name.isdigit() else named)[name.lstrip("$")] = value
    if named and numbered:
        raise click.BadParameter("use names ($name) or numbers (?), not both", param_hint="--param")
    if named:
        return named
    order = sorted(int(n) for n in numbered)
    if order != list(range(1, len(order) + 1)):
        raise click.BadParameter(f"numbered parameters must be 1..{len(order)}, got {', '.join(map(str, order))}",
                                 param_hint="--param")
    return [numbered[str(n)] for n in order]


@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the query from this file (- for standard input).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A value for $NAME, or with a number N for the N-th ? (repeatable). Values are text.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", help="Output format.")
@click.option("--max-width", type=int, default=80, help="Truncate long text cells in table output.")
@click.option("--max-rows", type=int, default=MAX_ROWS, show_default=True,
              help="Rows shown by the table and markdown formats (csv and json print all).")
@friendly
def sql(catalog_file, query, query_file, params, fmt, max_width, max_rows):
    """Run a read-only SELECT, semantic functions included, and print the rows.

    QUERY is the SQL text, or - to read it from standard input; -f FILE reads it from a file.
    Put user text into a query as a parameter, never by pasting it into the SQL.

    \b
    hybridq sql catalogs/acme.yaml "SELECT segment, count(*) FROM customers GROUP BY 1"
    hybridq sql catalogs/acme.yaml "SELECT subject, similarity(body, $q) AS s
                                    FROM tickets ORDER BY s DESC LIMIT 5" --param q="refund delays"
    hybridq sql catalogs/acme.yaml -f report.sql --format json
    """
    text = _query_text(query, query_file)
    values = _params(params)
    result = with_store(catalog_file, lambda hq: hq.sql(text, values))
    print_result(result, fmt, max_width, max_rows)


@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the query from this file (- for standard input).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A value for $NAME, or with a number N for the N-th ? (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@friendly
def explain(catalog_file, query, query_file, params, fmt):
    """Show how a query runs: the strategy of each semantic call, why, and the rewritten SQL.

    \b
    hybridq explain catalogs/acme.yaml "SELECT subject, similarity(body, 'refund delays') AS s
                                        FROM tickets WHERE priority = 'urgent' ORDER BY s DESC LIMIT 5"
    """
    text = _query_text(query, query_file)
    values = _params(params)
    plan = with_store(catalog_file, lambda hq: hq.explain(text, values))
    if fmt == "json":
        click.echo(_json(plan.to_dict()))
    else:
        click.echo(str(plan))


@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.argument("question")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", help="Output format of the rows.")
@click.option("--llm/--no-llm", default=None, help="Ask the configured language model (default: only as fallback).")
@click.option("--sql-only", is_flag=True, help="Print the SQL without running it.")
@click.option("--choose", type=int, help="Answer with reading N of a question that can be read in several ways.")
@friendly
def ask(catalog_file, question, fmt, llm, sql_only, choose):
    """Answer a question in words: prints the SQL, what each part of the question became, and the rows.

    A question with words the catalog cannot place is not guessed: the words are named with the
    closest catalog terms, and the command exits with 2. A question the catalog reads in several
    ways lists the readings, numbered, and exits with 3: ask again with --choose N.

    \b
    hybridq ask catalogs/acme.yaml "ARR by region"
    hybridq ask catalogs/acme.yaml "enterprise customers with tickets mentioning data export"
    hybridq ask catalogs/acme.yaml "customers mentioning data residency" --choose 1
    """
    from hybridq.serve import wire

    def answer(hq):
        if sql_only and hasattr(hq, "store"):
            from hybridq.nl import question_to_sql

            return wire.answer_json(question_to_sql(hq, question, choose)[1])
        options = {"choose": choose} if choose is not None else {}
        found = hq.ask(question, llm=llm, **options)
        return found if isinstance(found, dict) else wire.answer_json(found)  # the owner answers in JSON

    payload = with_store(catalog_file, answer, warm=not sql_only)
    code = render.print_answer(payload, fmt, out, err)
    if code:
        raise SystemExit(code)


def _json(value) -> str:
    return render.json_text(value)


def print_result(result, fmt: str, max_width: int = 80, max_rows: int = MAX_ROWS) -> None:
    render.print_rows(result, fmt, out, err, max_width, max_rows)


# -- serving ---------------------------------------------------------------------------------

@main.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8470, show_default=True, type=int, help="Port to listen on.")
@click.option("--watch", is_flag=True, help="Also keep the store live from its sources.")
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False), help="API keys file (default: the catalog's).")
@friendly
def serve(catalog_file, host, port, watch, keys_file):
    """Serve the store over HTTP (JSON and Arrow, OpenAPI at /docs) and MCP (at /mcp) until Ctrl-C.

    API keys (hybridq keys add) map callers to the catalog's roles. Without keys, only requests
    from this machine are answered, and they see everything.

    \b
    hybridq serve catalogs/acme.yaml --port 8470 --watch
    curl -s localhost:8470/v1/sql -d '{"sql": "SELECT count(*) FROM customers"}'
    """
    import threading

    from hybridq.catalog.validate import load_catalog
    from hybridq.serve.keys import KeyRing
    from hybridq.serve.owner import read_owner
    from hybridq.serve.server import LOOPBACK, OwnerEndpoint, listening_socket
    from hybridq.session import Session

    catalog = load_catalog(catalog_file)
    keys = KeyRing.load(catalog, Path(keys_file).resolve() if keys_file else None)
    loopback_only = host in (LOOPBACK, "localhost", "::1")
    if not keys and not loopback_only:
        raise HybridqError(f"refusing to serve on {host} without API keys: anyone who reaches it would see everything",
                           hint="make keys with: hybridq keys add CATALOG --role ROLE (roles go under access.roles)")
    owner = read_owner(catalog.store_dir)
    if owner is not None and owner.kind == "background":
        from hybridq.serve import background

        background.stop(owner)  # a server takes over from the command line's background owner
    elif owner is not None:
        raise HybridqError(f"the store is already owned by process {owner.pid} ({owner.kind})",
                           hint="stop that process first, or send the requests to it")
    session = Session(catalog, serve=False)
    try:
        public = listening_socket(host, port)
        done = threading.Event()
        session._opened.server = OwnerEndpoint(session, catalog.store_dir, kind="serve", public=public, keys=keys,
                                               anonymous=not keys, log_level="info")
        err.print(f"serving {catalog_file} on http://{host}:{port} (API at /v1, docs at /docs, MCP at /mcp); "
                  f"{len(keys)} API key(s); Ctrl-C stops")
        if watch:
            session.watch(log=lambda line: err.print(line, markup=False),
                          ready=lambda: err.print(f"watching {catalog_file}: changes are applied as they happen"))
        else:
            while not done.wait(3600):
                pass
    finally:
        session.close()


@main.command("mcp")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@friendly
def mcp_stdio(catalog_file):
    """Serve the MCP tools (sql, ask, retrieve, describe_catalog, status) over stdin/stdout.

    \b
    {"mcpServers": {"acme": {"command": "hybridq", "args": ["mcp", "catalogs/acme.yaml"]}}}
    """
    from hybridq.serve.mcp import run_stdio

    with open_store(catalog_file, warm=False) as hq:
        run_stdio(hq)


@main.group()
def owner():
    """The background owner that answers the command line for a store (the model stays loaded)."""


def _owner_info(catalog_file):
    from hybridq.serve.owner import read_owner, store_dir_of

    store_dir = store_dir_of(catalog_file)
    return read_owner(store_dir) if store_dir else None


@owner.command("status")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@friendly
def owner_status(catalog_file):
    """Say which process owns the store, what kind it is and since when.

    \b
    hybridq owner status catalogs/acme.yaml
    """
    import datetime as dt

    info = _owner_info(catalog_file)
    if info is None:
        out.print("no process owns the store")
        raise SystemExit(1)
    since = dt.datetime.fromtimestamp(info.started_at).isoformat(sep=" ", timespec="seconds")
    out.print(f"pid {info.pid} ({info.kind}) owns the store since {since}, on http://{info.host}:{info.port}/v1")


@owner.command("start")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--idle-timeout", type=float, help="Stop after this many seconds without a request.")
@friendly
def owner_start(catalog_file, idle_timeout):
    """Start a background owner now (query commands start one when they need it).

    \b
    hybridq owner start catalogs/acme.yaml --idle-timeout 3600
    """
    from hybridq.serve import background

    info = _owner_info(catalog_file)
    if info is None:
        info = background.start(catalog_file, idle=idle_timeout)
    out.print(f"pid {info.pid} ({info.kind}) owns the store")


@owner.command("stop")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@friendly
def owner_stop(catalog_file):
    """Stop the background owner of a store.

    \b
    hybridq owner stop catalogs/acme.yaml
    """
    from hybridq.serve import background

    info = _owner_info(catalog_file)
    if info is None:
        out.print("no process owns the store")
        return
    background.stop(info)
    out.print(f"stopped the background owner (pid {info.pid})")


@main.group()
def keys():
    """API keys for `hybridq serve`: each maps a caller to a role of the catalog."""


@keys.command("add")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@click.option("--role", required=True, help="A role under access.roles in the catalog.")
@click.option("--attr", "attrs", multiple=True, help="A caller attribute, name=value (caller('name') in policies).")
@click.option("--name", help="Who or what the key is for.")
@friendly
def keys_add(catalog_file, role, attrs, name):
    """Make an API key for a role; it is printed once, only its hash is kept.

    \b
    hybridq keys add catalogs/acme.yaml --role support --attr region=EMEA --name "EMEA support bot"
    """
    from hybridq.catalog.validate import load_catalog
    from hybridq.serve.keys import add_key

    attributes = {}
    for item in attrs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HybridqError(f"--attr {item!r} is not name=value", hint="e.g. --attr region=EMEA")
        attributes[key] = value
    key, path = add_key(load_catalog(catalog_file), role, attributes, name)
    err.print(f"recorded its hash in {path}; the key (shown once):", style="dim")
    click.echo(key)


@keys.command("list")
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False))
@friendly
def keys_list(catalog_file):
    """List the API keys (their names, roles and attributes; never the keys).

    \b
    hybridq keys list catalogs/acme.yaml
    """
    from hybridq.catalog.validate import load_catalog
    from hybridq.serve.keys import KeyRing

    for entry in KeyRing.load(load_catalog(catalog_file)).entries:
        attrs = ", ".join(f"{k}={v}" for k, v in (entry.get("attributes") or {}).items())
        out.print(f"{entry.get('name') or entry['hash'][:19]}: role {entry['role']}" + (f" ({attrs})" if attrs else "")
                  + f" [{entry['origin']}]", markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
