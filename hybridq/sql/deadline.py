"""Query deadlines: one thread interrupts the DuckDB cursors whose query runs past its time.

A thread per query (threading.Timer) costs milliseconds to start on a small machine, as much as
a whole semantic query; arming a deadline here is a heap push under a lock.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time


class Deadlines:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []  # (deadline, token); disarmed tokens are skipped
        self._armed: dict[int, object] = {}  # token -> cursor
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, cursor) -> int:
        """Interrupt `cursor` in `seconds` unless disarmed first; returns the token to disarm."""
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
