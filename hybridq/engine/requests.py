"""What SQL asks of an engine: the relations that its semantic calls become.

Rewrite rules (hybridq/sql/rules) turn each semantic call into a reference to a column of a
relation; each relation is described by one request here, and an engine computes it (scores per
row, the k best rows, pair scores) and says how in a Step, one line of explain.
Kept free of heavy imports: clients rebuild plans from JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

HIDDEN_PREFIX = "__hq_"  # names hybridq adds to a query (relations, score columns) start so


def hidden(name: str) -> str:
    return HIDDEN_PREFIX + name


@dataclass(frozen=True)
class ColumnRef:
    """A semantic column as a query uses it: the table occurrence's alias, its table, the column."""

    alias: str
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class ScoreSpec:
    """One score column that a relation adds to a table occurrence."""

    name: str  # the hidden column, e.g. __hq_s0
    kind: str  # similarity | keyword | hybrid
    column: str
    text: str

    @property
    def function(self) -> str:
        """The SQL function the score comes from."""
        return {"similarity": "similarity", "keyword": "keyword_score", "hybrid": "hybrid_score"}[self.kind]


@dataclass
class AttachRequest:
    """Scores per row of one table occurrence, joined to it as extra columns."""

    relation: str
    table: str
    alias: str
    scores: list[ScoreSpec]
    keys: list[str]
    filters: list[exp.Expression] = field(default_factory=list)  # conjuncts on this occurrence only
    top_k: int | None = None  # only the best rows can reach the output (ORDER BY score DESC LIMIT k)
    top_score: str | None = None  # which score orders the output


@dataclass
class PairRequest:
    """Scores for pairs of rows of two table occurrences (a semantic join)."""

    relation: str
    left: ColumnRef
    right: ColumnRef
    left_keys: list[str]
    right_keys: list[str]
    left_filters: list[exp.Expression] = field(default_factory=list)
    right_filters: list[exp.Expression] = field(default_factory=list)


@dataclass
class SearchRequest:
    """vector_search(): the k best rows of a table, for one text or for each row of an outer table."""

    relation: str
    table: str
    column: str
    keys: list[str]
    k: int
    text: str | None = None
    outer: ColumnRef | None = None
    outer_keys: list[str] = field(default_factory=list)
    outer_filters: list[exp.Expression] = field(default_factory=list)
    filters: list[exp.Expression] = field(default_factory=list)  # on the searched table (access policies)
    alias: str = "__hq_t"  # the searched table's alias in `filters`


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
