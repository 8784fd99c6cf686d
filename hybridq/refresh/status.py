"""Per source and table: last refresh, size, problems, and how far the store lags the source."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from hybridq.refresh.files import scan
from hybridq.store.duck import chunks_table, quote
from hybridq.store.store import Store


@dataclass
class TableStatus:
    table: str
    source: str
    kind: str
    refreshed_at: dt.datetime | None
    rows: int
    chunks: dict[str, int]
    errors: list[str]
    files: int
    pending_files: int  # files on disk that differ from what the store last read
    lag_seconds: float | None  # age of the oldest source change the store has not applied yet

    def to_dict(self) -> dict:
        d = asdict(self)
        d["refreshed_at"] = self.refreshed_at.isoformat() if self.refreshed_at else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TableStatus":
        d = dict(d)
        d["refreshed_at"] = dt.datetime.fromisoformat(d["refreshed_at"]) if d.get("refreshed_at") else None
        return cls(**d)


def table_status(store: Store, *, error_limit: int = 20) -> list[TableStatus]:
    catalog = store.catalog
    out = []
    with store.snapshot() as snap:
        cur = snap.cursor
        recorded = {r[0]: r for r in cur.execute("SELECT table_name, refreshed_at FROM _hq.sources").fetchall()}
        stored_files = {}
        for table, path, mtime, size in cur.execute("SELECT table_name, path, mtime_ns, size FROM _hq.files").fetchall():
            stored_files.setdefault(table, {})[path] = (mtime, size)
        chunks = {}
        for table, column in cur.execute("SELECT table_name, column_name FROM _hq.vectors").fetchall():
            if table in catalog.tables:
                chunks.setdefault(table, {})[column] = cur.execute(
                    f"SELECT count(*) FROM {chunks_table(table, column)}").fetchall()[0][0]
        errors = {}
        for table, file, line, key, message in cur.execute(
                "SELECT table_name, file, line, key, message FROM _hq.errors ORDER BY file, line").fetchall():
            where = (file or "") + (f":{line}" if line else "") + (f" (key {key})" if key else "")
            errors.setdefault(table, []).append(f"{where}: {message}")
        loaded = store.table_states()
        for name, spec in catalog.tables.items():
            # a table the store does not have yet has no rows (reading never creates it)
            rows = cur.execute(f"SELECT count(*) FROM {quote(name)}").fetchall()[0][0] if loaded[name] != "missing" else 0
            source = catalog.sources[spec.source]
            known = stored_files.get(name, {})
            now = dt.datetime.now().timestamp()
            pending, oldest = 0, None
            current = scan(catalog.base_dir, source.path, follow_symlinks=source.follow_symlinks)
            for state in current:
                if known.get(state.path) != (state.mtime_ns, state.size):
                    pending += 1
                    t = state.mtime_ns / 1e9
                    oldest = t if oldest is None else min(oldest, t)
            removed = set(known) - {s.path for s in current}
            pending += len(removed)
            lag = (now - oldest) if oldest is not None else (0.0 if not removed else None)
            out.append(TableStatus(
                name, spec.source, source.kind, recorded.get(name, (None, None))[1], rows, chunks.get(name, {}),
                errors.get(name, [])[:error_limit], len(current), pending, lag if pending else 0.0))
    return out
