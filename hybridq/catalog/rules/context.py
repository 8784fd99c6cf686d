"""What every validation rule is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from hybridq.catalog.issues import Issue, Level
from hybridq.catalog.loader import Located, PathKey, format_path
from hybridq.catalog.model import Catalog


@dataclass
class RuleContext:
    catalog: Catalog
    located: Located
    # Parts that failed schema validation and were left out so the rules could run on the rest;
    # references to them are not reported again.
    dropped: set[PathKey] = field(default_factory=set)
    # For each list, the index in the file of every item the catalog kept: after glossary[1] was
    # left out, the catalog's glossary[1] is glossary[2] in the file.
    index_maps: dict[PathKey, list[int]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.located.file

    @property
    def base_dir(self) -> Path:
        return Path(self.file).resolve().parent

    def file_path(self, path: PathKey) -> PathKey:
        """`path` into the catalog model, as a path into the file."""
        out: tuple = ()
        for part in path:
            kept = self.index_maps.get(out)
            if isinstance(part, int) and kept is not None and part < len(kept):
                part = kept[part]
            out += (part,)
        return out

    def issue(self, path: PathKey, message: str, hint: str | None = None, *, level: Level = "error",
              rule: str | None = None) -> Issue:
        path = self.file_path(path)
        return Issue(level, format_path(path), message, hint=hint, file=self.file,
                     line=self.located.report_line(path), rule=rule)

    def table_known(self, name: str) -> bool:
        """True when the table exists, or was dropped for a schema error (already reported)."""
        return self.catalog.find_table(name) is not None or ("tables", name) in self.dropped

    @property
    def unchecked(self) -> frozenset[str]:
        """Lower-case 'table' and 'table.column' names left out after a schema error (already reported)."""
        names = set()
        for p in self.dropped:
            if p[0] == "tables" and len(p) == 2:
                names.add(str(p[1]).lower())
            elif p[0] == "tables" and len(p) == 4 and p[2] == "columns":
                names.add(f"{p[1]}.{p[3]}".lower())
        return frozenset(names)

    def column_known(self, table: str, column: str) -> bool:
        found = self.catalog.find_table(table)
        if found is None:
            return ("tables", table) in self.dropped
        return (
            self.catalog.tables[found].find_column(column) is not None
            or ("tables", found, "columns", column) in self.dropped
        )


def parse_type(type_text: str) -> exp.DataType | None:
    """The column type as sqlglot understands it in DuckDB, or None when it is not a type."""
    try:
        dtype = exp.DataType.build(type_text, dialect="duckdb")
    except Exception:
        return None
    if dtype.this == exp.DataType.Type.USERDEFINED:
        return None
    return dtype


def type_family(type_text: str) -> str:
    """A coarse family used to check that two key columns can be joined."""
    dtype = parse_type(type_text)
    if dtype is None:
        return "unknown"
    if dtype.is_type(*exp.DataType.INTEGER_TYPES):
        return "integer"
    if dtype.is_type(*exp.DataType.REAL_TYPES):
        return "number"
    if dtype.is_type(*exp.DataType.TEXT_TYPES):
        return "text"
    if dtype.is_type(*exp.DataType.TEMPORAL_TYPES):
        return "date" if dtype.is_type(exp.DataType.Type.DATE) else "timestamp"
    if dtype.is_type(exp.DataType.Type.BOOLEAN):
        return "boolean"
    return dtype.this.value.lower()


def is_text_type(type_text: str) -> bool:
    return type_family(type_text) == "text"
