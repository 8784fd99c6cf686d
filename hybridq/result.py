"""Query results: Arrow first, pandas and polars on request."""

from __future__ import annotations

from typing import Any, Iterator

from hybridq.snapshot import SnapshotStamp


class Result:
    """The rows a query returned and the snapshot they were computed on.

    A result is an Arrow table. A result received as JSON rows (the command line asks a store's
    owner process for JSON, to answer without loading Arrow) becomes one when `to_arrow()` is called.
    """

    def __init__(self, table, snapshot: SnapshotStamp, sql: str | None = None, plan=None):
        self._table = table  # a pyarrow.Table, or None for a result made by `from_rows`
        self._columns: list[str] = []
        self._rows: list[tuple] = []
        self.snapshot = snapshot
        self.sql = sql
        self.plan = plan  # how the query ran (hybridq.sql.plan.Plan)

    @classmethod
    def from_rows(cls, columns: list[str], rows: list, snapshot: SnapshotStamp, sql: str | None = None) -> "Result":
        result = cls(None, snapshot, sql)
        result._columns = list(columns)
        result._rows = [tuple(r) for r in rows]
        return result

    @property
    def columns(self) -> list[str]:
        return self._table.column_names if self._table is not None else list(self._columns)

    @property
    def rows(self) -> list[tuple]:
        if self._table is None:
            return list(self._rows)
        columns = [c.to_pylist() for c in self._table.columns]
        return list(zip(*columns)) if columns else []

    def head(self, n: int) -> list[tuple]:
        """The first `n` rows (the others are not converted)."""
        if self._table is None:
            return self._rows[:n]
        return Result(self._table.slice(0, n), self.snapshot).rows

    def to_arrow(self):
        if self._table is None:
            import pyarrow as pa

            self._table = pa.Table.from_pylist([dict(zip(self._columns, r)) for r in self._rows]) if self._rows \
                else pa.table({c: pa.array([], pa.null()) for c in self._columns})
        return self._table

    def to_pandas(self):
        return self.to_arrow().to_pandas()

    def to_polars(self):
        import polars as pl

        return pl.from_arrow(self.to_arrow())

    def to_dicts(self) -> list[dict[str, Any]]:
        if self._table is None:
            return [dict(zip(self._columns, r)) for r in self._rows]
        return self._table.to_pylist()

    def __len__(self) -> int:
        return self._table.num_rows if self._table is not None else len(self._rows)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __repr__(self) -> str:
        width = len(self.columns)
        return f"<Result {len(self)} rows x {width} columns, {self.snapshot}>"
