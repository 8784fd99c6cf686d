"""A reading back in words: what the composed SQL computes, in the catalog's own terms.

This back-translation is what `explain()` shows and what a clarification lists for each reading,
so a user can check that the SQL says what they asked without reading SQL.
"""

from __future__ import annotations

from hybridq.nl.lexicon import Lexicon
from hybridq.nl.spec import Condition, Measure, QuerySpec

OPS = {"=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<=", "between": "between", "in": "in"}


def describe_spec(spec: QuerySpec, lexicon: Lexicon) -> str:
    catalog = lexicon.catalog
    parts = []
    if spec.measures:
        parts.append(", ".join(_measure(m, lexicon) for m in spec.measures))
    else:
        parts.append(f"{spec.entity or spec.root} rows")
    conditions = [_condition(c, lexicon) for c in spec.conditions]
    if conditions:
        parts.append("where " + " and ".join(conditions))
    groups = []
    for g in spec.groups:
        if g.period:
            groups.append(f"{g.period} of {g.table or spec.root}.{g.column or catalog.tables[spec.root].time_column}")
        elif g.term is not None:
            groups.append(catalog.glossary[g.term].term)
        elif g.column:
            groups.append(f"{g.table}.{g.column}")
        else:
            groups.append(f"each {g.table}")
    if groups:
        parts.append("per " + ", ".join(groups))
    r = spec.ranking
    if r is not None:
        how = "highest" if r.desc else "lowest"
        if r.kind == "semantic":
            by = f"closeness of {r.table}.{r.column} to '{r.text}'"
        elif r.kind == "column":
            by = f"{r.table}.{r.column}"
        else:
            by = spec.measures[0].alias if spec.measures else "value"
        limit = f"the {r.limit}" if r.limit else "all"
        within = ""
        if spec.partition is not None:
            within = f" within each {spec.partition.table}" + (f".{spec.partition.column}" if spec.partition.column else "")
        parts.append(f"{limit} {how} by {by}{within}")
    for table, column in spec.show_columns:
        parts.append(f"with {table}.{column}")
    return "; ".join(parts)


def _measure(m: Measure, lexicon: Lexicon) -> str:
    if m.kind == "metric":
        text = lexicon.catalog.glossary[m.term].term
    elif m.kind == "count":
        key = lexicon.catalog.tables[m.table].entity_key
        text = f"number of {m.table}" + (f" (distinct {', '.join(key)})" if key else "")
    else:
        text = f"{ {'sum': 'total', 'avg': 'average', 'min': 'lowest', 'max': 'highest', 'median': 'median'}[m.kind]} {m.table}.{m.column}"
    if m.filters:
        text += " (" + " and ".join(_condition(c, lexicon) for c in m.filters) + ")"
    return text


def _condition(c: Condition, lexicon: Lexicon) -> str:
    catalog = lexicon.catalog
    neg = "not " if c.negated else ""
    if c.kind == "value":
        values = ", ".join(repr(v) for v in c.values)
        return f"{neg}{c.table}.{c.column} {'in' if len(c.values) > 1 else '='} {values}"
    if c.kind == "term":
        return f"{neg}{catalog.glossary[c.term].term}"
    if c.kind == "compare":
        return f"{neg}{c.table}.{c.column} {c.op} {' and '.join(str(v) for v in c.values)}"
    if c.kind == "time":
        start, end = c.values
        return f"{c.table}.{c.column} from {start or 'the beginning'} to {end or 'now'}"
    if c.kind == "semantic":
        return f"{c.table}.{c.column} {'does not mention' if c.negated else 'mentions'} '{c.text}'"
    if c.kind == "exists":
        return f"{'no' if c.negated else 'some'} related {c.table}"
    if c.kind == "current":
        return f"current {c.table} only ({c.text})"
    if c.kind in ("count_compare", "measure_compare"):
        return f"{_measure(c.measure, lexicon)} {c.op} {' and '.join(str(v) for v in c.values)}"
    if c.kind == "above_average":
        subject = _measure(c.measure, lexicon) if c.measure else f"{c.table}.{c.column}"
        return f"{subject} {c.op} its average"
    return c.kind
