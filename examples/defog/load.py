"""Turn the PostgreSQL dumps of the ``defog-data`` package into one Parquet file per table.

The seven databases of the defog-data package (academic, advising, atis, geography, restaurants, scholar,
yelp) ship
as ``pg_dump`` output: ``CREATE TABLE`` statements and ``COPY ... FROM stdin;`` blocks in
PostgreSQL's text format. This reads them without PostgreSQL and writes ``<table>.parquet`` files,
typed from the ``CREATE TABLE`` columns (Parquet keeps those types, so the catalogs read exactly
what the dump holds).

Usage::

    python -m examples.defog.load --all --out examples/defog/data      # <out>/<db>/<table>.parquet
    python -m examples.defog.load --db academic --out /tmp/defog

or from Python::

    from examples.defog.load import load
    counts = load("academic", Path("/tmp/academic"))   # {"author": 5, ...}; files in /tmp/academic
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import importlib.util
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATABASES = ("academic", "advising", "atis", "geography", "restaurants", "scholar", "yelp")

_CREATE = re.compile(r"^CREATE TABLE (?:\w+\.)?(\w+) \((.*?)^\);", re.S | re.M)
_COPY = re.compile(r"^COPY (?:\w+\.)?(\w+) \((.*?)\) FROM stdin;\n(.*?)^\\\.$", re.S | re.M)
# a column line: name, then its type up to a DEFAULT / NOT NULL clause or the end of the line
_COLUMN = re.compile(r'^\s*"?(\w+)"? (.+?)(?: DEFAULT .*?)?(?: NOT NULL)?,?$')
# backslash sequences of COPY's text format: octal, hex, or one character
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.S)
_CHAR_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_TRUE, _FALSE = {"t", "true", "y", "yes", "on", "1"}, {"f", "false", "n", "no", "off", "0"}


def dump_path(db: str) -> Path:
    """The dump inside the installed package, found without importing it (it has no code to run)."""
    spec = importlib.util.find_spec("defog_data")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the defog-data package is not installed: pip install defog-data")
    path = Path(next(iter(spec.submodule_search_locations))) / db / f"{db}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no dump for database {db!r} at {path}")
    return path


def arrow_type(pg_type: str) -> pa.DataType:
    """The Arrow type holding a PostgreSQL column type exactly (numeric without a scale as double)."""
    t = pg_type.lower().strip()
    if t in ("bigint", "int8"):
        return pa.int64()
    if t in ("integer", "int", "int4"):
        return pa.int32()
    if t in ("smallint", "int2"):
        return pa.int16()
    if t in ("real", "float4"):
        return pa.float32()
    if t in ("double precision", "float8"):
        return pa.float64()
    if m := re.fullmatch(r"(?:numeric|decimal)\((\d+),\s*(\d+)\)", t):
        return pa.decimal128(int(m[1]), int(m[2]))
    if t in ("numeric", "decimal"):
        return pa.float64()  # unconstrained numeric has no fixed scale; DuckDB reads it as DOUBLE too
    if t == "boolean":
        return pa.bool_()
    if t == "date":
        return pa.date32()
    if t in ("time", "time without time zone"):
        return pa.time64("us")
    if t in ("timestamp", "timestamp without time zone"):
        return pa.timestamp("us")
    if t == "text" or t.startswith(("character varying", "varchar", "character", "char")):
        return pa.string()
    raise ValueError(f"unsupported column type {pg_type!r}")


def parse_tables(sql: str) -> dict[str, dict[str, str]]:
    """``{table: {column: postgres type}}`` from the dump's CREATE TABLE statements, in order."""
    tables = {}
    for name, body in _CREATE.findall(sql):
        columns = {}
        for line in body.strip().splitlines():
            m = _COLUMN.match(line)
            if not m:
                raise ValueError(f"cannot read column definition {line.strip()!r} of table {name}")
            columns[m[1]] = m[2]
        tables[name] = columns
    return tables


