"""Live mode: file-system events applied to the store within tens of milliseconds.

Events are grouped with a short debounce (the sources' `refresh.debounce_ms`, not the watcher
library's default of more than a second), mapped to the tables whose source names the file, and
applied by a refresh limited to those files. Every source that reads files (and SQLite databases)
is watched unless its catalog entry says `refresh: {mode: manual}` (refreshed only when asked) or
`mode: poll` (refreshed every `interval_seconds`); PostgreSQL sources with `mode: stream` are
followed by logical replication, and other non-file sources are refreshed when asked or polled.

Folders move: a folder moved into or out of a source's folder brings or takes files no event
names one by one, and a watched folder that is moved away (or replaced) takes the file watch with
it. Either way the tables concerned are read again whole (a rescan), and in the second case the
watch starts again on the folders as they are now.
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
from hybridq.paths import is_pattern, resolve, split_pattern, template_regex, watch_root

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
        self.streamed: list[str] = []  # PostgreSQL tables followed by logical replication
        self.folders: dict[str, str] = {}  # table -> its source's folder (what holds every file it names)
        self.depths: dict[str, int | None] = {}  # table -> folder levels its files sit below that folder (None: any)
        for table, spec in catalog.tables.items():
            source = catalog.sources[spec.source]
            mode = source.live_mode
            if mode == "stream":
                self.streamed.append(table)
            elif mode == "watch":
                self.watched[table] = _matcher(catalog.base_dir, source.path, sqlite=source.kind == "sqlite")
                self.folders[table] = os.path.normpath(watch_root(catalog.base_dir, source.path))
                self.depths[table] = _folder_levels(catalog.base_dir, source.path)
            elif mode == "poll":
                self.polled[table] = source.refresh.interval_seconds
        if not self.watched and not self.polled and not self.streamed:
            manual = sorted({spec.source for spec in catalog.tables.values()})
            raise HybridqError("nothing to watch: every source is refresh: {mode: manual} "
                               f"({', '.join(manual) or 'no sources'})",
                               hint="remove 'mode: manual' from the sources to keep live, or set mode: poll")
        self.roots = _roots(self.folders.values())
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
        self.following = {t: threading.Event() for t in self.streamed}  # set once a stream is caught up
        streams = [threading.Thread(target=self._follow, args=(t,), name=f"hybridq-stream-{t}", daemon=True)
                   for t in self.streamed]
        if self.polled:  # polls (databases, HTTP) in their own thread: a slow source never delays a file event
            streams.append(threading.Thread(target=self._poll_loop, args=(next_poll,), name="hybridq-poll", daemon=True))
        for thread in streams:
            thread.start()
        try:
            self._watch(warm_up)
        finally:
            self.stop.set()
            for thread in streams:
                thread.join(timeout=10)

    def _follow(self, table: str) -> None:
        from hybridq.refresh.sources.postgres import follow

        follow(self.session, table, self.stop, lambda line: self.log(f"{_now()} {line}"), self.following[table])

    def _poll_loop(self, next_poll: dict[str, float]) -> None:
        while not self.stop.wait(_until_due(next_poll)):
            try:
                self._poll(next_poll)
            except Exception as exc:  # keep polling; the next interval tries again
                self.log(f"{_now()} refresh failed: {exc}")

    def _streams_ready(self) -> bool:
        return all(e.is_set() for e in self.following.values())

    def _watch(self, warm_up: threading.Thread) -> None:
        if not self.roots:
            warm_up.join()
            while not self._streams_ready() and not self.stop.wait(0.05):
                pass
            self.ready()
            self.stop.wait()
            return
        announced = False
        while not self.stop.is_set():
            identities = {root: _identity(root) for root in self.roots}
            # step: a change is yielded once no other came for `step` ms (two steps after the write);
            # rust_timeout: an empty yield at least every 200 ms, for readiness, maintenance and a
            # look at whether a watched folder moved
            for changes in watchfiles.watch(*self.roots, watch_filter=None, debounce=max(self.debounce, 1),
                                            step=max(1, min(5, self.debounce // 4)), stop_event=self.stop,
                                            rust_timeout=200, yield_on_timeout=True, raise_interrupt=True):
                if not announced and not warm_up.is_alive() and self._streams_ready():
                    announced = True
                    self.ready()
                if changes:
                    self._apply(changes)
                    self.last_change = time.monotonic()
                elif (self.writes >= MAINTAIN_AFTER_WRITES
                      and time.monotonic() - self.last_change >= MAINTAIN_WHEN_IDLE_SECONDS):
                    self._maintain()
                if any(_identity(root) != known for root, known in identities.items()) or \
                        _roots(self.folders.values()) != self.roots:
                    break  # a watched folder moved away or came back: watch the folders as they are now
            else:
                return  # stopped
            self.roots = _roots(self.folders.values())
            self.log(f"{_now()} a watched folder moved: watching {', '.join(map(str, self.roots))} again")
            self._rescan(sorted(self.watched))

    def _warm_up(self) -> None:
        """The owner keeps the model loaded: the first change or query should not wait for it."""
        if self.session.catalog.semantic_columns():
            try:
                self.session.embedder.embed(["warm up"])
            except Exception as exc:  # the refresh that needs the model reports it properly
                self.log(f"{_now()} could not load the embedding model: {exc}")

    def _apply(self, changes: set) -> None:
        paths: dict[str, list[str]] = {}
        rescan: set[str] = set()
        for change, path in changes:
            matched = False
            for table, matches in self.watched.items():
                if matches(path):
                    paths.setdefault(table, []).append(path)
                    matched = True
            if not matched:
                rescan |= self._moved_folder(change, path)
        for table in rescan:
            paths.pop(table, None)
        if rescan:
            self._rescan(sorted(rescan))
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
            self.log(f"{_now()} {report.summary()} [{shown}] {report.timing()}".rstrip())
        for source, issue in report.issues:
            self.log(f"{_now()} {source}: {issue.format()}")

    def _moved_folder(self, change, path: str) -> set[str]:
        """Tables to read again whole for an event on something that is not one of their files: a
        folder that came into their folder (its files bring no events of their own), or went out
        of it while holding files the store read."""
        path = os.path.normpath(path)
        if path.startswith(str(self.session.store.directory) + os.sep):
            return set()  # the store's own files (when it sits in a source's folder)
        out = set()
        for table, folder in self.folders.items():
            if path.startswith(folder + os.sep):
                levels = self.depths[table]
                if levels is not None and path[len(folder) + 1:].count(os.sep) + 1 > levels:
                    continue  # deeper than the source's files can be
            elif not (folder.startswith(path + os.sep) or path == folder):
                continue
            if change != watchfiles.Change.deleted:
                if os.path.isdir(path):
                    out.add(table)
            elif self._holds_stored_files(table, path):
                out.add(table)
        return out

    def _holds_stored_files(self, table: str, folder: str) -> bool:
        base = self.session.catalog.base_dir
        shown = os.path.relpath(folder, base) if folder.startswith(str(base) + os.sep) else folder
        cursor = self.session.store.cursor()
        return bool(cursor.execute("SELECT count(*) FROM (SELECT 1 FROM _hq.files WHERE table_name = ? AND "
                                   "starts_with(path, ?) LIMIT 1)", [table, shown.replace(os.sep, "/") + "/"])
                    .fetchall()[0][0])

    def _rescan(self, tables: list[str]) -> None:
        """Read these tables' sources again whole (files came or went without events of their own)."""
        try:
            report = self.session.refresh(tables)
        except Exception as exc:  # keep watching; the problem is reported and the next change retries
            self.log(f"{_now()} refresh failed: {exc}")
            return
        if report.changed:
            self.writes += 1
            self.log(f"{_now()} {report.summary()} [rescan of {', '.join(tables)}]")
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


