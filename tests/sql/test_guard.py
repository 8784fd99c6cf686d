"""Hostile and malformed statements: each is rejected with the right error class, a clear message, a
hint, and (where the offending part can be located) a caret under it.

Also the second lock: the store's DuckDB connection itself refuses file access, and a long query is
stopped by the session's timeout.
"""

from __future__ import annotations

import threading
import time

import duckdb
import pyarrow as pa
import pytest

import hybridq
from hybridq.errors import error_from_dict

from sql_helpers import caret_line, marked, sql_error

F = hybridq.ForbiddenStatement
E = hybridq.SQLError
READ_ONLY = "write one SELECT"  # the hint of every rejected statement kind
NO_FILES = "refresh a source into the catalog"
SEMANTIC = "tickets.body, contracts.body, kb_articles.body"


def case(sql, cls, message, hint=None, at=None, id=None):
    """One rejected query: error class, a part of the message, of the hint, and the marked SQL text."""
    return pytest.param(sql, cls, message, hint, at, id=id)


STATEMENTS = [
    case("INSERT INTO customers VALUES (1, 'x')", F, "INSERT statements are not allowed", READ_ONLY, "INSERT",
         id="insert"),
    case("UPDATE customers SET name = 'x' WHERE customer_id = 1", F, "UPDATE statements are not allowed", READ_ONLY,
         "UPDATE", id="update"),
    case("DELETE FROM customers WHERE customer_id = 1", F, "DELETE statements are not allowed", READ_ONLY, "DELETE",
         id="delete"),
    case("MERGE INTO customers c USING customers d ON c.customer_id = d.customer_id WHEN MATCHED THEN DELETE", F,
         "MERGE statements are not allowed", READ_ONLY, "MERGE", id="merge"),
    case("CREATE TABLE t AS SELECT * FROM customers", F, "CREATE statements are not allowed", READ_ONLY, "CREATE",
         id="create-table"),
    case("CREATE VIEW v AS SELECT * FROM customers", F, "CREATE statements are not allowed", READ_ONLY, "CREATE",
         id="create-view"),
    case("DROP TABLE customers", F, "DROP statements are not allowed", READ_ONLY, "DROP", id="drop"),
    case("ALTER TABLE customers ADD COLUMN x INTEGER", F, "ALTER statements are not allowed", READ_ONLY, "ALTER",
         id="alter"),
    case("TRUNCATE customers", F, "TRUNCATE statements are not allowed", READ_ONLY, "TRUNCATE", id="truncate"),
    case("PRAGMA show_tables", F, "PRAGMA statements are not allowed", READ_ONLY, "PRAGMA", id="pragma"),
    case("SET threads = 1", F, "SET statements are not allowed", READ_ONLY, "SET", id="set"),
    case("RESET threads", F, "RESET statements are not allowed", READ_ONLY, "RESET", id="reset"),
    case("ATTACH 'other.db' AS other", F, "ATTACH statements are not allowed", READ_ONLY, "ATTACH", id="attach"),
    case("DETACH other", F, "DETACH statements are not allowed", READ_ONLY, "DETACH", id="detach"),
    case("COPY customers TO '/tmp/customers.csv'", F, "COPY statements are not allowed", READ_ONLY, "COPY",
         id="copy-to"),
    case("COPY customers FROM '/tmp/customers.csv'", F, "COPY statements are not allowed", READ_ONLY, "COPY",
         id="copy-from"),
    case("EXPORT DATABASE '/tmp/dump'", F, "EXPORT statements are not allowed", READ_ONLY, "EXPORT", id="export"),
    case("IMPORT DATABASE '/tmp/dump'", F, "IMPORT statements are not allowed", READ_ONLY, "IMPORT", id="import"),
    case("INSTALL httpfs", F, "INSTALL statements are not allowed", READ_ONLY, "INSTALL", id="install"),
    case("FORCE INSTALL httpfs", F, "INSTALL statements are not allowed", READ_ONLY, "FORCE", id="force-install"),
    case("LOAD httpfs", F, "LOAD statements are not allowed", READ_ONLY, "LOAD", id="load"),
    case("CALL pragma_version()", F, "CALL statements are not allowed", READ_ONLY, "CALL", id="call"),
    case("USE memory", F, "USE statements are not allowed", READ_ONLY, "USE", id="use"),
    case("CHECKPOINT", F, "CHECKPOINT statements are not allowed", READ_ONLY, "CHECKPOINT", id="checkpoint"),
    case("VACUUM", F, "VACUUM statements are not allowed", READ_ONLY, "VACUUM", id="vacuum"),
    case("BEGIN TRANSACTION", F, "BEGIN statements are not allowed", READ_ONLY, "BEGIN", id="begin"),
    case("COMMIT", F, "COMMIT statements are not allowed", READ_ONLY, "COMMIT", id="commit"),
    case("ROLLBACK", F, "ROLLBACK statements are not allowed", READ_ONLY, "ROLLBACK", id="rollback"),
    case("DESCRIBE customers", F, "DESCRIBE statements are not allowed", READ_ONLY, "DESCRIBE", id="describe"),
    case("SHOW TABLES", F, "SHOW statements are not allowed", READ_ONLY, "SHOW", id="show"),
    case("SUMMARIZE customers", F, "SUMMARIZE statements are not allowed", READ_ONLY, "SUMMARIZE", id="summarize"),
    case("EXPLAIN SELECT * FROM customers", F, "EXPLAIN statements are not allowed", READ_ONLY, "EXPLAIN",
         id="explain"),
    case("EXPLAIN ANALYZE SELECT * FROM customers", F, "EXPLAIN statements are not allowed", READ_ONLY, "EXPLAIN",
         id="explain-analyze"),
    case("-- clean up\ndelete from customers", F, "DELETE statements are not allowed", READ_ONLY, "delete",
         id="lower-case-after-comment"),
    case("/* x */ DROP TABLE customers", F, "DROP statements are not allowed", READ_ONLY, "DROP",
         id="after-block-comment"),
    case("SELECT 1; DROP TABLE customers", E, "expected one statement, got 2", "remove the ';'", "D",
         id="two-statements"),
    case("SELECT 'a;b' AS x;\nSELECT 2", E, "expected one statement, got 2", "one SELECT per call", "S",
         id="two-statements-second-line"),
    # statements hidden inside a SELECT (DuckDB runs data-modifying CTEs)
    case("WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d", F, "DELETE statements are not allowed",
         READ_ONLY, "customers RETURNING *", id="delete-in-cte"),
    case("WITH d AS (UPDATE customers SET name = 'x' RETURNING *) SELECT count(*) FROM d", F,
         "UPDATE statements are not allowed", READ_ONLY, None, id="update-in-cte"),
    case("WITH d AS (INSERT INTO customers (customer_id) VALUES (1000) RETURNING *) SELECT 1", F,
         "INSERT statements are not allowed", READ_ONLY, None, id="insert-in-cte"),
    case("SELECT * FROM (DESCRIBE customers)", F, "DESCRIBE statements are not allowed", READ_ONLY, "customers",
         id="describe-in-subquery"),
    case("SELECT * FROM (SUMMARIZE customers)", F, "SUMMARIZE statements are not allowed", READ_ONLY, None,
         id="summarize-in-subquery"),
]

