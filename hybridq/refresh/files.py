"""Which files of a source changed since the store last read them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from hybridq.refresh.paths import expand


@dataclass(frozen=True)
class FileState:
    path: str  # relative to the catalog directory when inside it, else absolute
    mtime_ns: int
    size: int
    content_hash: str | None = None


@dataclass
class FileChanges:
    changed: list[FileState]  # new, or different content: to be read
    touched: list[FileState]  # same content, new mtime: only the recorded state changes
    removed: list[str]
    unchanged: list[str]

    @property
    def any(self) -> bool:
        return bool(self.changed or self.touched or self.removed)


def display_paths(base_dir: Path, paths: list[Path]) -> list[str]:
    """How files are named in the store: relative to the catalog directory when inside it.

    Folders are resolved (a symlinked folder names the same files), once per folder: a source
    may have hundreds of thousands of files in a few folders.
    """
    base = os.path.realpath(base_dir)
    folders: dict[str, str] = {}
    out = []
    for path in paths:
        folder, name = os.path.split(os.path.abspath(path))
        real = folders.get(folder)
        if real is None:
            real = folders[folder] = os.path.realpath(folder)
        full = os.path.join(real, name)
        inside = full.startswith(base + os.sep)
        out.append(full[len(base) + 1:].replace(os.sep, "/") if inside else full)
    return out


def absolute(base_dir: Path, shown: str) -> Path:
    return Path(full_path(base_dir, shown))


def full_path(base_dir: Path, shown: str) -> str:
    return shown if os.path.isabs(shown) else os.path.join(base_dir, shown)


def scan(base_dir: Path, pattern: str) -> list[FileState]:
    """States of every file the source's path, glob or template names."""
    return stat_files(base_dir, display_paths(base_dir, expand(base_dir, pattern)))


def stat_files(base_dir: Path, shown: list[str]) -> list[FileState]:
    """States of the given files that exist (the others count as removed)."""
    out = []
    for path in shown:
        try:
            st = os.stat(full_path(base_dir, path))
        except FileNotFoundError:  # removed since it was listed
            continue
        out.append(FileState(path, st.st_mtime_ns, st.st_size))
    return out


def content_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def compare(base_dir: Path, current: list[FileState], stored: dict[str, FileState]) -> FileChanges:
    """Compare by (path, mtime, size) first; hash only files whose stat changed."""
    changed, touched, unchanged = [], [], []
    for state in current:
        old = stored.get(state.path)
        if old is not None and (old.mtime_ns, old.size) == (state.mtime_ns, state.size):
            unchanged.append(state.path)
            continue
        try:
            digest = content_hash(full_path(base_dir, state.path))
        except OSError:
            continue  # vanished or unreadable right now; looked at again on the next refresh
        state = replace(state, content_hash=digest)
        if old is not None and old.content_hash == digest:
            touched.append(state)
        else:
            changed.append(state)
    seen = {s.path for s in current}
    removed = [p for p in stored if p not in seen and not os.path.exists(full_path(base_dir, p))]
    return FileChanges(changed, touched, removed, unchanged)
