"""A few texts (a live change, a query string) are encoded on one CPU thread; bulk work keeps
torch's threads. On a busy machine the threads' wait for each other made one short text 10x slower."""

from __future__ import annotations

import numpy as np
import torch

from hybridq.embed.embedder import FEW_TEXTS


def test_few_texts_on_one_thread_bulk_on_all(embedder, monkeypatch):
    model = embedder._load()
    seen = []
    encode = model.encode

    def spy(texts, **kw):
        seen.append((len(texts), torch.get_num_threads()))
        return encode(texts, **kw)

    monkeypatch.setattr(model, "encode", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        few = embedder.embed(["a refund for the duplicate charge"])
        many = embedder.embed([f"ticket {i} about the invoice" for i in range(FEW_TEXTS + 1)])
        assert torch.get_num_threads() == 2  # restored after the few texts
    finally:
        torch.set_num_threads(before)
    assert seen == [(1, 1), (FEW_TEXTS + 1, 2)]
    # the same vectors either way
    again = embedder.embed(["a refund for the duplicate charge"] + [f"ticket {i} about the invoice" for i in range(8)])
    assert np.allclose(again[0], few[0], atol=1e-5) and np.allclose(again[1:], many[:8], atol=1e-5)
