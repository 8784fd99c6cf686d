"""Fixtures for the SQL tests (helpers live in sql_helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def catalog(acme_catalog):
    """The validated acme catalog; rewrite rules need nothing else."""
    from hybridq.catalog.validate import load_catalog

    return load_catalog(acme_catalog)