FILES_AND_NAMES = [
    case("SELECT * FROM read_csv('/etc/passwd')", F, "table function read_csv() is not allowed", NO_FILES,
         "read_csv('/etc/passwd')", id="read_csv"),
    case("SELECT * FROM read_csv_auto('/etc/passwd')", F, "table function read_csv_auto() is not allowed", NO_FILES,
         "read_csv_auto('/etc/passwd')", id="read_csv_auto"),
    case("SELECT * FROM read_parquet('/data/x.parquet')", F, "table function read_parquet() is not allowed", NO_FILES,
         "read_parquet('/data/x.parquet')", id="read_parquet"),
    case("SELECT * FROM read_json('x.json')", F, "table function read_json() is not allowed", NO_FILES,
         "read_json('x.json')", id="read_json"),
    case("SELECT content FROM read_text('/etc/passwd')", F, "table function read_text() is not allowed", NO_FILES,
         "read_text('/etc/passwd')", id="read_text"),
    case("SELECT * FROM read_blob('/etc/shadow')", F, "table function read_blob() is not allowed", NO_FILES,
         "read_blob('/etc/shadow')", id="read_blob"),
    case("SELECT * FROM glob('*')", F, "table function glob() is not allowed", NO_FILES, "glob('*')", id="glob"),
    case("SELECT * FROM sqlite_scan('x.db', 't')", F, "table function sqlite_scan() is not allowed", NO_FILES,
         "sqlite_scan('x.db', 't')", id="sqlite_scan"),
    case("SELECT * FROM 'file.csv'", F, "reading files is not allowed: 'file.csv'", "add the file as a source",
         "'file.csv'", id="from-csv-string"),
    case("FROM '/etc/passwd'", F, "reading files is not allowed: '/etc/passwd'", "add the file as a source",
         "'/etc/passwd'", id="from-first-path"),
    case("SELECT * FROM customers, '/etc/passwd'", F, "reading files is not allowed: '/etc/passwd'", None,
         "'/etc/passwd'", id="path-in-join"),
    case('SELECT * FROM "customers.csv"', F, "reading files is not allowed: 'customers.csv'", None,
         '"customers.csv"', id="quoted-file-name"),
    case("SELECT * FROM 'https://example.com/data.csv'", F, "reading files is not allowed", None,
         "'https://example.com/data.csv'", id="http-url"),
    case("SELECT * FROM 's3://bucket/data.parquet'", F, "reading files is not allowed", None, None, id="s3-url"),
    case("SELECT * FROM query('SELECT 1')", F, "table function query() is not allowed", NO_FILES,
         "query('SELECT 1')", id="query"),
    case("SELECT * FROM duckdb_tables()", F, "table function duckdb_tables() is not allowed", NO_FILES,
         "duckdb_tables()", id="duckdb_tables"),
    case("SELECT * FROM duckdb_settings()", F, "table function duckdb_settings() is not allowed", None,
         "duckdb_settings()", id="duckdb_settings"),
    case("SELECT * FROM pragma_table_info('customers')", F, "table function pragma_table_info() is not allowed",
         None, None, id="pragma-function"),
    case("SELECT * FROM _hq.vectors", F, "table _hq.vectors is not a catalog table", None, "_hq.vectors",
         id="internal-vectors"),
    case("SELECT * FROM _hq.files", F, "table _hq.files is not a catalog table", "catalog tables: contracts, customers",
         "_hq.files", id="internal-files"),
    case("SELECT * FROM other.main.t", F, "table other.main.t is not a catalog table", None, "other.main.t",
         id="other-catalog"),
    case("SELECT * FROM memory.main.customers", F, "table memory.main.customers is not a catalog table", None,
         "memory.main.customers", id="other-database-same-name"),
    case("SELECT * FROM information_schema.tables", F, "table information_schema.tables is not a catalog table",
         None, "information_schema.tables", id="information-schema"),
    case("SELECT getenv('HOME')", F, "getenv() is not allowed in queries", "settings or the environment",
         "getenv('HOME')", id="getenv"),
    case("SELECT current_setting('threads')", F, "current_setting() is not allowed in queries",
         "settings or the environment", "current_setting('threads')", id="current_setting"),
    case("SELECT read_csv('/etc/passwd')", F, "read_csv() is not allowed", "add the file as a source",
         "read_csv('/etc/passwd')", id="read_csv-as-scalar"),
    # forbidden parts anywhere in the tree
    case("SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n", F, "table function read_csv() is not allowed",
         None, "read_csv('/etc/passwd')", id="scalar-subquery"),
    case("SELECT * FROM customers WHERE customer_id IN (SELECT 1 FROM glob('*'))", F,
         "table function glob() is not allowed", None, "glob('*')", id="in-subquery"),
    case("SELECT name FROM customers UNION ALL SELECT * FROM read_text('/etc/hosts')", F,
         "table function read_text() is not allowed", None, "read_text('/etc/hosts')", id="union-branch"),
    case("WITH x AS (FROM read_parquet('x.parquet')) SELECT * FROM x", F,
         "table function read_parquet() is not allowed", None, "read_parquet('x.parquet')", id="in-cte"),
    case("SELECT * FROM customers c, LATERAL read_csv('/etc/passwd') x", F,
         "table function read_csv() is not allowed", "LATERAL vector_search", "read_csv('/etc/passwd')",
         id="lateral-read_csv"),
    case("SELECT * FROM customers c, LATERAL (SELECT * FROM read_text('/etc/passwd')) x", F,
         "table function read_text() is not allowed", NO_FILES, "read_text('/etc/passwd')",
         id="lateral-subquery-read_text"),
    case("SELECT * FROM customers c, LATERAL (SELECT * FROM _hq.files WHERE c.customer_id > 0) x", F,
         "table _hq.files is not a catalog table", None, "_hq.files", id="lateral-subquery-internal-table"),
    # unknown names, with suggestions
    case("SELECT simlarity(body, 'refund') FROM tickets", E, "unknown function simlarity()",
         "did you mean similarity()?", "simlarity(body, 'refund')", id="unknown-function"),
    case("SELECT * FROM custmers", E, "unknown table 'custmers'", "did you mean 'customers'?", "custmers",
         id="unknown-table"),
    case("SELECT count(*) FROM tickets t JOIN custmer c USING (customer_id)", E, "unknown table 'custmer'",
         "did you mean 'customers'?", "custmer c", id="unknown-table-in-join"),
    case("", E, "the query is empty", "write a SELECT", None, id="empty"),
    case("SELEC name FROM customers", E, "syntax error", "near the marked place", None, id="syntax"),
]

