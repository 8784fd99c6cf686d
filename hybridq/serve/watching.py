"""Watching a store from another process: `refresh --watch` when some other process owns the store.

Only the owner can write, so the watcher's process asks the owner to watch (POST /v1/watch) and
shows the owner's watch log (GET /v1/watch/log) until Ctrl-C, then releases its request. A watch
the owner runs anyway (`serve --watch`, `refresh --watch` there) is followed, not doubled. A
request whose process went away without a word (no log read for LEASE_SECONDS) is released.
"""

from __future__ import annotations

import threading
import time

from hybridq.errors import HybridqError

LEASE_SECONDS = 30.0
KEEP_LINES = 2000


class WatchLog:
    """The watch log lines of one open store, numbered, for followers in other processes."""

    def __init__(self):
        self.lines: list[tuple[int, str]] = []
        self.next = 0
        self.watching = False
        self.ready = False
        self.error: str | None = None
        self.cond = threading.Condition()

    def add(self, line: str) -> None:
        with self.cond:
            self.lines.append((self.next, line))
            self.next += 1
            del self.lines[:-KEEP_LINES]
            self.cond.notify_all()

    def state(self, watching: bool | None = None, ready: bool | None = None, error: str | None = None) -> None:
        with self.cond:
            if watching is not None:
                self.watching = watching
            if ready is not None:
                self.ready = ready
            if error is not None:
                self.error = error
            self.cond.notify_all()

    def after(self, number: int, wait: float) -> dict:
        with self.cond:
            self.cond.wait_for(lambda: self.next > number or self.error is not None, timeout=wait)
            return {"lines": [text for n, text in self.lines if n >= number], "next": self.next,
                    "watching": self.watching, "ready": self.ready, "error": self.error}


class WatchService:
    """Watches on request of other processes, in a thread of the owner."""

    def __init__(self, session):
        self.session = session
        self.log: WatchLog = session.watch_log
        self.leases = 0
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.last_read = time.monotonic()
        self.lock = threading.Lock()

    def start(self) -> dict:
        with self.lock:
            self.leases += 1
            self.last_read = time.monotonic()
            if self.log.watching or (self.thread is not None and self.thread.is_alive()):
                return {"watching": True, "started": False, "next": self.log.next}
            self.stop = threading.Event()
            with self.log.cond:
                self.log.error = None
            self.thread = threading.Thread(target=self._run, args=(self.stop,), name="hybridq-watch", daemon=True)
            self.thread.start()
            threading.Thread(target=self._expire, args=(self.stop,), daemon=True).start()
            return {"watching": True, "started": True, "next": self.log.next}

    def _run(self, stop: threading.Event) -> None:
        try:
            self.session.watch(stop=stop)
        except HybridqError as exc:
            self.log.state(error=str(exc))
        except Exception as exc:  # reported to the follower, the owner keeps serving
            self.log.state(error=f"{type(exc).__name__}: {exc}")

    def _expire(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            if time.monotonic() - self.last_read > LEASE_SECONDS:
                with self.lock:
                    self.leases = 0
                stop.set()

    def release(self) -> dict:
        with self.lock:
            self.leases = max(0, self.leases - 1)
            if self.leases == 0 and self.thread is not None:
                self.stop.set()
                self.thread = None
                return {"watching": False}
            return {"watching": self.log.watching}

    def lines(self, after: int, wait: float) -> dict:
        self.last_read = time.monotonic()
        return self.log.after(after, wait)


_services: dict[int, WatchService] = {}
_services_lock = threading.Lock()


def watch_service(served) -> WatchService:
    with _services_lock:
        service = _services.get(id(served))
        if service is None:
            service = _services[id(served)] = WatchService(served.session)
        return service


def follow_remote_watch(client, *, log=None, ready=None, stop: threading.Event | None = None) -> None:
    """Ask the owner to watch and print its watch log here until `stop` is set (or Ctrl-C)."""
    log = log or (lambda line: None)
    stop = stop or threading.Event()
    state = client.post_json("/watch", {"action": "start"})
    number = state["next"]
    announced = False
    try:
        while not stop.is_set():
            page = client.get_json(f"/watch/log?after={number}&wait=1")
            if page.get("error"):
                raise HybridqError(page["error"])
            for line in page["lines"]:
                log(line)
            number = page["next"]
            if page["ready"] and not announced:
                announced = True
                if ready:
                    ready()
    finally:
        client.close()  # Ctrl-C may have cut a request short: release on a fresh connection
        try:
            client.post_json("/watch", {"action": "stop"})
        except HybridqError:
            pass  # the owner is gone: nothing is left to release
