"""The `hybridq` command: a thin shell over the Python API.

Each command is one small function whose docstring is its help. Library errors become messages
here (and only here), without a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.markup import escape
from rich.text import Text

from hybridq.cli_progress import RichProgress, model_loading
from hybridq.errors import CatalogError, HybridqError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def friendly(fn):
    """Turn hybridq errors into messages and exit codes; never a traceback for user errors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CatalogError as exc:
            for issue in exc.issues:
                style = "yellow" if issue.level == "warning" else "red"
                err.print(issue.format(), style=style, markup=False)
            raise SystemExit(1)
        except HybridqError as exc:
            err.print(f"error: {exc}", style="red", markup=False)
            raise SystemExit(1)
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
    from hybridq.catalog.infer import infer_catalog

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
    import hybridq

    with hybridq.connect(catalog_file) as hq:
        _announce_model(hq)
        report = hq.refresh(list(tables) or None, progress=RichProgress(err),
                            log=lambda line: err.print(line, style="yellow", markup=False))
        _print_report(report)
        if watch:
            hq.watch(log=lambda line: err.print(line, markup=False), ready=lambda: err.print(
                f"watching {catalog_file}; queries from other terminals are answered by this process (Ctrl-C stops)"))


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
            raise HybridqError(f"the store is in use by process {hq.owner_pid}", hint="stop it, then release")
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
    import hybridq

    with hybridq.connect(catalog_file) as hq:
        report = hq.status()
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

FORMATS = ["table", "csv", "json", "markdown"]
MAX_ROWS = 1000  # rows a table or markdown output shows; csv and json print all


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
    import hybridq

    text = _query_text(query, query_file)
    values = _params(params)
    with hybridq.connect(catalog_file) as hq:
        _announce_model(hq)
        result = hq.sql(text, values)
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
    import hybridq

    text = _query_text(query, query_file)
    values = _params(params)
    with hybridq.connect(catalog_file) as hq:
        _announce_model(hq)
        plan = hq.explain(text, values)
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
@friendly
def ask(catalog_file, question, fmt, llm, sql_only):
    """Answer a question in words: prints the SQL, what each part of the question became, and the rows.

    A question with words the catalog cannot place is not guessed: the words are named with the
    closest catalog terms, and the command exits with 2.

    \b
    hybridq ask catalogs/acme.yaml "ARR by region"
    hybridq ask catalogs/acme.yaml "enterprise customers with tickets mentioning data export"
    """
    import hybridq

    with hybridq.connect(catalog_file) as hq:
        _announce_model(hq)
        if sql_only and hasattr(hq, "store"):
            from hybridq.nl import question_to_sql

            _, answer = question_to_sql(hq, question)
        else:
            answer = hq.ask(question, llm=llm)
    if answer.refused:
        err.print(answer.explain(), style="yellow", markup=False)
        raise SystemExit(2)
    if fmt == "json":
        click.echo(_json(answer.to_dict()))
        return
    err.print(answer.sql, markup=False, highlight=False)
    err.print(answer.explain(), style="dim", markup=False)
    if answer.result is not None:
        print_result(answer.result, fmt)


def _finite(value):
    """JSON has no NaN or Infinity: such numbers are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json(value) -> str:
    return json.dumps(_finite(value), indent=2, default=str, allow_nan=False)


def print_result(result, fmt: str, max_width: int = 80, max_rows: int = MAX_ROWS) -> None:
    table = result.to_arrow()
    if fmt == "json":
        click.echo(_json(table.to_pylist()))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    elif fmt == "markdown":
        click.echo("| " + " | ".join(result.columns) + " |")
        click.echo("|" + "---|" * len(result.columns))
        for row in table.slice(0, max_rows).to_pylist():
            click.echo("| " + " | ".join(_cell(v, max_width).replace("|", "\\|") for v in row.values()) + " |")
        _left_out(len(result), max_rows)
    else:
        view = Table(*(escape(c) for c in result.columns), show_lines=False)
        for row in table.slice(0, max_rows).to_pylist():
            view.add_row(*(Text(_cell(v, max_width)) for v in row.values()))
        out.print(view)
        _left_out(len(result), max_rows)
        err.print(f"{len(result):,} row(s); {result.snapshot}", style="dim")


def _left_out(rows: int, shown: int) -> None:
    if rows > shown:
        err.print(f"showing the first {shown:,} of {rows:,} rows ({rows - shown:,} left out): raise --max-rows, "
                  "add a LIMIT, or use --format csv or json for every row", style="yellow")


def _cell(value, width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    main()