SEMANTIC_MISUSE = [
    case("SELECT similarity(subject, 'refund') FROM tickets", E, "similarity(): tickets.subject is not a semantic column",
         SEMANTIC, "subject", id="similarity-on-plain-column"),
    case("SELECT ticket_id FROM tickets WHERE semantic_match(priority, 'urgent')", E,
         "semantic_match(): tickets.priority is not a semantic column", SEMANTIC, "priority",
         id="semantic_match-on-plain-column"),
    case("SELECT similarity(t.body, c.name) FROM tickets t JOIN customers c USING (customer_id)", E,
         "customers.name is not a semantic column", SEMANTIC, "c.name", id="similarity-with-plain-column"),
    case("SELECT similarity(t.nothing, 'x') FROM tickets t", E, "table tickets has no column 'nothing'",
         "semantic columns of tickets: body", "t.nothing", id="no-such-column"),
    case("SELECT vector_search('tickets.body', 'refund', 3)", E, "vector_search() is a table function: use it in FROM",
         "SELECT * FROM vector_search(", "vector_search('tickets.body', 'refund', 3)", id="vector_search-in-select"),
    case("SELECT * FROM vector_search('tickets.subject', 'refund', 3)", E,
         "vector_search(): tickets.subject is not a semantic column", SEMANTIC, "'tickets.subject'",
         id="vector_search-plain-column"),
    case("SELECT * FROM vector_search('tickets.body', 'refund', 0)", E, "k must be between 1 and 10000, got 0", None,
         "0", id="vector_search-k-zero"),
    case("SELECT * FROM vector_search('tickets.body', 'refund')", E, "vector_search() takes 3 arguments",
         "usage: vector_search('table.column', text, k)", None, id="vector_search-arity"),
    case("SELECT similarity(body) FROM tickets", E, "similarity() takes 2 arguments, got 1",
         "usage: similarity(column, text)", "similarity(body)", id="similarity-arity"),
    case("SELECT ticket_id FROM tickets WHERE semantic_match(body, 'x', 0.5, 1)", E,
         "semantic_match() takes 2 or 3 arguments, got 4", "semantic_match(column, text [, threshold])", None,
         id="semantic_match-arity"),
    case("SELECT embed('a', 'b')", E, "embed() takes 1 arguments, got 2", "usage: embed(text)", "embed('a', 'b')",
         id="embed-arity"),
    case("SELECT similarity(body, 'refund ' || subject) FROM tickets", E,
         "the text must be a string constant or a semantic column", "similarity(t.body, 'refund delays')",
         "'refund ' || subject", id="non-literal-text"),
    case("SELECT similarity('refund', body) FROM tickets", E, "the first argument must be a semantic column", None,
         "'refund'", id="text-first"),
    case("SELECT embed(subject) FROM tickets", E, "embed(): the text must be a string constant", None, "subject",
         id="embed-non-literal"),
    case("SELECT ticket_id FROM tickets WHERE semantic_match(body, 'refund', 'high')", E,
         "the threshold must be a number", None, "'high'", id="threshold-not-a-number"),
    case("SELECT similarity(body, 'x') FROM tickets t JOIN contracts c USING (customer_id)", E,
         "column 'body' is ambiguous (t, c)", "qualify it, e.g. t.body", "body", id="ambiguous-column"),
    case("SELECT * FROM tickets t WHERE EXISTS (SELECT 1 FROM kb_articles a WHERE similarity(a.body, t.body) > 0.5)",
         E, "needs both tables in the same FROM clause", "join the two tables", "similarity(a.body, t.body)",
         id="semantic-join-across-scopes"),
    case("WITH r AS (SELECT * FROM tickets) SELECT similarity(r.body, 'refund') FROM r", E,
         "'r' is a subquery or CTE", "inside the subquery", "r.body", id="similarity-on-cte-column"),
    case("SELECT * FROM tickets t, LATERAL vector_search('kb_articles.body', t.subject, 3) AS a", E,
         "tickets.subject is not a semantic column", SEMANTIC, "t.subject", id="lateral-plain-column"),
    # errors DuckDB finds in the rest of the query come out as SQLError too
    case("SELECT similarity(t.body, 'x') FROM tickets t WHERE t.nope = 2", E, 'does not have a column named "nope"',
         None, None, id="unknown-column-next-to-a-score"),
    case("SELECT t.ticket_id FROM tickets t, LATERAL vector_search('kb_articles.body', t.body, 2) a WHERE t.nope = 1",
         E, 'does not have a column named "nope"', None, None, id="unknown-column-next-to-a-search"),
]

