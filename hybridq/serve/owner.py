"""Finding the process that owns a store (DESIGN invariant 5).

DuckDB lets one process hold a database file, and while it does no other process can open it. So
the process that opens a store also answers for it: it serves the HTTP application on the loopback
interface and records its address and a secret token in `<store>/owner.json` (readable by the same
user only). Other processes find that file and send their requests there. A file left by a process
that died is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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
    catalog_stamp: str | None = None  # and its size and modification time then (see file_stamp)

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
    import hashlib  # (loading OpenSSL: only when a file's stamp changed, see file_stamp)

    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def file_stamp(path: str | Path) -> str | None:
    """A file's size and modification time: while they are unchanged, its content is taken as
    unchanged without reading and hashing it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def store_dir_of(catalog_file: str | Path) -> Path | None:
    """Where a catalog keeps its store, read from the file's `name` and `store` keys alone (no
    validation): enough to find its owner. None when the file does not say.

    The same directory as `Catalog.store_dir` for every catalog (tests/serve/test_store_keys.py);
    unlike a YAML parser it does not notice a syntax error elsewhere in the file, so a file that no
    longer loads still finds the owner, which answers with the catalog it opened (a background
    owner is restarted on the changed file, and the error is shown then)."""
    path = Path(catalog_file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    keys = simple_top_level_keys(text, ("name", "store"))
    if keys is None:  # a file the quick reading cannot vouch for: YAML reads it
        keys = _top_level_keys_by_yaml(text)
        if keys is None:
            return None
    name, store = keys.get("name"), keys.get("store")
    if not isinstance(name, str):
        return None
    return store_dir_for(path.resolve().parent, name, store if isinstance(store, str) else None)


def _top_level_keys_by_yaml(text: str) -> dict | None:
    import yaml

    try:  # the loader the catalog loader uses (libyaml's reads a few files that one rejects)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


# Finding the owner must not import a YAML parser (about a tenth of a command answered by the
# owner). Catalogs write `name:` and `store:` as one-line top-level keys; such lines are read here,
# and any file where that reading could differ from YAML's is left to YAML (None).
_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]|$)")
# plain scalars YAML reads as text whatever the resolver: no number, date, bool, null or .inf
_PLAIN_TEXT = re.compile(r"(?:[A-Za-z_]|\.(?![0-9]))[A-Za-z0-9_./-]*")
_NOT_TEXT = {"yes", "no", "true", "false", "on", "off", "null", ".inf", ".nan"}


def simple_top_level_keys(text: str, wanted: tuple[str, ...]) -> dict | None:
    """The values of the `wanted` top-level keys, when every top-level line of `text` is a simple
    `key: value` whose value ends on its line, and each wanted value is a one-line text (quoted, or
    plain words that YAML cannot read as anything else); None when YAML must decide."""
    if "\t" in text or "\r" in text or text.startswith("\ufeff"):
        return None
    found: dict = {}
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if not line or line[0] in " #":
            continue
        key_match = _TOP_KEY.match(line)
        if key_match is None:
            return None  # a document marker, directive, list, complex or quoted key: not simple
        key, rest = key_match.group(1), line[key_match.end():]
        value, closed = _one_line_value(rest)
        if not closed:
            return None  # a flow collection or quoted text that goes on below
        if key in wanted:
            if key in found or value is None or _continues(lines, number):
                return None  # twice (YAML keeps the last), a nested block, or a multi-line scalar
            found[key] = value
    return found if found else None


def _one_line_value(rest: str) -> tuple[str | None, bool]:
    """(the value as text, or None when it is not a one-line text; whether the line closes every
    quote and bracket it opens)."""
    body = rest.strip(" ")
    if not body or body.startswith("#"):
        return None, True
    if body[0] in "'\"":
        end = _quoted_end(body)
        if end is None:
            return None, False
        tail = body[end:].strip(" ")
        if tail and not tail.startswith("#"):
            return None, True
        inner = body[1:end - 1]
        if body[0] == '"':
            return (None if "\\" in inner else inner), True
        return inner.replace("''", "'"), True
    if body[0] in "[{":
        return None, _brackets_close(body)
    plain = re.split(r" #", body, maxsplit=1)[0].rstrip(" ")
    if _PLAIN_TEXT.fullmatch(plain) and plain.lower() not in _NOT_TEXT:
        return plain, True
    return None, True


def _quoted_end(body: str) -> int | None:
    """The index after the closing quote of the quoted scalar `body` starts with, or None."""
    quote, i = body[0], 1
    while i < len(body):
        if quote == '"' and body[i] == "\\":
            i += 2
            continue
        if body[i] == quote:
            if quote == "'" and body[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return None


def _brackets_close(body: str) -> bool:
    depth, i = 0, 0
    while i < len(body):
        char = body[i]
        if char in "'\"":
            end = _quoted_end(body[i:])
            if end is None:
                return False
            i += end
            continue
        if char == "#" and i > 0 and body[i - 1] == " ":
            break
        depth += char in "[{"
        depth -= char in "]}"
        i += 1
    return depth == 0


def _continues(lines: list[str], number: int) -> bool:
    """Whether the line after a key's one-line value is indented (a value that goes on)."""
    for line in lines[number + 1:]:
        if line.strip(" "):
            return line[0] == " "
    return False


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
