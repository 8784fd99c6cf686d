"""Finding the process that owns a store (DESIGN invariant 5).

DuckDB lets one process hold a database file, and while it does no other process can open it. So
the process that opens a store also answers for it: it serves the HTTP application on the loopback
interface and records its address and a secret token in `<store>/owner.json` (readable by the same
user only). Other processes find that file and send their requests there. A file left by a process
that died is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

OWNER_FILE = "owner.json"
API = "/v1"


@dataclass(frozen=True)
class OwnerInfo:
    pid: int
    port: int
    token: str
    started_at: float
    host: str = "127.0.0.1"
    kind: str = "session"  # session (a Python process) | watch | serve | background (started by the CLI)
    catalog: str | None = None  # the catalog file the owner opened
    catalog_sha: str | None = None  # and its content then

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{API}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_owner(store_dir: Path) -> OwnerInfo | None:
    """The live owner of a store, or None."""
    try:
        data = json.loads((store_dir / OWNER_FILE).read_text())
        info = OwnerInfo(**{k: v for k, v in data.items() if k in OwnerInfo.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None
    return info if alive(info.pid) else None


def write_owner(store_dir: Path, info: OwnerInfo) -> None:
    path = store_dir / OWNER_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(info), f)
    os.replace(tmp, path)


def remove_owner(store_dir: Path) -> None:
    """Remove the owner file if this process wrote it."""
    path = store_dir / OWNER_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def file_sha(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def store_dir_of(catalog_file: str | Path) -> Path | None:
    """Where a catalog keeps its store, read from the file's `name` and `store` keys alone (no
    validation): enough to find its owner. None when the file does not say."""
    import yaml

    path = Path(catalog_file)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    store = data.get("store")
    return store_dir_for(path.resolve().parent, data["name"], store if isinstance(store, str) else None)


def store_dir_for(base_dir: Path, name: str, store: str | None) -> Path:
    """The store directory of a catalog in `base_dir` (the rule `Catalog.store_dir` follows)."""
    return (base_dir / (store or f".hybridq/{name}")).resolve()


def wait_for_owner(store_dir: Path, pid: int, timeout: float, poll: float = 0.05) -> OwnerInfo | None:
    """The owner record of process `pid` once it is written, or None when the process ends or
    `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_owner(store_dir)
        if info is not None and info.pid == pid:
            return info
        if not alive(pid):
            return None
        time.sleep(poll)
    return None