NOT_CATALOG = "is not a catalog table: queries read only the catalog's tables"
SYSTEM_VIEWS = ["pg_settings", "sqlite_master", "duckdb_tables", "duckdb_columns", "duckdb_databases", "pg_tables",
                "pg_class", "pg_namespace", "duckdb_settings", "duckdb_views", "information_schema_tables"]


def _shadowed(view):
    """A CTE named like a system view is visible only inside its subquery; the outer name is the view."""
    sql = f"SELECT b.* FROM (WITH {view} AS (SELECT 1) SELECT * FROM {view}) a, {view} b"
    return case(sql, F, f"table {view} {NOT_CATALOG}" if view != "information_schema_tables"
                else "unknown table 'information_schema_tables'", None, f"{view} b", id=f"shadow-{view}")


# Names resolve with scope, as DuckDB's binder does (DESIGN invariant 8).
SHADOWING = [_shadowed(v) for v in SYSTEM_VIEWS if v != "information_schema_tables"] + [
    case("WITH pg_settings AS (SELECT * FROM pg_settings) SELECT count(*) FROM pg_settings", F,
         f"table pg_settings {NOT_CATALOG}", None, "pg_settings", id="self-reference-is-the-system-view"),
    case("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
         "SELECT * FROM r, duckdb_tables", F, f"table duckdb_tables {NOT_CATALOG}", None, "duckdb_tables",
         id="recursive-cte-next-to-a-view"),
    case("WITH a AS (SELECT * FROM duckdb_settings), duckdb_settings AS (SELECT 1) SELECT * FROM a", F,
         f"table duckdb_settings {NOT_CATALOG}", None, "duckdb_settings", id="later-cte-is-not-visible-earlier"),
    case("SELECT 1 AS x UNION ALL (WITH sqlite_master AS (SELECT 2) SELECT * FROM sqlite_master) "
         "UNION ALL SELECT count(*) FROM sqlite_master", F, f"table sqlite_master {NOT_CATALOG}", None,
         "sqlite_master", id="shadow-in-a-union-branch"),
    case("SELECT * FROM customers c, LATERAL (WITH pg_tables AS (SELECT 1) SELECT * FROM pg_tables) x, pg_tables",
         F, f"table pg_tables {NOT_CATALOG}", None, "pg_tables", id="shadow-in-a-lateral-subquery"),
    case("SELECT (SELECT count(*) FROM (WITH duckdb_columns AS (SELECT 1) SELECT 1)), "
         "(SELECT count(*) FROM duckdb_columns)", F, f"table duckdb_columns {NOT_CATALOG}", None, "duckdb_columns",
         id="shadow-in-a-sibling-scalar-subquery"),
    case("SELECT * FROM customers WHERE customer_id IN (WITH duckdb_databases AS (SELECT 1) SELECT 1) "
         "AND EXISTS (SELECT path FROM duckdb_databases)", F, f"table duckdb_databases {NOT_CATALOG}", None,
         "duckdb_databases", id="shadow-in-an-in-subquery"),
    case("SELECT b.* FROM (WITH PG_SETTINGS AS (SELECT 1) SELECT * FROM pg_settings) a, Pg_Settings b", F,
         f"table Pg_Settings {NOT_CATALOG}", None, "Pg_Settings b", id="shadow-other-case"),
    case('SELECT b.* FROM (WITH "pg_settings" AS (SELECT 1) SELECT 1) a, "pg_settings" b', F,
         f"table pg_settings {NOT_CATALOG}", None, '"pg_settings" b', id="shadow-quoted"),
    case("SELECT b.* FROM (WITH pg_settings AS (SELECT 1) SELECT 1) a, main.pg_settings b", F,
         f"table pg_settings {NOT_CATALOG}", None, "main.pg_settings b", id="shadow-main-qualified"),
    case("WITH pg_settings AS (SELECT 1) SELECT * FROM pg_catalog.pg_settings", F,
         "table pg_catalog.pg_settings is not a catalog table", None, "pg_catalog.pg_settings",
         id="cte-name-qualified-by-a-system-schema"),
    # SHOW, DESCRIBE and SUMMARIZE hidden in CTEs and subqueries
    case("WITH x AS (SHOW ALL TABLES) SELECT * FROM x", F, "SHOW statements are not allowed", READ_ONLY,
         None, id="show-all-tables-in-cte"),
    case("WITH x AS (SHOW TABLES) SELECT * FROM x", F, "SHOW statements are not allowed", READ_ONLY, None,
         id="show-tables-in-cte"),
    case("WITH x AS (DESCRIBE customers) SELECT * FROM x", F, "DESCRIBE statements are not allowed", READ_ONLY,
         None, id="describe-in-cte"),
    case("WITH x AS (SUMMARIZE customers) SELECT * FROM x", F, "SUMMARIZE statements are not allowed", READ_ONLY,
         None, id="summarize-in-cte"),
    case("SELECT * FROM (SHOW TABLES)", F, "SHOW statements are not allowed", READ_ONLY, "SHOW TABLES",
         id="show-in-subquery"),
    case("SELECT (SUMMARIZE customers)", F, "SUMMARIZE statements are not allowed", READ_ONLY, None,
         id="summarize-as-scalar-subquery"),
    case("SELECT * FROM customers WHERE customer_id IN (SELECT 1 FROM (DESCRIBE customers))", F,
         "DESCRIBE statements are not allowed", READ_ONLY, None, id="describe-in-nested-subquery"),
    case("WITH a AS (SELECT 1), b AS (WITH c AS (SHOW ALL TABLES) SELECT * FROM c) SELECT * FROM a, b", F,
         "SHOW statements are not allowed", READ_ONLY, None, id="show-in-nested-cte"),
    # table functions (and their view forms) reached through CTE names
    case("WITH duckdb_tables AS (SELECT 1) SELECT * FROM duckdb_tables()", F,
         "table function duckdb_tables() is not allowed", NO_FILES, "duckdb_tables()", id="cte-named-like-a-function"),
    case("WITH read_csv AS (SELECT 1) SELECT * FROM read_csv('/etc/passwd')", F,
         "table function read_csv() is not allowed", NO_FILES, "read_csv('/etc/passwd')", id="cte-named-read_csv"),
    case("WITH x AS (SELECT 1) SELECT * FROM x, query_table('pg_settings')", F,
         "table function query_table() is not allowed", NO_FILES, "query_table('pg_settings')",
         id="query_table-next-to-a-cte"),
    case("WITH duckdb_views AS (SELECT 1) SELECT * FROM (SELECT 1) a, (SELECT sql FROM main.duckdb_views) b", F,
         f"table duckdb_views {NOT_CATALOG}", None, "main.duckdb_views", id="view-form-through-cte-name"),
    # macros and functions that read the internals, sleep or change state
    case("SELECT pg_get_viewdef(1)", F, "pg_get_viewdef() is not allowed: it reads the database's internals",
         None, "pg_get_viewdef(1)", id="macro-reading-duckdb_views"),
    case("SELECT format_type(23, NULL)", F, "format_type() is not allowed: it reads the database's internals",
         None, "format_type(23, NULL)", id="macro-reading-duckdb_types"),
    case("SELECT sleep_ms(100000)", F, "sleep_ms() is not allowed in queries", "sleep", "sleep_ms(100000)",
         id="sleep"),
    case("SELECT nextval('s')", F, "nextval() is not allowed in queries", "change state", "nextval('s')",
         id="nextval"),
]


