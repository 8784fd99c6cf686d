"""Query deadlines: one thread interrupts the DuckDB cursors whose query runs past its time.

A thread per query (threading.Timer) costs milliseconds to start on a small machine, as much as
a whole semantic query; arming a deadline here is a heap push under a lock. Queries with a
deadline run on reused worker threads (a hand-off of some 30 µs), so the caller gets its answer at
the deadline even when DuckDB cannot be interrupted at once.
"""

from __future__ import annotations

import atexit
import contextlib
import heapq
import itertools
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, TypeVar

T = TypeVar("T")


class Deadlines:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []  # (deadline, token); disarmed tokens are skipped
        self._armed: dict[int, object] = {}  # token -> cursor
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, cursor) -> int:
        """Interrupt `cursor` (anything with `interrupt()`) in `seconds` unless disarmed first;
        returns the token to disarm."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hybridq-query-deadlines", daemon=True)
                self._thread.start()
            token = next(self._tokens)
            self._armed[token] = cursor
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            self._cond.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                cursor = self._armed.pop(token)
                with contextlib.suppress(Exception):  # a cursor closed meanwhile has nothing to stop
                    cursor.interrupt()


DEADLINES = Deadlines()


GRACE_SECONDS = 0.5  # how long an interrupted query may take to stop before its caller stops waiting


class Stop:
    """What a deadline stops: the DuckDB cursor a query is running on, and the query's next stage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursor = None
        self.stopped = False

    def interrupt(self) -> None:
        with self._lock:
            self.stopped = True
            cursor = self._cursor
            if cursor is not None:
                with contextlib.suppress(Exception):
                    cursor.interrupt()

    @contextlib.contextmanager
    def running_on(self, cursor):
        """Interrupt `cursor` if the deadline passes while the block runs (and only then)."""
        with self._lock:
            self._cursor = cursor
        try:
            yield cursor
        finally:
            with self._lock:
                self._cursor = None


class _Workers:
    """Daemon threads that run queries, so that a caller can stop waiting at its deadline even when
    DuckDB does not stop (one function call that builds a huge value checks no interrupt): the late
    query finishes in the background and cleans up after itself."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._idle = 0
        self._busy = 0
        atexit.register(self.wait_until_idle)

    def submit(self, fn: Callable[[], object]) -> Future:
        future: Future = Future()
        with self._lock:
            self._busy += 1
            self._tasks.put((fn, future))
            if self._idle:
                self._idle -= 1
                return future
        threading.Thread(target=self._work, name="hybridq-query", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            fn, future = self._tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the caller
                    future.set_exception(exc)
            del fn, future
            with self._lock:
                self._idle += 1
                self._busy -= 1
                self._lock.notify_all()

    def wait_until_idle(self) -> None:
        """At exit, let late queries end first: a thread stopped inside DuckDB aborts the process."""
        with self._lock:
            while self._busy:
                self._lock.wait()


WORKERS = _Workers()


def call_with_deadline(fn: Callable[[Stop], T], seconds: float, timed_out: Callable[[], Exception]) -> T:
    """`fn(stop)` run by a worker; its cursor is interrupted after `seconds`, and the caller gets
    `timed_out()` no later than GRACE_SECONDS after that, whatever the query is doing."""
    stop = Stop()
    future = WORKERS.submit(lambda: fn(stop))
    token = DEADLINES.arm(seconds, stop)
    try:
        return future.result(timeout=seconds + GRACE_SECONDS)
    except FutureTimeout:
        stop.interrupt()
        raise timed_out() from None
    finally:
        DEADLINES.disarm(token)
