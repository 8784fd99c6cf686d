"""Live mode: file-system events applied to the store within tens of milliseconds.

Events are grouped with a short debounce (the sources' `refresh.debounce_ms`, not the watcher
library's default of more than a second), mapped to the tables whose source names the file, and
applied by a refresh limited to those files. Every file source is watched unless its catalog entry
says `refresh: {mode: manual}` (refreshed only when asked) or `mode: poll` (refreshed every
`interval_seconds`).
"""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import watchfiles

from hybridq.errors import HybridqError
from hybridq.refresh.paths import is_pattern, resolve, split_pattern, template_regex, watch_root

MAINTAIN_AFTER_WRITES = 20
MAINTAIN_WHEN_IDLE_SECONDS = 1.0  # a burst of changes is never held up by maintenance


class Watcher:
    def __init__(self, session, *, log: Callable[[str], None] | None = None, ready: Callable[[], None] | None = None,
                 stop: threading.Event | None = None):
        self.session = session
        self.log = log or (lambda line: None)
        self.ready = ready or (lambda: None)
        self.stop = stop or threading.Event()
        catalog = session.catalog
        self.watched: dict[str, object] = {}  # table -> matcher of its source's files
        self.polled: dict[str, float] = {}  # table -> interval
        roots: set[Path] = set()
        for table, spec in catalog.tables.items():
            source = catalog.sources[spec.source]
            if source.refresh.mode == "poll":
                self.polled[table] = source.refresh.interval_seconds
            elif source.refresh.mode == "watch" or "mode" not in source.refresh.model_fields_set:
                self.watched[table] = _matcher(catalog.base_dir, source.path)
                roots.add(watch_root(catalog.base_dir, source.path))
        if not self.watched and not self.polled:
            manual = sorted({spec.source for spec in catalog.tables.values()})
            raise HybridqError("nothing to watch: every source is refresh: {mode: manual} "
                               f"({', '.join(manual) or 'no sources'})",
                               hint="remove 'mode: manual' from the sources to keep live, or set mode: poll")
        self.roots = sorted(_existing(r) for r in roots)
        modes = [catalog.sources[catalog.tables[t].source].refresh for t in self.watched]
        self.debounce = min((m.debounce_ms for m in modes), default=30)
        self.writes = 0
        self.last_change = time.monotonic()

    def run(self) -> None:
        """Watch until `stop` is set. `ready` is called once the file watcher is listening and the
        embedding model is loaded, so the first change after it is applied as fast as any other."""
        next_poll = {t: time.monotonic() + i for t, i in self.polled.items()}
        warm_up = threading.Thread(target=self._warm_up, daemon=True)
        warm_up.start()
        if not self.roots:
            warm_up.join()
            self.ready()
            while not self.stop.wait(0.2):
                self._poll(next_poll)
            return
        announced = False
        # step: a change is yielded once no other came for `step` ms (two steps after the write);
        # rust_timeout: an empty yield at least every 200 ms, for readiness, maintenance and polls
        for changes in watchfiles.watch(*self.roots, watch_filter=None, debounce=max(self.debounce, 1),
                                        step=max(1, min(5, self.debounce // 4)), stop_event=self.stop,
                                        rust_timeout=200, yield_on_timeout=True, raise_interrupt=True):
            if not announced and not warm_up.is_alive():
                announced = True
                self.ready()
            if changes:
                self._apply(changes)
                self.last_change = time.monotonic()
            elif (self.writes >= MAINTAIN_AFTER_WRITES
                  and time.monotonic() - self.last_change >= MAINTAIN_WHEN_IDLE_SECONDS):
                self._maintain()
            self._poll(next_poll)

    def _warm_up(self) -> None:
        """The owner keeps the model loaded: the first change or query should not wait for it."""
        if self.session.catalog.semantic_columns():
            try:
                self.session.embedder.embed(["warm up"])
            except Exception as exc:  # the refresh that needs the model reports it properly
                self.log(f"{_now()} could not load the embedding model: {exc}")

    def _apply(self, changes: set) -> None:
        paths: dict[str, list[str]] = {}
        for _change, path in changes:
            for table, matches in self.watched.items():
                if matches(path):
                    paths.setdefault(table, []).append(path)
        if not paths:
            return
        try:
            report = self.session.refresh(paths=paths)
        except Exception as exc:  # keep watching; the problem is reported and the next change retries
            self.log(f"{_now()} refresh failed: {exc}")
            return
        if report.changed:
            self.writes += 1
            files = sorted({os.path.relpath(p, self.session.catalog.base_dir) for ps in paths.values() for p in ps})
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            self.log(f"{_now()} {report.summary()} [{shown}]")
        for source, issue in report.issues:
            self.log(f"{_now()} {source}: {issue.format()}")

    def _maintain(self) -> None:
        """While idle: compact what the small writes left behind, drop versions nobody reads."""
        self.writes = 0
        try:
            for line in self.session.store.maintain():
                self.log(f"{_now()} maintenance: {line}")
        except Exception as exc:  # maintenance is an optimisation; never stop watching for it
            self.log(f"{_now()} maintenance skipped: {exc}")

    def _poll(self, next_poll: dict[str, float]) -> None:
        due = [t for t, at in next_poll.items() if time.monotonic() >= at]
        if not due:
            return
        for t in due:
            next_poll[t] = time.monotonic() + self.polled[t]
        report = self.session.refresh(due)
        if report.changed:
            self.log(f"{_now()} {report.summary()} [poll]")


def _matcher(base_dir: Path, pattern: str) -> Callable[[str], bool]:
    """Whether a changed path is one of the source's files (the catalog's folder taken literally)."""
    full = os.path.normpath(resolve(base_dir, pattern))
    if not is_pattern(pattern):
        return lambda path: os.path.normpath(path) == full
    root, rest = split_pattern(base_dir, pattern)
    regex = re.compile(re.escape(str(root) + os.sep) + template_regex(rest).pattern.lstrip("^"))
    return lambda path: regex.match(os.path.normpath(path)) is not None


def _existing(path: Path) -> Path:
    """The nearest existing folder (a watched folder may not exist yet)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S.%f")[:-3]