@pytest.mark.parametrize("sql, cls, message, hint, at", STATEMENTS + FILES_AND_NAMES + SEMANTIC_MISUSE + SHADOWING)
def test_rejected(acme, sql, cls, message, hint, at):
    err = sql_error(acme, sql, cls)
    assert message in err.message, str(err)
    if hint is not None:
        assert err.hint and hint in err.hint, str(err)
    if at is not None:
        assert marked(err) == at, str(err)
        assert caret_line(err), f"no caret line in:\n{err}"
        assert str(err).count("\n") >= 2  # message, SQL line, caret line (and the hint)


def test_enough_hostile_statements():
    assert len(STATEMENTS + FILES_AND_NAMES + SEMANTIC_MISUSE) >= 35
    assert len(SHADOWING) >= 30


@pytest.mark.parametrize("sql", [
    "FROM customers",
    "SELECT count(*) FROM main.customers",
    "SELECT count(*) FROM Customers AS c",
    "WITH big AS (SELECT * FROM customers WHERE employees > 1000) SELECT count(*) FROM big",
    "SELECT x FROM range(3) AS r(x)",
    "SELECT unnest([1, 2, 3]) AS x",
    "SELECT count(*) FROM generate_series(1, 5)",
    "SELECT upper(name), length(name), strftime(signup_date, '%Y') FROM customers LIMIT 1",
    "SELECT c.name, x.n FROM customers c, LATERAL (SELECT count(*) AS n FROM tickets t "
    "WHERE t.customer_id = c.customer_id) x",
    "SELECT t.ticket_id, u.x FROM tickets t, LATERAL (SELECT unnest([1, 2])) AS u(x)",
    "SELECT * FROM (PIVOT customers ON segment USING count(*))",
    # CTEs are names like any other: visible where the binder sees them
    "WITH pg_settings AS (SELECT 1 AS x) SELECT * FROM pg_settings",
    "WITH x AS (SELECT customer_id FROM customers) SELECT * FROM (SELECT * FROM x) y WHERE customer_id IN "
    "(SELECT customer_id FROM x)",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    "WITH a AS (SELECT 1 AS n), b AS (SELECT n + 1 AS n FROM a) SELECT * FROM b",
    "SELECT * FROM (WITH t AS (SELECT 1 AS n) SELECT * FROM t) u, LATERAL (WITH v AS (SELECT u.n) SELECT * FROM v) w",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY employees), count(*) FILTER (WHERE employees > 1), "
    "[x * 2 FOR x IN [1, 2]], list_transform([1], lambda x: x + 1), {'a': 1}, INTERVAL 3 DAY FROM customers",
])
def test_allowed(acme, sql):
    # the guard must not over-block ordinary read-only SQL
    assert acme.sql(sql).rows


