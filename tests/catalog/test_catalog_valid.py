"""The valid fixture catalog, load_catalog, Issue.format and the JSON Schema."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from hybridq.catalog.issues import Issue
from hybridq.catalog.jsonschema import catalog_json_schema
from hybridq.catalog.model import Catalog
from hybridq.catalog.validate import load_catalog, validate_file
from hybridq.errors import CatalogError

VALID_DIR = Path(__file__).parent / "fixtures" / "valid"
VALID_CATALOG = VALID_DIR / "catalog.yaml"


def test_valid_catalog_has_no_errors_and_no_warnings():
    result = validate_file(VALID_CATALOG)
    assert result.issues == [], "\n".join(i.format() for i in result.issues)
    assert result.ok


def test_valid_catalog_content():
    catalog = validate_file(VALID_CATALOG).catalog
    assert list(catalog.tables) == ["customers", "subscriptions", "contracts"]
    assert catalog.today == dt.date(2024, 6, 30)
    assert catalog.sources["contract_docs"].kind == "documents"
    # Shorthands are normalised.
    customers = catalog.tables["customers"]
    assert customers.primary_key == ["id"]
    assert customers.columns["id"].type == "INTEGER"
    assert catalog.tables["contracts"].columns["body"].semantic.chunk_tokens is None  # the model's window
    assert customers.columns["notes"].semantic.overlap_tokens == 16
    assert catalog.tables["subscriptions"].columns["mrr"].synonyms == ["monthly recurring revenue"]
    assert catalog.semantic_columns() == [("customers", "notes"), ("contracts", "body")]
    assert [(r.from_, r.to) for r in catalog.relationships] == [
        ("subscriptions.customer_id", "customers.id"), ("contracts.customer_id", "customers.id")]
    assert sorted(t.kind for t in catalog.glossary) == ["dimension", "entity", "filter", "metric"]
    assert all(t.synonyms for t in catalog.glossary)
    assert len(catalog.examples) == 2
    assert catalog.file == str(VALID_CATALOG)
    assert catalog.line_of("tables", "contracts", "columns", "body", "semantic") == 77


def test_valid_fixture_data_files_exist():
    assert (VALID_DIR / "customers.csv").is_file()
    assert (VALID_DIR / "subscriptions.csv").is_file()
    docs = sorted(p.relative_to(VALID_DIR).as_posix() for p in (VALID_DIR / "docs").rglob("*.md"))
    assert docs == ["docs/1/contract.md", "docs/1/renewal.md", "docs/2/contract.md"]
    assert all((VALID_DIR / d).read_text().startswith("---\n") for d in docs)


# -- load_catalog ----------------------------------------------------------------------------

@pytest.fixture
def catalog_copy(tmp_path, edited_text):
    """Write a variant of the valid catalog into a copy of the fixture folder; returns its path."""

    def write(edits: list[tuple[str, str]]):
        folder = tmp_path / "acme"
        if not folder.exists():
            shutil.copytree(VALID_DIR, folder)
        path = folder / "catalog.yaml"
        path.write_text(edited_text(edits), encoding="utf-8")
        return path

    return write


def test_load_catalog_returns_the_catalog():
    catalog = load_catalog(VALID_CATALOG)
    assert isinstance(catalog, Catalog)
    assert catalog.name == "acme"


def test_load_catalog_raises_with_every_issue(catalog_copy):
    path = catalog_copy([
        ("      country: VARCHAR\n", "      country: VARCHR\n"),
        ("    to: customers.id\n    description", "    to: customers.idd\n    description"),
        ("    path: subscriptions.csv\n", "    path: exports/*.csv\n"),  # a warning
    ])
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    exc = info.value
    assert [(i.level, i.line, i.path) for i in exc.issues] == [
        ("warning", 18, "sources.subscriptions_csv.path"),
        ("error", 42, "tables.customers.columns.country.type"),
        ("error", 83, "relationships[1].to"),
    ]
    assert all(isinstance(i, Issue) for i in exc.issues)
    text = str(exc)
    assert text.startswith(f"2 error(s) in catalog {path}\n")
    assert f"{path}:42 tables.customers.columns.country.type: unknown column type 'VARCHR'" in text
    assert "matches no file yet" not in text  # warnings are kept in .issues, not in the message


def test_load_catalog_does_not_raise_for_warnings(catalog_copy):
    path = catalog_copy([("    path: subscriptions.csv\n", "    path: exports/*.csv\n")])
    assert load_catalog(path).tables["subscriptions"].source == "subscriptions_csv"


def test_load_catalog_missing_file(tmp_path):
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path / "nope.yaml")
    assert "catalog file not found" in info.value.issues[0].message


def test_catalog_error_round_trips_through_a_dict(catalog_copy):
    from hybridq.errors import error_from_dict

    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy([("      country: VARCHAR\n", "      country: VARCHR\n")]))
    again = error_from_dict(info.value.to_dict())
    assert isinstance(again, CatalogError)
    assert again.issues == info.value.issues


# -- Issue.format ----------------------------------------------------------------------------

def test_issue_format_with_path_and_hint():
    issue = Issue("error", "tables.customers.columns.country.type", "unknown column type 'VARCHR'",
                  hint="did you mean 'VARCHAR'?", file="acme.yaml", line=42, rule="check_column_types")
    assert issue.format() == (
        "acme.yaml:42 tables.customers.columns.country.type: unknown column type 'VARCHR'\n"
        "  hint: did you mean 'VARCHAR'?"
    )


def test_issue_format_variants():
    assert Issue("warning", "sources.s.path", "matches no file yet", file="a.yaml", line=3).format() == (
        "a.yaml:3 sources.s.path: warning: matches no file yet")
    assert Issue("error", "", "YAML syntax error: x", file="a.yaml", line=8).format() == "a.yaml:8: YAML syntax error: x"
    assert Issue("error", "name", "bad").format() == "<catalog> name: bad"


def test_issue_dict_round_trip():
    issue = Issue("error", "name", "bad", hint="h", file="a.yaml", line=2, column=7, rule="schema")
    assert Issue.from_dict(issue.to_dict()) == issue


def test_issue_from_validation_formats_as_file_line_path(validate_variant):
    result = validate_variant([("    time_column: started_on\n", "    time_column: start_date\n")], "fmt")
    assert result.issues[0].format() == (
        f"{VALID_DIR / 'fmt.yaml'}:52 tables.subscriptions.time_column: "
        "time column 'start_date' is not a column of subscriptions\n"
        "  hint: did you mean 'started_on'?"
    )


# -- JSON Schema -----------------------------------------------------------------------------

def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/$defs/"), ref
        node = schema["$defs"][ref.removeprefix("#/$defs/")]
    return node


def _unknown_keys(schema: dict, node: dict, data, path: str = "") -> list[str]:
    """Paths in `data` whose keys the schema does not know (a small walker, not a full validator)."""
    node = _resolve(schema, node)
    branches = [_resolve(schema, b) for b in node.get("anyOf", [])] or [node]
    if isinstance(data, dict):
        objects = [b for b in branches if b.get("type") == "object" or "properties" in b]
        assert objects, f"{path}: a mapping where the schema expects {branches}"
        unknown = []
        for key, value in data.items():
            where = f"{path}.{key}" if path else key
            for branch in objects:
                if key in branch.get("properties", {}):
                    unknown += _unknown_keys(schema, branch["properties"][key], value, where)
                    break
                if isinstance(branch.get("additionalProperties"), dict):
                    unknown += _unknown_keys(schema, branch["additionalProperties"], value, where)
                    break
            else:
                unknown.append(where)
        return unknown
    if isinstance(data, list):
        arrays = [b for b in branches if b.get("type") == "array"]
        assert arrays, f"{path}: a list where the schema expects {branches}"
        return [u for i, item in enumerate(data) for u in _unknown_keys(schema, arrays[0]["items"], item, f"{path}[{i}]")]
    return []


def test_json_schema_shape():
    schema = catalog_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"name", "version", "sources", "tables", "relationships", "glossary", "examples"} <= set(schema["properties"])
    assert "name" in schema["required"]
    defs = schema["$defs"]
    assert {"Table", "Column", "Source", "Relationship", "GlossaryTerm", "Example", "SemanticConfig"} <= set(defs)
    table = defs["Table"]["properties"]
    assert {"source", "description", "primary_key", "synonyms", "time_column", "columns"} <= set(table)
    # Shorthands are described: a primary key as one name, a column as its type string, semantic: true.
    assert {"type": "string"} in table["primary_key"]["anyOf"]
    assert {"type": "string", "description": "the column's type"} in table["columns"]["additionalProperties"]["anyOf"]
    assert {"type": "boolean"} in defs["Column"]["properties"]["semantic"]["anyOf"]
    assert "from" in defs["Relationship"]["properties"]  # the alias, as written in YAML
    assert defs["GlossaryTerm"]["properties"]["kind"]["enum"] == ["filter", "metric", "dimension", "entity"]
    for name, model in defs.items():
        if "properties" in model:
            assert model.get("additionalProperties") is False, name
    # Every reference resolves.
    refs = []

    def collect(node):
        if isinstance(node, dict):
            refs.extend([node["$ref"]] if "$ref" in node else [])
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(schema)
    assert refs and all(r.removeprefix("#/$defs/") in defs for r in refs)


def test_json_schema_knows_every_key_of_the_valid_catalog():
    schema = catalog_json_schema()
    data = yaml.safe_load(VALID_CATALOG.read_text(encoding="utf-8"))
    assert _unknown_keys(schema, schema, data) == []


def test_json_schema_walker_finds_unknown_keys():
    schema = catalog_json_schema()
    data = yaml.safe_load(VALID_CATALOG.read_text(encoding="utf-8"))
    data["descripton"] = "x"
    data["tables"]["subscriptions"]["columns"]["mrr"]["unti"] = "USD"
    data["glossary"][0]["kindd"] = "filter"
    assert _unknown_keys(schema, schema, data) == [
        "tables.subscriptions.columns.mrr.unti", "glossary[0].kindd", "descripton"]
