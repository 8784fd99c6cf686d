"""What a question asks for, before it becomes SQL; every part remembers the words it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Words:
    """A stretch of the question (character offsets) and its text."""

    start: int
    end: int
    text: str

    def __str__(self) -> str:
        return repr(self.text)


@dataclass
class Measure:
    kind: str  # count | sum | avg | min | max | metric
    table: str  # the table whose rows are aggregated
    column: str | None = None
    term: int | None = None  # glossary metric
    words: Words | None = None
    alias: str = "value"
    filters: list["Condition"] = field(default_factory=list)  # "5 urgent tickets": conditions on what is counted


@dataclass
class Condition:
    kind: str  # value | term | compare | time | semantic | current | exists | count_compare | measure_compare | above_average
    table: str
    column: str | None = None
    op: str | None = None  # = | in | > | >= | < | <= | between
    values: list = field(default_factory=list)
    term: int | None = None
    text: str | None = None  # semantic phrase
    literals: list[str] = field(default_factory=list)  # semantic: rare words of the phrase a text may hold verbatim
    measure: Measure | None = None
    negated: bool = False
    words: list[Words] = field(default_factory=list)


@dataclass
class Group:
    table: str | None
    column: str | None = None
    term: int | None = None  # glossary dimension
    words: Words | None = None
    period: str | None = None  # month | year | quarter | week | day: of the root table's time column
    each: bool = False  # said with "each", "every" or "per": a partition when the rows are ranked


@dataclass
class Ranking:
    kind: str  # measure | column | semantic
    desc: bool
    limit: int | None
    table: str | None = None
    column: str | None = None
    text: str | None = None
    words: list[Words] = field(default_factory=list)


@dataclass
class QuerySpec:
    root: str  # the table whose rows are listed or aggregated
    entity: str | None = None  # the table the question is about (listing, grouping by entity)
    measures: list[Measure] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    ranking: Ranking | None = None
    limit: int | None = None
    entity_words: Words | None = None
    show_columns: list[tuple[str, str]] = field(default_factory=list)  # extra columns asked for
    vias: dict[str, str] = field(default_factory=dict)  # table -> the table its join path must pass ("customer nations")
    partition: Group | None = None  # "the top 3 customers by MRR in each segment": the ranking restarts per group


@dataclass
class TimeWindow:
    start: dt.date | None
    end: dt.date | None  # exclusive
    words: Words
    column: tuple[str, str] | None = None
