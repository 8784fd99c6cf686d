"""Infer a starter catalog from a folder of data files and documents (`hybridq init`).

Tabular files (csv, parquet, jsonl, json) become tables typed by DuckDB; folders of documents
(md, txt, html) become documents tables with their path parts and front matter as columns.
Guesses (primary keys, semantic columns, relationships, path fields, units) are marked for review.

What is inferred is then read the way a refresh reads it (`check_inferred`): a catalog that
validates but would leave rows out on its first refresh is not a starter catalog.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from hybridq.catalog.rules.context import type_family
from hybridq.catalog.rules.tables import IDENTIFIER, RESERVED_COLUMNS
from hybridq.front_matter import FRONT_MATTER, load_front_matter

TABULAR = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
DOCUMENTS = {".md", ".markdown", ".txt", ".html", ".htm"}
LONG_TEXT_AVG = 80
SAMPLE_DOCS = 200
SAME_TABLE_OVERLAP = 0.5  # JSON files of a folder form one table when they share this share of their keys
TIME_NAMES = re.compile(r"(^|_)(created|updated|modified|occurred|signed|issued|ordered|placed|opened|closed|"
                        r"published|date|time|timestamp|day|at)($|_)", re.I)
UNITS = [  # (pattern on the source's column name, unit)
    (re.compile(r"€|(^|[^a-z])eur([^a-z]|$)", re.I), "EUR"), (re.compile(r"\$|(^|[^a-z])usd([^a-z]|$)", re.I), "USD"),
    (re.compile(r"£|(^|[^a-z])gbp([^a-z]|$)", re.I), "GBP"), (re.compile(r"¥|(^|[^a-z])jpy([^a-z]|$)", re.I), "JPY"),
    (re.compile(r"%|(^|_)(pct|percent|percentage)($|_)", re.I), "percent"),
    (re.compile(r"(^|_)(days)($|_)", re.I), "days"), (re.compile(r"(^|_)(hours|hrs)($|_)", re.I), "hours"),
    (re.compile(r"(^|_)(minutes|mins)($|_)", re.I), "minutes"),
    (re.compile(r"(^|_)(seconds|secs)($|_)", re.I), "seconds"), (re.compile(r"(^|_)ms($|_)", re.I), "ms"),
    (re.compile(r"(^|_)kg($|_)", re.I), "kg"), (re.compile(r"(^|_)km($|_)", re.I), "km"),
]
NUMERIC = ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL")


@dataclass
class InferredTable:
    name: str
    kind: str
    path: str  # relative to the catalog's directory
    columns: dict[str, str] = field(default_factory=dict)  # name -> DuckDB type
    source_names: dict[str, str] = field(default_factory=dict)  # name -> the source's name, where it differs
    semantic: set[str] = field(default_factory=set)
    primary_key: list[str] = field(default_factory=list)
    key_note: str | None = None
    values: dict[str, set] = field(default_factory=dict)  # candidate-key column -> its values
    notes: dict[str, str] = field(default_factory=dict)  # column -> review note
    units: dict[str, str] = field(default_factory=dict)
    time_column: str | None = None
    header: bool = True  # csv: the first line names the columns

    def add_column(self, source_name: str, typ: str) -> str:
        """Add a column named after the source's column (a plain identifier, unique ignoring case,
        not reserved); the source's name is kept when it differs. Returns the column's name."""
        name = _column_name(source_name)
        taken = {c.lower() for c in self.columns}
        candidate, n = name, 2
        while candidate.lower() in taken:
            candidate, n = f"{name}_{n}", n + 1
        self.columns[candidate] = typ
        if candidate != source_name:
            self.source_names[candidate] = source_name
        return candidate


def infer_catalog(directory: Path, *, relative_to: Path, name: str | None = None) -> str:
    """The catalog text, with the problems `check_inferred` found as comments at its top."""
    directory = directory.resolve()
    con = duckdb.connect(":memory:")
    tables: list[InferredTable] = []
    skipped: list[str] = []
    for group in _tabular_groups(con, directory, skipped):
        try:
            tables.append(_infer_tabular(con, group, relative_to))
        except duckdb.Error as exc:
            skipped.append(f"{_rel(group[2][0], directory)}: {_first_line(exc)}")
    keyed = {t.primary_key[0]: t for t in tables if len(t.primary_key) == 1}
    for folder in _document_folders(directory):
        tables.append(_infer_documents(folder, relative_to, tables))
    _dedupe_names(tables)
    relationships = _guess_relationships(tables, keyed)
    catalog_name = name or _identifier(directory.name)
    text = _render(catalog_name, tables, relationships, skipped)
    problems = check_inferred(text, relative_to)
    if problems:
        head = [f"# check: {p}" for p in problems]
        text = "\n".join(head) + "\n" + text
    return text


def check_inferred(text: str, relative_to: Path) -> list[str]:
    """Read every source of an inferred catalog as its first refresh would (the read stage and the
    key checks of the diff, in memory); the rows that would be left out, by table."""
    from hybridq.catalog.validate import validate_text
    from hybridq.refresh.files import scan
    from hybridq.refresh.sources import READERS, ReadContext

    validation = validate_text(text, str(relative_to / "catalog.yaml"))
    if validation.catalog is None or validation.errors:
        return [i.format().replace("\n", " ") for i in validation.errors]
    catalog = validation.catalog
    scratch = duckdb.connect(":memory:")
    problems = []
    for tname, spec in catalog.tables.items():
        source = catalog.sources[spec.source]
        files = [s.path for s in scan(catalog.base_dir, source.path, follow_symlinks=source.follow_symlinks)]
        read = READERS[source.kind](ReadContext(spec.source, source, spec, catalog.base_dir, scratch), files)
        lost = [i.format() for i in read.issues]
        keys = spec.primary_key
        if keys and read.rows.num_rows:
            key_rows = read.rows.select(keys)
            nulls = sum(key_rows.column(k).null_count for k in keys)
            distinct = key_rows.group_by(keys).aggregate([]).num_rows
            if nulls:
                lost.append(f"{nulls} row(s) without a primary key ({', '.join(keys)})")
            if distinct < key_rows.num_rows:
                lost.append(f"{key_rows.num_rows - distinct} row(s) repeat a key of primary key ({', '.join(keys)})")
        if lost:
            shown = "; ".join(lost[:3]) + (f"; and {len(lost) - 3} more" if len(lost) > 3 else "")
            problems.append(f"{tname}: {shown}")
    return problems


# -- discovery -------------------------------------------------------------------------------

def _tabular_groups(con: duckdb.DuckDBPyConnection, directory: Path,
                    skipped: list[str]) -> list[tuple[str, str, list[Path], bool]]:
    """(table name, kind, files, as a glob). The files of one kind in a folder below `directory`
    form one table (a glob) when they have the same columns (csv, parquet) or share most of their
    keys (json, jsonl: a record need not have every key). Files DuckDB cannot read are left out
    and listed in `skipped`."""
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
        sets = [set(columns[f]) for f in files]
        if kind in ("json", "jsonl"):
            together = len(set.intersection(*sets)) >= SAME_TABLE_OVERLAP * len(set.union(*sets))
        else:
            together = all(columns[f] == columns[files[0]] for f in files)
        # a subfolder of like files is one table; so is a lone file named like a partition (2024-Q1.jsonl)
        if folder != directory and together and (len(files) > 1 or not re.match(r"[A-Za-z]", files[0].stem)):
            out.append((_identifier(folder.name), kind, files, True))
        else:
            out.extend((_identifier(f.stem), kind, [f], False) for f in files)
    return out


def _relation(kind: str, files: list[Path]) -> str:
    listed = f"[{', '.join(_sql_text(str(f)) for f in files)}]"
    if kind == "csv":
        return f"read_csv({listed})"
    if kind == "parquet":
        return f"read_parquet({listed})"
    return f"read_json_auto({listed}, union_by_name=true, ignore_errors=true)"  # bad lines: the check reports them


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
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    real = [r[0] for r in described]
    if kind == "csv":
        table.header = bool(con.execute(f"SELECT HasHeader FROM sniff_csv({_sql_text(str(files[0]))})").fetchall()[0][0])
        if table.header:
            real = _csv_header_names(files[0], len(described)) or real
    duck_of: dict[str, str] = {}  # column -> DuckDB's name for it (DuckDB renames NAME next to name)
    for (duck, typ, *_), source_name in zip(described, real):
        column = table.add_column(source_name, _simplify_type(typ))
        duck_of[column] = duck
    stats = _column_stats(con, relation, table.columns, duck_of)
    for col, (count, distinct, nulls, avg_len) in stats.items():
        if table.columns[col] == "VARCHAR" and (avg_len or 0) >= LONG_TEXT_AVG:
            table.columns[col] = "TEXT"
            table.semantic.add(col)
        if count and distinct == count and not nulls:
            table.values[col] = set()
    key, table.key_note = _choose_key(name, list(table.columns), set(table.values))
    if key:
        table.primary_key = [key]
        values = con.execute(f"SELECT DISTINCT CAST({_q(duck_of[key])} AS VARCHAR) FROM {relation}").fetchall()
        table.values[key] = {v[0] for v in values}
    _guess_time_and_units(table)
    return table


def _csv_header_names(path: Path, width: int) -> list[str] | None:
    """The header exactly as the file writes it (DuckDB renames `NAME` next to `name` to NAME_1)."""
    from hybridq.refresh.sources.tabular import _first_record

    try:
        fields = _first_record(path, None, None)[1]
    except OSError:
        return None
    return fields if len(fields) == width and all(fields) else None


def _column_stats(con, relation: str, columns: dict[str, str], duck_of: dict[str, str]) -> dict[str, tuple]:
    parts = []
    for col, typ in columns.items():
        q = _q(duck_of[col])
        length = f"avg(length(CAST({q} AS VARCHAR)))" if typ in ("VARCHAR", "TEXT") else "NULL"
        parts.append(f"struct_pack(n := count(*), d := count(DISTINCT {q}), z := count(*) - count({q}), l := {length})")
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
    if upper.startswith("STRUCT") or upper.startswith("MAP") or upper.endswith("[]") or upper == "JSON":
        return "VARCHAR"  # nested values are kept as JSON text
    return upper


def _guess_time_and_units(table: InferredTable) -> None:
    """time_column: the date or timestamp column named like a moment (created_at, order_date), else
    the only one; unit: a currency, percent or duration named in a numeric column's source name."""
    moments = [c for c, typ in table.columns.items() if typ.startswith(("DATE", "TIMESTAMP"))]
    named = [c for c in moments if TIME_NAMES.search(c)]
    if named or len(moments) == 1:
        table.time_column = (named or moments)[0]
    for column, typ in table.columns.items():
        if not typ.startswith(NUMERIC):
            continue
        source_name = table.source_names.get(column, column)
        unit = next((u for pattern, u in UNITS if pattern.search(source_name)), None)
        if unit:
            table.units[column] = unit


