"""The scorer's rules (tests/nl/evaluate.py, compare.py), each pinned with tiny hand-made results."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal

import duckdb
import pytest

from compare import Expected, compare_rows, match_columns, values_equal
from evaluate import (CLARIFIED, HELDOUT, REFUSED, RIGHT, TUNING, WRONG, Entry, GoldBook, Reply, expected_result,
                      judge, order_probes, reply_from_cli, score, split_of)


def table(sql_rows: str) -> GoldBook:
    """Gold run in DuckDB over `t(name, score, region)` built from `sql_rows` (a VALUES list)."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {sql_rows}) v(name, score, region)")

    def run(_db, sql):
        cur = con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    return GoldBook(run)


T = table("('a', 3, 'EU'), ('b', 5, 'US'), ('c', 5, 'EU'), ('d', 1, 'US'), ('e', 5, 'EU')")


def verdict(entry: Entry, reply: Reply, gold: GoldBook = T, rerun=None) -> tuple[str, str]:
    return judge(entry, reply, lambda sql: gold.expected(None, sql), rerun)


def keyed(sql, key, value=None, ordered=False, **kw) -> Entry:
    return Entry("t", "q", "question?", [sql], key_column=key, value_column=value, order_matters=ordered, **kw)


def answer(columns, rows, sql=None) -> Reply:
    return Reply(sql=sql, columns=columns, rows=rows)


# -- values --------------------------------------------------------------------------------------


def test_numbers_compare_as_numbers_within_a_relative_tolerance():
    assert values_equal(Decimal("2.50"), 2.5) and values_equal(3, 3.0000001) and values_equal(True, True)
    assert not values_equal(3, 3.0001)
    assert not values_equal(None, 0) and values_equal(None, None)
    assert not values_equal("3", 3)  # text is read as a number only where the gold column holds numbers


def test_dates_and_timestamps_compare_as_points_in_time():
    utc = dt.timezone.utc
    assert values_equal(dt.date(2024, 3, 1), dt.datetime(2024, 3, 1))
    assert values_equal(dt.datetime(2024, 3, 1, 12, tzinfo=utc), dt.datetime(2024, 3, 1, 12))
    assert not values_equal(dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 0, 0, 1))
    # JSON output gives dates and Decimals as text: read as the gold column's kind
    want = Expected(["d", "x"], [(dt.date(2024, 3, 1), Decimal("1.5"))])
    assert match_columns(want, ["d", "x"], [("2024-03-01", "1.5")], ordered=False)[0]


# -- rows ----------------------------------------------------------------------------------------


def test_rows_compare_as_a_multiset_unless_ordered():
    want = Expected(["k"], [("a",), ("b",), ("b",)])
    assert compare_rows(want, [("b",), ("a",), ("b",)], ordered=False)[0]
    assert not compare_rows(want, [("b",), ("a",), ("b",)], ordered=True)[0]
    assert not compare_rows(want, [("a",), ("a",), ("b",)], ordered=False)[0]  # multiplicity counts
    ok, why = compare_rows(want, [("a",), ("b",)], ordered=False)
    assert not ok and why == "2 rows, expected 3"


def test_rows_tied_in_the_gold_order_may_come_in_any_order():
    want = expected_result("SELECT name FROM t ORDER BY score DESC, region", lambda q: T._run(None, q))
    assert want.rows[0] == ("c",) or want.rows[0] == ("e",)  # c and e tie on (5, 'EU')
    assert compare_rows(want, [("e",), ("c",), ("b",), ("a",), ("d",)], ordered=True)[0]
    assert compare_rows(want, [("c",), ("e",), ("b",), ("a",), ("d",)], ordered=True)[0]
    ok, why = compare_rows(want, [("b",), ("c",), ("e",), ("a",), ("d",)], ordered=True)
    assert not ok and "another order" in why


