"""Running a query: parse -> guard -> rewrite -> plan -> execute, on one snapshot.

A query without semantic calls runs exactly as written once it passes the guard, so plain SQL
costs only the parse and the guard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from hybridq.errors import QueryTimeout, SQLError, duckdb_error
from hybridq.result import Result
from hybridq.sql.deadline import DEADLINES
from hybridq.sql.access import check_access
from hybridq.sql.guard import check_query
from hybridq.sql.parse import parse_query
from hybridq.sql.plan import Plan
from hybridq.sql.planner import Planner
from hybridq.sql.rules import RewriteContext, rewrite
from hybridq.sql.semantic import call_name
from hybridq.store.store import Snapshot

PREPARED_CACHE = 256


@dataclass
class Rewritten:
    """A query after the rewrite rules: the same for every snapshot, so it is made once per text."""

    tree: exp.Query  # its table nodes carry the planner's requests
    requests: list  # in tree order
    text: str | None  # the SQL that runs; None when embed() calls need the query's vectors inlined


@dataclass
class Prepared:
    tree: exp.Query
    semantic: bool
    parse_ms: float
    rewritten: Rewritten | None = None
    restricted: bool = False  # an access policy applies to a table it reads: it runs rewritten


def prepare(session, sql: str) -> Prepared:
    """Parse and guard, remembering the outcome for repeated query texts."""
    cache: OrderedDict = session.__dict__.setdefault("_prepared", OrderedDict())
    hit = cache.get(sql)
    if hit is not None:
        cache.move_to_end(sql)
        return hit
    t0 = time.perf_counter()
    tree = parse_query(sql)
    access = getattr(session, "access", None)
    if access is not None:
        check_access(tree, access, sql)
    check_query(tree, session.catalog, sql)
    semantic = any(call_name(n) for n in tree.walk() if isinstance(n, (exp.Anonymous, exp.VectorSearch)))
    prepared = Prepared(tree, semantic, (time.perf_counter() - t0) * 1000,
                        restricted=access is not None and access.restricts_any(tree))
    cache[sql] = prepared
    if len(cache) > PREPARED_CACHE:
        cache.popitem(last=False)
    return prepared


def plan_on(session, snap: Snapshot, sql: str, prepared: Prepared) -> tuple[Plan, dict[str, pa.Table]]:
    """Rewrite the query and compute every relation its semantic calls need, on this snapshot."""
    t0 = time.perf_counter()
    if not prepared.semantic:
        text = rewrite_once(session, sql, prepared).text if prepared.restricted else sql
        return Plan(sql, text, False, snapshot=snap.stamp), {}
    rewritten = rewrite_once(session, sql, prepared)
    planner = Planner(session, snap, sql)
    relations, steps = {}, []
    for request in rewritten.requests:
        relation, step = planner.compute(request)
        relations[request.relation] = relation
        steps.append(step)
    text = rewritten.text
    if text is None:
        tree = rewritten.tree.copy()
        _inline_embeddings(tree, planner)
        text = tree.sql(dialect="duckdb", copy=False)
    plan = Plan(sql, text, True, steps, snap.stamp, (time.perf_counter() - t0) * 1000)
    return plan, relations


def rewrite_once(session, sql: str, prepared: Prepared) -> Rewritten:
    """The rewritten query, remembered with the prepared one (rules depend on the text and catalog only)."""
    if prepared.rewritten is None:
        tree = rewrite(prepared.tree.copy(), RewriteContext(session.catalog, sql, access=getattr(session, "access", None)))
        requests = [n.meta["hq"] for n in tree.find_all(exp.Table) if n.meta.get("hq") is not None]
        embeds = any(call_name(n) == "embed" for n in tree.find_all(exp.Anonymous))
        prepared.rewritten = Rewritten(tree, requests, None if embeds else tree.sql(dialect="duckdb"))
    return prepared.rewritten


def _inline_embeddings(tree: exp.Expression, planner: Planner) -> None:
    for node in list(tree.find_all(exp.Anonymous)):
        if call_name(node) != "embed":
            continue
        arg = node.expressions[0]
        if not (isinstance(arg, exp.Literal) and arg.is_string):
            raise SQLError("embed(): the text must be a string constant", hint="e.g. embed('refund delays')")
        vector = planner.query_vector(arg.this)
        literal = exp.Array(expressions=[exp.Literal.number(repr(float(v))) for v in np.asarray(vector, np.float32)])
        node.replace(exp.Cast(this=literal, to=exp.DataType.build(f"FLOAT[{len(vector)}]", dialect="duckdb")))


def execute(cursor: duckdb.DuckDBPyConnection, text: str, relations: dict[str, pa.Table],
            timeout: float | None, original: str, params: list | dict | None = None) -> pa.Table:
    for name, table in relations.items():
        cursor.register(name, table)
    deadline = DEADLINES.arm(timeout, cursor) if timeout else None
    try:
        return (cursor.sql(text, params=params) if params else cursor.sql(text)).to_arrow_table()
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped",
                           hint="narrow it with a WHERE or a LIMIT, or raise the session's query_timeout") from None
    except duckdb.Error as exc:
        raise duckdb_error(exc, original, rewritten=text != original) from None
    finally:
        if deadline is not None:
            DEADLINES.disarm(deadline)
        for name in relations:
            try:
                cursor.unregister(name)
            except Exception:
                pass


def run_query(session, sql: str, params: list | dict | None = None) -> Result:
    prepared = prepare(session, sql)
    if not prepared.semantic:
        # One statement reads one consistent DuckDB state and needs no Lance version: no transaction.
        stamp = session.store.stamp
        text = rewrite_once(session, sql, prepared).text if prepared.restricted else sql
        table = execute(session.store.cursor(), text, {}, session.query_timeout, sql, params)
        return Result(table, stamp, sql, plan=Plan(sql, text, False, snapshot=stamp))
    with session.store.snapshot() as snap:
        plan, relations = plan_on(session, snap, sql, prepared)
        table = execute(snap.cursor, plan.rewritten, relations, session.query_timeout, sql, params)
        return Result(table, snap.stamp, sql, plan=plan)


def explain_query(session, sql: str, params: list | dict | None = None) -> Plan:
    prepared = prepare(session, sql)
    with session.store.snapshot() as snap:
        plan, _ = plan_on(session, snap, sql, prepared)
        return plan
