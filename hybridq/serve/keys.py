"""API keys: each maps to a role of the catalog and the caller's attributes.

Only a hash of each key is kept, in the keys file (`access.keys_file`, by default
`<catalog file name>.keys.yaml` beside the catalog) or in the environment variable
HYBRIDQ_API_KEYS (a JSON list of the same entries). `hybridq keys add` makes a key, prints it
once and records its hash.

    keys:
      - hash: sha256:5f1c...
        role: support_emea
        name: EMEA support bot
        attributes: {region: EMEA}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hybridq.errors import CatalogError, HybridqError

ENV = "HYBRIDQ_API_KEYS"
PREFIX = "hq_"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role and its attributes, or the store's user (role None: everything)."""

    role: str | None = None
    attributes: dict = field(default_factory=dict)
    name: str | None = None
    owner: bool = False  # authenticated with the owner token (another local process of the same user)

    def __hash__(self) -> int:
        return hash((self.role, json.dumps(self.attributes, sort_keys=True, default=str), self.name, self.owner))


FULL_ACCESS = Principal()


def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def default_keys_file(catalog) -> Path:
    configured = catalog.access.keys_file if catalog.access else None
    if configured:
        return (catalog.base_dir / configured).resolve()
    stem = Path(catalog.file).stem if catalog.file else catalog.name
    return catalog.base_dir / f"{stem}.keys.yaml"


class KeyRing:
    """Hashed API keys and the principals they stand for."""

    def __init__(self, entries: list[dict]):
        self.entries = entries
        self._by_hash = {e["hash"]: e for e in entries}

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def load(cls, catalog, path: Path | None = None) -> "KeyRing":
        """The keys of the keys file and of HYBRIDQ_API_KEYS, checked against the catalog's roles."""
        entries = []
        path = path or default_keys_file(catalog)
        if path.exists():
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries += [dict(e, origin=str(path)) for e in (data.get("keys") or [])]
        if os.environ.get(ENV):
            try:
                entries += [dict(e, origin=ENV) for e in json.loads(os.environ[ENV])]
            except ValueError as exc:
                raise HybridqError(f"{ENV} is not a JSON list of keys: {exc}",
                                   hint='e.g. [{"hash": "sha256:...", "role": "analyst"}]') from None
        roles = catalog.access.roles if catalog.access else {}
        problems = []
        for e in entries:
            if not str(e.get("hash", "")).startswith("sha256:"):
                problems.append(f"{e['origin']}: a key without a sha256: hash")
            elif e.get("role") not in roles:
                problems.append(f"{e['origin']}: key {e.get('name') or e['hash'][:15]} has role {e.get('role')!r}, "
                                f"which the catalog does not define (roles: {', '.join(sorted(roles)) or 'none'})")
        if problems:
            raise HybridqError("API keys do not match the catalog:\n" + "\n".join(problems),
                               hint="define the role under access.roles in the catalog, or remove the key")
        return cls(entries)

    def principal(self, key: str) -> Principal | None:
        entry = self._by_hash.get(hash_key(key))
        if entry is None or not hmac.compare_digest(entry["hash"], hash_key(key)):
            return None
        return Principal(entry["role"], dict(entry.get("attributes") or {}), entry.get("name"))


def add_key(catalog, role: str, attributes: dict, name: str | None = None, path: Path | None = None) -> tuple[str, Path]:
    """Make a key for `role`, record its hash, and return (the key, the file it is recorded in)."""
    import yaml

    roles = catalog.access.roles if catalog.access else {}
    if role not in roles:
        from hybridq.catalog.issues import Issue

        raise CatalogError([Issue("error", "access.roles", f"role '{role}' is not defined",
                                  hint="roles: " + (", ".join(sorted(roles)) or "none: add access.roles to the catalog"),
                                  file=catalog.file)])
    path = path or default_keys_file(catalog)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {}
    key = new_key()
    entry = {"hash": hash_key(key), "role": role}
    if name:
        entry["name"] = name
    if attributes:
        entry["attributes"] = attributes
    data.setdefault("keys", []).append(entry)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return key, path
