"""Shared fixtures for the catalog tests: the valid fixture catalog and edited copies of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridq.catalog.validate import Validation, validate_text

VALID_DIR = Path(__file__).parent / "fixtures" / "valid"


def apply_edits(text: str, edits: list[tuple[str, str]]) -> str:
    """`text` with each (old, new) replacement applied; every `old` must occur exactly once."""
    for old, new in edits:
        count = text.count(old)
        assert count == 1, f"edit target occurs {count} times in the valid catalog: {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def valid_text() -> str:
    return (VALID_DIR / "catalog.yaml").read_text(encoding="utf-8")


@pytest.fixture
def edited_text(valid_text):
    """The valid catalog text with (old, new) edits applied."""
    return lambda edits: apply_edits(valid_text, edits)


@pytest.fixture
def validate_variant(edited_text):
    """Validate an edited copy of the valid catalog, as if it sat next to the valid data."""

    def run(edits: list[tuple[str, str]], name: str = "variant") -> Validation:
        return validate_text(edited_text(edits), file=str(VALID_DIR / f"{name}.yaml"))

    return run
