"""Query results: Arrow first, pandas and polars on request."""

from __future__ import annotations

from typing import Any, Iterator

import pyarrow as pa

from hybridq.store.store import SnapshotStamp


class Result:
    """The rows a query returned and the snapshot they were computed on."""

    def __init__(self, table: pa.Table, snapshot: SnapshotStamp, sql: str | None = None, plan=None):
        self._table = table
        self.snapshot = snapshot
        self.sql = sql
        self.plan = plan  # how the query ran (hybridq.sql.engine.Plan)

    @property
    def columns(self) -> list[str]:
        return self._table.column_names

    @property
    def rows(self) -> list[tuple]:
        columns = [c.to_pylist() for c in self._table.columns]
        return list(zip(*columns)) if columns else []

    def to_arrow(self) -> pa.Table:
        return self._table

    def to_pandas(self):
        return self._table.to_pandas()

    def to_polars(self):
        import polars as pl

        return pl.from_arrow(self._table)

    def to_dicts(self) -> list[dict[str, Any]]:
        return self._table.to_pylist()

    def __len__(self) -> int:
        return self._table.num_rows

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __repr__(self) -> str:
        return f"<Result {self._table.num_rows} rows x {self._table.num_columns} columns, {self.snapshot}>"
