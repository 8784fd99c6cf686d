"""Reader for SQLite tables (Python's sqlite3): read whole and diffed by key and hash.

The database is opened read-only. The file and its write-ahead log are stat'ed first: when
neither changed since the last read, nothing is read. Watch mode maps events on the file, its
`-wal` and `-journal` to the table.
"""

from __future__ import annotations

import os
import sqlite3

from hybridq.refresh.files import absolute
from hybridq.refresh.sources.base import ReadContext, SourceRead, empty_rows
from hybridq.store.duck import quote


def read_sqlite(ctx: ReadContext, files: list[str]) -> SourceRead:
    from hybridq.refresh.external import rows_from_records

    opts = ctx.source.sqlite
    path = absolute(ctx.base_dir, ctx.source.path)
    stamp = _stamp(path)
    if stamp is None:
        raise FileNotFoundError(f"no SQLite database at {path}")
    if ctx.state.get("stamp") == stamp:
        return SourceRead(empty_rows(ctx), complete=False, state=ctx.state)
    query = opts.query or f"SELECT * FROM {_sqlite_name(opts.table)}"
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5.0)
    try:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description]
        missing = [c for c in ctx.table.columns if c not in names]
        if missing:
            raise ValueError(f"the {'query' if opts.query else 'table ' + opts.table} has no column(s) "
                             f"{', '.join(missing)}; it has {', '.join(names)}")
        records = [dict(zip(names, row)) for row in cursor]
    finally:
        con.close()
    read = rows_from_records(ctx, [{k: _plain(v) for k, v in r.items()} for r in records])
    read.state = {**ctx.state, "stamp": stamp}
    return read


def _stamp(path) -> list | None:
    """(mtime, size) of the database file and of its write-ahead log: a write changes one of them."""
    out = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{path}{suffix}")
        except FileNotFoundError:
            if not suffix:
                return None
            continue
        if st.st_size or not suffix:  # an empty log holds nothing (opening the database may create one)
            out += [st.st_mtime_ns, st.st_size]
    return out


def _plain(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _sqlite_name(name: str) -> str:
    return ".".join(quote(part) for part in name.split("."))
