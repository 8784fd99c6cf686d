"""DuckDBEngine, the embedded default: relations computed in memory from the cached chunk vectors
(hybridq.engine.planner), the SQL run by the store's own DuckDB in the snapshot's transaction."""

from __future__ import annotations

import contextlib

import duckdb
import pyarrow as pa

from hybridq.engine.base import FEATURES
from hybridq.engine.planner import Planner
from hybridq.errors import duckdb_error
from hybridq.store.store import Snapshot


class DuckDBEngine:
    kind = "duckdb"
    dialect = "duckdb"
    features = frozenset(FEATURES)
    plain_sql_is_consistent = True

    def relations(self, session, snap: Snapshot, sql: str) -> Planner:
        return Planner(session, snap, sql)

    def run(self, session, snap: Snapshot | None, text: str, relations: dict[str, pa.Table], tables: frozenset[str],
            original: str, stop=None, values: list | dict | None = None) -> pa.Table:
        # Without semantic calls one statement reads one consistent DuckDB state: no transaction needed.
        cursor = session.store.cursor() if snap is None else snap.cursor
        return execute(cursor, text, relations, original, stop if snap is None else None, values)

    def bulk_embedder(self, embedder):
        return embedder  # embedded in this process

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "DuckDBEngine()"


def execute(cursor: duckdb.DuckDBPyConnection, text: str, relations: dict[str, pa.Table], original: str,
            stop=None, values: list | dict | None = None) -> pa.Table:
    """Run the SQL DuckDB gets on `cursor`, with the relations it reads; `stop` interrupts it."""
    for name, table in relations.items():
        cursor.register(name, table)
    try:
        with stop.running_on(cursor) if stop is not None else contextlib.nullcontext():
            result = cursor.sql(text, params=values) if values is not None else cursor.sql(text)
            return result.to_arrow_table()
    except duckdb.InterruptException:
        raise  # the deadline passed: the caller turns it into a timeout
    except duckdb.Error as exc:
        raise duckdb_error(exc, original, rewritten=text != original) from None
    finally:
        for name in relations:
            try:
                cursor.unregister(name)
            except Exception:
                pass
