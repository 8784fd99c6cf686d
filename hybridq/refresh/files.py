"""Which files of a source changed since the store last read them."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from hybridq.paths import expand, watch_root

OUTSIDE = "links outside the source's folder"  # the start of the message of a skipped link


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


@dataclass(frozen=True)
class Outside:
    """A file of a source whose real path is outside the source's folder (through a link): not read."""

    path: str
    target: str

    def message(self, root: str) -> str:
        return (f"{OUTSIDE} {root}: it is {self.target}; not read "
                "(set follow_symlinks: true on the source to read such files)")


def source_root(base_dir: Path, pattern: str) -> str:
    """The real path of the folder a source's files must stay in."""
    return os.path.realpath(watch_root(base_dir, pattern))


def scan(base_dir: Path, pattern: str, *, follow_symlinks: bool = True) -> list[FileState]:
    """States of every file the source's path, glob or template names (without the files that
    lead outside the source's folder, unless `follow_symlinks`)."""
    return scan_source(base_dir, pattern, follow_symlinks=follow_symlinks)[0]


def scan_source(base_dir: Path, pattern: str, *, follow_symlinks: bool) -> tuple[list[FileState], list[Outside]]:
    """(states of the source's files, the files skipped because they lead outside its folder)."""
    root = None if follow_symlinks else source_root(base_dir, pattern)
    return stat_files(base_dir, display_paths(base_dir, expand(base_dir, pattern)), root)


def stat_files(base_dir: Path, shown: list[str], root: str | None = None) -> tuple[list[FileState], list[Outside]]:
    """States of the given files that exist (the others count as removed); with `root`, files whose
    real path is outside that folder are set apart instead (a link to /etc/passwd in a document
    folder is not a document)."""
    out, outside = [], []
    inside = root + os.sep if root is not None and root != os.sep else root
    for path in shown:
        full = full_path(base_dir, path)
        try:
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                if root is not None:
                    target = os.path.realpath(full)
                    if not target.startswith(inside):
                        outside.append(Outside(path, target))
                        continue
                st = os.stat(full)
        except FileNotFoundError:  # removed since it was listed (or a dangling link)
            continue
        if root is not None and not os.path.abspath(full).startswith(inside):  # its folder leads outside
            outside.append(Outside(path, os.path.realpath(full)))
            continue
        out.append(FileState(path, st.st_mtime_ns, st.st_size))
    return out, outside


def content_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def compare(base_dir: Path, current: list[FileState], stored: dict[str, FileState], *,
            complete: bool = False) -> FileChanges:
    """Compare by (path, mtime, size) first; hash only files whose stat changed.

    With `complete` (`current` is every file of the source), a stored file missing from `current`
    is removed even if it is still on disk: the source no longer names it (its path changed, or
    it became a link leading outside)."""
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
    removed = [p for p in stored if p not in seen and (complete or not os.path.exists(full_path(base_dir, p)))]
    return FileChanges(changed, touched, removed, unchanged)
