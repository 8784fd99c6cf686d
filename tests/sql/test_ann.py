"""ANN with prefilter: on a column large enough to carry a vector index, a global top-k uses it, and
its answers keep recall@10 >= 0.95 against exact search (invariant 3: exact unless told otherwise)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hybridq
import hybridq.engine.planner as planner
from tests.conftest import make_acme

ROOT = Path(__file__).resolve().parents[2]

QUERIES = ["the dashboard does not load", "please refund the duplicate charge", "single sign-on fails with SAML",
           "export our data to S3", "too many requests from the API", "the Salesforce sync misses records",
           "we want to cancel", "reports are slow", "the invoice amount is wrong", "a dark mode would be nice",
           "security questionnaire for the audit", "training for new users", "outage this morning",
           "GDPR and data residency", "webhook retries", "seat count on the bill", "password reset email",
           "schedule a weekly report", "latency in the EU region", "duplicate payment"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, embedder):
    catalog = make_acme(tmp_path_factory.mktemp("ann"), scale=0.2)
    text = catalog.read_text().replace("  model: all-MiniLM-L6-v2", "  model: all-MiniLM-L6-v2\n  ann_min_rows: 1000")
    catalog.write_text(text)
    hq = hybridq.connect(catalog, embedder=embedder)
    hq.refresh()
    yield hq
    hq.close()


def exact_top10(hq, text: str, embedder, allowed: set | None = None) -> list[int]:
    with hq.store.snapshot() as snap:
        view = snap.vectors("tickets", "body")
    scores = view.matrix @ embedder.embed_query(text)
    if view.dead is not None:
        scores[view.dead] = -np.inf
    best = np.maximum.reduceat(scores, view.starts)
    keys = view.keys.column("ticket_id").to_pylist()
    order = [i for i in np.argsort(-best, kind="stable") if allowed is None or keys[i] in allowed]
    return [keys[i] for i in order[:10]]


def test_the_index_is_built_and_used(indexed):
    with indexed.store.snapshot() as snap:
        version = snap.version("tickets", "body")
    assert indexed.store.lance.has_vector_index("tickets__body", version)
    plan = indexed.explain("SELECT ticket_id, similarity(body, 'refund') AS s FROM tickets ORDER BY s DESC LIMIT 10")
    assert plan.steps[0].strategy == "ANN with prefilter"
    assert plan.steps[0].rows_scored < 1300  # only the proposed rows were scored


CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
import lance  # before hybridq: Lance's own log level (warnings shown) stays as the environment sets it
import hybridq
from tests.live.live_project import HashEmbedder

with hybridq.connect(sys.argv[1], embedder=HashEmbedder()) as hq:
    sql = "SELECT ticket_id, similarity(body, ?) AS s FROM tickets ORDER BY s DESC LIMIT 10"
    assert hq.explain(sql, ["refund"]).steps[0].strategy == "ANN with prefilter"
    for text in ("refund", "the dashboard is slow", "cancel"):
        hq.sql(sql, [text])
"""


def test_an_ann_search_prints_no_warning(indexed, tmp_path):
    """Lance warned on every search whose columns leave `_distance` out (thousands of lines)."""
    project, copy = Path(indexed.catalog.file).parents[1], tmp_path / "copy"  # <project>/catalogs/acme.yaml
    shutil.copytree(project, copy)
    for owner in copy.rglob("owner.json"):
        owner.unlink()  # the copy is opened by the child itself, not sent to this process
    done = subprocess.run([sys.executable, "-c", CHILD, str(copy / "catalogs" / "acme.yaml"), str(ROOT)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "LANCE_LOG": "warn"})
    assert done.returncode == 0, done.stderr
    assert "_distance" not in done.stderr, done.stderr


