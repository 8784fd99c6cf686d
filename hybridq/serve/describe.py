"""The catalog as a caller sees it, as plain data: what an LLM application puts in its prompts."""

from __future__ import annotations


def describe_catalog(catalog) -> dict:
    tables = {}
    for name, spec in catalog.tables.items():
        columns = {}
        for cname, col in spec.columns.items():
            entry = {"type": col.type}
            for key in ("description", "unit"):
                if getattr(col, key):
                    entry[key] = getattr(col, key)
            if col.synonyms:
                entry["synonyms"] = col.synonyms
            if col.values:
                entry["values"] = col.values
            if col.semantic is not None:
                entry["semantic"] = True
            columns[cname] = entry
        tables[name] = {"description": spec.description, "primary_key": spec.primary_key,
                        "synonyms": spec.synonyms, "time_column": spec.time_column, "columns": columns}
    return {
        "name": catalog.name,
        "description": catalog.description,
        "tables": tables,
        "relationships": [{"from": r.from_, "to": r.to} for r in catalog.relationships],
        "glossary": [{"term": g.term, "kind": g.kind, "sql": g.sql, "synonyms": g.synonyms,
                      "description": g.description} for g in catalog.glossary],
        "examples": [{"question": e.question, "sql": e.sql} for e in catalog.examples],
        "semantic_columns": [f"{t}.{c}" for t, c in catalog.semantic_columns()],
    }
