"""The warm owner: a background process that keeps a store open and the model loaded for the CLI.

When no process owns a store, `hybridq sql`, `ask`, `explain` and `status` start one (detached, on
the loopback interface, with the per-store token), so the next command is answered in
milliseconds instead of loading the model again. It stops after `idle_timeout` seconds without a
request, on `hybridq owner stop CATALOG`, or on SIGTERM; its log is `<store>/owner.log`.
HYBRIDQ_OWNER=off runs every command in its own process instead; HYBRIDQ_OWNER_IDLE sets the
idle timeout (seconds).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from hybridq.errors import OwnerError
from hybridq.serve.owner import OwnerInfo, alive, file_sha, file_stamp, read_owner, store_dir_of

LOG_FILE = "owner.log"
DEFAULT_IDLE_SECONDS = 900.0
START_TIMEOUT = 180.0
READY = "ready: the model is loaded"  # the log line that says the owner has warmed up


def enabled() -> bool:
    return os.environ.get("HYBRIDQ_OWNER", "auto").lower() not in ("off", "0", "no", "false")


def idle_timeout() -> float:
    try:
        return float(os.environ.get("HYBRIDQ_OWNER_IDLE", DEFAULT_IDLE_SECONDS))
    except ValueError:
        return DEFAULT_IDLE_SECONDS


def start(catalog_file: str | Path, *, idle: float | None = None, timeout: float = START_TIMEOUT) -> OwnerInfo:
    """Start a background owner for the catalog's store and wait until it answers; the owner that
    is there already when another process got there first."""
    store_dir = store_dir_of(catalog_file)
    if store_dir is None:
        raise OwnerError(f"cannot tell where {catalog_file} keeps its store", hint="hybridq catalog validate it")
    import subprocess  # (a command answered by a running owner starts none)

    store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = store_dir / LOG_FILE
    with open(log_path, "ab") as log:
        os.chmod(log_path, 0o600)
        process = subprocess.Popen(
            [sys.executable, "-m", "hybridq.serve.background", str(Path(catalog_file).resolve()),
             "--idle-timeout", str(idle if idle is not None else idle_timeout())],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_owner(store_dir)
        if info is not None and (info.pid == process.pid or process.poll() is not None):
            return info  # ours, or the one that got the store first
        if process.poll() is not None:
            raise OwnerError(f"the background owner stopped at once (exit {process.returncode})",
                             hint=f"its log: {log_path}\n" + _tail(log_path))
        time.sleep(0.02)
    raise OwnerError(f"the background owner did not start within {timeout:g} s", hint=f"its log: {log_path}")


def stale(info: OwnerInfo, catalog_file: str | Path) -> bool:
    """A background owner that opened another version of the catalog file than the one given now."""
    if info.kind != "background" or info.catalog_sha is None:
        return False
    if info.catalog_stamp is not None and info.catalog_stamp == file_stamp(catalog_file):
        return False
    return info.catalog_sha != file_sha(catalog_file)


def stop(info: OwnerInfo, timeout: float = 30.0) -> bool:
    """Ask a background owner to stop and wait until it has; False when it was not running."""
    from hybridq.serve.client import OwnerClient

    if info.kind != "background":
        raise OwnerError(f"the store is owned by a '{info.kind}' process (pid {info.pid}), not a background owner",
                         hint="stop it where it runs (Ctrl-C)")
    client = OwnerClient(info, timeout=10)
    try:
        client.post_json("/shutdown", {})
    except OwnerError:
        if not alive(info.pid):
            return False
        os.kill(info.pid, signal.SIGTERM)
    finally:
        client.close()
    deadline = time.monotonic() + timeout
    while alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _warm_up(session, embeds: bool) -> None:
    """What the first command would otherwise wait for: printing for a terminal, and the model."""
    import hybridq.render  # noqa: F401

    if embeds:
        session.embedder.embed(["warm up"])
    print(f"{time.strftime('%H:%M:%S')} {READY}", flush=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hybridq.serve.background")
    parser.add_argument("catalog")
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_SECONDS)
    args = parser.parse_args(argv)
    from hybridq.catalog.validate import load_catalog
    from hybridq.errors import HybridqError
    from hybridq.serve.server import OwnerEndpoint
    from hybridq.session import Session

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        catalog = load_catalog(args.catalog)
        session = Session(catalog, serve=False)
    except HybridqError as exc:
        print(f"{time.strftime('%H:%M:%S')} pid {os.getpid()}: {exc}", flush=True)
        return 1
    endpoint = OwnerEndpoint(session, catalog.store_dir, kind="background", shutdown=done.set)
    session._opened.server = endpoint  # closed with the session
    print(f"{time.strftime('%H:%M:%S')} pid {os.getpid()} owns {catalog.store_dir} "
          f"(idle timeout {args.idle_timeout:g} s)", flush=True)
    threading.Thread(target=_warm_up, args=(session, bool(catalog.semantic_columns())), daemon=True).start()
    activity = endpoint.served.activity
    while not done.wait(1.0):
        if activity.idle_for() > args.idle_timeout:
            print(f"{time.strftime('%H:%M:%S')} idle for {args.idle_timeout:g} s: stopping", flush=True)
            break
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
