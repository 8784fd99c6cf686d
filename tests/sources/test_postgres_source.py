"""PostgreSQL sources against a real server on loopback (wal_level=logical): changes at the source
reach DuckDB and Lance through logical replication, through the watermark and through a full
diff; a slot left by a killed process is reused or cleaned; failures keep what is stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import psycopg

import hybridq

from tests.sources.conftest import wait_for

CATALOG = textwrap.dedent("""\
    version: 1
    name: pgsrc
    store: .hybridq/pgsrc
    sources:
      tickets_pg:
        kind: postgres
        postgres: {{dsn_env: {env}, table: {table}, capture: {capture}, watermark_column: updated_at, sweep_seconds: {sweep}}}
        refresh: {{mode: {mode}}}
    tables:
      tickets:
        source: tickets_pg
        primary_key: ticket_id
        columns:
          ticket_id: INTEGER
          customer: VARCHAR
          urgent: BOOLEAN
          updated_at: TIMESTAMP
          body: {{type: TEXT, semantic: true}}
    """)

TICKETS = [
    (1, "Acme", False, "The invoice total is wrong for March."),
    (2, "Globex", True, "Login fails with a timeout after the upgrade."),
    (3, "Initech", False, "Please export all reports to CSV."),
]


def make_table(dsn: str, table: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} (ticket_id int PRIMARY KEY, customer text, urgent bool, "
                    f"updated_at timestamptz NOT NULL DEFAULT now(), body text, internal_note text)")
        con.cursor().executemany(f"INSERT INTO {table} (ticket_id, customer, urgent, body) VALUES (%s, %s, %s, %s)", TICKETS)


def run_sql(dsn: str, *statements) -> None:
    with psycopg.connect(dsn, autocommit=True) as con:
        for statement in statements:
            con.execute(*statement) if isinstance(statement, tuple) else con.execute(statement)


def project(tmp_path, monkeypatch, dsn: str, table: str, capture: str = "auto", mode: str = "manual",
            sweep: float = 300, env: str = "PGSRC_DSN"):
    monkeypatch.setenv(env, dsn)
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.format(env=env, table=table, capture=capture, mode=mode, sweep=sweep))
    return path


def tickets(hq) -> dict:
    return {r[0]: (r[1], r[2], r[3]) for r in hq.sql("SELECT ticket_id, customer, urgent, body FROM tickets").rows}


def closest(hq, text: str) -> int:
    return hq.sql(f"SELECT ticket_id FROM vector_search('tickets.body', '{text}', 1)").rows[0][0]


def slot_of(dsn: str, catalog) -> list[tuple]:
    """(name, active pid) of the store's slot for its tickets table, if it exists."""
    from hybridq.catalog.validate import load_catalog
    from hybridq.refresh.sources.postgres import slot_name

    name = slot_name(str(load_catalog(catalog).store_dir), "tickets")
    with psycopg.connect(dsn) as con:
        return con.execute("SELECT slot_name, active_pid FROM pg_replication_slots WHERE slot_name = %s",
                           [name]).fetchall()


def apply_changes(dsn: str, table: str) -> None:
    run_sql(dsn,
            (f"INSERT INTO {table} (ticket_id, customer, urgent, body) VALUES (%s, %s, %s, %s)",
             [4, "Umbrella", True, "Customer data was leaked in a security breach."]),
            f"UPDATE {table} SET body = 'The dashboard chart renders blank in Safari.', updated_at = now() "
            f"WHERE ticket_id = 1",
            f"DELETE FROM {table} WHERE ticket_id = 3")


def check_changes_applied(hq) -> None:
    rows = tickets(hq)
    assert set(rows) == {1, 2, 4}
    assert rows[4] == ("Umbrella", True, "Customer data was leaked in a security breach.")
    assert rows[1][2] == "The dashboard chart renders blank in Safari."
    assert closest(hq, "security breach leaked data") == 4  # Lance has the new row's chunks
    assert closest(hq, "chart is blank in the browser") == 1  # and the edited text's
    assert hq.sql("SELECT count(*) FROM vector_search('tickets.body', 'export reports CSV', 10)").rows[0][0] == 3


