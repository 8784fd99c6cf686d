"""hybrid_score's fusion: standardised vector and BM25 scores, weighted (unit tests of the pure function;
the SQL behaviour is in test_composition.py, the quality in bench/bench_retrieval.py)."""

from __future__ import annotations

import doctest

import numpy as np

import hybridq.engine.fusion as fusion
from hybridq.engine.fusion import VECTOR_WEIGHT, fuse_scores, standardise


def test_doctest():
    assert doctest.testmod(fusion).failed == 0


def test_standardise_is_scale_free_and_flat_scores_are_zero():
    s = np.array([0.2, 0.4, 0.9, 0.1])
    assert np.allclose(standardise(s), standardise(s * 40 + 3))
    assert abs(standardise(s).mean()) < 1e-12 and abs(standardise(s).std() - 1) < 1e-12
    assert standardise(np.full(5, 7.0)).tolist() == [0.0] * 5
    assert standardise(np.zeros(0)).tolist() == []


def test_without_keyword_matches_the_vector_order_is_kept():
    vec = np.array([0.31, 0.52, 0.12, 0.44])
    fused = fuse_scores(vec, np.zeros(4))
    assert np.argsort(-fused).tolist() == np.argsort(-vec).tolist()


def test_keyword_margin_counts_not_only_the_order():
    vec = np.array([0.50, 0.49, 0.30, 0.30, 0.30])
    bm25 = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    assert fuse_scores(vec, bm25)[1] > fuse_scores(vec, bm25)[0]  # a close second that also matches the words
    far = np.array([0.90, 0.31, 0.30, 0.30, 0.30])
    assert fuse_scores(far, bm25)[0] > fuse_scores(far, bm25)[1]  # far ahead by meaning stays ahead
    assert 0.5 < VECTOR_WEIGHT < 1
