"""The stages import one way: catalog -> refresh -> store <- engine <- sql <- nl (DESIGN section 3).

Every import of every module of the package is read (function-level ones too), so a stage that
reaches back into a later one fails here with the module and line that does it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hybridq"

# stage -> the stages and top-level modules it must never import
FORBIDDEN = {
    "catalog": {"refresh", "store", "engine", "sql", "nl", "serve", "session", "cli"},
    "store": {"refresh", "engine", "sql", "nl", "serve", "session", "cli"},
    "engine": {"refresh", "sql", "nl", "serve", "session", "cli"},
    "sql": {"refresh", "nl", "serve", "session", "cli"},
    "refresh": {"engine", "nl", "serve", "session", "cli"},
    "embed": {"catalog", "refresh", "store", "engine", "sql", "nl", "serve", "session", "cli"},
}
# Standing queries live with the refresh that triggers them (DESIGN section 3), and check their SQL
# with the guard when the catalog is loaded.
ALLOWED = {("refresh/alerts.py", "sql")}


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stage_imports_only_what_comes_before_it(stage):
    wrong = []
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        shown = str(path.relative_to(PACKAGE))
        for line, module in imports_of(path):
            parts = module.split(".")
            if parts[0] != "hybridq" or len(parts) < 2:
                continue
            if parts[1] in FORBIDDEN[stage] and (shown, parts[1]) not in ALLOWED:
                wrong.append(f"hybridq/{shown}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_every_stage_is_checked():
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert stages - set(FORBIDDEN) <= {"nl", "serve"}, stages - set(FORBIDDEN)
