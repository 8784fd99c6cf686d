"""The acme questions written independently of the parser (questions_acme_external.yaml): every entry is
usable by the scorer, and the held-out half runs through the real parser (figures only). No threshold
yet: the lead raises them as the parser improves."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluate import (HELDOUT, VERDICTS, EntryError, gold_columns, load_questions, score_on_sessions, session_golds,
                      summary_line)

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
    print("\n" + summary_line("acme external held-out", outcomes))
    assert len(outcomes) == len(heldout) > 0
    assert all(o.verdict in VERDICTS for o in outcomes), [o.why for o in outcomes if o.verdict not in VERDICTS]
