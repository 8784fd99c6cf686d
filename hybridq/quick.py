"""The `hybridq` command's entry point: `ask` and `sql` answered by a running owner, light.

`hybridq ask CATALOG QUESTION` and `hybridq sql CATALOG QUERY` (no options) are sent to the
process that owns the store, when there is one, which answers and prints the answer for this
process's terminal; this process only writes that text. It imports neither click nor rich (about
half of the time of such a command). Everything else, and these commands when no owner answers
them, goes to the full command line (hybridq.cli), which prints the same text itself.
"""

from __future__ import annotations

import os
import sys

LIGHT_COMMANDS = ("ask", "sql")


def main() -> None:
    code = answered_by_owner(sys.argv[1:])
    if code is None:
        from hybridq.cli import main as full_command_line

        full_command_line()
        return
    sys.exit(code)


def answered_by_owner(argv: list[str]) -> int | None:
    """The exit code, once the owner's answer is written; None when the full command line must run
    (options, a query from a file or standard input, no owner, an owner of another catalog
    version, or one that could not answer)."""
    if len(argv) != 3 or argv[0] not in LIGHT_COMMANDS or any(a.startswith("-") for a in argv[1:]):
        return None
    command, catalog_file, text = argv
    from hybridq.serve import background
    from hybridq.serve.client import remote_for

    try:
        remote = remote_for(catalog_file)
    except Exception:  # any doubt about the store is the full command line's to explain
        return None
    if remote is None:
        return None
    try:
        if background.stale(remote.client.info, catalog_file):
            return None  # the full command line restarts it
        printed = remote.client.post_json("/terminal", {"command": command, "text": text,
                                                        "terminal": describe_terminal()})
    except Exception:  # gone, an older owner without this route, or unreachable: the full path copes
        return None
    finally:
        remote.close()
    streams = {"stdout": sys.stdout, "stderr": sys.stderr}
    for name, text in printed["writes"]:
        streams[name].write(text)
        streams[name].flush()
    return int(printed["exit"])


def describe_terminal() -> dict:
    """What rich would look at to print for this process: its environment, whether stdout and
    stderr are terminals, their encoding, and the terminal's size."""
    from hybridq.serve.wire import TERMINAL_ENV

    size = None
    for fd in (0, 1, 2):  # the order rich asks in
        try:
            size = list(os.get_terminal_size(fd))
            break
        except (OSError, ValueError):
            continue
    return {"env": {k: os.environ[k] for k in TERMINAL_ENV if k in os.environ},
            "stdout": _stream(sys.stdout), "stderr": _stream(sys.stderr), "size": size}


def _stream(stream) -> dict:
    try:
        isatty = stream.isatty()
    except (AttributeError, ValueError):
        isatty = False
    return {"isatty": isatty, "encoding": getattr(stream, "encoding", None)}


if __name__ == "__main__":
    main()
