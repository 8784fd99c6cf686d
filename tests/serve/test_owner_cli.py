"""The command line and the store's owner: refresh through the owner (one serialisation), two
refreshes started together, `refresh --watch` whichever process came first, and the warm
background owner (`hybridq owner`)."""

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

from hybridq.serve.owner import alive, read_owner
from live_project import doc_text, make_project, wait_for

ROOT = Path(__file__).resolve().parents[2]
HYBRIDQ = [sys.executable, "-m", "hybridq.cli"]
CHILD = Path(__file__).with_name("owner_child.py")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "live")]), "HYBRIDQ_OWNER": "off"}


def cli(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([*HYBRIDQ, *map(str, args)], capture_output=True, text=True, env=env or ENV, timeout=timeout)



@contextlib.contextmanager
def owning_process(catalog: Path):
    """A process that opened the store and does nothing else (a notebook)."""
    child = subprocess.Popen([sys.executable, str(CHILD), str(catalog)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        assert child.stdout.readline().strip() == "Session", child.stderr.read()
        yield child
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def test_refresh_through_the_owner(tmp_path):
    catalog = make_project(tmp_path / "p", docs=6, seed=1)
    with owning_process(catalog):
        (tmp_path / "p" / "docs" / "extra.md").write_text("---\ntitle: Extra\nversion: 1\n---\nrefund request\n")
        done = cli("refresh", catalog)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert "docs: +7 ~0 -0 rows" in done.stdout  # the first load happens in the owner, reported here
        again = cli("refresh", catalog, "--table", "docs")
        assert again.returncode == 0 and "no changes" in again.stdout
        count = cli("sql", catalog, "SELECT count(*) AS n FROM docs", "--format", "json")
        assert json.loads(count.stdout) == [{"n": 7}]


def test_two_refreshes_started_together(tmp_path):
    catalog = make_project(tmp_path / "p", docs=5, seed=2)
    both = [subprocess.Popen([*HYBRIDQ, "refresh", str(catalog)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENV) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in both]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err and "lock" not in err.lower()
    summaries = sorted(out.strip() for _, out, _ in results)
    assert summaries[0] == "no changes" or summaries[1] == "no changes"  # one loaded, the other found it done
    assert any("docs: +5" in out for _, out, _ in results)
    count = cli("sql", catalog, "SELECT count(*) AS n FROM docs", "--format", "json")
    assert json.loads(count.stdout) == [{"n": 5}]


def test_refresh_watch_while_another_process_owns_the_store(tmp_path):
    catalog = make_project(tmp_path / "p", docs=4, seed=3)
    docs = tmp_path / "p" / "docs"
    with owning_process(catalog):
        watch = subprocess.Popen([*HYBRIDQ, "refresh", str(catalog), "--watch"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=ENV)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(watch.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            wait_for(lambda: any(line.startswith("watching ") for line in lines), timeout=120)
            assert any("answered by the process that owns the store" in line for line in lines)
            import numpy as np

            (docs / "fresh.md").write_text(doc_text(np.random.default_rng(0), "fresh"))
            wait_for(lambda: json.loads(cli("sql", catalog, "SELECT count(*) AS n FROM docs WHERE doc_id = 'fresh'",
                                             "--format", "json").stdout) == [{"n": 1}], timeout=60, step=0.3)
            wait_for(lambda: any("fresh.md" in line for line in lines), timeout=30)  # the owner's log, shown here
        finally:
            watch.send_signal(signal.SIGINT)
            code = watch.wait(timeout=60)
            reader.join(timeout=10)
        assert code == 130, "".join(lines)
        assert "Traceback" not in "".join(lines)
        # the owner stopped watching when the watcher left: a change is no longer applied
        (docs / "later.md").write_text("---\ntitle: Later\nversion: 1\n---\nlater text\n")
        time.sleep(1.5)
        later = cli("sql", catalog, "SELECT count(*) AS n FROM docs WHERE doc_id = 'later'", "--format", "json")
        assert json.loads(later.stdout) == [{"n": 0}]


def test_watch_says_so_when_nothing_can_be_watched(tmp_path):
    catalog = make_project(tmp_path / "p", docs=2, seed=4)
    text = catalog.read_text().replace("refresh: {mode: watch, debounce_ms: 20}", "refresh: {mode: manual}")
    text = text.replace("items: {kind: csv, path: items.csv}", "items: {kind: csv, path: items.csv, refresh: {mode: manual}}")
    catalog.write_text(text)
    done = cli("refresh", catalog, "--watch", timeout=300)
    assert done.returncode == 1
    assert "nothing to watch: every source is refresh: {mode: manual} (docs, items)" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_file_source_is_watched_unless_manual(tmp_path, embedder):
    """`items` (a CSV without a refresh mode) is kept live too."""
    import hybridq

    catalog = make_project(tmp_path / "p", docs=2, seed=5)
    hq = hybridq.connect(catalog, embedder=embedder)
    stop, ready = threading.Event(), threading.Event()
    try:
        hq.refresh()
        thread = threading.Thread(target=hq.watch, kwargs={"ready": ready.set, "stop": stop})
        thread.start()
        assert ready.wait(120)
        with open(tmp_path / "p" / "items.csv", "a") as f:
            f.write("99,item 99,5\n")
        wait_for(lambda: hq.sql("SELECT count(*) FROM items WHERE item_id = 99").rows == [(1,)], timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
        hq.close()


# -- the warm background owner -------------------------------------------------------------------

CLIENT_IMPORTS = """
import sys
from hybridq.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = sorted(m for m in ("duckdb", "lancedb", "lance", "torch", "sentence_transformers", "transformers",
                               "pyarrow", "numpy", "pandas", "pydantic", "sqlglot", "fastapi", "uvicorn",
                               "starlette", "mcp", "hybridq.catalog", "hybridq.session", "hybridq.nl",
                               # what a command answered by the owner has no use for
                               "yaml", "http.client", "ssl", "email", "encodings.idna", "rich.progress",
                               "hybridq.cli_progress", "subprocess", "argparse", "importlib.metadata", "hashlib")
                   if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def test_warm_owner_answers_the_second_command(tmp_path):
    catalog = make_project(tmp_path / "p", docs=5, seed=6)
    store = tmp_path / "p" / ".hybridq" / "live"
    env = {**ENV, "HYBRIDQ_OWNER": "auto", "HYBRIDQ_OWNER_IDLE": "300"}
    pids = []
    try:
        # (a store never refreshed has no tables yet: reading never loads them)
        first = cli("sql", catalog, "SELECT 42 AS n", "--format", "json", env=env)
        assert first.returncode == 0, first.stderr
        assert "starting a background owner" in first.stderr and json.loads(first.stdout) == [{"n": 42}]
        info = read_owner(store)
        assert info is not None and info.kind == "background"
        pids.append(info.pid)
        assert (store / "owner.log").exists()
        # the second command is answered by it, without loading the engine or the model here
        second = subprocess.run([sys.executable, "-c", CLIENT_IMPORTS, "sql", str(catalog),
                                 "SELECT 42 AS n", "--format", "json"],
                                capture_output=True, text=True, env=env, timeout=120)
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout) == [{"n": 42}] and "starting" not in second.stderr
        assert "HEAVY=\n" in second.stderr + "\n", second.stderr
        refreshed = cli("refresh", catalog, env=env)
        assert refreshed.returncode == 0 and "docs: +5" in refreshed.stdout, refreshed.stderr
        asked = subprocess.run([sys.executable, "-c", CLIENT_IMPORTS, "ask", str(catalog), "how many docs are there"],
                               capture_output=True, text=True, env=env, timeout=120)
        assert asked.returncode == 0, asked.stderr
        assert "HEAVY=\n" in asked.stderr + "\n" and "5" in asked.stdout
        status = cli("owner", "status", catalog, env=env)
        assert f"pid {info.pid} (background)" in status.stdout
        assert read_owner(store).pid == info.pid
        # an edited catalog: the background owner is restarted on it
        catalog.write_text(catalog.read_text() + "\n# edited\n")
        third = cli("sql", catalog, "SELECT count(*) AS n FROM docs", "--format", "json", env=env)
        assert third.returncode == 0 and "restarting it" in third.stderr, third.stderr
        assert json.loads(third.stdout) == [{"n": 5}]
        new = read_owner(store)
        pids.append(new.pid)
        assert new.pid != info.pid and not alive(info.pid)
        stopped = cli("owner", "stop", catalog, env=env)
        assert stopped.returncode == 0 and f"pid {new.pid}" in stopped.stdout
        wait_for(lambda: not alive(new.pid), timeout=30)
        assert read_owner(store) is None and not (store / "owner.json").exists()
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


LIGHT_IMPORTS = """
import sys
from hybridq.quick import answered_by_owner
code = answered_by_owner(sys.argv[1:])
print("HEAVY=" + ",".join(m for m in ("click", "rich", "duckdb", "pyarrow", "pydantic", "sqlglot", "yaml", "numpy")
                          if m in sys.modules), file=sys.stderr)
sys.exit(99 if code is None else code)
"""


def _on_a_terminal(argv: list[str], env: dict) -> bytes:
    """What a command writes to a terminal of 100 columns (stdout and stderr on one pty)."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    child = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    written = b""
    with contextlib.suppress(OSError):  # (EIO once the child has closed the terminal)
        while chunk := os.read(leader, 65536):
            written += chunk
    os.close(leader)
    child.wait(timeout=120)
    return written


def test_light_command_line_prints_what_the_full_one_prints(tmp_path):
    catalog = make_project(tmp_path / "p", docs=4, seed=8)
    env = {**ENV, "HYBRIDQ_OWNER": "auto", "HYBRIDQ_OWNER_IDLE": "300"}
    assert cli("refresh", catalog, env=env).returncode == 0
    started = cli("owner", "start", catalog, env=env)
    assert started.returncode == 0, started.stderr
    light = [sys.executable, "-m", "hybridq.quick"]
    try:
        commands = [("ask", "how many docs are there", 0), ("ask", "docs written in klingon by wakanda", 2),
                    ("sql", "SELECT count(*) AS n FROM docs", 0), ("sql", "SELECT nope FROM docs", 1)]
        for command, text, code in commands:
            full = cli(command, catalog, text, env=env)
            quick = subprocess.run([*light, command, str(catalog), text], capture_output=True, text=True, env=env,
                                   timeout=120)
            assert (quick.returncode, quick.stdout, quick.stderr) == (full.returncode, full.stdout, full.stderr)
            assert full.returncode == code, full.stderr
            # answered by the owner, without importing what prints it
            probe = subprocess.run([sys.executable, "-c", LIGHT_IMPORTS, command, str(catalog), text],
                                   capture_output=True, text=True, env=env, timeout=120)
            assert probe.returncode == code and "HEAVY=\n" in probe.stderr, probe.stderr
        # on a terminal too: the same colours, width and order of stdout and stderr
        tty_env = {**env, "TERM": "xterm-256color"}
        for text in ("how many docs are there", "docs written in klingon by wakanda"):
            shown = _on_a_terminal([*light, "ask", str(catalog), text], tty_env)
            assert shown == _on_a_terminal([*HYBRIDQ, "ask", str(catalog), text], tty_env)
            assert b"\x1b[" in shown
        # options, standard input or a query file: the full command line
        probe = subprocess.run([sys.executable, "-c", LIGHT_IMPORTS, "sql", str(catalog), "SELECT 1", "--format", "json"],
                               capture_output=True, text=True, env=env, timeout=120)
        assert probe.returncode == 99
    finally:
        cli("owner", "stop", catalog, env=env)


def test_owner_commands_without_an_owner(tmp_path):
    catalog = make_project(tmp_path / "p", docs=1, seed=7)
    assert cli("owner", "status", catalog).returncode == 1
    assert "no process owns the store" in cli("owner", "stop", catalog).stdout
