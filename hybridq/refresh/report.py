"""What a refresh did, per table."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from hybridq.refresh.diff import DUPLICATE
from hybridq.refresh.sources.base import RowIssue


def problems(issues: list[RowIssue]) -> str:
    """'2 duplicate row(s) quarantined, 1 problem(s)': rows left out for their key are counted apart,
    since they change counts against the source."""
    duplicates = sum(1 for i in issues if i.message.startswith(DUPLICATE))
    parts = [f"{duplicates} duplicate row(s) quarantined"] if duplicates else []
    if len(issues) > duplicates:
        parts.append(f"{len(issues) - duplicates} problem(s)")
    return ", ".join(parts)


@dataclass
class TableReport:
    table: str
    source: str
    files_read: int = 0
    files_removed: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted or self.chunks_embedded or self.chunks_reused)

    def summary(self) -> str:
        parts = [f"+{self.inserted} ~{self.updated} -{self.deleted} rows"]
        if self.chunks_embedded or self.chunks_reused:
            parts.append(f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused")
        if self.issues:
            parts.append(problems(self.issues))
        return f"{self.table}: " + ", ".join(parts)


@dataclass
class RefreshReport:
    started_at: dt.datetime
    seconds: float = 0.0
    refresh_id: int | None = None
    tables: dict[str, TableReport] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)  # tables no longer in the catalog -> rows they held
    # milliseconds per stage: prepare, read (fetch and diff), embed, lance, vector cache, duckdb
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.refresh_id is not None

    @property
    def issues(self) -> list[tuple[str, RowIssue]]:
        return [(t.source, i) for t in self.tables.values() for i in t.issues]

    @property
    def embedded(self) -> int:
        return sum(t.chunks_embedded for t in self.tables.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RefreshReport":
        tables = {}
        for name, t in d.get("tables", {}).items():
            issues = [RowIssue(**i) for i in t.pop("issues", [])]
            tables[name] = TableReport(**t, issues=issues)
        return cls(dt.datetime.fromisoformat(d["started_at"]), d.get("seconds", 0.0), d.get("refresh_id"), tables,
                   dict(d.get("removed") or {}), dict(d.get("stages") or {}))

    def summary(self) -> str:
        removed = [f"{t}: removed from the store (no longer in the catalog; {n:,} rows)" for t, n in self.removed.items()]
        if not self.changed:
            issues = [i for _, i in self.issues]
            return "; ".join(removed + ["no changes" + (f"; {problems(issues)}" if issues else "")])
        changed = [t.summary() for t in self.tables.values() if t.changed or t.issues]
        return "; ".join(removed + changed) + f" ({self.seconds * 1000:.0f} ms)"

    def timing(self) -> str:
        """Where the time went: 'read 2, embed 14, lance 9, duckdb 5 ms' (stages over 0.5 ms)."""
        shown = [f"{name} {ms:.0f}" for name, ms in self.stages.items() if ms >= 0.5]
        return ", ".join(shown) + " ms" if shown else ""