# -- documents -------------------------------------------------------------------------------

def _infer_documents(folder: Path, base: Path, tabular: list[InferredTable]) -> InferredTable:
    docs = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENTS)
    depth = max(len(p.relative_to(folder).parts) for p in docs)
    suffixes = {p.suffix.lower() for p in docs}
    suffix = suffixes.pop() if len(suffixes) == 1 else ".*"
    name = _identifier(folder.name)
    singular = name[:-1] if name.endswith("s") else name
    deepest = [p for p in docs if len(p.relative_to(folder).parts) == depth]
    levels: list[set[str]] = [set() for _ in range(depth - 1)]
    for p in deepest:
        for i, part in enumerate(p.relative_to(folder).parts[:-1]):
            levels[i].add(part)
    front = _front_matter(deepest[:SAMPLE_DOCS])
    path_values = {p: list(p.relative_to(folder).parts[:-1]) + [p.stem] for p in deepest}
    fields, types, notes = [], [], {}
    for i, values in enumerate(levels):
        field_name, note, key_type = _name_path_level(values, tabular, f"{singular}_part{i + 1}")
        field_name = _path_field(field_name, i, front, path_values, f"{singular}_folder{i + 1}")
        fields.append(field_name)
        types.append(key_type or _level_type(values))
        if note:
            notes[field_name] = note
    stem = _path_field(f"{singular}_id", depth - 1, front, path_values, f"{singular}_file")
    template = _rel(folder, base) + "/" + "".join("{" + f + "}/" for f in fields) + "{" + stem + "}" + suffix
    table = InferredTable(name, "documents", template)
    for f, typ in zip(fields, types):
        table.columns[f] = typ
    table.columns[stem] = "VARCHAR"
    for meta_key, typ in _front_matter_types(front).items():
        if meta_key.lower() not in {c.lower() for c in table.columns} and meta_key != "body":
            table.add_column(meta_key, typ)
    table.columns["body"] = "TEXT"
    table.semantic.add("body")
    table.notes = notes
    _choose_document_key(table, singular, stem, fields, deepest, front, folder)
    if len(deepest) != len(docs):
        table.notes[stem] = "files sit at different depths; the template matches only the deepest ones"
    _guess_time_and_units(table)
    return table


