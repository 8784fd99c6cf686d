"""The acme questions written independently of the parser (questions_acme_external.yaml): every entry is
usable by the scorer, and the held-out half runs through the real parser (figures only). No threshold
yet: the lead raises them as the parser improves."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluate import (HELDOUT, VERDICTS, EntryError, gold_columns, load_questions, score_on_sessions, session_golds,
                      summary)

QUESTIONS = Path(__file__).parent / "questions_acme_external.yaml"


@pytest.fixture(scope="module")
def entries():
    return load_questions(QUESTIONS, "acme-external", split=True)


def test_every_gold_runs_and_holds_the_asked_columns(acme, entries):
    golds = session_golds(acme)
    problems = []
    for entry in entries:
        for sql in entry.golds:
            try:
                expected = golds.expected(None, sql)
            except EntryError as exc:
                problems.append(f"{entry.id}: {exc}")
                continue
            if entry.key_column:
                try:
                    gold_columns(entry, expected)
                except EntryError as exc:
                    problems.append(str(exc))
            if not expected.rows:
                problems.append(f"{entry.id}: the gold returns no rows")
    assert not problems, "\n".join(problems)
    assert sum(e.expect_refusal for e in entries) > 0 and sum(e.ambiguous for e in entries) > 0


@pytest.mark.slow
def test_acme_external_heldout(acme, entries):
    heldout = [e for e in entries if e.split == HELDOUT]
    outcomes = score_on_sessions(heldout, {None: acme}, session_golds(acme))
    f = summary(outcomes)
    print(f"\nacme external held-out: {f['n']} questions: " + ", ".join(f"{v} {f[v]:.1%}" for v in VERDICTS))
    assert f["n"] == len(heldout) > 0 and f["invalid"] == 0