def test_rejections_change_nothing(acme):
    counts = {t: acme.sql(f"SELECT count(*) FROM {t}").rows[0][0] for t in ("customers", "tickets", "contracts")}
    for sql in ("WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d", "DELETE FROM tickets",
                "SELECT 1; DELETE FROM contracts"):
        with pytest.raises(hybridq.SQLError):
            acme.sql(sql)
    assert counts == {"customers": 60, "tickets": 325, "contracts": 23}
    assert {t: acme.sql(f"SELECT count(*) FROM {t}").rows[0][0] for t in counts} == counts


def test_type_error_in_a_filter_next_to_a_score(acme):
    err = sql_error(acme, "SELECT similarity(t.body, 'x') FROM tickets t WHERE t.priority = 1")
    assert "Could not convert" in err.message


def test_type_error_in_plain_sql(acme):
    err = sql_error(acme, "SELECT ticket_id FROM tickets WHERE priority = 1")
    assert "Could not convert" in err.message and "CAST" in err.hint


def test_errors_survive_the_trip_between_processes(acme):
    err = sql_error(acme, "SELECT * FROM read_csv('/etc/passwd')", hybridq.ForbiddenStatement)
    again = error_from_dict(err.to_dict())
    assert type(again) is hybridq.ForbiddenStatement
    assert str(again) == str(err)