def test_replication_inserts_updates_deletes(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_repl")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_repl")
    with hybridq.connect(catalog, embedder=embedder) as hq:
        report = hq.refresh()
        assert report.tables["tickets"].inserted == 3
        status = hq.status().table("tickets")
        assert status.capture == "replication" and status.kind == "postgres"
        apply_changes(pg.dsn, "tickets_repl")
        report = hq.refresh()
        t = report.tables["tickets"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)
        check_changes_applied(hq)
        # an update that moves a row's key is a delete and an insert, applied in commit order
        run_sql(pg.dsn, "UPDATE tickets_repl SET ticket_id = 20 WHERE ticket_id = 2",
                "UPDATE tickets_repl SET customer = 'Globex Corp' WHERE ticket_id = 20")
        hq.refresh()
        assert 2 not in tickets(hq) and tickets(hq)[20][0] == "Globex Corp"
        assert not hq.refresh().changed  # nothing new: nothing written
        assert hq.status().table("tickets").lag_bytes is not None
        assert len(slot_of(pg.dsn, catalog)) == 1
        released = hq.release_sources()
        assert [line.split(" ", 2)[2].split(" hybridq_")[0] for line in released] == ["replication slot", "publication"]
        assert slot_of(pg.dsn, catalog) == []
        report = hq.refresh()  # copied again, with a new slot; the rows are the same, so nothing changes
        assert report.tables["tickets"].inserted == 0 and len(slot_of(pg.dsn, catalog)) == 1
        assert set(tickets(hq)) == {1, 4, 20}


def test_capture_changed_drops_the_slot(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_switch")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_switch")
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
    assert len(slot_of(pg.dsn, catalog)) == 1
    catalog.write_text(catalog.read_text().replace("capture: auto", "capture: full"))
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
        assert hq.status().table("tickets").capture == "full"
    assert slot_of(pg.dsn, catalog) == []


def test_watermark_without_replication_privilege(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_wm")
    run_sql(pg.dsn, "DROP ROLE IF EXISTS reader", "CREATE ROLE reader LOGIN",
            "GRANT SELECT ON tickets_wm TO reader")
    catalog = project(tmp_path, monkeypatch, pg.dsn_for("reader"), "tickets_wm", sweep=0.01)
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
        status = hq.status().table("tickets")
        assert status.capture == "watermark"
        assert "no REPLICATION privilege" in status.detail
        apply_changes(pg.dsn, "tickets_wm")
        time.sleep(0.02)  # past sweep_seconds: this refresh also compares keys, which finds the delete
        report = hq.refresh()
        assert report.issues == []
        t = report.tables["tickets"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)
        check_changes_applied(hq)
        assert not hq.refresh().changed  # a sweep that finds nothing writes nothing


def test_full_diff_of_a_query(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_full")
    monkeypatch.setenv("PGSRC_DSN", pg.dsn)
    (tmp_path / "catalog.yaml").write_text(CATALOG.format(
        env="PGSRC_DSN", table="x", capture="full", mode="manual", sweep=300).replace(
        "table: x", "query: 'SELECT * FROM tickets_full WHERE customer <> ''Hidden'''"))
    with hybridq.connect(tmp_path / "catalog.yaml", embedder=embedder) as hq:
        hq.refresh()
        assert hq.status().table("tickets").capture == "full"
        apply_changes(pg.dsn, "tickets_full")
        run_sql(pg.dsn, "UPDATE tickets_full SET customer = 'Hidden' WHERE ticket_id = 2")
        t = hq.refresh().tables["tickets"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 2)
        assert set(tickets(hq)) == {1, 4}
        assert not hq.refresh().changed  # read whole again, nothing differs: nothing written


def test_unreachable_server_keeps_rows(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_down")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_down", capture="full")
    with hybridq.connect(catalog, embedder=embedder) as hq:
        hq.refresh()
        monkeypatch.setenv("PGSRC_DSN", "host=127.0.0.1 port=1 user=nobody dbname=nothing password=pw")
        hq.store.live_sources["tickets"]["postgres"].close()  # the next read connects again
        report = hq.refresh()
        message = report.issues[0][1].message
        assert "cannot connect to PostgreSQL ($PGSRC_DSN)" in message and "pw" not in message
        assert len(tickets(hq)) == 3
        status = hq.status().table("tickets")
        assert "cannot connect" in status.last_error and status.error_count == 1


def test_slot_left_without_store_state_is_cleaned(pg, tmp_path, monkeypatch, embedder):
    """A refresh killed between creating its slot and committing its copy leaves a slot the store
    knows nothing of: the next refresh drops it and starts again from a fresh copy."""
    make_table(pg.dsn, "tickets_left")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_left")
    with hybridq.connect(catalog, embedder=embedder) as hq:
        from hybridq.refresh.sources.postgres import slot_name

        name = slot_name(str(hq.store.directory), "tickets")
        run_sql(pg.dsn, f"SELECT pg_create_logical_replication_slot('{name}', 'pgoutput')")
        run_sql(pg.dsn, "INSERT INTO tickets_left (ticket_id, customer, body) VALUES (9, 'Late', 'written after')")
        hq.refresh()
        assert set(tickets(hq)) == {1, 2, 3, 9}
        apply_changes(pg.dsn, "tickets_left")
        hq.refresh()
        assert set(tickets(hq)) == {1, 2, 4, 9}


CHILD = textwrap.dedent("""\
    import sys, threading
    import hybridq
    hq = hybridq.connect(sys.argv[1])
    hq.watch(ready=lambda: print("ready", flush=True), log=lambda line: print(line, flush=True))
    """)


def test_stream_killed_then_slot_reused(pg, tmp_path, monkeypatch):
    """A watch streaming changes is killed (-9) with the slot active; a new process reuses the
    slot from the position the store committed and gets every change, none twice."""
    make_table(pg.dsn, "tickets_kill")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_kill", mode="stream")
    text = catalog.read_text().replace("      body: {type: TEXT, semantic: true}\n", "      body: TEXT\n")
    catalog.write_text(text)  # no model in the child: this test is about the slot
    (tmp_path / "child.py").write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(catalog)], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PGSRC_DSN": pg.dsn})
    try:
        assert child.stdout.readline().startswith("ready")
        run_sql(pg.dsn, "UPDATE tickets_kill SET customer = 'Streamed' WHERE ticket_id = 1")
        with hybridq.connect(catalog) as remote:  # answered by the child, which owns the store
            wait_for(lambda: tickets(remote)[1][0] == "Streamed")
        assert slot_of(pg.dsn, catalog)[0][1] is not None  # active: the child holds it
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        apply_changes(pg.dsn, "tickets_kill")
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    slots = slot_of(pg.dsn, catalog)
    with hybridq.connect(catalog) as hq:
        report = hq.refresh()
        t = report.tables["tickets"]
        assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)  # not a new copy: the slot was reused
        rows = tickets(hq)
        assert set(rows) == {1, 2, 4} and rows[1][0] == "Streamed"
    assert [s[0] for s in slot_of(pg.dsn, catalog)] == [slots[0][0]]


