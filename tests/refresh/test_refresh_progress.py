"""Progress of long work: refresh stages reported to Python callers as events, drawn as bars on a
terminal only, and a line while the embedding model loads."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from rich.console import Console

import hybridq
from hybridq.cli import main
from hybridq.cli_progress import RichProgress, model_loading
from hybridq.refresh.progress import ProgressEvent, as_sink
from refresh_helpers import build_shop, docs_catalog, paragraphs

CATALOG = docs_catalog("progress")


def many_docs(project, n: int = 60):
    p = project(CATALOG)
    for i, text in enumerate(paragraphs(seed=5, n=n, words=(20, 40))):
        p.write(f"docs/d{i:03}.md", text)
    return p


def test_python_callers_get_each_stage_as_events(project):
    p = many_docs(project)
    p.connect()
    events: list[ProgressEvent] = []
    report = p.hq.refresh(progress=events.append)
    stages = [e.stage for e in events]
    assert stages.index("read") < stages.index("embed") < stages.index("write")
    by_stage = {s: [e for e in events if e.stage == s] for s in ("read", "embed", "write")}
    for stage, seen in by_stage.items():
        assert seen[0].done == 0 and seen[-1].done == seen[-1].total, stage  # started, then finished
        assert [e.done for e in seen] == sorted(e.done for e in seen)
    assert by_stage["read"][-1].total == 60 and by_stage["read"][0].detail == "docs"
    assert by_stage["embed"][-1].total == report.tables["docs"].chunks_embedded == 60
    assert by_stage["embed"][-1].detail == "docs.body" and by_stage["embed"][-1].rate > 0
    assert by_stage["write"][-1].total == 2  # the column's Lance write, then the DuckDB commit
    # nothing changed: no stage has anything to do
    events.clear()
    assert not p.hq.refresh(progress=events.append).changed
    assert events == []


def test_progress_bars_on_a_terminal_only(project):
    p = many_docs(project, 80)
    p.connect()
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    p.hq.refresh(progress=RichProgress(terminal))
    drawn = screen.getvalue()
    assert "reading docs (files)" in drawn and "embedding docs.body (chunks)" in drawn and "80/80" in drawn
    assert "/s" in drawn  # the rate
    p.write("docs/d000.md", "a new first document")
    piped = io.StringIO()
    p.hq.refresh(progress=RichProgress(Console(file=piped, force_terminal=False)))
    assert piped.getvalue() == ""


def test_a_line_while_the_model_loads_and_how_long_it_took(project):
    p = build_shop(project)
    said = []
    with hybridq.connect(p.catalog) as hq:  # no embedder given: the session loads the model itself
        hq.on_model_load = said.append
        assert hq.embedder is hq.embedder and said == []  # not loaded yet: nothing said
        hq.embedder.embed(["now it loads"])
        hq.embedder.embed(["once"])
    assert said == ["all-MiniLM-L6-v2"]
    screen = io.StringIO()
    with model_loading(Console(file=screen, force_terminal=False), "all-MiniLM-L6-v2"):
        pass
    lines = screen.getvalue().splitlines()
    assert lines[0] == "loading the embedding model all-MiniLM-L6-v2..."
    assert lines[1].startswith("loaded the embedding model all-MiniLM-L6-v2 in ") and lines[1].endswith(" s")


def test_refresh_command_says_when_the_model_loads_and_draws_no_bar_when_piped(project):
    p = build_shop(project)
    result = CliRunner().invoke(main, ["refresh", str(p.catalog)])
    assert result.exit_code == 0, result.output
    assert "loading the embedding model all-MiniLM-L6-v2..." in result.stderr
    assert "loaded the embedding model all-MiniLM-L6-v2 in" in result.stderr
    assert "━" not in result.stderr and "chunks)" not in result.stderr


def test_progress_argument_is_checked():
    with pytest.raises(TypeError, match="progress must be a function"):
        as_sink(42)