def _path_field(name: str, level: int, front: dict[Path, dict], path_values: dict[Path, list[str]],
                other: str) -> str:
    """A path field keeps its name unless the front matter has a key of that name with other values
    (a file review-0001.md whose front matter says review_id: R0001): the reader would refuse every
    such file, so the path field takes another name."""
    for p, meta in front.items():
        if name in meta and meta[name] is not None and str(meta[name]) != path_values[p][level]:
            return other
    return name


def _choose_document_key(table: InferredTable, singular: str, stem: str, fields: list[str], docs: list[Path],
                         front: dict[Path, dict], folder: Path) -> None:
    """The file name identifies a document when file names are unique in the folder; else the
    folder levels and the file name together (notes/2024/plan.md, notes/2025/plan.md); a front
    matter id that the file name does not carry is preferred when it is unique."""
    wanted = f"{singular}_id"
    if stem != wanted and wanted in table.columns:
        ids = [meta.get(wanted) for meta in front.values()]
        if len(ids) == len(docs) and None not in ids and len({str(i) for i in ids}) == len(ids):
            table.primary_key = [wanted]
            table.key_note = f"front matter {wanted} is unique; the file name is {stem}"
            return
    stems = [p.stem for p in docs]
    if len(set(stems)) == len(stems):
        table.primary_key = [stem]
        table.key_note = "the file name (without extension) identifies the document"
        return
    table.primary_key = [*fields, stem]
    table.key_note = "file names repeat in different folders: the folders and the file name identify a document"


