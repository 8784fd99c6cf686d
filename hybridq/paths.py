"""Source paths: globs and path templates such as data/contracts/{customer_id}/{contract_id}.md."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

FIELD = re.compile(r"\{([^{}]*)\}")
GLOB_CHARS = set("*?[")


def template_fields(template: str) -> list[str]:
    return FIELD.findall(template)


def is_pattern(path: str) -> bool:
    return bool(GLOB_CHARS & set(path)) or bool(FIELD.search(path))


def template_to_glob(template: str) -> str:
    return FIELD.sub("*", template)


def template_regex(template: str) -> re.Pattern:
    """A regex matching a relative path and capturing each template field (one path segment part)."""
    out, pos = "", 0
    for m in FIELD.finditer(template):
        out += _glob_to_regex(template[pos:m.start()])
        out += f"(?P<{m.group(1)}>[^/]+?)"
        pos = m.end()
    out += _glob_to_regex(template[pos:])
    return re.compile("^" + out + "$")


def _glob_to_regex(text: str) -> str:
    out = ""
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        ch = text[i]
        out += "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)
        i += 1
    return out


def resolve(base_dir: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base_dir / p


def split_pattern(base_dir: Path, path: str) -> tuple[Path, str]:
    """(the deepest directory holding every file the path can name, the pattern below it).

    Only the path as written is a pattern: the catalog's own directory is taken literally even
    when its name has glob characters such as [ or *.
    """
    p = Path(path).expanduser()
    parts = p.parts
    i = 0
    while i < len(parts) - 1 and not (GLOB_CHARS & set(parts[i]) or FIELD.search(parts[i])):
        i += 1
    head = Path(*parts[:i]) if i else Path()
    return Path(os.path.normpath(head if p.is_absolute() else base_dir / head)), "/".join(parts[i:])


def expand(base_dir: Path, path: str) -> list[Path]:
    """Every file the path, glob or template names, sorted."""
    full = resolve(base_dir, path)
    if not is_pattern(path):
        return [full] if full.is_file() else []
    root, rest = split_pattern(base_dir, path)
    pattern = os.path.join(glob.escape(str(root)), template_to_glob(rest))
    return [Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if os.path.isfile(p)]


def watch_root(base_dir: Path, path: str) -> Path:
    """The deepest directory that contains every file the path can name (what a watcher observes)."""
    if not is_pattern(path):
        return Path(os.path.normpath(resolve(base_dir, path))).parent
    return split_pattern(base_dir, path)[0]
