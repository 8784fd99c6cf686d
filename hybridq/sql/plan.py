"""What `explain` shows: the SQL that runs and how each semantic call is evaluated.

Kept free of heavy imports: the owner's clients rebuild plans from JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridq.snapshot import SnapshotStamp


@dataclass
class Step:
    """How one semantic request was evaluated (one line of explain)."""

    relation: str
    call: str
    strategy: str
    reason: str
    rows_scored: int = 0
    chunks_scored: int = 0
    output_rows: int = 0
    millis: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Plan:
    """The SQL that runs and, per semantic call, its strategy and why."""

    sql: str
    rewritten: str
    semantic: bool
    steps: list[Step] = field(default_factory=list)
    snapshot: SnapshotStamp | None = None
    planning_ms: float = 0.0

    def __str__(self) -> str:
        lines = [f"snapshot: {self.snapshot}", ""]
        if not self.semantic:
            lines.append("plain SQL: no semantic calls; runs on DuckDB as written")
        for i, step in enumerate(self.steps, 1):
            lines.append(f"{i}. {step.call}")
            lines.append(f"   strategy: {step.strategy}")
            lines.append(f"   why: {step.reason}")
            lines.append(f"   scored {step.rows_scored:,} rows / {step.chunks_scored:,} chunks -> "
                         f"{step.output_rows:,} rows in {step.millis:.1f} ms (relation {step.relation})")
        lines += ["", "rewritten SQL:", self.rewritten]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"sql": self.sql, "rewritten": self.rewritten, "semantic": self.semantic,
                "steps": [s.to_dict() for s in self.steps],
                "snapshot": self.snapshot.to_dict() if self.snapshot else None, "planning_ms": self.planning_ms}

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        return cls(d["sql"], d["rewritten"], d["semantic"], [Step(**s) for s in d.get("steps", [])],
                   SnapshotStamp.from_dict(d["snapshot"]) if d.get("snapshot") else None, d.get("planning_ms", 0.0))
