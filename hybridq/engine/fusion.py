"""hybrid_score: the vector and BM25 scores of the same rows, each standardised, then weighted.

Rank fusion (RRF) keeps only the order of each list, so a row far ahead by meaning counts no more
than one just ahead; scores keep the margin. Each score is turned into standard units over the
rows the query considers (z-scores: how far above the usual score of those rows), so cosine values
near 0.3 and BM25 values near 12 become comparable, then the two are mixed with a fixed weight.

The weight was tuned on the CISI collection (bench/bench_retrieval.py): nDCG@10 is flat between
0.65 and 0.85 on the vector side; 0.7 sits in that plateau. The same run reports a second
collection the weight was not tuned on.

>>> fuse_scores(np.array([0.5, 0.3, 0.1]), np.array([0.0, 9.0, 0.0])).round(2).tolist()
[0.65, 0.42, -1.07]
"""

from __future__ import annotations

import numpy as np

VECTOR_WEIGHT = 0.7


def standardise(scores: np.ndarray) -> np.ndarray:
    """Scores in standard units over these rows; all zeros when they are all equal."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return scores
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 1e-12 else np.zeros_like(scores)


def fuse_scores(vector: np.ndarray, keyword: np.ndarray, weight: float = VECTOR_WEIGHT) -> np.ndarray:
    """weight * standardised vector score + (1 - weight) * standardised BM25, per row."""
    return weight * standardise(vector) + (1.0 - weight) * standardise(keyword)
