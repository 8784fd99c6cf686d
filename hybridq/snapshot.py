"""The freshness stamp every answer carries (kept free of heavy imports: clients read it too)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SnapshotStamp:
    """Which state an answer was computed on: the refresh that produced it and the Lance versions."""

    refresh_id: int | None
    committed_at: dt.datetime | None
    lance_versions: dict = field(default_factory=dict)

    def __str__(self) -> str:
        when = self.committed_at.isoformat(sep=" ", timespec="seconds") if self.committed_at else "never refreshed"
        return f"refresh #{self.refresh_id or 0} at {when}"

    def to_dict(self) -> dict:
        return {"refresh_id": self.refresh_id,
                "committed_at": self.committed_at.isoformat() if self.committed_at else None,
                "lance_versions": {f"{t}.{c}": v for (t, c), v in self.lance_versions.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "SnapshotStamp":
        return cls(d.get("refresh_id"),
                   dt.datetime.fromisoformat(d["committed_at"]) if d.get("committed_at") else None,
                   {tuple(k.split(".", 1)): v for k, v in (d.get("lance_versions") or {}).items()})
