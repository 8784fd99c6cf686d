"""Rewrite rules: small pure functions `rule(expression, ctx) -> expression`, applied in order.

Each lives in its own file with a doctest-sized example, and tests/sql/fixtures/<rule>.sql holds
its input/expected pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlglot import exp

from hybridq.catalog.model import Catalog
from hybridq.sql.rules.apply_access_policies import apply_access_policies
from hybridq.sql.rules.attach_scores import attach_scores
from hybridq.sql.rules.exclude_hidden_columns import exclude_hidden_columns
from hybridq.sql.rules.expand_semantic_match import expand_semantic_match
from hybridq.sql.rules.lower_vector_search import lower_vector_search
from hybridq.sql.rules.normalize_semantic_calls import normalize_semantic_calls
from hybridq.sql.rules.qualify_semantic_columns import qualify_semantic_columns


@dataclass
class RewriteContext:
    catalog: Catalog
    sql: str  # the original text, for error positions
    access: object = None  # the caller's AccessView (hybridq.sql.access), or None for full access
    _relations: itertools.count = field(default_factory=itertools.count)
    _scores: itertools.count = field(default_factory=itertools.count)

    def relation_name(self) -> str:
        return f"__hq_rel_{next(self._relations)}"

    def score_name(self) -> str:
        return f"__hq_s{next(self._scores)}"


RULES = (
    normalize_semantic_calls,
    qualify_semantic_columns,
    expand_semantic_match,
    lower_vector_search,
    attach_scores,
    exclude_hidden_columns,
    apply_access_policies,
)


def rewrite(expression: exp.Expression, ctx: RewriteContext, rules=RULES) -> exp.Expression:
    for rule in rules:
        expression = rule(expression, ctx)
    return expression


__all__ = ["RULES", "RewriteContext", "rewrite"]
