"""Rules about the glossary and the verified examples."""

from __future__ import annotations

from typing import Iterator

from hybridq.catalog.binding import bind_columns, bind_query, has_aggregate, is_predicate, parse_expression
from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import RuleContext


def _normal(phrase: str) -> str:
    """Lower case, single spaces, plural last word made singular: 'Items' and 'item' are one phrase."""
    words = phrase.lower().replace("-", " ").split()
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def check_terms_unique(ctx: RuleContext) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    for i, term in enumerate(ctx.catalog.glossary):
        key = _normal(term.term)
        if key in seen:
            first = ctx.file_path(("glossary", seen[key]))[1]
            yield ctx.issue(("glossary", i, "term"), f"term '{term.term}' is defined twice (also glossary[{first}])",
                            "merge the two definitions or rename one")
        seen.setdefault(key, i)


def check_synonyms_unique(ctx: RuleContext) -> Iterator[Issue]:
    """A phrase may name one thing only: a glossary term, a term's synonym, or a table."""
    owner: dict[str, str] = {}
    for tname, table in ctx.catalog.tables.items():
        for phrase in [tname, *table.synonyms]:
            owner.setdefault(_normal(phrase), f"table {tname}")
    for i, term in enumerate(ctx.catalog.glossary):
        owner.setdefault(_normal(term.term), f"glossary term '{term.term}'")
    for i, term in enumerate(ctx.catalog.glossary):
        for j, synonym in enumerate(term.synonyms):
            key = _normal(synonym)
            claimed = owner.get(key)
            mine = f"glossary term '{term.term}'"
            if claimed and claimed != mine:
                yield ctx.issue(("glossary", i, "synonyms", j),
                                f"synonym '{synonym}' is already claimed by {claimed}",
                                "a phrase must mean one thing; remove it from one of them")
            owner.setdefault(key, mine)
    for tname, table in ctx.catalog.tables.items():
        for j, synonym in enumerate(table.synonyms):
            claimed = owner.get(_normal(synonym))
            if claimed and claimed != f"table {tname}":
                yield ctx.issue(("tables", tname, "synonyms", j), f"synonym '{synonym}' is already claimed by {claimed}",
                                "a phrase must mean one thing; remove it from one of them")


def check_glossary_sql(ctx: RuleContext) -> Iterator[Issue]:
    for i, term in enumerate(ctx.catalog.glossary):
        path = ("glossary", i, "sql")
        if term.sql is None:
            yield ctx.issue(("glossary", i), f"term '{term.term}' has no sql", _SHAPE[term.kind])
            continue
        if term.kind == "entity":
            if ctx.catalog.find_table(term.sql.strip()) is None and not ctx.table_known(term.sql.strip()):
                yield ctx.issue(path, f"entity '{term.term}' names unknown table '{term.sql}'",
                                suggestion(term.sql, ctx.catalog.tables, "tables"))
            continue
        node, problem = parse_expression(term.sql)
        if problem:
            yield ctx.issue(path, problem.message, problem.hint)
            continue
        for p in bind_columns(node, ctx.catalog, ctx.unchecked):
            yield ctx.issue(path, p.message, p.hint)
        if term.kind == "metric" and not has_aggregate(node):
            yield ctx.issue(path, f"metric '{term.term}' has no aggregate: {term.sql}", _SHAPE["metric"])
        if term.kind in ("filter", "dimension") and has_aggregate(node):
            yield ctx.issue(path, f"{term.kind} '{term.term}' uses an aggregate: {term.sql}", _SHAPE[term.kind])
        if term.kind == "filter" and not is_predicate(node, ctx.catalog):
            yield ctx.issue(path, f"filter '{term.term}' is not a condition: {term.sql}", _SHAPE["filter"])


_SHAPE = {
    "filter": "a filter is a condition, e.g. customers.segment = 'Enterprise'",
    "metric": "a metric aggregates, e.g. SUM(subscriptions.mrr) * 12",
    "dimension": "a dimension is a per-row expression, e.g. date_trunc('month', invoices.issued_date)",
    "entity": "an entity names a table, e.g. sql: customers",
}


def check_example_sql(ctx: RuleContext) -> Iterator[Issue]:
    for i, example in enumerate(ctx.catalog.examples):
        for p in bind_query(example.sql, ctx.catalog, ctx.unchecked):
            yield ctx.issue(("examples", i, "sql"), p.message, p.hint)
