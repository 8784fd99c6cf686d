"""Fixtures for live-store tests."""

import pytest

from live_project import HashEmbedder


@pytest.fixture
def hash_embedder():
    return HashEmbedder()
