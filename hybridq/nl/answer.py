"""The answer to a question: the SQL, what each part of the question became, and the rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridq.nl.spec import Words
from hybridq.result import Result


@dataclass
class Answer:
    question: str
    sql: str | None = None
    result: Result | None = None
    links: list[tuple[Words, str]] = field(default_factory=list)
    refused: bool = False
    reason: str | None = None
    unplaced: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    source: str = "catalog"  # catalog (deterministic) | llm
    planning_ms: float = 0.0

    @property
    def as_of(self):
        """The snapshot the answer was computed on."""
        return self.result.snapshot if self.result else None

    @property
    def rows(self) -> list[tuple]:
        return self.result.rows if self.result else []

    def to_arrow(self):
        return self.result.to_arrow() if self.result else None

    def explain(self) -> str:
        """Each stretch of the question and the catalog element or predicate it became."""
        if self.refused:
            lines = [f"not answered: {self.reason}"]
            for word in self.unplaced:
                near = self.suggestions.get(word) or []
                lines.append(f"  {word!r}" + (f" -> did you mean: {', '.join(near)}?" if near else ""))
            return "\n".join(lines)
        lines = [f"answered from the {'catalog' if self.source == 'catalog' else 'language model'}:"]
        for words, what in sorted(self.links, key=lambda wl: wl[0].start):
            lines.append(f"  {words.text!r:32} -> {what}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "sql": self.sql, "refused": self.refused, "reason": self.reason,
            "unplaced": self.unplaced, "suggestions": self.suggestions, "source": self.source,
            "links": [{"start": w.start, "end": w.end, "text": w.text, "element": what} for w, what in self.links],
            "columns": self.result.columns if self.result else [],
            "rows": [list(r) for r in self.rows],
            "snapshot": self.result.snapshot.to_dict() if self.result else None,
            "planning_ms": self.planning_ms,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Answer":
        """An answer sent by the owner process (to_dict, with the rows as Arrow in "arrow")."""
        import base64

        from hybridq.snapshot import SnapshotStamp

        result = None
        if d.get("arrow"):
            from hybridq.serve.wire import arrow_table

            table = arrow_table(base64.b64decode(d["arrow"]))
            result = Result(table, SnapshotStamp.from_dict(d["snapshot"]), d["sql"])
        links = [(Words(x["start"], x["end"], x["text"]), x["element"]) for x in d.get("links", [])]
        return cls(d["question"], d.get("sql"), result, links, d.get("refused", False), d.get("reason"),
                   d.get("unplaced", []), d.get("suggestions", {}), d.get("source", "catalog"),
                   d.get("planning_ms", 0.0))

    def __repr__(self) -> str:
        if self.refused:
            return f"<Answer refused: {self.reason}>"
        return f"<Answer {len(self.rows)} rows: {self.sql!r}>"
