"""A real PostgreSQL server for tests and benchmarks: a temporary data directory, loopback only,
wal_level=logical, stopped and removed afterwards.

The server comes from the Debian packages (scripts/test installs them when missing). initdb and
postgres refuse to run as root, so as root they run as the `postgres` user the package creates.
HYBRIDQ_NO_POSTGRES=1 skips the PostgreSQL tests on a machine without the server; otherwise a
missing server fails them loudly.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def server_bin() -> Path | None:
    """The folder of initdb, pg_ctl and postgres (the newest installed version)."""
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().with_name("initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, user: str = "hybridq"):
        bin_dir = server_bin()
        if bin_dir is None:
            raise PostgresUnavailable(
                "no PostgreSQL server found (initdb, pg_ctl): install the Debian package 'postgresql' "
                "(scripts/test does it), or set HYBRIDQ_NO_POSTGRES=1 to skip these tests")
        self.bin = bin_dir
        self.user = user
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hybridq-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> "PostgresServer":
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        try:
            self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
            options = " ".join([
                "-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-c unix_socket_directories={self.dir}",
                "-c wal_level=logical", "-c max_replication_slots=20", "-c max_wal_senders=20",
                "-c fsync=off", "-c full_page_writes=off", "-c wal_sender_timeout=60s"])
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w",
                      "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            log = (self.dir / "server.log").read_text() if (self.dir / "server.log").exists() else ""
            self.stop()
            raise PostgresUnavailable(f"could not start PostgreSQL: {exc.stderr or exc.stdout}\n{log}") from exc
        self.started = True
        return self

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"

    def dsn_for(self, user: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={user} dbname=postgres"

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