def unescape(field: str) -> str:
    """A text-format field with its backslash escapes resolved (octal and hex ones are bytes)."""
    if "\\" not in field:
        return field

    def one(m: re.Match) -> bytes:
        if m[1]:
            return bytes([int(m[1], 8) & 0xFF])
        if m[2]:
            return bytes([int(m[2], 16)])
        return _CHAR_ESCAPES.get(m[3], m[3])  # \\ and any other escaped character stand for themselves

    return _ESCAPE.sub(one, field.encode("utf-8")).decode("utf-8")


def converter(pg_type: str):
    """A function turning one unescaped field into the Python value for its column's type."""
    kind = arrow_type(pg_type)
    if pa.types.is_integer(kind):
        return int
    if pa.types.is_floating(kind):
        return float
    if pa.types.is_decimal(kind):
        return decimal.Decimal
    if pa.types.is_boolean(kind):
        return _boolean
    if pa.types.is_date(kind):
        return dt.date.fromisoformat
    if pa.types.is_time(kind):
        return dt.time.fromisoformat
    if pa.types.is_timestamp(kind):
        return dt.datetime.fromisoformat
    return str


def _boolean(text: str) -> bool:
    low = text.lower()
    if low not in _TRUE | _FALSE:
        raise ValueError(f"not a boolean: {text!r}")
    return low in _TRUE


def parse_copy(columns: list[str], types: dict[str, str], block: str) -> pa.Table:
    """One COPY block as an Arrow table: rows are lines, fields are tab-separated (a tab inside a
    value is written ``\\t``, so splitting before unescaping is safe); ``\\N`` is NULL."""
    convert = {c: converter(types[c]) for c in columns}
    values: dict[str, list] = {c: [] for c in columns}
    # split on newlines only: str.splitlines() would also break on characters such as U+2028
    # that COPY leaves unescaped inside values
    for number, line in enumerate(block.split("\n")[:-1], start=1):
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise ValueError(f"row {number} has {len(fields)} fields, expected {len(columns)}")
        for column, raw in zip(columns, fields):
            values[column].append(None if raw == r"\N" else convert[column](unescape(raw)))
    schema = pa.schema([(c, arrow_type(t)) for c, t in types.items()])
    # columns in CREATE TABLE order, whatever order the COPY lists them in
    return pa.table({c: pa.array(values[c], schema.field(c).type) for c in types}, schema=schema)


def read_dump(db: str) -> dict[str, pa.Table]:
    """Every table of the database, typed; a table without a COPY block is empty."""
    sql = dump_path(db).read_text(encoding="utf-8")
    tables = parse_tables(sql)
    data = {name: pa.table({c: pa.array([], arrow_type(t)) for c, t in cols.items()}) for name, cols in tables.items()}
    for name, column_list, block in _COPY.findall(sql):
        columns = [c.strip().strip('"') for c in column_list.split(",")]
        if name not in tables or set(columns) != set(tables[name]):
            raise ValueError(f"COPY into {name} names columns the CREATE TABLE does not match")
        data[name] = parse_copy(columns, tables[name], block)
    return data


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write through a temporary file, so a watching refresh never reads half a file."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def load(db: str, out_dir: Path) -> dict[str, int]:
    """Write ``out_dir/<table>.parquet`` for every table of ``db``; return the row count per table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, table in sorted(read_dump(db).items()):
        write_parquet(table, out_dir / f"{name}.parquet")
        counts[name] = table.num_rows
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the defog-data dumps as Parquet, one folder per database.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--db", choices=DATABASES, action="append", help="a database (repeatable)")
    which.add_argument("--all", action="store_true", help="all six databases")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data",
                        help="folder receiving <db>/<table>.parquet (default: examples/defog/data)")
    args = parser.parse_args(argv)
    for db in DATABASES if args.all else args.db:
        counts = load(db, args.out / db)
        print(f"{db}: {len(counts)} tables, {sum(counts.values())} rows -> {args.out / db}")
        for name, n in counts.items():
            print(f"  {name:24} {n:6}")


if __name__ == "__main__":
    main()