def test_a_row_cut_by_limit_may_replace_a_kept_row_it_ties_with():
    want = expected_result("SELECT name FROM t ORDER BY score DESC LIMIT 2", lambda q: T._run(None, q))
    assert len(want.rows) == 2 and len(want.spare) == 1  # three rows score 5
    for pair in ([("b",), ("c",)], [("e",), ("b",)], [("c",), ("e",)]):
        assert compare_rows(want, pair, ordered=True)[0], pair
        assert compare_rows(want, pair, ordered=False)[0], pair
    assert not compare_rows(want, [("b",), ("a",)], ordered=False)[0]
    assert not compare_rows(want, [("b",), ("b",)], ordered=False)[0]


def test_order_probes_resolve_aliases_and_ordinals():
    probes = order_probes("SELECT name, score * 2 AS s FROM t ORDER BY s DESC, 1 LIMIT 3")
    assert probes.n_keys == 2
    assert "score * 2 AS _order_key_0" in probes.keyed and "name AS _order_key_1" in probes.keyed
    assert "LIMIT" not in probes.unlimited
    assert order_probes("SELECT name FROM t") is None


# -- verdicts ------------------------------------------------------------------------------------


def test_clarified_refused_and_failed_answers():
    entry = keyed("SELECT name FROM t", "name")
    assert verdict(entry, Reply(options=["by name", "by id"]))[0] == CLARIFIED
    assert verdict(entry, Reply(refused=True, reason="'x' unknown")) == (REFUSED, "'x' unknown")
    assert verdict(entry, Reply(error="SQLError: boom"))[0] == WRONG
    assert verdict(entry, Reply(sql="SELECT 1"))[0] == WRONG  # answered without a result


def test_a_refusal_whose_composed_sql_fails_is_wrong():
    entry = keyed("SELECT name FROM t", "name")

    def rerun(sql):
        raise RuntimeError("Binder Error: no column nme")

    refusal = Reply(sql="SELECT nme FROM t", refused=True, reason="could not run")
    got, why = verdict(entry, refusal, rerun=rerun)
    assert got == WRONG and "fails to run" in why
    assert verdict(entry, refusal, rerun=lambda sql: None)[0] == REFUSED


def test_questions_that_must_be_refused():
    entry = Entry("t", "q", "what is the CEO's shoe size?", [], expect_refusal=True)
    assert verdict(entry, Reply(refused=True))[0] == RIGHT
    assert verdict(entry, Reply(options=["a", "b"]))[0] == RIGHT
    assert verdict(entry, answer(["n"], [(1,)], "SELECT 1 AS n"))[0] == WRONG


def test_only_the_key_column_counts_and_there_is_no_fallback_to_the_first_column():
    entry = keyed("SELECT name FROM t WHERE region = 'EU'", "name")
    rows = [("a",), ("c",), ("e",)]
    assert verdict(entry, answer(["name"], rows))[0] == RIGHT
    assert verdict(entry, answer(["NAME", "score"], [(r[0], 1) for r in rows]))[0] == RIGHT
    got, why = verdict(entry, answer(["label"], rows, "SELECT upper(name) AS label FROM t"))
    assert got == WRONG and "no column name" in why
    # the key found through the catalog column the answer projects under another name
    assert verdict(entry, answer(["customer"], rows, "SELECT t.name AS customer FROM t"))[0] == RIGHT


def test_a_computed_key_is_found_by_its_values():
    entry = keyed("SELECT upper(region) AS area, SUM(score) AS total FROM t GROUP BY 1", "area", "total")
    sql = "SELECT upper(region) AS region_code, SUM(score) AS total FROM t GROUP BY 1"
    assert verdict(entry, answer(["region_code", "total"], [("US", 6), ("EU", 13)], sql))[0] == RIGHT
    got, why = verdict(entry, answer(["region_code", "total"], [("US", 6), ("FR", 13)], sql))
    assert got == WRONG and "no column area" in why


