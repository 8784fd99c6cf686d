"""Rules about the vocabulary questions in words use: verbs, adjectives, rankings, entity keys."""

from __future__ import annotations

from typing import Iterator

from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import RuleContext, type_family

NUMBER_FAMILIES = ("integer", "number", "decimal", "date", "timestamp", "unknown")


def check_column_vocabulary(ctx: RuleContext) -> Iterator[Issue]:
    """verbs belong on date and semantic columns, adjectives on number and date columns."""
    for tname, table in ctx.catalog.tables.items():
        for cname, col in table.columns.items():
            path = ("tables", tname, "columns", cname)
            family = type_family(col.type)
            if col.verbs and col.semantic is None and family not in ("date", "timestamp", "unknown") \
                    and not _is_year(col.type, col.unit):
                yield ctx.issue(path + ("verbs",), f"verbs on {tname}.{cname} ({col.type}), which is neither a date "
                                "nor a semantic column",
                                "verbs say which date a time refers to, or which text a phrase is matched against; "
                                "other words for the column go in synonyms")
            if col.adjectives and family not in NUMBER_FAMILIES and not family.startswith("decimal"):
                yield ctx.issue(path + ("adjectives",), f"adjectives on {tname}.{cname} ({col.type}), which is not "
                                "a number or a date", "adjectives rank rows by a number: put them on such a column")


def _is_year(type_text: str, unit: str | None) -> bool:
    return type_family(type_text) == "integer" and (unit or "").lower() in ("year", "years")


def check_entity_keys(ctx: RuleContext) -> Iterator[Issue]:
    for tname, table in ctx.catalog.tables.items():
        for i, key in enumerate(table.entity_key):
            if not ctx.column_known(tname, key):
                path = ("tables", tname, "entity_key") + ((i,) if len(table.entity_key) > 1 else ())
                yield ctx.issue(path, f"entity key column '{key}' is not a column of {tname}",
                                suggestion(key, table.columns, "columns"))


def check_rankings(ctx: RuleContext) -> Iterator[Issue]:
    metrics = {t.term.lower(): t for t in ctx.catalog.glossary if t.kind == "metric"}
    for tname, table in ctx.catalog.tables.items():
        for i, ranking in enumerate(table.rankings):
            if ranking.metric.lower() not in metrics:
                yield ctx.issue(("tables", tname, "rankings", i, "metric"),
                                f"'{ranking.metric}' is not a glossary metric",
                                suggestion(ranking.metric, [t.term for t in metrics.values()], "metrics"))
