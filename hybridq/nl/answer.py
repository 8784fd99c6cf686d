"""The answer to a question: the SQL, what each part of the question became, and the rows; or a
clarification listing the readings the question allows; or a refusal naming what could not be placed."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridq.nl.spec import Words
from hybridq.result import Result


@dataclass
class Alternative:
    """One reading of an ambiguous question: in words, and as SQL."""

    description: str
    sql: str
    choices: list[str] = field(default_factory=list)  # where this reading took one option among several

    def to_dict(self) -> dict:
        return {"description": self.description, "sql": self.sql, "choices": self.choices}

    @classmethod
    def from_dict(cls, d: dict) -> "Alternative":
        return cls(d["description"], d["sql"], list(d.get("choices", [])))


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
    options: list[Alternative] = field(default_factory=list)  # a clarification: the readings to choose from
    description: str | None = None  # the SQL back in the catalog's words
    verified: bool = True  # False: SQL from a language model whose parts do not all trace back to the question

    @property
    def kind(self) -> str:
        """answer | clarification | refusal"""
        if self.options:
            return "clarification"
        return "refusal" if self.refused else "answer"

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
        """Each stretch of the question and the catalog element or predicate it became; or the readings
        to choose from; or why it was not answered."""
        if self.options:
            lines = [f"the question can be read in {len(self.options)} ways; choose one (ask again with choose=N):"]
            for i, option in enumerate(self.options, 1):
                lines.append(f"  {i}. {option.description}")
                for choice in option.choices:
                    lines.append(f"       ({choice})")
            return "\n".join(lines)
        if self.refused:
            lines = [f"not answered: {self.reason}"]
            for word in self.unplaced:
                near = self.suggestions.get(word) or []
                lines.append(f"  {word!r}" + (f" -> did you mean: {', '.join(near)}?" if near else ""))
            return "\n".join(lines)
        origin = "catalog" if self.source == "catalog" else "language model"
        lines = [f"answered from the {origin}" + ("" if self.verified else " (not verified against the question)") + ":"]
        if not self.verified and self.reason:
            lines.append(f"  {self.reason}")
        if self.description:
            lines.append(f"  reads as: {self.description}")
        for words, what in sorted(self.links, key=lambda wl: wl[0].start):
            lines.append(f"  {words.text!r:32} -> {what}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "kind": self.kind, "sql": self.sql, "refused": self.refused,
            "reason": self.reason, "unplaced": self.unplaced, "suggestions": self.suggestions, "source": self.source,
            "description": self.description, "verified": self.verified,
            "options": [o.to_dict() for o in self.options],
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
                   d.get("planning_ms", 0.0), [Alternative.from_dict(o) for o in d.get("options", [])],
                   d.get("description"), d.get("verified", True))

    def __repr__(self) -> str:
        if self.options:
            return f"<Answer clarification: {len(self.options)} readings>"
        if self.refused:
            return f"<Answer refused: {self.reason}>"
        return f"<Answer {len(self.rows)} rows: {self.sql!r}>"
