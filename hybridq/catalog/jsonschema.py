"""JSON Schema of the catalog format, so editors can complete and check catalog YAML."""

from __future__ import annotations

from hybridq.catalog.model import Catalog


def catalog_json_schema() -> dict:
    schema = Catalog.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    # The loader accepts shorthands that the pydantic models normalise; describe them too.
    table = defs.get("Table", {}).get("properties", {})
    if "primary_key" in table:
        table["primary_key"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                                "description": table["primary_key"].get("description", "")}
    if "columns" in table:
        table["columns"] = {"type": "object", "additionalProperties": {
            "anyOf": [{"$ref": "#/$defs/Column"}, {"type": "string", "description": "the column's type"}]}}
    column = defs.get("Column", {}).get("properties", {})
    if "semantic" in column:
        column["semantic"] = {"anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/SemanticConfig"}, {"type": "null"}],
                              "description": column["semantic"].get("description", "")}
    for model in ("Column", "Table", "GlossaryTerm"):
        props = defs.get(model, {}).get("properties", {})
        if "synonyms" in props:
            props["synonyms"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hybridq catalog"
    return schema