def test_grouped_values_pair_with_their_key():
    entry = keyed("SELECT region, SUM(score) AS total FROM t GROUP BY region", "region", "total")
    assert verdict(entry, answer(["region", "total"], [("US", 6), ("EU", 13)]))[0] == RIGHT
    swapped = answer(["region", "total"], [("US", 13), ("EU", 6)])
    assert verdict(entry, swapped)[0] == WRONG
    # another name: the answer's only aggregate column holds the value
    sql = "SELECT region, COUNT(*) AS n, SUM(score) AS s FROM t GROUP BY region"
    two = answer(["region", "n", "s"], [("US", 2, 6), ("EU", 3, 13)], sql)
    got, why = verdict(entry, two)
    assert got == WRONG and "cannot tell" in why
    one = answer(["region", "sum_score"], [("US", 6), ("EU", 13)], "SELECT region, SUM(score) AS sum_score FROM t")
    assert verdict(entry, one)[0] == RIGHT


def test_rankings_compare_in_order_when_the_order_matters():
    sql = "SELECT region, SUM(score) AS total FROM t GROUP BY region ORDER BY total DESC"
    rows = [("US", 6), ("EU", 13)]
    assert verdict(keyed(sql, "region", "total", ordered=True), answer(["region", "total"], rows))[0] == WRONG
    assert verdict(keyed(sql, "region", "total", ordered=False), answer(["region", "total"], rows))[0] == RIGHT


def test_a_single_value_must_be_in_the_answers_aggregate_column():
    entry = keyed("SELECT COUNT(*) AS n FROM t WHERE region = 'EU'", None)
    assert verdict(entry, answer(["count"], [(3,)]))[0] == RIGHT
    assert verdict(entry, answer(["region", "count"], [("EU", 3)], "SELECT region, COUNT(*) FROM t"))[0] == RIGHT
    # two numeric columns: the aggregate one is the answer's value
    by_aggregate = answer(["score", "cnt"], [(7, 3)], "SELECT score, COUNT(*) AS cnt FROM t GROUP BY score")
    assert verdict(entry, by_aggregate)[0] == RIGHT
    # the value sits in a column that is not the aggregate: not an answer to "how many"
    wrong_column = answer(["score", "count"], [(3, 5)], "SELECT score, COUNT(*) AS count FROM t GROUP BY score")
    assert verdict(entry, wrong_column)[0] == WRONG
    assert verdict(entry, answer(["count"], [(3,), (3,)]))[0] == WRONG


def test_ambiguous_questions_accept_any_listed_reading():
    entry = keyed("SELECT name FROM t WHERE score = 5", "name", ambiguous=True)
    entry.golds.append("SELECT name FROM t WHERE score >= 3")
    assert verdict(entry, answer(["name"], [("a",), ("b",), ("c",), ("e",)]))[0] == RIGHT
    assert verdict(entry, answer(["name"], [("b",), ("c",), ("e",)]))[0] == RIGHT
    assert verdict(entry, answer(["name"], [("a",)]))[0] == WRONG
    assert verdict(entry, Reply(options=["=5", ">=3"]))[0] == CLARIFIED


def test_an_alternative_reading_may_name_its_value_otherwise():
    entry = keyed("SELECT region, SUM(score) AS total FROM t GROUP BY region", "region", "total", ambiguous=True)
    entry.golds.append("SELECT region, COUNT(*) AS customers FROM t GROUP BY region")
    assert verdict(entry, answer(["region", "n"], [("US", 2), ("EU", 3)], "SELECT region, COUNT(*) AS n"))[0] == RIGHT
    assert verdict(entry, answer(["region", "n"], [("US", 2), ("EU", 4)], "SELECT region, COUNT(*) AS n"))[0] == WRONG


def test_defog_columns_every_gold_column_held_by_a_distinct_aligned_answer_column():
    entry = Entry("defog", "q", "?", ["SELECT name, score FROM t WHERE region = 'US'"], compare="columns")
    assert verdict(entry, answer(["x", "name", "y"], [(1, "b", 5), (2, "d", 1)]))[0] == RIGHT  # extra columns
    got, why = verdict(entry, answer(["name", "score"], [("b", 1), ("d", 5)]))  # each column right, rows not
    assert got == WRONG and "rows differ" in why
    got, why = verdict(entry, answer(["name"], [("b",), ("d",)]))
    assert got == WRONG and "score" in why
    # ordered because the gold's outermost query has ORDER BY
    ordered = Entry("defog", "q", "?", ["SELECT name FROM t WHERE region = 'US' ORDER BY name"], compare="columns")
    assert verdict(ordered, answer(["name"], [("b",), ("d",)]))[0] == RIGHT
    assert verdict(ordered, answer(["name"], [("d",), ("b",)]))[0] == WRONG


