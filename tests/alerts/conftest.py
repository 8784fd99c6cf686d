"""The JSON API on loopback (webhook receiver) from the source tests."""

from tests.sources.conftest import api  # noqa: F401  (a fixture)
