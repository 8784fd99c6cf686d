"""Rules about the query engine (`engine:`)."""

from __future__ import annotations

import importlib.util
from typing import Iterator

from hybridq.catalog.issues import Issue
from hybridq.catalog.rules.context import RuleContext

DAFT_ONLY = ("runner", "address", "embed_workers", "bulk_embed_min_chunks")


def check_engine(ctx: RuleContext) -> Iterator[Issue]:
    engine = ctx.catalog.engine
    given = engine.model_fields_set
    if engine.kind == "duckdb":
        for key in DAFT_ONLY:
            if key in given:
                yield ctx.issue(("engine", key), f"engine.{key} applies to the daft engine only; kind is duckdb",
                                "set kind: daft, or remove the key", level="warning")
        return
    if importlib.util.find_spec("daft") is None:
        yield ctx.issue(("engine", "kind"), "the daft engine needs the daft package, which is not installed",
                        "pip install 'hybridq[daft]'")
    if engine.address is not None and engine.runner != "ray":
        yield ctx.issue(("engine", "address"), f"engine.address applies to the ray runner only; runner is {engine.runner}",
                        "set runner: ray, or remove the address", level="warning")
