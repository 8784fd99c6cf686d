"""Per source and table: last refresh, size, problems, and how far the store lags the source; per
standing query: its last evaluation and last change."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

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
    error_count: int = 0  # every recorded problem; `errors` shows the first ones
    mode: str = "manual"
    capture: str | None = None  # postgres: replication, watermark or full, and why in `detail`
    detail: str | None = None
    last_success: dt.datetime | None = None  # non-file sources: the last read that worked (this process)
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    lag_bytes: int | None = None  # postgres replication: WAL the store has not applied yet

    _TIMES = ("refreshed_at", "last_success", "last_error_at")

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in self._TIMES:
            d[k] = d[k].isoformat() if d[k] else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TableStatus":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        for k in cls._TIMES:
            d[k] = dt.datetime.fromisoformat(d[k]) if d.get(k) else None
        d.setdefault("error_count", len(d.get("errors", [])))
        return cls(**d)


@dataclass
class Status:
    """`Session.status()`: per table (and its source) and per standing query. Iterating it gives the
    tables, as status did before alerts existed."""

    tables: list[TableStatus]
    alerts: list = field(default_factory=list)  # AlertStatus

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getitem__(self, i):
        return self.tables[i]

    def table(self, name: str) -> TableStatus:
        return next(t for t in self.tables if t.table == name)

    def to_dict(self) -> dict:
        return {"tables": [t.to_dict() for t in self.tables], "alerts": [a.to_dict() for a in self.alerts]}

    @classmethod
    def from_dict(cls, d) -> "Status":
        from hybridq.refresh.alerts import AlertStatus

        if isinstance(d, list):  # a table list, as older owners sent it
            d = {"tables": d}
        return cls([TableStatus.from_dict(t) for t in d.get("tables", [])],
                   [AlertStatus.from_dict(a) for a in d.get("alerts", [])])


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
        errors, error_counts = {}, dict(cur.execute(
            "SELECT table_name, count(*) FROM _hq.errors GROUP BY table_name").fetchall())
        for table, file, line, key, message in cur.execute(
                "SELECT table_name, file, line, key, message FROM (SELECT *, row_number() OVER "
                "(PARTITION BY table_name ORDER BY file, line) AS n FROM _hq.errors) WHERE n <= ? ORDER BY file, line",
                [error_limit]).fetchall():
            where = (file or "") + (f":{line}" if line else "") + (f" (key {key})" if key else "")
            errors.setdefault(table, []).append(f"{where}: {message}")
        loaded = store.table_states()
        for name, spec in catalog.tables.items():
            # a table the store does not have yet has no rows (reading never creates it)
            rows = cur.execute(f"SELECT count(*) FROM {quote(name)}").fetchall()[0][0] if loaded[name] != "missing" else 0
            source = catalog.sources[spec.source]
            if not source.reads_files:
                out.append(_source_status(store, name, spec, source, recorded.get(name, (None, None))[1], rows,
                                          chunks.get(name, {}), errors.get(name, []), error_counts.get(name, 0)))
                continue
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
                errors.get(name, []), len(current), pending, lag if pending else 0.0,
                error_counts.get(name, 0), source.live_mode))
    return out


def _source_status(store: Store, name: str, spec, source, refreshed_at, rows: int, chunks: dict,
                   errors: list[str], error_count: int) -> TableStatus:
    """A non-file source: what this process saw of it (capture, last success and error, lag)."""
    from hybridq.refresh.external import SourceHealth

    health = store.live_sources.get(name, {}).get("health") or SourceHealth()
    return TableStatus(name, spec.source, source.kind, refreshed_at, rows, chunks, errors, 0, 0, health.lag_seconds,
                       error_count, source.live_mode, health.capture, health.detail,
                       health.last_success or refreshed_at, health.last_error, health.last_error_at, health.lag_bytes)
