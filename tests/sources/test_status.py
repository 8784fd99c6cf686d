"""Status per source and alert: true problem counts (the first ones listed, then 'and N more'),
JSON that round-trips (the owner process and the HTTP server send it), the CLI table."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

import hybridq
from hybridq.cli import main
from hybridq.refresh.status import Status

CATALOG = textwrap.dedent("""\
    version: 1
    name: counts
    sources:
      items: {kind: csv, path: items.csv}
    tables:
      items:
        source: items
        primary_key: item_id
        columns: {item_id: INTEGER, qty: INTEGER}
    alerts:
      - name: big_orders
        sql: SELECT item_id, qty FROM items WHERE qty > 5
        key: item_id
        notify: [{file: big.jsonl}]
    """)


def make_project(root):
    lines = ["item_id,qty"] + [f"{i},{i}" for i in range(1, 11)] + [f"{i},many" for i in range(11, 36)]
    (root / "items.csv").write_text("\n".join(lines) + "\n")
    (root / "catalog.yaml").write_text(CATALOG)
    return root / "catalog.yaml"


def test_problem_count_is_the_true_count(tmp_path):
    catalog = make_project(tmp_path)
    with hybridq.connect(catalog) as hq:
        hq.refresh()
        status = hq.status()
        items = status.table("items")
        assert items.error_count == 25  # 25 bad rows; status used to say 20
        assert len(items.errors) == 20
        assert items.mode == "watch" and items.kind == "csv"  # a file source names no mode: it is watched
        (alert,) = status.alerts
        assert (alert.name, alert.rows, alert.tables, alert.notify) == ("big_orders", 5, ["items"], ["file big.jsonl"])
        assert alert.last_evaluated is not None and alert.last_change is None  # a baseline is no change
        again = Status.from_dict(json.loads(json.dumps(status.to_dict())))
        assert again == status
        assert [t.table for t in status] == ["items"]  # iterating gives the tables, as before


def test_cli_status_lists_the_first_problems_and_counts_the_rest(tmp_path):
    catalog = make_project(tmp_path)
    with hybridq.connect(catalog) as hq:
        hq.refresh()
    result = CliRunner().invoke(main, ["status", str(catalog)])
    assert result.exit_code == 0, result.output
    assert "and 5 more" in result.output
    assert "big_orders" in result.output
    table_line = next(line for line in result.output.splitlines() if line.startswith("│ items"))
    assert "│ 25 " in table_line
    shown = CliRunner().invoke(main, ["status", str(catalog), "--format", "json"])
    data = json.loads(shown.output)
    assert data["tables"][0]["error_count"] == 25 and data["alerts"][0]["name"] == "big_orders"
