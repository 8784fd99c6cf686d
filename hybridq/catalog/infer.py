"""Infer a starter catalog from a folder of data files and documents (`hybridq init`).

Tabular files (csv, parquet, jsonl, json) become tables typed by DuckDB; folders of documents
(md, txt, html) become documents tables with their path parts and front matter as columns.
Guesses (primary keys, semantic columns, relationships, path fields) are marked for review.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from hybridq.catalog.rules.context import type_family
from hybridq.refresh.sources.documents import FRONT_MATTER, load_front_matter

TABULAR = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
DOCUMENTS = {".md", ".markdown", ".txt", ".html", ".htm"}
LONG_TEXT_AVG = 80
SAMPLE_DOCS = 200


@dataclass
class InferredTable:
    name: str
    kind: str
    path: str  # relative to the catalog's directory
    columns: dict[str, str] = field(default_factory=dict)  # name -> DuckDB type
    semantic: set[str] = field(default_factory=set)
    primary_key: str | None = None
    key_note: str | None = None
    values: dict[str, set] = field(default_factory=dict)  # candidate-key column -> its values
    notes: dict[str, str] = field(default_factory=dict)  # column -> review note


def infer_catalog(directory: Path, *, relative_to: Path, name: str | None = None) -> str:
    directory = directory.resolve()
    con = duckdb.connect(":memory:")
    tables: list[InferredTable] = []
    skipped: list[str] = []
    for group in _tabular_groups(con, directory, skipped):
        try:
            tables.append(_infer_tabular(con, group, relative_to))
        except duckdb.Error as exc:
            skipped.append(f"{_rel(group[2][0], directory)}: {_first_line(exc)}")
    keyed = {t.primary_key: t for t in tables if t.primary_key}
    for folder in _document_folders(directory):
        tables.append(_infer_documents(con, folder, relative_to, tables))
    _dedupe_names(tables)
    relationships = _guess_relationships(tables, keyed)
    return _render(name or _identifier(directory.name), tables, relationships, skipped)


# -- discovery -------------------------------------------------------------------------------

def _tabular_groups(con: duckdb.DuckDBPyConnection, directory: Path,
                    skipped: list[str]) -> list[tuple[str, str, list[Path], bool]]:
    """(table name, kind, files, as a glob): the files with one extension and the same columns in a
    folder form one table (a glob). Files DuckDB cannot read are left out and listed in `skipped`."""
    groups: dict[tuple[Path, str], list[Path]] = defaultdict(list)
    columns: dict[Path, list[str]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix.lower() in TABULAR and not _hidden(path, directory):
            kind = TABULAR[path.suffix.lower()]
            try:
                columns[path] = _column_names(con, kind, [path])
            except duckdb.Error as exc:
                skipped.append(f"{_rel(path, directory)}: {_first_line(exc)}")
                continue
            groups[(path.parent, path.suffix.lower())].append(path)
    out = []
    for (folder, suffix), files in groups.items():
        kind = TABULAR[suffix]
        same = all(columns[f] == columns[files[0]] for f in files)
        # a subfolder of like files is one table; so is a lone file named like a partition (2024-Q1.jsonl)
        if folder != directory and same and (len(files) > 1 or not re.match(r"[A-Za-z]", files[0].stem)):
            out.append((_identifier(folder.name), kind, files, True))
        else:
            out.extend((_identifier(f.stem), kind, [f], False) for f in files)
    return out


def _relation(kind: str, files: list[Path]) -> str:
    reader = {"csv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json_auto", "json": "read_json_auto"}[kind]
    return f"{reader}([{', '.join(_sql_text(str(f)) for f in files)}])"


def _column_names(con: duckdb.DuckDBPyConnection, kind: str, files: list[Path]) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_relation(kind, files)}").fetchall()]


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _document_folders(directory: Path) -> list[Path]:
    """Top folders (directly under `directory`) that hold documents anywhere below them."""
    found = []
    for child in sorted(directory.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            if any(p.suffix.lower() in DOCUMENTS for p in child.rglob("*") if p.is_file()):
                found.append(child)
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


# -- tabular ---------------------------------------------------------------------------------

def _infer_tabular(con: duckdb.DuckDBPyConnection, group: tuple[str, str, list[Path], bool],
                   base: Path) -> InferredTable:
    name, kind, files, as_glob = group
    if as_glob:
        pattern = _rel(files[0].parent, base) + "/*" + files[0].suffix
    else:
        pattern = _rel(files[0], base)
    relation = _relation(kind, files)
    table = InferredTable(name, kind, pattern)
    for col, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall():
        table.columns[col] = _simplify_type(typ)
    stats = _column_stats(con, relation, table.columns)
    for col, (count, distinct, nulls, avg_len) in stats.items():
        if table.columns[col] == "VARCHAR" and (avg_len or 0) >= LONG_TEXT_AVG:
            table.columns[col] = "TEXT"
            table.semantic.add(col)
        if count and distinct == count and not nulls:
            table.values[col] = set()
    table.primary_key, table.key_note = _choose_key(name, list(table.columns), set(table.values))
    if table.primary_key:
        values = con.execute(f"SELECT DISTINCT CAST({_q(table.primary_key)} AS VARCHAR) FROM {relation}").fetchall()
        table.values[table.primary_key] = {v[0] for v in values}
    return table


def _column_stats(con, relation: str, columns: dict[str, str]) -> dict[str, tuple]:
    parts = []
    for col, typ in columns.items():
        length = f"avg(length(CAST({_q(col)} AS VARCHAR)))" if typ in ("VARCHAR", "TEXT") else "NULL"
        parts.append(f"struct_pack(n := count(*), d := count(DISTINCT {_q(col)}), "
                     f"z := count(*) - count({_q(col)}), l := {length})")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchall()[0]
    return {col: (s["n"], s["d"], s["z"], s["l"]) for col, s in zip(columns, row)}


def _choose_key(table: str, columns: list[str], unique: set[str]) -> tuple[str | None, str | None]:
    singular = table[:-1] if table.endswith("s") else table
    preferred = [f"{singular}_id", f"{table}_id", "id", f"{singular}id"]
    for name in preferred:
        if name in unique:
            return name, None
    for name in columns:
        if name in unique and name.lower().endswith("id"):
            return name, "guessed: unique and named like a key"
    if unique:
        name = next(c for c in columns if c in unique)
        return name, "guessed: the first column with unique values; review"
    return None, "no column is unique: add a primary_key to allow incremental refresh"


def _simplify_type(typ: str) -> str:
    upper = typ.upper()
    if upper.startswith("STRUCT") or upper.startswith("MAP") or upper.endswith("[]"):
        return "VARCHAR"  # nested values are kept as JSON text
    return upper


# -- documents -------------------------------------------------------------------------------

def _infer_documents(con, folder: Path, base: Path, tabular: list[InferredTable]) -> InferredTable:
    docs = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENTS)
    depth = max(len(p.relative_to(folder).parts) for p in docs)
    suffixes = {p.suffix.lower() for p in docs}
    suffix = suffixes.pop() if len(suffixes) == 1 else ".*"
    name = _identifier(folder.name)
    singular = name[:-1] if name.endswith("s") else name
    levels: list[set[str]] = [set() for _ in range(depth - 1)]
    for p in docs:
        parts = p.relative_to(folder).parts
        for i, part in enumerate(parts[:-1][: depth - 1]):
            levels[i].add(part)
    fields = []
    types = []
    notes = {}
    for i, values in enumerate(levels):
        field_name, note, key_type = _name_path_level(values, tabular, f"{singular}_part{i + 1}")
        fields.append(field_name)
        types.append(key_type or _level_type(values))
        if note:
            notes[field_name] = note
    key = f"{singular}_id"
    template = _rel(folder, base) + "/" + "".join("{" + f + "}/" for f in fields) + "{" + key + "}" + suffix
    table = InferredTable(name, "documents", template)
    for f, typ in zip(fields, types):
        table.columns[f] = typ
    table.columns[key] = "VARCHAR"
    for meta_key, typ in _front_matter_columns(con, docs[:SAMPLE_DOCS]).items():
        if meta_key not in table.columns and meta_key != "body":
            table.columns[meta_key] = typ
    table.columns["body"] = "TEXT"
    table.semantic.add("body")
    table.primary_key = key
    table.key_note = "the file name (without extension) identifies the document"
    table.notes = notes
    if any(len(p.relative_to(folder).parts) != depth for p in docs):
        table.notes[key] = "files sit at different depths; the template matches only the deepest ones"
    return table


def _name_path_level(values: set[str], tabular: list[InferredTable],
                     fallback: str) -> tuple[str, str | None, str | None]:
    """Name a folder level after a key column whose values contain every folder name there.

    Returns the field name, a review note and the key column's type (None when no key matched).
    """
    for t in tabular:
        if t.primary_key and values and values <= t.values.get(t.primary_key, set()):
            return t.primary_key, f"folder names match {t.name}.{t.primary_key}; review", t.columns[t.primary_key]
    return fallback, "review: name this path field", None


def _level_type(values: set[str]) -> str:
    return "INTEGER" if values and all(re.fullmatch(r"-?\d{1,9}", v) for v in values) else "VARCHAR"


def _front_matter_columns(con, docs: list[Path]) -> dict[str, str]:
    seen: dict[str, list] = {}
    for p in docs:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        m = FRONT_MATTER.match(text)
        if not m:
            continue
        try:
            meta = load_front_matter(m.group(1)) or {}
        except (yaml.YAMLError, ValueError):
            continue
        if isinstance(meta, dict):
            for k, v in meta.items():
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k)):
                    seen.setdefault(str(k), []).append(v)
    return {k: _python_type(vs) for k, vs in seen.items()}


def _python_type(values: list) -> str:
    import datetime as dt

    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "BOOLEAN"
    if kinds and kinds <= {int}:
        return "BIGINT" if any(abs(v) > 2**31 for v in values if v is not None) else "INTEGER"
    if kinds and kinds <= {int, float}:
        return "DOUBLE"
    if kinds == {dt.date}:
        return "DATE"
    if kinds and kinds <= {dt.datetime, dt.date}:
        return "TIMESTAMP"
    return "VARCHAR"


# -- relationships ---------------------------------------------------------------------------

def _guess_relationships(tables: list[InferredTable], keyed: dict[str, InferredTable]) -> list[tuple[str, str]]:
    """table.column -> table.key wherever a column has the same name as another table's key, or is
    named `<x>_id` and table `<x>` or `<x>s` has the key `id`."""
    by_name = {t.name: t for t in tables}
    out = []
    for t in tables:
        for col, typ in t.columns.items():
            target, key = keyed.get(col), col
            if target is None and col.lower().endswith("_id"):
                stem = col[:-3].lower()
                target = next((by_name[n] for n in (stem, stem + "s", stem + "es")
                               if n in by_name and by_name[n].primary_key == "id"), None)
                key = "id"
            if target is None or target is t or col == t.primary_key:
                continue
            if type_family(typ) != type_family(target.columns[key]):
                continue
            out.append((f"{t.name}.{col}", f"{target.name}.{key}"))
    return out


# -- output ----------------------------------------------------------------------------------

def _render(name: str, tables: list[InferredTable], relationships: list[tuple[str, str]],
            skipped: list[str] = ()) -> str:
    lines = [
        "# Starter catalog written by `hybridq init`. Review the lines marked 'review', then run",
        "#   hybridq catalog validate <this file>",
        *(f"# skipped (cannot be read): {s}" for s in skipped),
        "version: 1",
        f"name: {name}",
        f"store: .hybridq/{name}",
        "embedding:",
        "  model: all-MiniLM-L6-v2",
        "",
        "sources:",
    ]
    for t in tables:
        lines.append(f"  {t.name}: {{kind: {t.kind}, path: {_scalar(t.path)}}}")
    lines += ["", "tables:"]
    for t in tables:
        lines.append(f"  {t.name}:")
        lines.append(f"    source: {t.name}")
        lines.append("    description: TODO describe one row of this table")
        if t.primary_key:
            note = f"  # {t.key_note}" if t.key_note else ""
            lines.append(f"    primary_key: {t.primary_key}{note}")
        elif t.key_note:
            lines.append(f"    # {t.key_note}")
        lines.append("    columns:")
        for col, typ in t.columns.items():
            spec = f"{{type: {typ}, semantic: true}}" if col in t.semantic else f"{{type: {typ}}}"
            note = f"  # {t.notes[col]}" if col in t.notes else ("  # long text: embedded for semantic search; review"
                                                                 if col in t.semantic and t.kind != "documents" else "")
            lines.append(f"      {col}: {spec}{note}")
    if relationships:
        lines += ["", "relationships:  # guessed from matching key names; review each"]
        for src, dst in relationships:
            lines.append(f"  - {{from: {src}, to: {dst}}}")
    lines += ["", "glossary: []  # business terms: {term, kind: filter|metric|dimension|entity, sql, synonyms}",
              "examples: []  # verified question -> SQL pairs", ""]
    return "\n".join(lines)


def _scalar(text: str) -> str:
    return yaml.safe_dump(text, default_style='"').strip() if re.search(r"[{}:#,\[\]]", text) else text


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _identifier(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return ident if ident and not ident[0].isdigit() else f"t_{ident}"


def _dedupe_names(tables: list[InferredTable]) -> None:
    seen: dict[str, int] = {}
    for t in tables:
        if t.name in seen:
            seen[t.name] += 1
            t.name = f"{t.name}_{seen[t.name]}"
        else:
            seen[t.name] = 1


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
