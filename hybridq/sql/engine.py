"""Running a query: parse -> guard -> rewrite -> plan -> execute, on one snapshot.

A query without semantic calls runs exactly as written once it passes the guard, so plain SQL
costs only the parse and the guard.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from hybridq.errors import QueryTimeout, SQLError, duckdb_error
from hybridq.result import Result
from hybridq.sql.access import check_access
from hybridq.sql.deadline import Stop, call_with_deadline
from hybridq.sql.guard import check_query
from hybridq.sql.params import bind_literals, check_params, params_key
from hybridq.sql.parse import parse_query, too_deep
from hybridq.sql.plan import Plan
from hybridq.sql.planner import Planner
from hybridq.sql.rules import RewriteContext, rewrite
from hybridq.sql.semantic import call_name
from hybridq.store.store import Snapshot

PREPARED_CACHE = 256
REWRITES_PER_QUERY = 16  # rewritten forms kept per query text with parameters, one per distinct values


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
    tables: frozenset[str] = frozenset()  # the catalog tables it reads
    by_values: dict = field(default_factory=dict)  # parameter values -> Rewritten, for queries with parameters
    restricted: bool = False  # an access policy applies to a table it reads: it runs rewritten




def prepare(session, sql: str) -> Prepared:
    """Parse and guard, remembering the outcome for repeated query texts."""
    cache: OrderedDict = session.__dict__.setdefault("_prepared", OrderedDict())
    lock = session.__dict__.setdefault("_prepared_lock", threading.Lock())
    with lock:
        hit = cache.get(sql)
        if hit is not None:
            cache.move_to_end(sql)
            return hit
    t0 = time.perf_counter()
    tree = parse_query(sql)
    access = getattr(session, "access", None)  # a role's view (Session.as_role), or None: everything
    try:
        if access is not None:
            check_access(tree, access, sql)
        tables = check_query(tree, session.catalog, sql)
        semantic = any(call_name(n) for n in tree.walk() if isinstance(n, (exp.Anonymous, exp.VectorSearch)))
        restricted = access is not None and access.restricts_any(tree)
    except RecursionError:
        raise too_deep(sql) from None
    prepared = Prepared(tree, semantic, (time.perf_counter() - t0) * 1000, tables=frozenset(tables),
                        restricted=restricted)
    with lock:
        cache[sql] = prepared
        if len(cache) > PREPARED_CACHE:
            cache.popitem(last=False)
    return prepared


def plan_on(session, snap: Snapshot, sql: str, prepared: Prepared,
            values: list | dict | None = None) -> tuple[Plan, dict[str, pa.Table]]:
    """Rewrite the query and compute every relation its semantic calls need, on this snapshot."""
    t0 = time.perf_counter()
    if not prepared.semantic:
        return Plan(sql, plain_text(session, sql, prepared, values)[0], False, snapshot=snap.stamp), {}
    rewritten = rewrite_once(session, sql, prepared, values)
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


def rewrite_once(session, sql: str, prepared: Prepared, values: list | dict | None = None) -> Rewritten:
    """The rewritten query, remembered with the prepared one (rules depend on the text, the catalog
    and the parameter values only; a few distinct values are remembered)."""
    key = params_key(values)
    done = prepared.rewritten if not key else prepared.by_values.get(key)
    if done is not None:
        return done
    tree = prepared.tree.copy() if not key else bind_literals(prepared.tree, values)
    try:
        tree = rewrite(tree, RewriteContext(session.catalog, sql, access=getattr(session, "access", None)))
        embeds = any(call_name(n) == "embed" for n in tree.find_all(exp.Anonymous))
        done = Rewritten(tree, [n.meta["hq"] for n in tree.find_all(exp.Table) if n.meta.get("hq") is not None],
                         None if embeds else tree.sql(dialect="duckdb"))
    except RecursionError:
        raise too_deep(sql) from None
    if not key:
        prepared.rewritten = done
    else:
        prepared.by_values[key] = done
        while len(prepared.by_values) > REWRITES_PER_QUERY:
            prepared.by_values.pop(next(iter(prepared.by_values)))
    return done


def plain_text(session, sql: str, prepared: Prepared, values: list | dict | None) -> tuple[str, list | dict | None]:
    """The text DuckDB runs for a query without semantic calls, and the values it binds: the query
    as written, or, when a role's policies restrict a table it reads, rewritten with them (its
    parameters then bound in the rewritten tree)."""
    if not prepared.restricted:
        return sql, values
    return rewrite_once(session, sql, prepared, values).text, None


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


def execute(cursor: duckdb.DuckDBPyConnection, text: str, relations: dict[str, pa.Table], original: str,
            stop: Stop | None = None, values: list | dict | None = None) -> pa.Table:
    """Run the SQL DuckDB gets on `cursor`, with the relations it reads; `stop` interrupts it."""
    for name, table in relations.items():
        cursor.register(name, table)
    try:
        with stop.running_on(cursor) if stop is not None else contextlib.nullcontext():
            result = cursor.sql(text, params=values) if values is not None else cursor.sql(text)
            return result.to_arrow_table()
    except duckdb.InterruptException:
        raise  # the deadline passed: run_query turns it into a timeout
    except duckdb.Error as exc:
        raise duckdb_error(exc, original, rewritten=text != original) from None
    finally:
        for name in relations:
            try:
                cursor.unregister(name)
            except Exception:
                pass


def require_loaded(session, tables: frozenset[str]) -> None:
    """The tables a query reads are in the store as the catalog defines them. Only a refresh
    loads or reloads a table: reading never changes the store."""
    states = session.store.table_states()
    for table in sorted(tables):
        state = states.get(table, "ok")
        if state == "missing":
            raise SQLError(f"table {table} is in the catalog but not in the store yet",
                           hint=f"load it with: hybridq refresh {session.catalog.file or 'CATALOG'}")
        if state == "changed":
            raise SQLError(f"table {table} changed in the catalog (columns or key) since the store was refreshed",
                           hint=f"reload it with: hybridq refresh {session.catalog.file or 'CATALOG'}")


def _timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran longer than {seconds:g} s and was stopped",
                        hint="narrow it with a WHERE or a LIMIT, or raise the session's query_timeout")


def _with_deadline(session, work):
    """`work(stop)` within the session's query_timeout, which covers reading, planning and running
    the query: the caller gets QueryTimeout at the deadline, whatever the query is doing."""
    seconds = session.query_timeout

    def guarded(stop: Stop | None):
        try:
            return work(stop)
        except duckdb.InterruptException:
            raise _timeout(seconds) from None

    if not seconds:
        return guarded(None)
    return call_with_deadline(guarded, seconds, lambda: _timeout(seconds))


def _checked(stop: Stop | None) -> None:
    if stop is not None and stop.stopped:
        raise duckdb.InterruptException("deadline")


def run_query(session, sql: str, params=None) -> Result:
    def work(stop: Stop | None) -> Result:
        prepared = prepare(session, sql)
        values = check_params(prepared.tree, params, sql)
        require_loaded(session, prepared.tables)
        _checked(stop)
        if not prepared.semantic:
            # One statement reads one consistent DuckDB state and needs no Lance version: no transaction.
            stamp = session.store.stamp
            text, bound = plain_text(session, sql, prepared, values)
            table = execute(session.store.cursor(), text, {}, sql, stop, bound)
            return Result(table, stamp, sql, plan=Plan(sql, text, False, snapshot=stamp))
        with session.store.snapshot() as snap, (stop.running_on(snap.cursor) if stop else contextlib.nullcontext()):
            plan, relations = plan_on(session, snap, sql, prepared, values)
            _checked(stop)
            table = execute(snap.cursor, plan.rewritten, relations, sql)
            return Result(table, snap.stamp, sql, plan=plan)

    return _with_deadline(session, work)


def explain_query(session, sql: str, params=None) -> Plan:
    def work(stop: Stop | None) -> Plan:
        prepared = prepare(session, sql)
        values = check_params(prepared.tree, params, sql)
        require_loaded(session, prepared.tables)
        with session.store.snapshot() as snap, (stop.running_on(snap.cursor) if stop else contextlib.nullcontext()):
            return plan_on(session, snap, sql, prepared, values)[0]

    return _with_deadline(session, work)