def test_stream_mode_applies_each_transaction(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_stream")
    catalog = project(tmp_path, monkeypatch, pg.dsn, "tickets_stream", mode="stream")
    with hybridq.connect(catalog, embedder=embedder) as hq:
        stop, ready = threading.Event(), threading.Event()
        watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "ready": ready.set})
        watcher.start()
        try:
            assert ready.wait(120)
            apply_changes(pg.dsn, "tickets_stream")
            wait_for(lambda: set(tickets(hq)) == {1, 2, 4})
            check_changes_applied(hq)
            status = hq.status().table("tickets")
            assert status.mode == "stream" and status.capture == "replication"
            assert status.lag_bytes is not None and status.lag_seconds is not None
        finally:
            stop.set()
            watcher.join(30)
        assert not watcher.is_alive()


def test_a_query_cannot_write(pg, tmp_path, monkeypatch, embedder):
    make_table(pg.dsn, "tickets_ro")
    run_sql(pg.dsn, "DROP SEQUENCE IF EXISTS ro_seq", "CREATE SEQUENCE ro_seq")
    monkeypatch.setenv("PGSRC_DSN", pg.dsn)
    (tmp_path / "catalog.yaml").write_text(CATALOG.format(
        env="PGSRC_DSN", table="x", capture="full", mode="manual", sweep=300).replace(
        "table: x", "query: \"SELECT * FROM tickets_ro WHERE nextval('ro_seq') > 0\""))
    with hybridq.connect(tmp_path / "catalog.yaml", embedder=embedder) as hq:
        report = hq.refresh()
        assert "read-only transaction" in report.issues[0][1].message
    with psycopg.connect(pg.dsn) as con:
        assert con.execute("SELECT last_value, is_called FROM ro_seq").fetchone() == (1, False)
