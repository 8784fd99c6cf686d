"""A throw-away PostgreSQL server holding the defog-data dumps, for checking gold SQL against it.

The server runs from the Debian packages' binaries (`initdb`, `postgres`, `psql`), in a temporary
directory, as an unprivileged user when we are root (PostgreSQL refuses to run as root), listening on
loopback only, with trust authentication; it is stopped and its directory removed on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

UNPRIVILEGED_USER = "nobody"


def postgres_bin_dir() -> Path | None:
    """The directory of `initdb` and `postgres`: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextlib.contextmanager
def temporary_postgres(databases: dict[str, Path]) -> Iterator[str]:
    """Start a server, create one database per entry and load its dump with psql; yield a connection
    string template (`.format(db=...)`); stop the server afterwards, whatever happens."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, postgres) found")
    owner = UNPRIVILEGED_USER if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="hq-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if owner:
        uid = pwd.getpwnam(owner).pw_uid
        for path in (root, sockets):
            os.chown(path, uid, -1)
    port = _free_port()
    server = None
    try:
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--locale=C", "--no-sync"], owner),
                       check=True, capture_output=True, text=True)
        server = subprocess.Popen(
            _as_owner([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                       "-k", str(sockets), "-c", "fsync=off", "-c", "TimeZone=UTC"], owner),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _wait_ready(bin_dir, port, server)
        psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-X", "-q",
                "-v", "ON_ERROR_STOP=1"]
        for db, dump in databases.items():
            subprocess.run([*psql, "-d", "postgres", "-c", f'CREATE DATABASE "{db}"'], check=True,
                           capture_output=True, text=True)
            subprocess.run([*psql, "-d", db, "-f", str(dump)], check=True, capture_output=True, text=True)
        yield f"host=127.0.0.1 port={port} user=postgres dbname={{db}}"
    finally:
        if server is not None:
            server.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(bin_dir: Path, port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL did not start: {server.stderr.read()}")
        ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                               capture_output=True)
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"PostgreSQL did not accept connections on port {port} within {timeout:.0f} s")
