"""Question sets with gold SQL, scored strictly (evaluate.py): >= 85% right, <= 3% wrong, the rest refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hybridq

from evaluate import RIGHT, evaluate, load_questions, summary

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def report(name: str, outcomes) -> dict:
    figures = summary(outcomes)
    print(f"\n{name}: {figures['n']} questions: right {figures['right']:.1%}, wrong {figures['wrong']:.1%}, "
          f"refused {figures['refused']:.1%}, clarified {figures['clarified']:.1%}")
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
    from examples.tpch.generate import generate

    root = tmp_path_factory.mktemp("tpch_nl")
    (root / "catalogs").mkdir()
    shutil.copy(ROOT / "catalogs" / "tpch.yaml", root / "catalogs" / "tpch.yaml")
    generate(root / "examples" / "tpch" / "data", 0.01)
    hq = hybridq.connect(root / "catalogs" / "tpch.yaml")
    hq.refresh()
    yield hq
    hq.close()


def test_tpch_questions(tpch):
    outcomes = evaluate(tpch, load_questions(HERE / "questions_tpch.yaml"))
    figures = report("tpch", outcomes)
    assert len(outcomes) >= 40
    assert figures["right"] >= 0.85
    assert figures["wrong"] <= 0.03
