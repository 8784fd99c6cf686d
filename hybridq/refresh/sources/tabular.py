"""Readers for csv, parquet, json and jsonl files."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile

import duckdb
import pyarrow as pa

from hybridq.refresh.files import absolute
from hybridq.refresh.sources.base import ReadContext, RowIssue, SourceRead, empty_rows, finish, typed_from_records
from hybridq.store.duck import quote


def _concat(tables: list[pa.Table], ctx: ReadContext) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables, promote_options="permissive") if tables else empty_rows(ctx)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_delimiter(first: str, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _text_encoding(encoding: str | None) -> str:
    """The Python codec for reading a CSV as DuckDB does (a UTF-8 byte order mark is not text)."""
    if not encoding or encoding.lower().replace("-", "").replace("_", "") == "utf8":
        return "utf-8-sig"
    return encoding


def _csv_record_lines(path, header: bool, delimiter: str | None, quote: str | None, encoding: str | None,
                      rejected: set[int]) -> list[int]:
    """The line each data record starts on, in file order, without blank and rejected lines."""
    out = []
    with open(path, newline="", encoding=_text_encoding(encoding), errors="replace") as f:
        first = f.readline()
        f.seek(0)
        reader = csv.reader(f, delimiter=_csv_delimiter(first, delimiter), quotechar=quote or '"')
        start = 1
        for record in reader:
            if record and not (header and start == 1) and start not in rejected:
                out.append(start)
            start = reader.line_num + 1
    return out


def _repeats_a_key(data: pa.Table, keys: list[str]) -> bool:
    return data.select(keys).group_by(keys).aggregate([]).num_rows < data.num_rows


def csv_key_lines(ctx: ReadContext, shown: str, wanted: set[str]) -> dict[str, list[int]]:
    """key (as the refresh writes it) -> the lines of the file's records with that key, for the
    keys in `wanted` (to say where a row whose key another file already holds is)."""
    opts = ctx.source.csv
    header = True if opts is None else opts.header
    names = ctx.source_names()
    keys = ctx.table.primary_key
    out: dict[str, list[int]] = {}
    with open(absolute(ctx.base_dir, shown), newline="", encoding=_text_encoding(opts.encoding if opts else None),
              errors="replace") as f:
        first = f.readline()
        f.seek(0)
        reader = csv.reader(f, delimiter=_csv_delimiter(first, opts.delimiter if opts else None),
                            quotechar=(opts.quote if opts else None) or '"')
        start, positions = 1, None
        for record in reader:
            if positions is None:
                heads = [h.strip() for h in record] if header else list(ctx.table.columns)
                positions = [heads.index(names[k]) if names[k] in heads else -1 for k in keys]
                if header:
                    start = reader.line_num + 1
                    continue
            values = [record[i].strip() if 0 <= i < len(record) else "" for i in positions]
            text = values[0] if len(values) == 1 else json.dumps(values)
            if text in wanted:
                out.setdefault(text, []).append(start)
            start = reader.line_num + 1
    return out


def _with_lines(data: pa.Table, lines: list[int]) -> pa.Table:
    return data.set_column(data.schema.get_field_index("_line"), "_line", pa.array(lines, pa.int64()))


UNCLOSED = "UNQUOTED VALUE"  # DuckDB's error type for a quote that opens a value never closed as it should
MAX_UNCLOSED = 20  # lines with an unclosed quote set aside per file before the file counts as unreadable


def read_csv(ctx: ReadContext, files: list[str]) -> SourceRead:
    """Rows of CSV files, read with the dialect the catalog gives or the header line shows (no
    sniffing of the rest: one bad line must not change how the good ones are read).

    Columns are taken by position, so any header works (`Unit Price (€)`, `name` next to `NAME`).
    A line whose quote never closes is reported and set aside, and the file read again without it;
    mixed line endings are read as they come."""
    opts = ctx.source.csv
    header = True if opts is None else opts.header
    encoding = opts.encoding if opts else None
    columns = ctx.table.columns
    source_names = ctx.source_names()
    out = SourceRead(empty_rows(ctx))
    tables = []
    for shown in ctx.each_file(files):
        path = absolute(ctx.base_dir, shown)
        try:
            first = _first_record(path, opts.delimiter if opts else None, encoding)
        except OSError as exc:
            out.failed.add(shown)
            out.issues.append(RowIssue(shown, None, None, f"cannot read file: {exc.strerror or exc}"))
            continue
        delimiter, fields = first
        if header:
            missing = [source_names[c] for c in columns if source_names[c] not in fields]
            if missing:
                out.failed.add(shown)
                out.issues.append(RowIssue(shown, 1, None,
                                           f"missing column(s) {', '.join(missing)}; the header has {', '.join(fields) or 'nothing'}"))
                continue
            position = {c: fields.index(source_names[c]) for c in columns}
        else:
            position = {c: i for i, c in enumerate(columns)}
        width = max(len(fields), len(columns))
        declared = {i: col.type for c, col in columns.items() for i in [position[c]]}
        names = {i: fields[i] if header and i < len(fields) else f"column{i}" for i in range(width)}
        params = [f"header={'true' if header else 'false'}", "auto_detect=false", "store_rejects=true",
                  f"delim={_sql_text(delimiter)}", f"quote={_sql_text((opts.quote if opts else None) or chr(34))}",
                  f"escape={_sql_text((opts.quote if opts else None) or chr(34))}",
                  "columns={" + ", ".join(f"'c{i}': {_sql_text(declared.get(i, 'VARCHAR'))}" for i in range(width)) + "}"]
        if opts and opts.date_format:
            params.append(f"dateformat={_sql_text(opts.date_format)}")
        if encoding:
            params.append(f"encoding={_sql_text(encoding)}")
        select = ", ".join(f"c{position[c]} AS {quote(c)}" for c in columns)
        data, rejected, set_aside, problem = _read_csv_file(ctx, str(path), select, shown, params)
        if problem:
            out.failed.add(shown)
            out.issues.append(RowIssue(shown, None, None, f"cannot read CSV: {problem}"))
            continue
        for line in sorted(set_aside):
            out.issues.append(RowIssue(shown, line, None, "a quote in this line opens a value that never closes: "
                                                          "the line is left out (double a quote inside a value)"))
        for line, column, message in rejected:
            if column and column.startswith("c") and column[1:].isdigit():
                real = names.get(int(column[1:]), column)
                message, column = message.replace(f'"{column}"', f'"{real}"'), real
            out.issues.append(RowIssue(shown, line, None, f"{message}" + (f" (column {column})" if column else "")))
        if rejected or set_aside:
            out.partial.add(shown)
        keys = ctx.table.primary_key
        if keys and (any(data.column(k).null_count for k in keys) or _repeats_a_key(data, keys)):
            # rows without a key, and rows repeating a key, are reported by their line (and the first
            # of a repeated key is the one kept): find where each record starts
            lines = _csv_record_lines(path, header, delimiter, opts.quote if opts else None, encoding,
                                      {r[0] for r in rejected} | set_aside)
            if len(lines) == data.num_rows:
                data = _with_lines(data, lines)
        relation = ctx.temp_name("csv")
        ctx.scratch.register(relation, data)
        try:
            typed, issues = finish(ctx, relation, cast=False)
        finally:
            ctx.scratch.unregister(relation)
        tables.append(typed)
        out.issues.extend(issues)
    out.rows = _concat(tables, ctx)
    return out


def _read_csv_file(ctx: ReadContext, path: str, select: str, shown: str,
                   params: list[str]) -> tuple[pa.Table, list, set[int], str | None]:
    """(rows, DuckDB's rejected lines, lines set aside for an unclosed quote, why the file cannot be
    read). Lines whose quote never closes swallow the lines after them: they are blanked in a
    private copy (line numbers stay) and the file is read again."""
    set_aside: set[int] = set()
    relaxed = False
    copy = None
    try:
        while True:
            rejects, scans = ctx.temp_name("rej"), ctx.temp_name("scan")
            extra = [f"rejects_table='{rejects}'", f"rejects_scan='{scans}'"] + (["strict_mode=false"] if relaxed else [])
            try:
                data = ctx.scratch.sql(
                    f"SELECT {select}, {_sql_text(shown)} AS _file, NULL::BIGINT AS _line "
                    f"FROM read_csv({_sql_text(copy or path)}, {', '.join(params + extra)})").to_arrow_table()
                rejected = ctx.scratch.execute(
                    f"SELECT line, column_name, error_type, error_message FROM {rejects} ORDER BY line").fetchall()
            except duckdb.Error as exc:
                if not relaxed and "invalid state" in str(exc):  # lines end in \r\n and \n alike
                    relaxed = True
                    continue
                return pa.table({}), [], set_aside, _first_line(exc)
            finally:
                for t in (rejects, scans):
                    ctx.scratch.execute(f"DROP TABLE IF EXISTS {t}")
            unclosed = {line for line, _, kind, _ in rejected if kind == UNCLOSED} - set_aside
            if not unclosed or len(set_aside) >= MAX_UNCLOSED:
                break
            set_aside |= unclosed
            copy = _blank_lines(path, set_aside, copy)
        kept = [(line, column, message) for line, column, _, message in rejected if line not in set_aside]
        return data, kept, set_aside, None
    finally:
        if copy is not None:
            with contextlib.suppress(OSError):
                os.unlink(copy)


def _blank_lines(path: str, lines: set[int], copy: str | None) -> str:
    """A private copy of the file with these lines emptied (their line ends kept)."""
    with open(path, "rb") as f:
        raw = f.read().splitlines(keepends=True)
    for number in lines:
        if 0 < number <= len(raw):
            line = raw[number - 1]
            raw[number - 1] = line[len(line.rstrip(b"\r\n")):]
    if copy is None:
        fd, copy = tempfile.mkstemp(prefix="hybridq-", suffix=".csv")
        os.close(fd)
    with open(copy, "wb") as f:
        f.write(b"".join(raw))
    return copy


def _first_record(path, delimiter: str | None, encoding: str | None) -> tuple[str, list[str]]:
    """(the delimiter, the first record's fields): the header, or the width of a file without one."""
    with open(path, newline="", encoding=_text_encoding(encoding), errors="replace") as f:
        first = f.readline()
    delimiter = _csv_delimiter(first, delimiter)
    return delimiter, [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]


def _select(source_names: dict[str, str]) -> str:
    """The source's columns under the table's names."""
    return ", ".join(quote(src) if src == c else f"{quote(src)} AS {quote(c)}" for c, src in source_names.items())


def read_parquet(ctx: ReadContext, files: list[str]) -> SourceRead:
    columns = ctx.table.columns
    source_names = ctx.source_names()
    out = SourceRead(empty_rows(ctx))
    tables = []
    for shown in ctx.each_file(files):
        path = absolute(ctx.base_dir, shown)
        try:
            names = [r[0] for r in ctx.scratch.execute(
                f"SELECT name FROM parquet_schema({_sql_text(str(path))})").fetchall()]
            missing = [source_names[c] for c in columns if source_names[c] not in names]
            if missing:
                raise ValueError(f"missing column(s) {', '.join(missing)}")
            relation = ctx.temp_name("pq")
            data = ctx.scratch.sql(
                f"SELECT {_select(source_names)}, {_sql_text(shown)} AS _file, "
                f"file_row_number + 1 AS _line FROM read_parquet({_sql_text(str(path))}, file_row_number=true)"
            ).to_arrow_table()
        except (duckdb.Error, ValueError) as exc:
            out.failed.add(shown)
            out.issues.append(RowIssue(shown, None, None, f"cannot read Parquet: {_first_line(exc)}"))
            continue
        ctx.scratch.register(relation, data)
        try:
            typed, issues = finish(ctx, relation, cast=True)
        finally:
            ctx.scratch.unregister(relation)
        if issues:
            out.partial.add(shown)
        tables.append(typed)
        out.issues.extend(issues)
    out.rows = _concat(tables, ctx)
    return out


def read_jsonl(ctx: ReadContext, files: list[str]) -> SourceRead:
    return _read_json_records(ctx, files, lines=True)


def read_json(ctx: ReadContext, files: list[str]) -> SourceRead:
    return _read_json_records(ctx, files, lines=False)


def _read_json_records(ctx: ReadContext, files: list[str], *, lines: bool) -> SourceRead:
    """Records of json (one array, or one object) and jsonl (one object a line) files.

    A json file is parsed whole, so one larger than max_file_bytes is not read; a jsonl file is
    read a line at a time, and a line longer than that is reported. A value too deeply nested, or a
    number too long to convert, is reported like any line that is not JSON."""
    out = SourceRead(empty_rows(ctx))
    limit = ctx.source.max_file_bytes
    records, rec_files, rec_lines = [], [], []
    for shown in ctx.each_file(files):
        path = absolute(ctx.base_dir, shown)
        try:
            if lines:
                parsed = list(_jsonl_records(path, limit))
            else:
                size = path.stat().st_size
                if size > limit:
                    out.failed.add(shown)
                    out.issues.append(RowIssue(shown, None, None,
                                               f"file is {size:,} bytes, over max_file_bytes ({limit:,}); not read"))
                    continue
                parsed = [(None, path.read_text(encoding="utf-8"))]
        except (OSError, UnicodeDecodeError) as exc:
            out.failed.add(shown)
            out.issues.append(RowIssue(shown, None, None, f"cannot read file: {exc}"))
            continue
        for number, line in parsed:
            if isinstance(line, RowIssue):
                out.partial.add(shown)
                out.issues.append(RowIssue(shown, number, None, line.message))
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                if lines:
                    out.partial.add(shown)
                    out.issues.append(RowIssue(shown, number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"))
                else:
                    out.failed.add(shown)
                    out.issues.append(RowIssue(shown, exc.lineno, None, f"invalid JSON: {exc.msg}"))
                continue
            except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting too deep
                problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
                (out.partial if lines else out.failed).add(shown)
                out.issues.append(RowIssue(shown, number, None, f"cannot read this JSON: {problem}"))
                continue
            if lines:
                if not isinstance(value, dict):
                    out.partial.add(shown)
                    out.issues.append(RowIssue(shown, number, None, "expected a JSON object on this line"))
                    continue
                records.append(value)
                rec_files.append(shown)
                rec_lines.append(number)
                continue
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    out.partial.add(shown)
                    out.issues.append(RowIssue(shown, None, None, f"record {index} is not a JSON object"))
                    continue
                records.append(item)
                rec_files.append(shown)
                rec_lines.append(None)
    try:
        typed, issues = typed_from_records(ctx, records, rec_files, rec_lines)
    except RecursionError:  # a value nested too deeply to write out as text
        typed, issues = empty_rows(ctx), [RowIssue(f, None, None, "a value is nested too deeply") for f in set(rec_files)]
        out.failed.update(rec_files)
    out.partial.update(i.file for i in issues if i.file)
    out.rows, out.issues = typed, out.issues + issues
    return out


def _jsonl_records(path, limit: int):
    """(line number, text) for each non-blank line, or (line number, RowIssue) for a line over
    `limit` bytes (skipped without being held in memory)."""
    with open(path, "rb") as f:
        number = 0
        while True:
            raw = f.readline(limit + 1)
            if not raw:
                return
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                rest = 0
                while True:  # skip the rest of the line
                    more = f.readline(1 << 20)
                    rest += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                yield number, RowIssue(None, None, None,
                                       f"line is {len(raw) + rest:,} bytes, over max_file_bytes ({limit:,}); not read")
                continue
            text = raw.decode("utf-8")
            if text.strip():
                yield number, text


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
