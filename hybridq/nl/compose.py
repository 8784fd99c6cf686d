"""Composing SQL from a QuerySpec: root table, join paths over the catalog's relationships, and
readable SQL built with sqlglot.

Tables reached from the root through many-to-one steps are joined (no row is duplicated);
conditions on tables reached through a one-to-many step become EXISTS subqueries, so a customer
with three matching tickets is still listed or counted once. A join path that is not unique is
reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from hybridq.catalog.model import Catalog
from hybridq.catalog.rules.context import type_family
from hybridq.nl.graph import catalog_graph
from hybridq.nl.lexicon import Lexicon
from hybridq.nl.parse import Refusal
from hybridq.nl.spec import Condition, Measure, QuerySpec


@dataclass(frozen=True)
class Step:
    """One hop along a relationship: from `src` to `dst` joining src.src_col = dst.dst_col."""

    src: str
    dst: str
    src_col: str
    dst_col: str
    up: bool  # many-to-one (from the table holding the foreign key to the one it refers to)


ROW_CONDITIONS = ("value", "term", "compare", "time", "semantic", "current")


def neighbours(catalog: Catalog, table: str) -> list[Step]:
    out = []
    for rel in catalog.relationships:
        ft, fc = rel.from_.split(".")
        tt, tc = rel.to.split(".")
        ft, tt = catalog.find_table(ft), catalog.find_table(tt)
        if ft == table:
            out.append(Step(ft, tt, fc, tc, True))
        if tt == table:
            out.append(Step(tt, ft, tc, fc, False))
    return out


def join_path(catalog: Catalog, src: str, dst: str) -> list[Step]:
    """The shortest path of relationships from src to dst; ambiguity (two shortest paths) is refused."""
    if src == dst:
        return []
    paths: dict[str, list[list[Step]]] = {src: [[]]}
    queue = deque([src])
    while queue:
        table = queue.popleft()
        for step in neighbours(catalog, table):
            new = [p + [step] for p in paths[table]]
            if step.dst not in paths:
                paths[step.dst] = new
                queue.append(step.dst)
            elif len(paths[step.dst][0]) == len(new[0]) and step.dst != src:
                paths[step.dst] = paths[step.dst] + new
    found = paths.get(dst)
    if not found:
        raise Refusal([dst], {}, f"no relationship in the catalog connects {src} and {dst}")
    distinct = {tuple(p) for p in found}
    if len(distinct) > 1:
        routes = [" -> ".join([src] + [s.dst for s in p]) for p in distinct]
        raise Refusal([dst], {dst: routes}, f"{src} and {dst} are connected in more than one way: " + "; ".join(routes))
    return found[0]


def col(table: str, column: str) -> exp.Column:
    return exp.column(column, table=table)


def parse_sql(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, dialect="duckdb")


class Composer:
    def __init__(self, spec: QuerySpec, lexicon: Lexicon):
        self.spec = spec
        self.lex = lexicon
        self.catalog = lexicon.catalog
        self.joined: dict[str, list[Step]] = {spec.root: []}
        self.none_of: dict[str, list[Condition]] = {}  # conditions on the rows a negated existence excludes

    # -- joins ---------------------------------------------------------------------------------

    def reach(self, table: str) -> tuple[list[Step], bool]:
        """The path from the root to `table` (by way of the table the question names with it, if
        any), and whether it only goes up (joinable without fan-out)."""
        via = self.spec.vias.get(table)
        if table == self.spec.root:
            return [], True
        if via and via != self.spec.root and via != table:
            path = join_path(self.catalog, self.spec.root, via) + join_path(self.catalog, via, table)
        else:
            path = join_path(self.catalog, self.spec.root, table)
        return path, all(s.up for s in path)

    def need_join(self, table: str, why: str) -> None:
        path, up = self.reach(table)
        if not up:
            raise Refusal([table], {}, f"{why} needs {table}, but one {self.spec.root} row matches many {table} rows "
                          f"there; ask about {table} instead")
        for i, step in enumerate(path):
            self.joined.setdefault(step.dst, path[: i + 1])

    # -- conditions ----------------------------------------------------------------------------

    def predicate(self, cond: Condition) -> exp.Expression:
        t = cond.table
        if cond.kind == "value":
            column = col(t, cond.column)
            values = [exp.Literal.string(v) for v in cond.values]
            node = exp.EQ(this=column, expression=values[0]) if len(values) == 1 else exp.In(this=column, expressions=values)
        elif cond.kind == "term":
            node = parse_sql(self.catalog.glossary[cond.term].sql)
        elif cond.kind == "compare":
            node = _compare(col(t, cond.column), cond.op, cond.values)
        elif cond.kind == "time":
            start, end = cond.values
            if self.lex.year_column(t, cond.column):
                bound = _year_bound
                if any(d is not None and (d.month, d.day) != (1, 1) for d in (start, end)):
                    raise Refusal([t], {}, f"{t}.{cond.column} holds years, and the time asked for is not whole years")
            else:
                bound = _date
            parts = []
            if start is not None:
                parts.append(exp.GTE(this=col(t, cond.column), expression=bound(start)))
            if end is not None:
                parts.append(exp.LT(this=col(t, cond.column), expression=bound(end)))
            node = exp.and_(*parts)
        elif cond.kind == "semantic":
            node = exp.Anonymous(this="semantic_match", expressions=[col(t, cond.column), exp.Literal.string(cond.text)])
            if cond.literals:  # or the text, or the row's title, names them as written ('tickets about hubspot')
                node = exp.Paren(this=exp.or_(node, *[exp.and_(*[
                    exp.RegexpLike(this=col(t, c), expression=exp.Literal.string(rf"\b{re.escape(w)}(s|es)?\b"),
                                   flag=exp.Literal.string("i")) for w in cond.literals]) for c in self.texts_of(t, cond.column)]))
        elif cond.kind == "current":
            node = parse_sql(cond.text)
        elif cond.kind == "exists":
            return self.exists(t, [self.predicate(c) for c in self.none_of.get(t, [])] if cond.negated else [],
                               cond.negated)
        elif cond.kind == "count_compare":
            return _compare(self.correlated(cond.measure), cond.op, cond.values)
        elif cond.kind == "measure_compare":
            return _compare(self.correlated(cond.measure), cond.op, cond.values)
        elif cond.kind == "above_average":
            return self.above_average(cond)
        else:  # pragma: no cover
            raise ValueError(cond.kind)
        return exp.Not(this=exp.Paren(this=node)) if cond.negated else node

    def texts_of(self, table: str, column: str) -> list[str]:
        """The searched text column, and the text column that names the table's rows (a ticket's subject)."""
        label = self.catalog.tables[table].label()
        texts = [column]
        if label != column and type_family(self.catalog.tables[table].columns[label].type) == "text":
            texts.append(label)
        return texts

    def place(self, cond: Condition) -> tuple[str, exp.Expression]:
        """('where', predicate) for the root or a joined table, else an EXISTS on the table's rows."""
        if cond.kind in ("exists", "count_compare", "measure_compare", "above_average"):
            return "where", self.predicate(cond)
        path, up = self.reach(cond.table)
        if up:
            for i, step in enumerate(path):
                self.joined.setdefault(step.dst, path[: i + 1])
            return "where", self.predicate(cond)
        negated = cond.negated
        inner = Condition(**{**cond.__dict__, "negated": False})
        return "where", self.exists(cond.table, [self.predicate(inner)], negated)

    def related_rows(self) -> dict[str, list[list[Condition]]]:
        """Plain conditions on rows related one-to-many, grouped by the rows they must hold for together:
        'customers with an open urgent order' is one order both open and urgent, and 'more than 2
        tickets about refunds' counts the tickets about refunds (the count takes those conditions).
        Two values of one column ('both a DPA and an MSA') are two rows."""
        counted = {c.measure.table: c.measure for c in self.spec.conditions
                   if c.kind == "count_compare" and c.measure is not None and not c.negated}
        missing = {c.table for c in self.spec.conditions if c.kind == "exists" and c.negated}
        out: dict[str, list[list[Condition]]] = {}
        for cond in self.spec.conditions:
            if cond.table in missing and cond.kind in ROW_CONDITIONS and not cond.negated \
                    and not self.reach(cond.table)[1]:
                # "businesses with no check-ins on a Monday": no check-in that is on a Monday
                self.none_of.setdefault(cond.table, []).append(cond)
                continue
            if cond.kind == "exists" and not cond.negated and any(
                    c.table == cond.table and c.kind in ROW_CONDITIONS and not c.negated for c in self.spec.conditions):
                out.setdefault(cond.table, [[]])[0].append(cond)  # "with tickets mentioning X": one ticket does both
                continue
            if cond.kind not in ROW_CONDITIONS or cond.negated or self.reach(cond.table)[1]:
                continue
            if cond.table in counted:
                if cond not in counted[cond.table].filters:
                    counted[cond.table].filters.append(cond)
                continue
            groups = out.setdefault(cond.table, [])
            group = next((g for g in groups if not any(
                x.kind == cond.kind == "value" and x.column == cond.column for x in g)), None)
            if group is None:
                groups.append([cond])
            else:
                group.append(cond)
        return out

    def one_row_each(self, below: dict[str, list[list[Condition]]]) -> list[tuple[list[str], list[Condition]]]:
        """The EXISTS to write: conditions on tables reached through the same related row join into one
        ('students who got an A in Advanced Calculus': one record with grade A, of that course), unless
        a table holds two rows' conditions ('both a DPA and an MSA')."""
        out: list[tuple[list[str], list[Condition]]] = []
        through: dict[str, int] = {}
        for table, groups in below.items():
            path, _ = self.reach(table)
            hop = path[0].dst if path else table
            if len(groups) == 1 and hop in through and all(len(below[t]) == 1 for t in out[through[hop]][0]):
                tables, conds = out[through[hop]]
                out[through[hop]] = (tables + [table], conds + groups[0])
                continue
            for group in groups:
                out.append(([table], list(group)))
            if len(groups) == 1:
                through.setdefault(hop, len(out) - 1)
        return out

    def exists(self, table: str, predicates: list[exp.Expression], negated: bool,
               also: list[str] = ()) -> exp.Expression:
        """EXISTS (rows of `table`, reached from the root, satisfying the predicates), joining the
        tables in `also` along their own paths from the same related row."""
        path, _ = self.reach(table)
        if not path:
            raise Refusal([table], {}, f"cannot relate {table} to itself")
        first = path[0]
        if also:
            sub = exp.select(exp.Literal.number(1)).from_(exp.to_table(first.dst))
            joined = {first.dst}
            for other in [table, *also]:
                for step in self.reach(other)[0][1:]:
                    if step.dst not in joined:
                        joined.add(step.dst)
                        sub = sub.join(exp.to_table(step.dst), on=exp.EQ(this=col(step.src, step.src_col),
                                                                           expression=col(step.dst, step.dst_col)))
            sub = sub.where(exp.and_(exp.EQ(this=col(first.dst, first.dst_col), expression=col(self.spec.root, first.src_col)),
                                     *predicates))
            node = exp.Exists(this=sub)
            return exp.Not(this=node) if negated else node
        sub = exp.select(exp.Literal.number(1)).from_(exp.to_table(path[-1].dst))
        for step in reversed(path[1:]):
            sub = sub.join(exp.to_table(step.src), on=exp.EQ(this=col(step.src, step.src_col),
                                                               expression=col(step.dst, step.dst_col)))
        correlation = exp.EQ(this=col(first.dst, first.dst_col), expression=col(self.spec.root, first.src_col))
        sub = sub.where(exp.and_(correlation, *predicates))
        node = exp.Exists(this=sub)
        return exp.Not(this=node) if negated else node

    def measure_sql(self, m: Measure) -> exp.Expression:
        if m.kind == "metric":
            return parse_sql(self.catalog.glossary[m.term].sql)
        if m.kind == "count":
            spec = self.catalog.tables[m.table]
            if spec.entity_key:  # one row per river and state: count the rivers
                return exp.Count(this=exp.Distinct(expressions=[col(m.table, k) for k in spec.entity_key]))
            if m.table == self.spec.root:
                return exp.Count(this=exp.Star())
            self.need_join(m.table, f"counting {m.table}")
            key = spec.primary_key or [next(iter(spec.columns))]
            return exp.Count(this=exp.Distinct(expressions=[col(m.table, k) for k in key]))
        if m.table != self.spec.root:
            self.need_join(m.table, f"measuring {m.table}.{m.column}")
        if m.kind == "median":
            return exp.Anonymous(this="median", expressions=[col(m.table, m.column)])
        func = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[m.kind]
        return func(this=col(m.table, m.column))

    def correlated(self, m: Measure) -> exp.Expression:
        """The measure over the rows related to the current root row (a scalar subquery)."""
        path, up = self.reach(m.table)
        if up or not path:
            raise Refusal([m.table], {}, f"cannot compute a per-{self.spec.root} value of {m.table}")
        agg = exp.Count(this=exp.Star()) if m.kind == "count" else self.measure_sql(m)
        sub = exp.select(agg).from_(exp.to_table(path[-1].dst))
        for step in reversed(path[1:]):
            sub = sub.join(exp.to_table(step.src), on=exp.EQ(this=col(step.src, step.src_col),
                                                               expression=col(step.dst, step.dst_col)))
        first = path[0]
        inner = [self.predicate(c) for c in m.filters]
        sub = sub.where(exp.and_(exp.EQ(this=col(first.dst, first.dst_col), expression=col(self.spec.root, first.src_col)),
                                 *inner))
        return exp.Coalesce(this=exp.Subquery(this=sub), expressions=[exp.Literal.number(0)]) if m.kind == "count" \
            else exp.Subquery(this=sub)

    def above_average(self, cond: Condition) -> exp.Expression:
        if cond.measure is None:
            avg = exp.select(exp.Avg(this=col(cond.table, cond.column))).from_(exp.to_table(cond.table))
            self.need_join(cond.table, "the comparison")
            return _compare(col(cond.table, cond.column), cond.op, [exp.Subquery(this=avg)])
        per_row = self.correlated(cond.measure)
        key = self.catalog.tables[self.spec.root].primary_key[0]
        inner = exp.select(exp.alias_(per_row, "v")).from_(exp.to_table(self.spec.root))
        avg = exp.select(exp.Avg(this=exp.column("v"))).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("per_row"))))
        del key
        return _compare(per_row, cond.op, [exp.Subquery(this=avg)])

    # -- the query -----------------------------------------------------------------------------

    def reroot(self) -> None:
        """Aggregate across a one-to-many or many-to-many link: 'keyphrases per paper' reads the table
        linking the two, from which both are reached without fan-out, and counts distinct keyphrases.
        Counts, minimums and maximums are safe from any such table; totals and averages only from
        the grouped table itself, or they would add a row more than once."""
        spec = self.spec
        if not spec.measures:
            return
        group_tables = {g.table for g in spec.groups if g.table and g.period is None}
        needed = set(group_tables)
        needed |= {t for t, _ in spec.show_columns} | {m.table for m in spec.measures}
        if spec.ranking is not None and spec.ranking.kind == "column":
            needed.add(spec.ranking.table)
        graph = catalog_graph(self.lex)
        if all(t == spec.root or graph.up_reachable(spec.root, t) for t in needed):
            return
        fits = [c for c in self.catalog.tables if all(t == c or graph.up_reachable(c, t) for t in needed)]
        if any(m.kind not in ("count", "min", "max") for m in spec.measures):
            # a total or an average is safe from the grouped table only: each of its rows reaches one
            # row of the measured table ('review counts per category' adds each business once per category)
            fits = [c for c in fits if c in group_tables]
        costs = {c: sum(graph.distance(c, t) or 0 for t in needed) for c in fits}
        best = sorted(fits, key=lambda c: costs[c])
        if best and (len(best) == 1 or costs[best[0]] < costs[best[1]]):
            spec.root = best[0]
            self.joined = {spec.root: []}

    def compose(self) -> exp.Select:
        spec = self.spec
        self.reroot()
        select = exp.select().from_(exp.to_table(spec.root))
        projections: list[exp.Expression] = []
        group_by: list[exp.Expression] = []
        having: list[exp.Expression] = []
        where: list[exp.Expression] = []
        aggregate = bool(spec.measures)
        periods: list[exp.Expression] = []  # totals per month read in time order
        for group in spec.groups:
            if group.period is not None:
                expr, alias = self.period(group.period, group.table or spec.root, group.column)
                projections.append(exp.alias_(expr, alias))
                group_by.append(expr.copy())
                periods.append(expr.copy())
                continue
            if group.term is not None:
                expr = parse_sql(self.catalog.glossary[group.term].sql)
                for table in {c.table for c in expr.find_all(exp.Column) if c.table}:
                    self.need_join(self.catalog.find_table(table), "grouping")
                alias = _alias(self.catalog.glossary[group.term].term)
                projections.append(exp.alias_(expr, alias))
                group_by.append(expr.copy())
            elif group.column is not None:
                self.need_join(group.table, "grouping")
                projections.append(col(group.table, group.column))
                group_by.append(col(group.table, group.column))
            else:  # grouping by an entity: its key and label
                self.need_join(group.table, "grouping")
                for c in self.identity(group.table):
                    projections.append(col(group.table, c))
                    group_by.append(col(group.table, c))
        if spec.partition is not None:
            self.need_join(spec.partition.table, "ranking within groups")
        below = self.related_rows()
        for cond in spec.conditions:
            if any(cond is c for conds in self.none_of.values() for c in conds) or \
                    any(cond is c for groups in below.values() for group in groups for c in group) or any(
                    cond is f for c in spec.conditions if c.kind == "count_compare" and c.measure
                    for f in c.measure.filters):
                continue
            if cond.kind == "measure_compare" and aggregate and cond.measure and cond.measure.table == spec.root \
                    and group_by:
                having.append(_compare(self.measure_sql(cond.measure), cond.op, cond.values))
                continue
            if cond.kind == "count_compare" and aggregate and group_by and cond.measure.table == spec.root:
                having.append(_compare(exp.Count(this=exp.Star()), cond.op, cond.values))
                continue
            _, predicate = self.place(cond)
            where.append(predicate)
        for tables, group in self.one_row_each(below):
            where.append(self.exists(tables[0], [self.predicate(c) for c in group if c.kind != "exists"], False,
                                     also=tables[1:]))
        order: list[exp.Expression] = []
        limit = None
        if aggregate:
            for m in spec.measures:
                projections.append(exp.alias_(self.measure_sql(m), m.alias))
            if spec.ranking is not None and spec.ranking.kind == "measure":
                order.append(exp.Ordered(this=exp.column(spec.measures[0].alias), desc=spec.ranking.desc))
                limit = spec.ranking.limit
                if limit:  # 'which state has the most lakes': lakes in no state are not a state
                    where += [exp.Not(this=exp.Is(this=col(g.table, g.column), expression=exp.Null()))
                              for g in spec.groups if g.column is not None and g.term is None and g.period is None]
        else:
            entity = spec.entity or spec.root
            for c in self.identity(entity):
                projections.append(col(entity, c))
            for cond in spec.conditions:  # 'papers with more than two authors': the count that decided
                if cond.kind == "count_compare" and not cond.negated and cond.measure is not None:
                    alias = cond.measure.alias if cond.measure.alias != "value" else f"{cond.measure.table}_count"
                    projections.append(exp.alias_(self.correlated(cond.measure), alias))
        for table, column in spec.show_columns:
            node = col(table, column)
            if all(p.sql() != node.sql() for p in projections):
                self.need_join(table, "showing a column")
                projections.append(node)
                if aggregate and group_by:
                    group_by.append(node.copy())
        ranking = spec.ranking
        if ranking is not None and ranking.kind == "semantic":
            self.need_join(ranking.table, "ranking by meaning") if self.reach(ranking.table)[1] else None
            score = exp.Anonymous(this="similarity", expressions=[col(ranking.table, ranking.column),
                                                                   exp.Literal.string(ranking.text)])
            if self.reach(ranking.table)[1]:
                projections.append(exp.alias_(score, "score"))
            else:
                inner = exp.select(exp.Max(this=score)).from_(exp.to_table(ranking.table))
                path, _ = self.reach(ranking.table)
                first = path[0]
                inner = inner.where(exp.EQ(this=col(first.dst, first.dst_col), expression=col(spec.root, first.src_col)))
                projections.append(exp.alias_(exp.Subquery(this=inner), "score"))
            order.append(exp.Ordered(this=exp.column("score"), desc=True))
            limit = ranking.limit
        elif ranking is not None and ranking.kind == "column":
            self.need_join(ranking.table, "ordering")
            node = col(ranking.table, ranking.column)
            if aggregate and all(g.sql() != node.sql() for g in group_by):
                raise Refusal([ranking.column], {}, f"the rows are totals per group, and {ranking.table}.{ranking.column} "
                              "is not one of the groups: it cannot order them")
            if all(p.sql() != node.sql() for p in projections):
                projections.append(node)
            order.append(exp.Ordered(this=node.copy(), desc=ranking.desc, nulls_first=False))
            limit = ranking.limit
        for table, path in sorted(self.joined.items(), key=lambda kv: len(kv[1])):
            if not path:
                continue
            step = path[-1]
            select = select.join(exp.to_table(step.dst),
                                 on=exp.EQ(this=col(step.src, step.src_col), expression=col(step.dst, step.dst_col)))
        select = select.select(*projections)
        if where:
            select = select.where(exp.and_(*where))
        if group_by:
            select = select.group_by(*group_by)
        if having:
            select = select.having(exp.and_(*having))
        if spec.partition is not None and order and limit:
            return self.per_group(select, order, limit, aggregate and bool(group_by))
        if not order:
            order = [exp.Ordered(this=p, desc=False, nulls_first=False) for p in periods]
        if order:
            select = select.order_by(*order)
        if limit:
            select = select.limit(limit)
        return select

    def per_group(self, select: exp.Select, order: list[exp.Ordered], limit: int, grouped: bool) -> exp.Select:
        """The first `limit` rows of each group: row_number() over the group, in the ranking's order."""
        g = self.spec.partition
        parts = [col(g.table, g.column)] if g.column else [col(g.table, c) for c in self.identity(g.table)]
        shown = {p.sql() for p in select.expressions}
        select = select.select(*[p.copy() for p in parts if p.sql() not in shown], append=True)
        if grouped:
            select = select.group_by(*[p.copy() for p in parts], append=True)
        keys = [exp.Ordered(this=self._order_source(select, o.this), desc=o.args.get("desc"), nulls_first=False)
                for o in order]
        rank = exp.Window(this=exp.RowNumber(), partition_by=[p.copy() for p in parts],
                          order=exp.Order(expressions=keys))
        select = select.qualify(exp.LTE(this=rank, expression=exp.Literal.number(limit)))
        return select.order_by(*[p.copy() for p in parts], *[k.copy() for k in keys])

    @staticmethod
    def _order_source(select: exp.Select, node: exp.Expression) -> exp.Expression:
        """An ORDER BY key as an expression a window can use (an output alias is not visible there)."""
        if isinstance(node, exp.Column) and not node.table:
            for projection in select.expressions:
                if isinstance(projection, exp.Alias) and projection.alias == node.name:
                    return projection.this.copy()
        return node.copy()

    def period(self, unit: str, table: str, column: str | None) -> tuple[exp.Expression, str]:
        """A period of a time column (the root's, or the one the question chose): the glossary's
        dimension for it when there is one ('order year'), else date_trunc."""
        column = column or self.catalog.tables[table].time_column
        if column is None:
            raise Refusal([unit], {}, f"table {table} has no time_column to group by {unit}")
        if table != self.spec.root:
            self.need_join(table, f"grouping by {unit}")
        if self.lex.year_column(table, column):
            if unit != "year":
                raise Refusal([unit], {}, f"{table}.{column} holds years, so it cannot be grouped by {unit}")
            return col(table, column), column
        for term in self.catalog.glossary:
            if term.kind != "dimension" or not term.sql:
                continue
            names = [term.term.lower(), *(s.lower() for s in term.synonyms)]
            node = parse_sql(term.sql)
            columns = {(self.catalog.find_table(c.table) if c.table else None, c.name) for c in node.find_all(exp.Column)}
            if columns == {(table, column)} and any(n.split()[-1] == unit for n in names):
                return node, _alias(term.term)
        return exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(unit), col(table, column)]), unit

    def identity(self, table: str) -> list[str]:
        """Columns that identify a row in an answer: its key and its label; for a table whose rows are
        finer than what they describe (one row per business and category), its entity key."""
        spec = self.catalog.tables[table]
        if spec.entity_key:
            return list(spec.entity_key)
        out = list(spec.primary_key[:1])
        label = self.lex.label_column(table)
        if label not in out:
            out.append(label)
        return out


def _compare(left: exp.Expression, op: str, values: list) -> exp.Expression:
    vals = [v if isinstance(v, exp.Expression) else exp.Literal.number(_number(v)) for v in values]
    if op == "between":
        return exp.Between(this=left, low=vals[0], high=vals[1])
    cls = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "=": exp.EQ}[op]
    return cls(this=left, expression=vals[0])


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _year_bound(d: dt.date) -> exp.Expression:
    return exp.Literal.number(d.year)


def _date(d: dt.date) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(d.isoformat()), to=exp.DataType.build("DATE"))


def _alias(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "value"
