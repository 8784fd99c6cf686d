"""Catalog validation of the non-file sources and of alerts: the valid fixture has no issue, and
breaking one field of it gives exactly one issue, at the right line, with a hint."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from hybridq.catalog.validate import validate_text

FIXTURE = Path(__file__).with_name("live_catalog.yaml")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("live_catalog")
    con = sqlite3.connect(root / "shop.db")
    con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount REAL)")
    con.commit()
    con.close()
    (root / "rates_module.py").write_text("def rows(currency):\n    return []\n")
    return root


def validate(project: Path, text: str):
    return validate_text(text, file=str(project / "catalog.yaml"))


def line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text[: text.index(needle)].count("\n") + 1


@dataclass(frozen=True)
class Fault:
    name: str
    edits: list[tuple[str, str]]
    path: str
    at: str  # text on the line the issue must point at (in the edited catalog)
    message: str
    hint: str

    def __str__(self) -> str:
        return self.name


FAULTS = [
    Fault("postgres_options_on_sqlite", [("      table: orders\n", "      table: orders\n    postgres:\n      table: x\n")],
          "sources.orders_db.postgres", "    postgres:\n      table: x", "postgres options on a sqlite source", "remove 'postgres:'"),
    Fault("postgres_without_block", [("    postgres:\n      dsn_env: ACME_PG_DSN\n      table: public.tickets\n"
                                      "      capture: auto\n      watermark_column: updated_at\n", "")],
          "sources.tickets_pg", "  tickets_pg:", "needs a 'postgres:' block", "dsn_env"),
    Fault("table_and_query", [("      table: public.tickets\n", "      table: public.tickets\n      query: SELECT 1\n")],
          "sources.tickets_pg.postgres", "    postgres:\n      dsn_env", "exactly one of 'table' and 'query'", "table: name"),
    Fault("watermark_without_column", [("      capture: auto\n      watermark_column: updated_at\n", "      capture: watermark\n")],
          "sources.tickets_pg.postgres.capture", "capture: watermark", "needs a watermark_column", "updated_at"),
    Fault("watermark_column_unknown", [("watermark_column: updated_at", "watermark_column: modified_at")],
          "sources.tickets_pg.postgres.watermark_column", "modified_at", "'modified_at' is not a column of tickets",
          "add the column"),
    Fault("connection_string_in_catalog", [("dsn_env: ACME_PG_DSN", "dsn_env: 'host=db password=secret'")],
          "sources.tickets_pg.postgres.dsn_env", "dsn_env:", "is not an environment variable name",
          "never goes in the catalog"),
    Fault("replication_of_a_query", [("      table: public.tickets\n      capture: auto\n",
                                      "      query: SELECT * FROM tickets\n      capture: replication\n")],
          "sources.tickets_pg.postgres.capture", "capture: replication", "follows a table, not a query", "capture: watermark"),
    Fault("watch_mode_on_postgres", [("      mode: stream\n", "      mode: watch\n")],
          "sources.tickets_pg.refresh.mode", "mode: watch\n  status_api", "'watch' does not apply to postgres", "stream"),
    Fault("stream_mode_on_http", [("      mode: poll\n      interval_seconds: 30\n", "      mode: stream\n")],
          "sources.status_api.refresh.mode", "mode: stream\n  rates_fn", "'stream' does not apply to http",
          "manual, poll"),
    Fault("literal_secret_header", [('Authorization: "Bearer {{ env.STATUS_TOKEN }}"', 'Authorization: "Bearer abc123"')],
          "sources.status_api.http.headers.Authorization", "abc123", "holds a credential written in the catalog",
          "env.MY_TOKEN"),
    Fault("page_style_without_page_variable", [("items?page={{ page }}", "items?p=1")],
          "sources.status_api.http.url", "items?p=1", "needs {{ page }} in the URL", "page={{ page }}"),
    Fault("url_template_syntax", [("items?page={{ page }}", "items?page={{ page }")],
          "sources.status_api.http.url", "items?page={{ page }\"", "template error", "{{ env.NAME }}"),
    Fault("secret_in_url", [("items?page={{ page }}", "items?token=abc&page={{ page }}")],
          "sources.status_api.http.url", "token=abc", "carries a credential (token=...)", "env.MY_TOKEN"),
    Fault("python_function_format", [('function: "rates_module:rows"', 'function: "rates_module.rows"')],
          "sources.rates_fn.python.function", "rates_module.rows", "is not a valid name", ""),
    Fault("python_module_missing", [('function: "rates_module:rows"', 'function: "no_such_module:rows"')],
          "sources.rates_fn.python.function", "no_such_module", "module 'no_such_module' cannot be found",
          "next to the catalog"),
    Fault("sqlite_without_path", [("    path: shop.db\n", "")],
          "sources.orders_db", "  orders_db:", "a sqlite source needs a 'path'", "relative to the catalog"),
    Fault("alert_sql_and_question", [("    key: ticket_id\n", "    key: ticket_id\n    question: tickets about a breach\n")],
          "alerts[0]", "  - name: breach", "needs exactly one of 'sql' and 'question'", "question:"),
    Fault("alert_key_not_in_result", [("    key: ticket_id\n", "    key: id\n")],
          "alerts[0].key", "    key: id", "key column 'id' is not a column of the alert's result", "customer"),
    Fault("alert_unknown_column", [("SELECT ticket_id, customer FROM", "SELECT ticket_id, custmer FROM")],
          "alerts[0].sql", "custmer", "unknown column", "did you mean 'customer'?"),
    Fault("notify_two_targets_in_one", [("      - stdout: true\n", "      - stdout: true\n        file: x.jsonl\n")],
          "alerts[0].notify[0]", "- stdout: true", "exactly one of stdout, file or webhook (this one has stdout, file)",
          "one target per list item"),
    Fault("webhook_literal_secret", [('Authorization: "Bearer {{ env.HOOK_TOKEN }}"', 'Authorization: "Bearer hunter2"')],
          "alerts[0].notify[2].headers.Authorization", "hunter2", "holds a credential written in the catalog", "env."),
    Fault("alert_defined_twice", [('{{ env.HOOK_TOKEN }}"\n', '{{ env.HOOK_TOKEN }}"\n  - name: breach\n    sql: SELECT 1 AS one\n'
                                   "    notify: [{stdout: true}]\n")],
          "alerts[1].name", "  - name: breach\n    sql: SELECT 1", "alert 'breach' is defined twice", "own name"),
]


def test_valid_fixture_has_no_issue(project):
    result = validate(project, FIXTURE.read_text())
    assert result.issues == []
    assert result.catalog.sources["tickets_pg"].postgres.dsn_env == "ACME_PG_DSN"
    assert result.catalog.alerts[0].key == ["ticket_id"]


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_one_fault_one_issue(project, fault):
    text = FIXTURE.read_text()
    for old, new in fault.edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    issues = validate(project, text).issues
    assert len(issues) == 1, "\n".join(i.format() for i in issues)
    issue = issues[0]
    assert issue.path == fault.path
    assert fault.message in issue.message
    assert fault.hint in (issue.hint or "")
    assert issue.line == line_of(text, fault.at)
    assert issue.file.endswith("catalog.yaml")


def test_json_schema_describes_the_new_kinds():
    from hybridq.catalog.jsonschema import catalog_json_schema

    schema = catalog_json_schema()
    assert "postgres" in schema["$defs"]["Source"]["properties"]["kind"]["enum"]
    assert {"PostgresOptions", "HttpOptions", "SqliteOptions", "PythonOptions", "Alert", "NotifyTarget"} <= set(schema["$defs"])
    assert "alerts" in schema["properties"]
