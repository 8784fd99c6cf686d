"""`hybridq catalog validate` and `hybridq catalog schema`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hybridq.cli import main

VALID_DIR = Path(__file__).parent / "fixtures" / "valid"
VALID_CATALOG = VALID_DIR / "catalog.yaml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invalid_copy(tmp_path, edited_text):
    folder = tmp_path / "acme"
    shutil.copytree(VALID_DIR, folder)
    path = folder / "catalog.yaml"
    path.write_text(edited_text([
        ("      country: VARCHAR\n", "      country: VARCHR\n"),
        ("    kind: metric\n", "    kind: metrik\n"),
        ("    path: subscriptions.csv\n", "    path: exports/*.csv\n"),  # a warning
    ]), encoding="utf-8")
    return path


def test_validate_valid_catalog(runner):
    result = runner.invoke(main, ["catalog", "validate", str(VALID_CATALOG)])
    assert result.exit_code == 0, result.output
    assert f"{VALID_CATALOG}: ok (3 tables, 2 relationships, 4 glossary terms, 2 examples)" in result.stdout
    assert result.stderr == ""


def test_validate_invalid_catalog_prints_every_issue(runner, invalid_copy):
    result = runner.invoke(main, ["catalog", "validate", str(invalid_copy)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err = result.stderr
    assert (f"{invalid_copy}:42 tables.customers.columns.country.type: unknown column type 'VARCHR'\n"
            "  hint: did you mean 'VARCHAR'?") in err
    assert (f"{invalid_copy}:92 glossary[1].kind: 'metrik' is not one of: filter, metric, dimension, entity\n"
            "  hint: did you mean 'metric'?") in err
    assert f"{invalid_copy}:18 sources.subscriptions_csv.path: warning: 'exports/*.csv' matches no file yet" in err
    assert "2 error(s), 1 warning(s)" in err
    # Issues come in line order.
    assert err.index(":18 ") < err.index(":42 ") < err.index(":92 ")
    assert "ok (" not in result.stdout


def test_validate_yaml_syntax_error(runner, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nname: acme\ndescription: Customers: their data\n", encoding="utf-8")
    result = runner.invoke(main, ["catalog", "validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}:3: YAML syntax error: mapping values are not allowed here (column 23)" in result.stderr


def test_validate_missing_file(runner, tmp_path):
    result = runner.invoke(main, ["catalog", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "catalog file not found" in result.stderr


def test_validate_only_warnings_exits_zero(runner, tmp_path, edited_text):
    folder = tmp_path / "acme"
    shutil.copytree(VALID_DIR, folder)
    path = folder / "catalog.yaml"
    path.write_text(edited_text([("    path: subscriptions.csv\n", "    path: exports/*.csv\n")]),
                    encoding="utf-8")
    result = runner.invoke(main, ["catalog", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "matches no file yet" in result.stderr
    assert "ok (3 tables" in result.stdout and "1 warning(s)" in result.stdout


def test_schema_prints_json(runner):
    result = runner.invoke(main, ["catalog", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == "hybridq catalog"
    assert "Table" in schema["$defs"]
    assert "columns" in schema["$defs"]["Table"]["properties"]
