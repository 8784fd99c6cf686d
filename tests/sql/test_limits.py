"""Resource limits on queries: the size of the text, the depth of its nesting, the time it may take
from the first character read to the last row (DuckDB interrupted, and the caller answered at the
deadline even when DuckDB cannot stop at once), and the store's memory cap."""

from __future__ import annotations

import time

import pytest

import hybridq
from hybridq.sql.parse import MAX_NESTING, MAX_QUERY_CHARS


@pytest.fixture
def short_timeout(acme):
    saved = acme.query_timeout
    acme.query_timeout = 0.5
    yield acme
    acme.query_timeout = saved


def test_a_query_text_over_the_limit_is_refused_before_it_is_read(acme):
    huge = "SELECT " + " + ".join(["1"] * 500_000)  # 2 MB: minutes of parsing
    started = time.perf_counter()
    with pytest.raises(hybridq.SQLError) as info:
        acme.sql(huge)
    assert time.perf_counter() - started < 5
    assert info.value.message == f"the query is {len(huge):,} characters long; the limit is {MAX_QUERY_CHARS:,}"
    assert "parameters" in info.value.hint


def test_reading_a_query_counts_against_its_timeout(short_timeout):
    """A text just under the size limit takes longer to parse than the timeout: the caller still gets
    its answer at the deadline (plus the grace for stopping)."""
    long_sum = "SELECT " + " + ".join(["1"] * ((MAX_QUERY_CHARS - 10) // 4))
    short_timeout.query_timeout = 0.1  # parsing alone takes about 0.25 s on a quiet machine
    started = time.perf_counter()
    with pytest.raises(hybridq.QueryTimeout):
        short_timeout.sql(long_sum + " AS n")
    assert time.perf_counter() - started < 0.1 + 2.0


def test_deep_nesting_is_a_clear_error(acme):
    nested = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    with pytest.raises(hybridq.SQLError) as info:
        acme.sql(nested)
    assert info.value.message == f"the query nests brackets 3,000 levels deep; the limit is {MAX_NESTING}"
    assert info.value.where.start == len("SELECT ") + MAX_NESTING  # the first bracket too deep
    assert "WITH" in info.value.hint
    not_brackets = "SELECT " + "NOT " * 3000 + "TRUE"
    with pytest.raises(hybridq.SQLError, match="nested too deeply"):
        acme.sql(not_brackets)
    ok = "SELECT " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + " AS one"
    assert acme.sql(ok).rows == [(1,)]


def test_a_call_duckdb_cannot_interrupt_still_ends_at_the_deadline(short_timeout):
    """repeat() builds its value in one call, which checks no interrupt; the caller is answered at
    the deadline and the call ends in the background."""
    # DuckDB alone takes 10 s and more on this call; the answer comes at the deadline plus its grace
    # (0.5 s), with a margin for a loaded machine
    started = time.perf_counter()
    with pytest.raises(hybridq.QueryTimeout) as info:
        short_timeout.sql("SELECT length(repeat('x', 500000000)) AS n")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 + 4.0, f"answered after {elapsed:.1f} s"
    assert "0.5 s" in info.value.message
    # the same inside a semantic query (planning, then DuckDB)
    started = time.perf_counter()
    with pytest.raises(hybridq.QueryTimeout):
        short_timeout.sql("SELECT ticket_id, similarity(body, 'x') FROM tickets "
                          "WHERE ticket_id < length(repeat('x', 500000000))")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 + 4.0, f"answered after {elapsed:.1f} s"
    assert short_timeout.sql("SELECT count(*) FROM customers").rows == [(60,)]


def test_store_has_a_memory_cap(acme, tmp_path, monkeypatch):
    def limit(session) -> str:
        return session.store.db.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    assert limit(acme) == "1.8 GiB"  # the 2GB default, whatever the machine has
    from tests.conftest import make_acme

    catalog = make_acme(tmp_path, scale=0.01)
    with hybridq.connect(catalog, memory_limit="512MB") as hq:
        assert limit(hq) == "488.2 MiB"
    monkeypatch.setenv("HYBRIDQ_MEMORY_LIMIT", "1GB")
    with hybridq.connect(catalog) as hq:
        assert limit(hq) == "953.6 MiB"
