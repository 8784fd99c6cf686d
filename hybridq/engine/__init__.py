"""Query engines: DuckDBEngine (embedded, the default) and DaftEngine (Daft's native runner or Ray).

`make_engine` turns what a user gives (`connect(engine=...)` or the catalog's `engine:`) into one.
"""

from __future__ import annotations

from hybridq.catalog.model import EngineConfig
from hybridq.engine.base import FEATURES, Engine
from hybridq.errors import EngineError

__all__ = ["Engine", "FEATURES", "make_engine"]


def make_engine(spec) -> Engine:
    """An engine from an Engine, a kind ('duckdb', 'daft'), a mapping like the catalog's
    `engine: {kind: daft, runner: ray, address: ...}`, or an EngineConfig."""
    if hasattr(spec, "relations") and hasattr(spec, "run"):
        return spec
    if isinstance(spec, str):
        spec = {"kind": spec}
    if isinstance(spec, dict):
        try:
            spec = EngineConfig(**spec)
        except Exception as exc:
            raise EngineError(f"invalid engine {spec!r}: {exc}",
                              hint="e.g. engine='daft' or engine={'kind': 'daft', 'runner': 'ray'}") from None
    if not isinstance(spec, EngineConfig):
        raise EngineError(f"invalid engine {spec!r}", hint="a kind ('duckdb' or 'daft'), a mapping, or an Engine")
    if spec.kind == "duckdb":
        from hybridq.engine.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    from hybridq.engine.daft_engine import DaftEngine

    return DaftEngine(spec.runner, spec.address, embed_workers=spec.embed_workers,
                      bulk_embed_min_chunks=spec.bulk_embed_min_chunks)
