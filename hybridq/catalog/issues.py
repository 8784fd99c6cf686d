"""Catalog issues: what validation rules return instead of raising."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    level: Level
    path: str  # YAML path: tables.customers.columns.name, glossary[3].sql
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    rule: str | None = None

    def format(self) -> str:
        where = self.file or "<catalog>"
        if self.line:
            where += f":{self.line}"
        level = "warning: " if self.level == "warning" else ""
        text = f"{where} {self.path}: {level}{self.message}" if self.path else f"{where}: {level}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Issue":
        return cls(**d)


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """The closest choice to `value`, phrased as a hint, or None."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def suggestion(value: str, choices: Iterable[str], what: str) -> str:
    """A hint naming the closest choice, or listing them all when none is close."""
    choices = sorted(set(choices))
    close = did_you_mean(value, choices)
    if close:
        return f"did you mean '{close}'?"
    if not choices:
        return f"no {what} is defined"
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"known {what}: {shown}"
