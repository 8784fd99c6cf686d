"""Watch mode and the owner process: changes become visible at once, and other processes (the CLI,
hybridq.connect()) get their answers from the process that keeps the store live."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import hybridq
from live_project import make_project, wait_for

HYBRIDQ = [sys.executable, "-m", "hybridq.cli"]


def test_watch_applies_adds_edits_and_deletes(tmp_path, embedder):
    catalog = make_project(tmp_path / "p", docs=10, seed=4)
    docs = tmp_path / "p" / "docs"
    hq = hybridq.connect(catalog, embedder=embedder)
    lines: list[str] = []
    stop, ready = threading.Event(), threading.Event()
    try:
        hq.refresh()
        watcher = threading.Thread(target=hq.watch, kwargs={"log": lines.append, "stop": stop, "ready": ready.set},
                                   daemon=True)
        watcher.start()
        assert ready.wait(30), "the watcher never said it was ready"
        probe = "a lighthouse keeper feeds zebras at dawn"
        query = f"SELECT doc_id, similarity(body, '{probe}') AS s FROM docs ORDER BY s DESC LIMIT 1"
        (docs / "zebra.md").write_text(f"---\ntitle: Zebra\nversion: 1\n---\n{probe}\n")
        wait_for(lambda: hq.sql(query).rows[0][0] == "zebra")
        (docs / "zebra.md").write_text("---\ntitle: Zebra\nversion: 2\n---\nquarterly invoice reconciliation\n")
        wait_for(lambda: hq.sql(query).rows[0][0] != "zebra")
        wait_for(lambda: hq.sql("SELECT version FROM docs WHERE doc_id = 'zebra'").rows == [(2,)])
        (docs / "zebra.md").unlink()
        wait_for(lambda: hq.sql("SELECT count(*) FROM docs WHERE doc_id = 'zebra'").rows == [(0,)])
        assert all(r[0] != "zebra" for r in hq.sql(
            f"SELECT doc_id FROM vector_search('docs.body', '{probe}', 20)").rows)
        # a burst of changes is applied in few refreshes, each logged on one line
        for i in range(5):
            (docs / f"burst{i}.md").write_text(f"---\ntitle: B\nversion: {i}\n---\nburst document {i}\n")
        wait_for(lambda: hq.sql("SELECT count(*) FROM docs WHERE doc_id LIKE 'burst%'").rows == [(5,)])
    finally:
        stop.set()
        time.sleep(0.3)
        hq.close()
    assert any("docs:" in line and "zebra.md" in line for line in lines)
    assert all("\n" not in line for line in lines)


def test_watch_follows_folders_that_move(tmp_path, embedder):
    """A deletion made while the watched folder was moved away, the folder gone, a new folder in
    its place: each time the store ends up as the files are, and status has nothing pending."""
    catalog = make_project(tmp_path / "p", docs=6, seed=9)
    docs, away = tmp_path / "p" / "docs", tmp_path / "p" / "away"
    hq = hybridq.connect(catalog, embedder=embedder)
    lines: list[str] = []
    stop, ready = threading.Event(), threading.Event()

    def ids():
        return sorted(r[0] for r in hq.sql("SELECT doc_id FROM docs").rows)

    def pending():
        return next(s for s in hq.status() if s.table == "docs").pending_files

    try:
        hq.refresh()
        everything = ids()
        watcher = threading.Thread(target=hq.watch, kwargs={"log": lines.append, "stop": stop, "ready": ready.set},
                                   daemon=True)
        watcher.start()
        assert ready.wait(30), "the watcher never said it was ready"
        docs.rename(away)
        (away / f"{everything[0]}.md").unlink()
        away.rename(docs)
        wait_for(lambda: ids() == everything[1:] and pending() == 0)
        docs.rename(away)  # gone for good
        wait_for(lambda: ids() == [] and pending() == 0)
        docs.mkdir()  # a new folder in its place is watched
        (docs / "fresh.md").write_text("---\ntitle: Fresh\nversion: 1\n---\nfresh text\n")
        wait_for(lambda: ids() == ["fresh"] and pending() == 0)
        (docs / "fresh.md").unlink()
        wait_for(lambda: ids() == [])
    finally:
        stop.set()
        time.sleep(0.3)
        hq.close()
    assert any("a watched folder moved" in line for line in lines)


def test_other_processes_are_answered_by_the_watching_process(tmp_path):
    catalog = make_project(tmp_path / "p", docs=8, seed=5)
    # PYTHONFAULTHANDLER: a watch that does not stop is made to print where each of its threads is
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PYTHONFAULTHANDLER": "1"}
    watch = subprocess.Popen([*HYBRIDQ, "refresh", str(catalog), "--watch"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(iter(watch.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        store = tmp_path / "p" / ".hybridq" / "live"
        wait_for(lambda: (store / "owner.json").exists(), timeout=120, step=0.2)
        # queries are answered from the moment the store is open; the first load then lands at once
        wait_for(lambda: any(line.startswith("watching ") for line in stderr), timeout=120, step=0.1)
        owner = json.loads((store / "owner.json").read_text())
        assert owner["pid"] == watch.pid
        # the CLI in another process: same answers, no lock error
        out = subprocess.run([*HYBRIDQ, "sql", str(catalog), "SELECT count(*) AS n FROM docs", "--format", "json"],
                             capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == [{"n": 8}]
        bad = subprocess.run([*HYBRIDQ, "sql", str(catalog), "DROP TABLE docs"], capture_output=True, text=True,
                             env=env, timeout=120)
        assert bad.returncode == 1 and "DROP statements are not allowed" in bad.stderr
        assert "Traceback" not in bad.stderr and "lock" not in bad.stderr.lower()
        status = subprocess.run([*HYBRIDQ, "status", str(catalog), "--format", "json"], capture_output=True,
                                text=True, env=env, timeout=120)
        assert status.returncode == 0, status.stderr
        assert {t["table"]: t["rows"] for t in json.loads(status.stdout)["tables"]} == {"docs": 8, "items": 8}
        # hybridq.connect() in another process reaches the owner too, and sees its live changes
        (tmp_path / "p" / "docs" / "new.md").write_text("---\ntitle: New\nversion: 1\n---\nfresh text\n")
        script = (f"import hybridq, time\nhq = hybridq.connect({str(catalog)!r})\n"
                  "print(type(hq).__name__)\n"
                  "for _ in range(200):\n"
                  "    n = hq.sql(\"SELECT count(*) FROM docs WHERE doc_id = 'new'\").rows[0][0]\n"
                  "    if n: break\n"
                  "    time.sleep(0.05)\n"
                  "print(n)\n")
        remote = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout.split() == ["RemoteSession", "1"]
    finally:
        watch.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            watch.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                watch.wait(timeout=10)
            watch.kill()
            reader.join(timeout=10)
            pytest.fail("the watch did not stop on Ctrl-C; its threads:\n" + "".join(stderr[-200:]))
    assert watch.returncode == 130
    assert not (tmp_path / "p" / ".hybridq" / "live" / "owner.json").exists()
    reader.join(timeout=10)
    assert "Traceback" not in "".join(stderr)
