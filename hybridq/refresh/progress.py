"""Progress of a refresh, stage by stage: files read, chunks embedded, writes done.

The pipeline only reports counts to a sink; what is shown is the caller's choice: the command line
draws progress bars, a Python caller passes a function and gets a `ProgressEvent` per step.

    hq.refresh(progress=lambda e: print(e.stage, e.detail, e.done, e.total, f"{e.rate:.0f}/s"))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Protocol, Union

STAGES = ("read", "embed", "write")


class ProgressSink(Protocol):
    def start(self, stage: str, total: int, detail: str = "") -> Callable[[int], None]:
        """Begin a stage of `total` steps (`detail` names what it works on); returns a function to
        call with each increment."""
        ...


class NoProgress:
    def start(self, stage: str, total: int, detail: str = "") -> Callable[[int], None]:
        return lambda n: None


@dataclass(frozen=True)
class ProgressEvent:
    stage: str  # read (files), embed (chunks), write (column and table writes)
    detail: str  # the table read, the columns embedded or written
    done: int
    total: int
    seconds: float  # since the stage started

    @property
    def rate(self) -> float:
        """Steps per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def remaining_seconds(self) -> float | None:
        """Time left at the rate so far (None before the first step)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


class CallbackProgress:
    """Calls a function with a ProgressEvent when a stage starts and after each step."""

    def __init__(self, callback: Callable[[ProgressEvent], None]):
        self.callback = callback

    def start(self, stage: str, total: int, detail: str = "") -> Callable[[int], None]:
        t0 = time.perf_counter()
        done = 0
        self.callback(ProgressEvent(stage, detail, 0, total, 0.0))

        def advance(n: int) -> None:
            nonlocal done
            done += n
            self.callback(ProgressEvent(stage, detail, done, total, time.perf_counter() - t0))

        return advance


Progress = Union[ProgressSink, Callable[[ProgressEvent], None], None]


def as_sink(progress: Progress) -> ProgressSink:
    """A sink from what a caller passed: a sink, a function of ProgressEvent, or nothing."""
    if progress is None:
        return NoProgress()
    if hasattr(progress, "start"):
        return progress
    if callable(progress):
        return CallbackProgress(progress)
    raise TypeError(f"progress must be a function of ProgressEvent or have start(); got {type(progress).__name__}")
