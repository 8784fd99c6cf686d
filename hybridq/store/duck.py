"""DuckDB side of the store: opening the database, the internal `_hq` schema, small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from hybridq.errors import StoreError

FORMAT_VERSION = "1"
# A store's DuckDB memory cap unless connect(memory_limit=...) or HYBRIDQ_MEMORY_LIMIT says otherwise:
# DuckDB's own default (80% of the machine) lets one query starve the process that serves everyone.
DEFAULT_MEMORY_LIMIT = "2GB"

INTERNAL_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS _hq;
CREATE TABLE IF NOT EXISTS _hq.meta (key VARCHAR PRIMARY KEY, value VARCHAR);
-- The Lance version of each semantic column that this DuckDB state goes with (invariant 1).
CREATE TABLE IF NOT EXISTS _hq.vectors (
    table_name VARCHAR, column_name VARCHAR, lance_name VARCHAR, version BIGINT,
    fingerprint VARCHAR, model VARCHAR, chunks BIGINT, PRIMARY KEY (table_name, column_name));
-- What each source file looked like when it was last read (keyed by the table it fills).
CREATE TABLE IF NOT EXISTS _hq.files (
    table_name VARCHAR, path VARCHAR, mtime_ns BIGINT, size BIGINT, content_hash VARCHAR,
    PRIMARY KEY (table_name, path));
-- Per table: when its source last changed the store, and the source's current problems.
CREATE TABLE IF NOT EXISTS _hq.sources (
    table_name VARCHAR PRIMARY KEY, source VARCHAR, refreshed_at TIMESTAMP, newest_change TIMESTAMP,
    files BIGINT, rows BIGINT, errors BIGINT);
CREATE TABLE IF NOT EXISTS _hq.errors (
    table_name VARCHAR, source VARCHAR, file VARCHAR, line BIGINT, key VARCHAR, message VARCHAR,
    seen_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS _hq.refreshes (
    id BIGINT PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, inserted BIGINT, updated BIGINT,
    deleted BIGINT, chunks_embedded BIGINT, chunks_reused BIGINT, errors BIGINT);
-- Embeddings of the catalog's phrases, made at refresh, for reading words of questions by meaning.
CREATE TABLE IF NOT EXISTS _hq.phrases (model VARCHAR, phrase VARCHAR, vector FLOAT[], PRIMARY KEY (model, phrase));
-- Non-file sources: their position (replication LSN, watermark, ...) as of this state.
CREATE TABLE IF NOT EXISTS _hq.source_state (table_name VARCHAR PRIMARY KEY, state VARCHAR, updated_at TIMESTAMP);
-- Standing queries: the last result of each (so a restart does not alert again) and changes not yet delivered.
CREATE TABLE IF NOT EXISTS _hq.alert_state (
    alert VARCHAR PRIMARY KEY, fingerprint VARCHAR, evaluated_at TIMESTAMP, changed_at TIMESTAMP,
    added BIGINT, removed BIGINT);
CREATE TABLE IF NOT EXISTS _hq.alert_rows (alert VARCHAR, key VARCHAR, row_json VARCHAR);
CREATE TABLE IF NOT EXISTS _hq.alert_outbox (
    id VARCHAR PRIMARY KEY, alert VARCHAR, target VARCHAR, payload VARCHAR, created_at TIMESTAMP);
-- Vectors of dropped tables and columns, by model and chunk text hash: text that comes back is not
-- embedded again.
CREATE TABLE IF NOT EXISTS _hq.vector_cache (model VARCHAR, hash VARCHAR, vector FLOAT[], PRIMARY KEY (model, hash));
-- Distinct values of low-cardinality text columns, for linking words of questions to columns.
CREATE TABLE IF NOT EXISTS _hq.values_index (
    table_name VARCHAR, column_name VARCHAR, value VARCHAR, count BIGINT);
"""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rows_table(table: str) -> str:
    """Side table: for each row of `table`, the file it came from and its content hash."""
    return f"_hq.{quote('rows__' + table)}"


def chunks_table(table: str, column: str) -> str:
    """Side table: for each chunk of a semantic column, its key and text hash (vectors live in Lance)."""
    return f"_hq.{quote('chunks__' + table + '__' + column)}"


def open_database(path: Path, *, memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store's DuckDB file with query-safe settings.

    External access is off and the configuration is locked: nothing run through this database can
    read or write files or reach the network, and a name that is no table is never looked up among
    the caller's Python variables. Sources are read by a separate in-memory database.
    """
    config = {"enable_external_access": "false", "autoinstall_known_extensions": "false",
              "autoload_known_extensions": "false", "python_enable_replacements": "false"}
    config["memory_limit"] = memory_limit or os.environ.get("HYBRIDQ_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    if threads:
        config["threads"] = str(threads)
    try:
        con = duckdb.connect(str(path), config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"the store {path.parent} is in use by another process",
                hint="another hybridq process holds it; run the query through it (it is found automatically when "
                "it runs 'refresh --watch' or 'serve'), or stop it",
            ) from exc
        raise StoreError(f"cannot open the store database {path}: {exc}") from exc
    con.execute(INTERNAL_SCHEMA)
    con.execute("SET lock_configuration = true")
    return con


def arrow_type_of(con: duckdb.DuckDBPyConnection, sql_type: str) -> pa.DataType:
    return con.sql(f"SELECT CAST(NULL AS {sql_type}) AS v").to_arrow_table().schema.field("v").type


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, reading the result to its end (an open result blocks the connection)."""
    rows = con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    return rows[0] if rows else None


def fetch_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    return con.sql(sql, params=params).to_arrow_table() if params else con.sql(sql).to_arrow_table()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(one(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                    [schema, name])[0])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = one(con, "SELECT value FROM _hq.meta WHERE key = ?", [key])
    return row[0] if row else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO _hq.meta VALUES (?, ?)", [key, value])