def test_recall_at_10(indexed, embedder):
    recalls = []
    for text in QUERIES:
        got = [r[0] for r in indexed.sql(
            f"SELECT ticket_id, similarity(body, '{text}') AS s FROM tickets ORDER BY s DESC LIMIT 10").rows]
        recalls.append(len(set(got) & set(exact_top10(indexed, text, embedder))) / 10)
    print(f"ANN recall@10 over {len(QUERIES)} queries: {np.mean(recalls):.3f}")
    assert np.mean(recalls) >= 0.95


def test_prefilter_pushed_into_lance(indexed, embedder, monkeypatch):
    # make the filtered set too large for exact candidate scoring, so the index answers with the
    # filter's rows pushed into Lance as a prefilter
    monkeypatch.setattr(planner, "CANDIDATE_LIMIT", 10)
    allowed = {r[0] for r in indexed.sql("SELECT ticket_id FROM tickets WHERE priority IN ('high', 'urgent')").rows}
    recalls = []
    for text in QUERIES[:10]:
        sql = (f"SELECT ticket_id, similarity(body, '{text}') AS s FROM tickets "
               f"WHERE priority IN ('high', 'urgent') ORDER BY s DESC LIMIT 10")
        step = indexed.explain(sql).steps[0]
        assert step.strategy == "ANN with prefilter" and "prefilter" in step.reason
        got = [r[0] for r in indexed.sql(sql).rows]
        assert set(got) <= allowed
        recalls.append(len(set(got) & set(exact_top10(indexed, text, embedder, allowed))) / 10)
    assert np.mean(recalls) >= 0.95


def test_too_few_survivors_fall_back_to_exact(indexed, embedder, monkeypatch):
    # the three tickets least like the query: the index never proposes them
    far = [r[0] for r in indexed.sql(
        "SELECT ticket_id, similarity(body, 'refund') AS s FROM tickets ORDER BY s ASC, ticket_id LIMIT 3").rows]
    monkeypatch.setattr(planner, "CANDIDATE_LIMIT", 0)
    monkeypatch.setattr(planner, "PREFILTER_MAX_KEYS", 0)  # forces the post-filter path
    monkeypatch.setattr(planner, "ANN_OVERFETCH", 0)  # and a small fetch
    sql = (f"SELECT ticket_id, similarity(body, 'refund') AS s FROM tickets WHERE ticket_id IN {tuple(far)} "
           "ORDER BY s DESC LIMIT 3")
    step = indexed.explain(sql).steps[0]
    assert step.strategy != "ANN with prefilter"  # too few survived: scored exactly instead
    assert sorted(r[0] for r in indexed.sql(sql).rows) == sorted(far)


def test_a_role_gets_k_rows_from_the_index_prefiltered_by_its_policy(indexed, embedder, monkeypatch):
    """The role's row filter is the ANN search's prefilter: its top k are k of its own rows, and as
    good as exact search over them (similarity top-k and vector_search alike)."""
    from sql_helpers import as_role

    monkeypatch.setattr(planner, "CANDIDATE_LIMIT", 10)  # as on a large column: the index answers
    role = as_role(indexed, {"escalations": {"tables": {"tickets": {"rows": "priority IN ('high', 'urgent')"}}}},
                   "escalations")
    allowed = {r[0] for r in indexed.sql("SELECT ticket_id FROM tickets WHERE priority IN ('high', 'urgent')").rows}
    recalls = []
    for text in QUERIES[:8]:
        for sql in (f"SELECT ticket_id, similarity(body, '{text}') AS s FROM tickets ORDER BY s DESC LIMIT 10",
                    f"SELECT ticket_id, _score FROM vector_search('tickets.body', '{text}', 10)"):
            step = role.explain(sql).steps[0]
            assert step.strategy == "ANN with prefilter" and "prefilter" in step.reason, step
            got = [r[0] for r in role.sql(sql).rows]
            assert len(got) == 10 and set(got) <= allowed
            recalls.append(len(set(got) & set(exact_top10(indexed, text, embedder, allowed))) / 10)
    assert np.mean(recalls) >= 0.95
