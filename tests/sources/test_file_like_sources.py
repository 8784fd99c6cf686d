"""SQLite tables and Python callables: read whole, diffed by key and hash, bad rows quarantined,
nothing stored lost when the source cannot be read, SQLite followed in watch mode."""

from __future__ import annotations

import sqlite3
import textwrap
import threading
from pathlib import Path

import hybridq

from tests.sources.conftest import wait_for

CATALOG = textwrap.dedent("""\
    version: 1
    name: shop
    store: .hybridq/shop
    sources:
      orders_db: {kind: sqlite, path: shop.db, sqlite: {table: orders}, refresh: {mode: watch, debounce_ms: 10}}
      rates_fn: {kind: python, python: {function: "{module}:rows", args: {path: rates.txt}}}
    tables:
      orders:
        source: orders_db
        primary_key: order_id
        columns: {order_id: INTEGER, customer: VARCHAR, amount: DOUBLE}
      rates:
        source: rates_fn
        primary_key: day
        columns: {day: DATE, rate: DOUBLE}
    """)

RATES_MODULE = textwrap.dedent("""\
    from pathlib import Path

    def rows(path):
        text = Path(__file__).with_name(path).read_text()
        if text.startswith("FAIL"):
            raise ConnectionError("rates service unreachable")
        for line in text.splitlines():
            day, rate = line.split(",")
            yield {"day": day, "rate": rate}
    """)


def make_shop(root: Path) -> Path:
    con = sqlite3.connect(root / "shop.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer TEXT, amount REAL)")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(i, f"c{i}", i * 10.0) for i in range(1, 6)])
    con.commit()
    con.close()
    module = f"rates_{root.name}"  # one module name per project: Python imports a name once
    (root / f"{module}.py").write_text(RATES_MODULE)
    (root / "rates.txt").write_text("2024-01-01,1.10\n2024-01-02,1.12\n")
    (root / "catalog.yaml").write_text(CATALOG.replace("{module}", module))
    return root / "catalog.yaml"


def execute(root: Path, *statements) -> None:
    con = sqlite3.connect(root / "shop.db")
    for statement in statements:
        con.execute(*statement) if isinstance(statement, tuple) else con.execute(statement)
    con.commit()
    con.close()


def orders(hq) -> dict:
    return {r[0]: (r[1], r[2]) for r in hq.sql("SELECT order_id, customer, amount FROM orders").rows}


def test_sqlite_insert_update_delete_and_quarantine(tmp_path):
    catalog = make_shop(tmp_path)
    with hybridq.connect(catalog) as hq:
        report = hq.refresh()
        assert report.tables["orders"].inserted == 5 and report.tables["rates"].inserted == 2
        execute(tmp_path, "INSERT INTO orders VALUES (6, 'c6', 60)", "UPDATE orders SET amount = 99 WHERE order_id = 2",
                "DELETE FROM orders WHERE order_id = 3")
        report = hq.refresh(["orders"])
        t = report.tables["orders"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)
        assert orders(hq)[2] == ("c2", 99.0) and 3 not in orders(hq) and 6 in orders(hq)
        before = hq.store.stamp.refresh_id
        assert not hq.refresh(["orders"]).changed  # nothing changed: nothing read, nothing written
        assert hq.store.stamp.refresh_id == before
        # a value that does not fit its column is quarantined; the stored row is kept, the rest applies
        execute(tmp_path, "UPDATE orders SET amount = 'lots' WHERE order_id = 4",
                "UPDATE orders SET customer = 'renamed' WHERE order_id = 5")
        report = hq.refresh(["orders"])
        assert [i.key for _, i in report.issues] == ["4"]
        assert "cannot read 'lots' as DOUBLE" in report.issues[0][1].message
        assert orders(hq)[4] == ("c4", 40.0) and orders(hq)[5] == ("renamed", 50.0)
        assert hq.status().table("orders").error_count == 1
        execute(tmp_path, "UPDATE orders SET amount = 44 WHERE order_id = 4")
        assert hq.refresh(["orders"]).issues == []
        assert orders(hq)[4] == ("c4", 44.0)
        assert hq.status().table("orders").error_count == 0


def test_sqlite_missing_file_keeps_rows(tmp_path):
    catalog = make_shop(tmp_path)
    with hybridq.connect(catalog) as hq:
        hq.refresh()
        (tmp_path / "shop.db").rename(tmp_path / "moved.db")
        report = hq.refresh(["orders"])
        assert "no SQLite database" in report.issues[0][1].message
        assert len(orders(hq)) == 5
        status = hq.status().table("orders")
        assert status.kind == "sqlite" and "no SQLite database" in status.last_error


def test_sqlite_watch_mode(tmp_path):
    catalog = make_shop(tmp_path)
    with hybridq.connect(catalog) as hq:
        stop, ready = threading.Event(), threading.Event()
        watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "ready": ready.set})
        watcher.start()
        try:
            assert ready.wait(60)
            hq.refresh(["orders"])
            execute(tmp_path, "INSERT INTO orders VALUES (7, 'c7', 70)")
            wait_for(lambda: 7 in orders(hq))
            execute(tmp_path, "DELETE FROM orders WHERE order_id = 1")
            wait_for(lambda: 1 not in orders(hq))
        finally:
            stop.set()
            watcher.join(30)
        assert not watcher.is_alive()


def test_python_callable_rows_diffed_and_failures_keep_rows(tmp_path):
    catalog = make_shop(tmp_path)
    with hybridq.connect(catalog) as hq:
        hq.refresh()
        (tmp_path / "rates.txt").write_text("2024-01-01,1.10\n2024-01-02,1.15\n2024-01-03,1.20\n")
        t = hq.refresh(["rates"]).tables["rates"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 0)
        (tmp_path / "rates.txt").write_text("FAIL\n")
        report = hq.refresh(["rates"])
        assert "ConnectionError: rates service unreachable" in report.issues[0][1].message
        assert hq.sql("SELECT count(*) FROM rates").rows[0][0] == 3
        assert "rates service unreachable" in hq.status().table("rates").last_error
        (tmp_path / "rates.txt").write_text("2024-01-03,1.20\nnot-a-date,2\n")
        report = hq.refresh(["rates"])
        assert [i.message for _, i in report.issues] == ["column day: cannot read 'not-a-date' as DATE"]
        assert sorted(str(r[0]) for r in hq.sql("SELECT day FROM rates").rows) == ["2024-01-03"]


def test_polled_source_in_watch_mode(tmp_path):
    catalog = make_shop(tmp_path)
    text = catalog.read_text()
    catalog.write_text(text.replace("args: {path: rates.txt}}}", "args: {path: rates.txt}}, refresh: {mode: poll, interval_seconds: 0.1}}"))
    with hybridq.connect(catalog) as hq:
        hq.refresh()
        stop, ready = threading.Event(), threading.Event()
        watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "ready": ready.set})
        watcher.start()
        try:
            assert ready.wait(60)
            (tmp_path / "rates.txt").write_text("2024-01-01,1.10\n2024-01-05,1.30\n")
            wait_for(lambda: hq.sql("SELECT count(*) FROM rates WHERE rate = 1.3").rows[0][0] == 1)
            execute(tmp_path, "INSERT INTO orders VALUES (8, 'c8', 80)")  # files are still watched meanwhile
            wait_for(lambda: 8 in orders(hq))
        finally:
            stop.set()
            watcher.join(30)
        assert not watcher.is_alive()
