"""Shared fixtures: the real embedding model (loaded once), and a small acme store built once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# CLI commands run in their own process unless a test starts a background owner on purpose
os.environ.setdefault("HYBRIDQ_OWNER", "off")

ROOT = Path(__file__).resolve().parents[1]
ACME_SCALE = 0.05


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 model, shared by every test that embeds."""
    from hybridq.embed import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    model.embed(["warm up"])
    return model


def make_acme(root: Path, scale: float = ACME_SCALE) -> Path:
    """A project folder holding catalogs/acme.yaml and generated acme data; returns the catalog path."""
    from examples.acme.generate import generate

    (root / "catalogs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "catalogs" / "acme.yaml", root / "catalogs" / "acme.yaml")
    generate(root / "examples" / "acme" / "data", scale=scale)
    return root / "catalogs" / "acme.yaml"


@pytest.fixture(scope="session")
def acme_catalog(tmp_path_factory) -> Path:
    return make_acme(tmp_path_factory.mktemp("acme"))


@pytest.fixture(scope="session")
def acme(acme_catalog, embedder):
    """A refreshed acme session (scale 0.05). Tests must not change its data."""
    import hybridq

    hq = hybridq.connect(acme_catalog, embedder=embedder)
    hq.refresh()
    yield hq
    hq.close()
