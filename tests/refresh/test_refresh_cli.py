"""`hybridq refresh` on the command line: what it says, and what a refresh does not record."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

import hybridq
from hybridq.cli import MAX_PROBLEM_LINES, main
from refresh_helpers import build_shop, refresh_count


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_refresh_of_an_unknown_table_is_a_clear_error(project, runner):
    p = build_shop(project)
    result = runner.invoke(main, ["refresh", str(p.catalog), "--table", "itemz"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: no table 'itemz' in the catalog" in result.stderr and "did you mean 'items'?" in result.stderr


def test_refresh_of_one_table_in_a_new_store(project, runner):
    """The other tables' semantic columns, new too, wait for their own refresh."""
    p = build_shop(project)
    result = runner.invoke(main, ["refresh", str(p.catalog), "--table", "ITEMS"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("items: +2 ~0 -0 rows")
    with hybridq.connect(p.catalog, embedder=p.embedder) as hq:
        assert hq.sql("SELECT count(*) FROM items").rows == [(2,)]
        assert hq.refresh().tables["docs"].inserted == 3


def test_refresh_prints_at_most_some_problem_lines(project, runner):
    p = build_shop(project)
    p.write("data/items.csv", "id,name\n" + "".join(f"x{i},lots\n" for i in range(1, 31)) + "31,kept\n")
    p.connect()
    p.close()
    result = runner.invoke(main, ["refresh", str(p.catalog), "--table", "items"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    problems = [line for line in lines if line.startswith("items: data/items.csv:")]
    assert len(problems) == MAX_PROBLEM_LINES == 20
    assert f"... and {30 - MAX_PROBLEM_LINES} more problem(s)" in result.stderr
    assert "30 problem(s)" in result.stdout


def test_a_file_touched_without_a_change_is_no_refresh(project):
    p = build_shop(project)
    hq = p.connect()
    p.refresh()
    before = refresh_count(hq)
    path = p.path("data/items.csv")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    report = p.refresh()
    assert report.summary() == "no changes" and not report.changed
    assert refresh_count(hq) == before
    assert not p.refresh().changed  # the new time was recorded: nothing is hashed again
