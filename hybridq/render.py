"""What the command line prints for rows, an answer or an error, on two rich consoles (out, err).

The same functions serve the command line in its own process and the store's owner rendering for
a caller's terminal (`terminal_consoles`), so a command answered by a warm owner prints exactly
what it would have printed itself, without importing rich or click (see hybridq/quick.py).
"""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hybridq.errors import CatalogError, HybridqError

FORMATS = ["table", "csv", "json", "markdown"]
MAX_ROWS = 1000  # rows a table or markdown output shows; csv and json print all
# exit codes of `hybridq ask` besides 0 and 1 (an error)
REFUSED, CLARIFY = 2, 3


def consoles() -> tuple[Console, Console]:
    """The command line's own stdout and stderr consoles."""
    return (Console(highlight=False, soft_wrap=True), Console(stderr=True, highlight=False, soft_wrap=True))


def json_text(value) -> str:
    """JSON for people: indented; NaN and infinities (which JSON lacks) as null, dates as text."""
    from hybridq.serve import wire

    return json.dumps(wire.plain(value), indent=2)


def echo(out: Console, text: str) -> None:
    """Plain text, as written (no markup, emoji codes or wrapping)."""
    out.file.write(text + "\n")
    out.file.flush()


def print_error(exc: HybridqError, err: Console) -> int:
    """The message a user sees for a hybridq error; the exit code."""
    if isinstance(exc, CatalogError):
        for issue in exc.issues:
            err.print(issue.format(), style="yellow" if issue.level == "warning" else "red", markup=False)
    else:
        err.print(f"error: {exc}", style="red", markup=False)
    return 1


def print_rows(result, fmt: str, out: Console, err: Console, max_width: int = 80, max_rows: int = MAX_ROWS) -> None:
    if fmt == "json":
        echo(out, json_text(result.to_dicts()))
    elif fmt == "csv":
        import csv

        writer = csv.writer(out.file)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        out.file.flush()
    elif fmt == "markdown":
        lines = ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
        lines += ["| " + " | ".join(_cell(v, max_width).replace("|", "\\|") for v in row) + " |"
                  for row in result.head(max_rows)]
        echo(out, "\n".join(lines))
        _left_out(err, len(result), max_rows)
    else:
        view = Table(*(escape(c) for c in result.columns), show_lines=False)
        for row in result.head(max_rows):
            view.add_row(*(Text(_cell(v, max_width)) for v in row))
        out.print(view)
        _left_out(err, len(result), max_rows)
        err.print(f"{len(result):,} row(s); {result.snapshot}", style="dim")


def print_answer(payload: dict, fmt: str, out: Console, err: Console) -> int:
    """An answer of `ask` in its JSON form (serve/wire.answer_json): its SQL, what each part of the
    question became and its rows; a refusal; or the readings to choose from. The exit code."""
    if payload.get("options"):
        if fmt == "json":
            echo(out, json_text({k: v for k, v in payload.items() if k not in ("explanation", "arrow")}))
        else:
            err.print(f"the question can be read in {len(payload['options'])} ways; ask again with --choose N:",
                      style="yellow", markup=False)
            for i, option in enumerate(payload["options"], 1):
                err.print(f"\n{i}. {option['description']}", markup=False)
                for choice in option.get("choices", []):
                    err.print(f"   ({choice})", style="dim", markup=False)
                err.print(option["sql"], style="dim", markup=False, highlight=False)
        return CLARIFY
    if payload.get("refused"):
        err.print(payload["explanation"], style="yellow", markup=False)
        return REFUSED
    if fmt == "json":
        echo(out, json_text({k: v for k, v in payload.items() if k not in ("explanation", "arrow")}))
        return 0
    err.print(payload["sql"], markup=False, highlight=False)
    err.print(payload["explanation"], style="dim", markup=False)
    if payload.get("snapshot"):
        from hybridq.result import Result
        from hybridq.snapshot import SnapshotStamp

        print_rows(Result.from_rows(payload["columns"], payload["rows"], SnapshotStamp.from_dict(payload["snapshot"]),
                                    payload["sql"]), fmt, out, err)
    return 0


def _left_out(err: Console, rows: int, shown: int) -> None:
    if rows > shown:
        err.print(f"showing the first {shown:,} of {rows:,} rows ({rows - shown:,} left out): raise --max-rows, "
                  "add a LIMIT, or use --format csv or json for every row", style="yellow")


def _cell(value, width: int) -> str:
    if value is None:
        return ""
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- rendering for another process's terminal ---------------------------------------------------

class _Captured(io.TextIOBase):
    """A stream of another process, written to memory: it answers isatty() and encoding as that
    stream would, so rich decides colours and box characters as it would have there, and it keeps
    its writes in `writes`, shared with the other stream, in the order they were made."""

    def __init__(self, name: str, writes: list, isatty: bool, encoding: str | None):
        super().__init__()
        self.name, self.writes = name, writes
        self._isatty = isatty
        self._encoding = encoding or "utf-8"

    def write(self, text: str) -> int:
        if text:
            self.writes.append((self.name, text))
        return len(text)

    def isatty(self) -> bool:
        return self._isatty

    @property
    def encoding(self) -> str:
        return self._encoding


def terminal_consoles(terminal: dict) -> tuple[Console, Console, list]:
    """stdout and stderr consoles that write as rich would write to the terminal described by
    `terminal` (hybridq/quick.py's describe_terminal: environment, isatty, encoding, size), and
    the list of their writes: (stream name, text), in order."""
    from hybridq.serve.wire import TERMINAL_ENV

    env = {k: str(v) for k, v in (terminal.get("env") or {}).items() if k in TERMINAL_ENV}
    size = terminal.get("size")
    dims = {}
    if size and "COLUMNS" not in env and env.get("TERM", "").lower() not in ("dumb", "unknown"):
        dims = {"width": int(size[0]) or 80, "height": int(size[1]) or 25}
    writes: list[tuple[str, str]] = []

    def console(stream: str) -> Console:
        about = terminal.get(stream) or {}
        file = _Captured(stream, writes, bool(about.get("isatty")), about.get("encoding"))
        return Console(file=file, stderr=stream == "stderr", _environ=env, highlight=False, soft_wrap=True, **dims)

    return console("stdout"), console("stderr"), writes


def answer_for_terminal(session, command: str, text: str, terminal: dict) -> dict:
    """`hybridq ask` or `hybridq sql` with its default options, answered by this process and printed
    for another process's terminal: {"writes": [[stream, text], ...], "exit": code}."""
    out, err, writes = terminal_consoles(terminal)
    try:
        if command == "ask":
            from hybridq.serve import wire

            code = print_answer(wire.answer_json(session.ask(text)), "table", out, err)
        else:
            print_rows(session.sql(text), "table", out, err)
            code = 0
    except HybridqError as exc:
        code = print_error(exc, err)
    return {"writes": writes, "exit": code}
