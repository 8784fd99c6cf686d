"""Fixtures of the refresh tests (helpers live in refresh_helpers.py)."""

from __future__ import annotations

import pytest

from refresh_helpers import Project


@pytest.fixture
def project(tmp_path, embedder):
    """project(catalog_yaml) -> a Project in a fresh folder; closed at the end of the test."""
    made: list[Project] = []

    def make(catalog: str, name: str = "proj") -> Project:
        root = tmp_path / name
        root.mkdir()
        p = Project(root, catalog, embedder)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