def test_store_connection_refuses_files_even_without_the_guard(acme):
    cursor = acme.store.db.cursor()
    try:
        with pytest.raises(duckdb.Error) as info:
            cursor.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
        assert "disabled" in str(info.value).lower() or "permission" in str(info.value).lower()
        # and the setting cannot be switched back on from a query connection
        with pytest.raises(duckdb.Error):
            cursor.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error):
            cursor.sql("SELECT * FROM glob('/etc/*')").fetchall()
        # a name that is no table is not looked up among the caller's Python variables
        secret_rows = pa.table({"secret": ["x"]})  # noqa: F841 (found by name, if replacement scans were on)
        with pytest.raises(duckdb.CatalogException):
            cursor.sql("SELECT * FROM secret_rows").fetchall()
    finally:
        cursor.close()


def test_long_query_is_stopped_by_the_session_timeout(acme):
    heavy = "SELECT count(*) FROM invoices a, invoices b, invoices c WHERE a.amount + b.amount > c.amount"
    saved = acme.query_timeout
    acme.query_timeout = 0.2
    try:
        started = time.perf_counter()
        with pytest.raises(hybridq.QueryTimeout) as info:
            acme.sql(heavy)
        elapsed = time.perf_counter() - started
    finally:
        acme.query_timeout = saved
    assert "0.2 s" in info.value.message
    assert "query_timeout" in info.value.hint
    assert elapsed < 30
    # the session keeps working after the interrupt
    assert acme.sql("SELECT count(*) FROM customers").rows == [(60,)]


def test_deadlines_interrupt_only_what_is_still_running():
    from hybridq.sql.deadline import Deadlines

    class Cursor:
        def __init__(self):
            self.interrupted = threading.Event()

        def interrupt(self):
            self.interrupted.set()

    deadlines = Deadlines()
    late, finished, later = Cursor(), Cursor(), Cursor()
    deadlines.disarm(deadlines.arm(0.05, finished))  # the query ended in time
    deadlines.arm(0.1, late)
    token = deadlines.arm(0.3, later)
    assert late.interrupted.wait(5)
    deadlines.disarm(token)
    time.sleep(0.5)
    assert not finished.interrupted.is_set() and not later.interrupted.is_set()