def _name_path_level(values: set[str], tabular: list[InferredTable],
                     fallback: str) -> tuple[str, str | None, str | None]:
    """Name a folder level after a key column whose values contain every folder name there.

    Returns the field name, a review note and the key column's type (None when no key matched).
    """
    for t in tabular:
        key = t.primary_key[0] if len(t.primary_key) == 1 else None
        if key and values and values <= t.values.get(key, set()):
            return key, f"folder names match {t.name}.{key}; review", t.columns[key]
    return fallback, "review: name this path field", None


def _level_type(values: set[str]) -> str:
    return "INTEGER" if values and all(re.fullmatch(r"-?\d{1,9}", v) for v in values) else "VARCHAR"


def _front_matter(docs: list[Path]) -> dict[Path, dict]:
    """Each document's front matter (empty when it has none or it cannot be read)."""
    out: dict[Path, dict] = {}
    for p in docs:
        meta: dict = {}
        try:
            m = FRONT_MATTER.match(p.read_text(encoding="utf-8"))
            if m:
                loaded = load_front_matter(m.group(1))
                meta = {str(k): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
            pass
        out[p] = meta
    return out


def _front_matter_types(front: dict[Path, dict]) -> dict[str, str]:
    seen: dict[str, list] = {}
    for meta in front.values():
        for k, v in meta.items():
            seen.setdefault(k, []).append(v)
    return {k: _python_type(vs) for k, vs in seen.items()}


def _python_type(values: list) -> str:
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
                               if n in by_name and by_name[n].primary_key == ["id"]), None)
                key = "id"
            if target is None or target is t or t.primary_key == [col]:
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
        "sources:  # watched: a change in a file is applied while `hybridq refresh --watch` runs",
    ]
    for t in tables:
        options = ", csv: {header: false}" if t.kind == "csv" and not t.header else ""
        lines.append(f"  {t.name}: {{kind: {t.kind}, path: {_scalar(t.path)}, refresh: {{mode: watch}}{options}}}")
    lines += ["", "tables:"]
    for t in tables:
        lines.append(f"  {t.name}:")
        lines.append(f"    source: {t.name}")
        lines.append("    description: TODO describe one row of this table")
        if t.primary_key:
            note = f"  # {t.key_note}" if t.key_note else ""
            key = t.primary_key[0] if len(t.primary_key) == 1 else "[" + ", ".join(t.primary_key) + "]"
            lines.append(f"    primary_key: {key}{note}")
        elif t.key_note:
            lines.append(f"    # {t.key_note}")
        if t.time_column:
            lines.append(f"    time_column: {t.time_column}  # review: the date questions about time refer to")
        if not t.header:
            lines.append("    # the file has no header line: name the columns (they are read in this order)")
        lines.append("    columns:")
        for col, typ in t.columns.items():
            parts = [f"type: {typ}"]
            if col in t.semantic:
                parts.append("semantic: true")
            if col in t.units:
                parts.append(f"unit: {t.units[col]}")
            if col in t.source_names:
                parts.append(f"source_column: {_scalar(t.source_names[col], always=True)}")
            notes = [t.notes[col]] if col in t.notes else []
            if col in t.semantic and t.kind != "documents":
                notes.append("long text: embedded for semantic search; review")
            if col in t.units:
                notes.append("unit guessed from the name; review")
            note = f"  # {'; '.join(notes)}" if notes else ""
            lines.append(f"      {col}: {{{', '.join(parts)}}}{note}")
    if relationships:
        lines += ["", "relationships:  # guessed from matching key names; review each"]
        for src, dst in relationships:
            lines.append(f"  - {{from: {src}, to: {dst}}}")
    lines += ["", "glossary: []  # business terms: {term, kind: filter|metric|dimension|entity, sql, synonyms}",
              "examples: []  # verified question -> SQL pairs", ""]
    return "\n".join(lines)


def _scalar(text: str, always: bool = False) -> str:
    if always or re.search(r"[{}:#,\[\]&*!|>'\"%@`]", text) or text != text.strip() or not text:
        return yaml.safe_dump(text, default_style='"', allow_unicode=True).strip()
    return text


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _identifier(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return ident if ident and not ident[0].isdigit() else f"t_{ident}"


def _column_name(source_name: str) -> str:
    """A plain, unreserved SQL identifier for a source's column (`Unit Price (€)` -> unit_price,
    `_score` -> score); a name that already is one is kept as it is."""
    if IDENTIFIER.match(source_name) and source_name.lower() not in RESERVED_COLUMNS:
        return source_name
    ident = re.sub(r"[^A-Za-z0-9]+", "_", source_name).strip("_").lower()
    if not ident:
        return "column"
    if ident[0].isdigit():
        ident = f"c_{ident}"
    return ident if ident not in RESERVED_COLUMNS else f"{ident}_value"


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
