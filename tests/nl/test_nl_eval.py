"""Question sets with gold SQL: >= 85% answered correctly, <= 3% wrongly, the rest refused."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import hybridq

sys.path.insert(0, str(Path(__file__).parent))
from evaluate import evaluate, load_questions, summary  # noqa: E402

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def report(name: str, outcomes) -> dict:
    figures = summary(outcomes)
    print(f"\n{name}: {len(outcomes)} questions: correct {figures['correct']:.1%}, "
          f"wrong {figures['wrong']:.1%}, refused {figures['refused']:.1%}")
    for o in outcomes:
        if o.verdict != "correct":
            print(f"  [{o.verdict}] {o.id}: {o.question}\n      {o.detail}")
    return figures


def test_acme_questions(acme):
    outcomes = evaluate(acme, load_questions(HERE / "questions_acme.yaml"))
    figures = report("acme", outcomes)
    assert len(outcomes) >= 150
    assert figures["correct"] >= 0.85
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
    assert figures["correct"] >= 0.85
    assert figures["wrong"] <= 0.03
