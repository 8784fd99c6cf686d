"""Reader for Python callables (`module:function`) that return or yield rows, for any other source.

The function gets the source's `args` as keyword arguments and returns an iterable of mappings
(a generator is fine), a pyarrow Table or a pandas/polars DataFrame. Its rows are the whole
source each time: they are diffed by key and hash like any other rows. The catalog's folder is
importable, so a module next to the catalog file is found.
"""

from __future__ import annotations

import importlib
import sys

from hybridq.errors import SourceError
from hybridq.refresh.sources.base import ReadContext, SourceRead


def read_python(ctx: ReadContext, files: list[str]) -> SourceRead:
    from hybridq.refresh.external import rows_from_records

    opts = ctx.source.python
    function = load_function(opts.function, str(ctx.base_dir))
    result = function(**opts.args)
    return rows_from_records(ctx, list(_records(result)))


def load_function(spec: str, folder: str):
    module_name, _, attr = spec.partition(":")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SourceError(f"cannot import {module_name}: {exc}",
                          hint="the module must be installed or sit next to the catalog file") from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise SourceError(f"{module_name} has no function {attr}", hint="python: {function: 'module:function'}")
    return function


def _records(result):
    if hasattr(result, "to_pylist"):  # pyarrow
        return result.to_pylist()
    if hasattr(result, "to_dicts"):  # polars
        return result.to_dicts()
    if hasattr(result, "to_dict") and hasattr(result, "columns"):  # pandas
        return result.to_dict(orient="records")
    if result is None:
        return []
    return result
