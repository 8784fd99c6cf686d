"""Lance side of the store: one chunk table per semantic column, written by key, read by version."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

os.environ.setdefault("LANCE_LOG", "error")  # library code does not print; errors are raised

import lance  # noqa: E402
import lancedb  # noqa: E402
import pyarrow as pa  # noqa: E402

VECTOR = "vector"
CHUNK_COLUMNS = ("_chunk", "_text", "_hash", VECTOR)


def chunk_schema(key_fields: list[pa.Field], dim: int) -> pa.Schema:
    return pa.schema(
        [*key_fields, pa.field("_chunk", pa.int32()), pa.field("_text", pa.string()),
         pa.field("_hash", pa.string()), pa.field(VECTOR, pa.list_(pa.float32(), dim))]
    )


def ann_parameters(rows: int, dim: int) -> dict:
    """IVF-PQ settings: about sqrt(rows) partitions, 8 dimensions per PQ sub-vector."""
    partitions = max(1, min(4096, int(rows ** 0.5)))
    sub_vectors = next(d for d in (dim // 8, dim // 4, dim // 2, dim, 1) if d and dim % d == 0)
    return {"num_partitions": partitions, "num_sub_vectors": sub_vectors}


class LanceStore:
    """The Lance directory of a store. Writes go through one writer at a time (the refresh)."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._db = lancedb.connect(str(directory))
        self._tables: dict[str, object] = {}
        self._datasets: dict[tuple[str, int], lance.LanceDataset] = {}
        self._lock = threading.Lock()

    def uri(self, name: str) -> str:
        return str(self.directory / f"{name}.lance")

    def exists(self, name: str) -> bool:
        return (self.directory / f"{name}.lance").is_dir()

    def _table(self, name: str):
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = self._db.open_table(name)
        return table

    def latest_version(self, name: str) -> int | None:
        if not self.exists(name):
            return None
        table = self._table(name)
        table.checkout_latest()
        return int(table.version)

    def create(self, name: str, schema: pa.Schema) -> int:
        self.drop(name)
        table = self._db.create_table(name, schema=schema, mode="overwrite")
        self._tables[name] = table
        return int(table.version)

    def overwrite(self, name: str, data: pa.Table, schema: pa.Schema) -> int:
        """Replace the table's content with `data` as a new version (older versions stay readable)."""
        if not self.exists(name):
            table = self._db.create_table(name, data=data, schema=schema)
            self._tables[name] = table
            return int(table.version)
        ds = lance.write_dataset(data, self.uri(name), schema=schema, mode="overwrite")
        self._tables.pop(name, None)
        return int(ds.version)

    def write(self, name: str, keys: list[str], upserts: pa.Table | None, delete_filter: str | None) -> int:
        """Upsert chunks by (key..., _chunk), then delete what `delete_filter` matches; the new version."""
        table = self._table(name)
        table.checkout_latest()
        if upserts is not None and upserts.num_rows:
            if table.count_rows() == 0:
                table.add(upserts)
            else:
                (table.merge_insert([*keys, "_chunk"]).when_matched_update_all()
                 .when_not_matched_insert_all().execute(upserts))
        if delete_filter:
            table.delete(delete_filter)
        return int(table.version)

    def ensure_indexes(self, name: str, ann_min_rows: int) -> int:
        """Build the full-text index on chunk text, and the vector index once the column is large.

        Rows written after an index was built are still searched (Lance scans them directly);
        the background maintenance folds them into the index. Returns the latest version.
        """
        ds = lance.dataset(self.uri(name))
        names = {f for d in ds.describe_indices() for f in d.field_names}
        if "_text" not in names and ds.count_rows():
            ds.create_scalar_index("_text", index_type="INVERTED")
        if VECTOR not in names and ds.count_rows() >= ann_min_rows:
            ds = lance.dataset(self.uri(name))
            ds.create_index(VECTOR, index_type="IVF_PQ", metric="cosine", **ann_parameters(ds.count_rows(),
                                                                                           ds.schema.field(VECTOR).type.list_size))
        self._tables.pop(name, None)
        return int(lance.dataset(self.uri(name)).version)

    def restore(self, name: str, version: int) -> None:
        """Make `version` the latest again, undoing writes that no DuckDB commit recorded."""
        table = self._table(name)
        table.checkout_latest()
        if int(table.version) != version:
            table.checkout(version)
            table.restore()

    def dataset(self, name: str, version: int) -> lance.LanceDataset:
        """The chunk table as it was at `version` (what a snapshot pins)."""
        key = (name, version)
        with self._lock:
            ds = self._datasets.get(key)
            if ds is None:
                ds = lance.dataset(self.uri(name), version=version)
                if len(self._datasets) > 64:
                    self._datasets.pop(next(iter(self._datasets)))
                self._datasets[key] = ds
            return ds

    def drop(self, name: str) -> None:
        self._tables.pop(name, None)
        with self._lock:
            for key in [k for k in self._datasets if k[0] == name]:
                del self._datasets[key]
        path = self.directory / f"{name}.lance"
        if path.exists():
            shutil.rmtree(path)