def test_score_records_verdicts_latency_and_unusable_entries():
    entries = [keyed("SELECT name FROM t", "name"), keyed("SELECT nope FROM t", "nope")]
    outcomes = score(entries, lambda q: answer(["name"], [(n,) for n in "abcde"]), T)
    assert [o.verdict for o in outcomes] == [RIGHT, "invalid"]
    assert all(o.latency_ms >= 0 for o in outcomes)


def test_reply_from_the_command_line():
    ok = subprocess.CompletedProcess([], 0, json.dumps({"sql": "SELECT 1", "refused": False, "columns": ["n"],
                                                         "rows": [[1]]}), "")
    assert reply_from_cli(ok) == Reply(sql="SELECT 1", columns=["n"], rows=[(1,)])
    refused = reply_from_cli(subprocess.CompletedProcess([], 2, "", "not answered: 'x'\n  'x' -> did you mean y?"))
    assert refused.refused and "not answered" in refused.reason
    clarified = reply_from_cli(subprocess.CompletedProcess([], 0, json.dumps(
        {"sql": None, "refused": False, "options": [{"description": "by name", "sql": "SELECT 1"}]}), ""))
    assert clarified.options == ["by name"]
    assert reply_from_cli(subprocess.CompletedProcess([], 1, "", "Traceback")).error


# -- split ---------------------------------------------------------------------------------------


def test_the_split_is_a_fixed_hash():
    # the low bit of the last byte of SHA-256 over the identity's parts joined by U+001F: pinned, so
    # that a change reshuffling the held-out half cannot pass unnoticed
    assert split_of("x") == HELDOUT  # sha256("x") ends in 0x81
    assert split_of("y") == TUNING  # ... in 0xfa
    assert split_of("acme", "how many") == HELDOUT  # ... in 0x25
    assert split_of("acme-001") == TUNING and split_of("acme-002") == HELDOUT


@pytest.mark.parametrize("name,heldout", [("questions.csv", 73), ("unanswerable.csv", 44)])
def test_defog_sets_split_half_and_half(name, heldout):
    from defog.gold import EVAL_DIR, read_questions

    if not (EVAL_DIR / name).exists():
        pytest.skip(f"the defog evaluation files are not at {EVAL_DIR}")
    questions = read_questions(name)
    splits = [split_of(q.db, q.question) for q in questions]
    assert splits.count(HELDOUT) == heldout  # the same questions every run
    assert 0.4 <= splits.count(HELDOUT) / len(questions) <= 0.6


def test_acme_external_set_splits_half_and_half():
    from pathlib import Path

    from evaluate import load_questions

    entries = load_questions(Path(__file__).parent / "questions_acme_external.yaml", split=True)
    heldout = sum(e.split == HELDOUT for e in entries)
    assert heldout == 71  # of 165: the same questions every run
    assert 0.4 <= heldout / len(entries) <= 0.6


def test_the_smallest_value_may_come_as_the_row_holding_it():
    entry = keyed("SELECT MIN(score) AS lowest FROM t WHERE region = 'US'", None)
    row = "SELECT name, score FROM t WHERE region = 'US' ORDER BY score LIMIT 1"
    assert verdict(entry, answer(["name", "score"], [("d", 1)], row))[0] == RIGHT
    assert verdict(entry, answer(["name", "score"], [("b", 5)], row))[0] == WRONG
    # a sum is no extreme: the row holding some value of the column does not answer it
    total = keyed("SELECT SUM(score) AS total FROM t WHERE name = 'd'", None)
    assert verdict(total, answer(["rank", "score"], [(2, 1)], "SELECT rank, score FROM t"))[0] == WRONG