def _matcher(base_dir: Path, pattern: str, sqlite: bool = False) -> Callable[[str], bool]:
    """Whether a changed path is one of the source's files (the catalog's folder taken literally);
    a SQLite database is also changed through its write-ahead log and journal."""
    full = os.path.normpath(resolve(base_dir, pattern))
    if sqlite:
        names = {full, full + "-wal", full + "-journal"}
        return lambda path: os.path.normpath(path) in names
    if not is_pattern(pattern):
        return lambda path: os.path.normpath(path) == full
    root, rest = split_pattern(base_dir, pattern)
    regex = re.compile(re.escape(str(root) + os.sep) + template_regex(rest).pattern.lstrip("^"))
    return lambda path: regex.match(os.path.normpath(path)) is not None


def _until_due(next_poll: dict[str, float]) -> float:
    """How long to sleep before the next poll is due (a short interval is kept, at most 0.2 s)."""
    soonest = min(next_poll.values(), default=time.monotonic() + 0.2)
    return min(0.2, max(0.005, soonest - time.monotonic()))


def _existing(path: Path) -> Path:
    """The nearest existing folder (a watched folder may not exist yet)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S.%f")[:-3]


def _folder_levels(base_dir: Path, pattern: str) -> int | None:
    """How many folder levels below the source's folder can hold its files (None: any, with **)."""
    if not is_pattern(pattern):
        return 0
    rest = split_pattern(base_dir, pattern)[1]
    return None if "**" in rest else rest.count("/")


def _roots(folders) -> list[Path]:
    """The folders to watch: each source's folder, or its nearest existing parent."""
    return sorted({_existing(Path(f)) for f in folders})


def _identity(path: Path) -> tuple[int, int] | None:
    """Which folder a path is now (a folder moved away and another put in its place differ)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino

