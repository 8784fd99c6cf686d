"""`hybridq serve` as a user runs it: API keys from `hybridq keys add`, the catalog's roles, the
owner file for the other processes of the machine, and a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from hybridq.serve.owner import read_owner
from live_project import make_project, wait_for

ROOT = Path(__file__).resolve().parents[2]
HYBRIDQ = [sys.executable, "-m", "hybridq.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HYBRIDQ_OWNER": "off"}
ROLE = """
access:
  roles:
    small_items:
      tables:
        items: {rows: "qty < caller('max_qty')", hide: [label]}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_keys_and_a_clean_stop(tmp_path):
    catalog = make_project(tmp_path / "p", docs=3, seed=8)
    catalog.write_text(catalog.read_text() + ROLE)
    added = subprocess.run([*HYBRIDQ, "keys", "add", str(catalog), "--role", "small_items", "--attr", "max_qty=50",
                            "--name", "test"], capture_output=True, text=True, env=ENV, timeout=120)
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    keys_file = tmp_path / "p" / "catalog.keys.yaml"
    assert key.startswith("hq_") and key not in keys_file.read_text() and oct(keys_file.stat().st_mode)[-3:] == "600"
    listed = subprocess.run([*HYBRIDQ, "keys", "list", str(catalog)], capture_output=True, text=True, env=ENV)
    assert "test: role small_items (max_qty=50)" in listed.stdout
    refused = subprocess.run([*HYBRIDQ, "serve", str(catalog), "--host", "0.0.0.0", "--keys", str(tmp_path / "none.yaml")],
                             capture_output=True, text=True, env=ENV, timeout=120)
    assert refused.returncode == 1 and "without API keys" in refused.stderr

    port = free_port()
    server = subprocess.Popen([*HYBRIDQ, "serve", str(catalog), "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ENV)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(server.stderr.readline, "")), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for(lambda: any(line.startswith("serving ") for line in lines), timeout=120, step=0.1)
        assert subprocess.run([*HYBRIDQ, "refresh", str(catalog)], env=ENV, capture_output=True,
                              timeout=300).returncode == 0  # through the server: it owns the store
        info = read_owner(tmp_path / "p" / ".hybridq" / "live")
        assert info is not None and info.kind == "serve" and info.pid == server.pid
        mine = httpx.post(f"{url}/sql", json={"sql": "SELECT * FROM items ORDER BY item_id"},
                          headers={"Authorization": f"Bearer {key}"}, trust_env=False).json()
        assert mine["columns"] == ["item_id", "qty"]
        everything = subprocess.run([*HYBRIDQ, "sql", str(catalog), "SELECT item_id, qty FROM items", "--format",
                                     "json"], capture_output=True, text=True, env=ENV, timeout=120)
        rows = json.loads(everything.stdout)
        assert len(rows) == 3 and [r[0] for r in mine["rows"]] == sorted(r["item_id"] for r in rows if r["qty"] < 50)
        assert httpx.post(f"{url}/sql", json={"sql": "SELECT 1"}, trust_env=False).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/docs", trust_env=False).status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
        reader.join(timeout=10)
    assert code == 130, "".join(lines)
    assert "Traceback" not in "".join(lines)
    assert not (tmp_path / "p" / ".hybridq" / "live" / "owner.json").exists()
