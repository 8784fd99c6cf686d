"""Question sets with gold SQL, scored strictly (evaluate.py): >= 85% right, <= 3% wrong, the rest refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import hybridq

from tests.conftest import make_tpch
from evaluate import RIGHT, evaluate, load_questions, summary, summary_line

HERE = Path(__file__).parent


def report(name: str, outcomes) -> dict:
    figures = summary(outcomes)
    print("\n" + summary_line(name, outcomes))
    for o in outcomes:
        if o.verdict != RIGHT:
            print(f"  [{o.verdict}] {o.id}: {o.question}\n      {o.why}")
    assert figures["invalid"] == 0, [o.why for o in outcomes if o.verdict == "invalid"]
    return figures


def test_acme_questions(acme):
    outcomes = evaluate(acme, load_questions(HERE / "questions_acme.yaml"))
    figures = report("acme", outcomes)
    assert len(outcomes) >= 150
    assert figures["right"] >= 0.85
    assert figures["wrong"] <= 0.03


@pytest.fixture(scope="module")
def tpch(tmp_path_factory):
    hq = hybridq.connect(make_tpch(tmp_path_factory.mktemp("tpch_nl"), 0.01))
    hq.refresh()
    yield hq
    hq.close()


def test_tpch_questions(tpch):
    outcomes = evaluate(tpch, load_questions(HERE / "questions_tpch.yaml"))
    figures = report("tpch", outcomes)
    assert len(outcomes) >= 40
    assert figures["right"] >= 0.85
    assert figures["wrong"] <= 0.03
