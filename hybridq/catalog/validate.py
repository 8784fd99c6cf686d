"""Load a catalog file: read YAML, validate the schema, run every rule, report all issues at once."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from hybridq.catalog.issues import Issue
from hybridq.catalog.loader import Located, PathKey, load_file, load_yaml
from hybridq.catalog.model import Catalog
from hybridq.catalog.rules import RuleContext, run_rules
from hybridq.catalog.schema_errors import schema_issues
from hybridq.errors import CatalogError

# Named collections whose entries are dropped whole when they fail schema validation, so the
# rules can still check everything else.
_COLLECTIONS = ("sources", "tables", "relationships", "glossary", "examples", "alerts")


@dataclass
class Validation:
    catalog: Catalog | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def ok(self) -> bool:
        return self.catalog is not None and not self.errors


def validate_text(text: str, file: str = "<catalog>") -> Validation:
    located, issues = load_yaml(text, file)
    return _validate_located(located, issues)


def validate_file(path: str | Path) -> Validation:
    located, issues = load_file(path)
    return _validate_located(located, issues)


def load_catalog(path: str | Path) -> Catalog:
    """The validated catalog; raises CatalogError listing every error (warnings do not raise)."""
    result = validate_file(path)
    if not result.ok:
        raise CatalogError(result.issues, file=str(path))
    return result.catalog


def _validate_located(located: Located | None, issues: list[Issue]) -> Validation:
    if located is None:
        return Validation(None, issues)
    if not isinstance(located.data, dict):
        issues.append(Issue("error", "", "a catalog is a mapping of keys (version, name, tables, ...)",
                            hint="start the file with 'version: 1' and 'name: ...'", file=located.file, line=1,
                            rule="schema"))
        return Validation(None, issues)
    catalog, dropped, index_maps, schema = _validate_schema(located)
    issues.extend(schema)
    if catalog is None:
        return Validation(None, _sorted(issues))
    catalog._file = located.file
    catalog._located = located
    issues.extend(run_rules(RuleContext(catalog, located, dropped, index_maps)))
    return Validation(catalog, _sorted(issues))


def _validate_schema(
    located: Located,
) -> tuple[Catalog | None, set[PathKey], dict[PathKey, list[int]], list[Issue]]:
    """Validate; on errors, leave out the failing entries and retry so the rules can run on the rest.

    Also returns, for each list, the original index of every item kept (see `_without_dropped`).
    """
    data = copy.deepcopy(located.data)
    dropped: set[PathKey] = set()
    issues: list[Issue] = []
    for _ in range(20):
        view, index_maps = _without_dropped(data)
        try:
            return Catalog.model_validate(view), dropped, index_maps, issues
        except ValidationError as exc:
            errors = [dict(e, loc=_original_loc(tuple(e["loc"]), index_maps)) for e in exc.errors(include_url=False)]
            issues.extend(schema_issues(errors, Catalog, located))
            progress = False
            for err in errors:
                target = err["loc"] if err["type"] == "extra_forbidden" else _drop_target(err["loc"])
                if target and _mark_dropped(data, target):
                    dropped.add(target)
                    progress = True
            if not progress:
                return None, dropped, {}, _dedupe(issues)
    return None, dropped, {}, _dedupe(issues)


_DROPPED = object()


def _drop_target(loc: PathKey) -> PathKey | None:
    """The entry to leave out for an error at `loc`: a named table/column/source/term, or a top key."""
    if not loc:
        return None
    if loc[0] == "tables" and len(loc) >= 4 and loc[2] == "columns":
        return loc[:4]
    if loc[0] in _COLLECTIONS and len(loc) >= 2:
        return loc[:2]
    return loc[:1]


def _mark_dropped(data, path: PathKey) -> bool:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if path == ("name",):
        # Rules need a name to run; the bad one is already reported.
        already = node.get("name") == "catalog"
        node["name"] = "catalog"
        return not already
    if isinstance(node, dict) and last in node and node[last] is not _DROPPED:
        node[last] = _DROPPED
        return True
    if isinstance(node, list) and isinstance(last, int) and last < len(node) and node[last] is not _DROPPED:
        node[last] = _DROPPED
        return True
    return False


def _without_dropped(data, path: PathKey = ()):
    """A copy of `data` without dropped entries, and for each list the original index of each item."""
    index_maps: dict[PathKey, list[int]] = {}

    def walk(node, path):
        if isinstance(node, dict):
            return {k: walk(v, path + (k,)) for k, v in node.items() if v is not _DROPPED}
        if isinstance(node, list):
            kept = [i for i, v in enumerate(node) if v is not _DROPPED]
            index_maps[path] = kept
            return [walk(node[i], path + (i,)) for i in kept]
        return node

    return walk(data, path), index_maps


def _original_loc(loc: PathKey, index_maps: dict[PathKey, list[int]]) -> PathKey:
    out: tuple = ()
    for part in loc:
        if isinstance(part, int) and out in index_maps and part < len(index_maps[out]):
            part = index_maps[out][part]
        out = out + (part,)
    return out


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for i in issues:
        key = (i.path, i.message)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _sorted(issues: list[Issue]) -> list[Issue]:
    return sorted(_dedupe(issues), key=lambda i: (i.line or 0, i.path))
