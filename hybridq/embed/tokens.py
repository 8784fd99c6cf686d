"""Count text the way the embedding model reads it.

The model sees at most `window` word pieces of a text (its maximum sequence length less the
special tokens it adds); the rest is cut off without a word. Chunking counts with the model's own
tokenizer so that a text that fits is embedded whole, and a longer one is split before the model
would truncate it.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Protocol, Sequence

from hybridq.embed.models import resolve_model

WORD = re.compile(r"\w+|[^\w\s]")
DEFAULT_WINDOW = 254  # 256 positions less [CLS] and [SEP], the usual sentence-transformers setting


class Tokenizer(Protocol):
    name: str  # identifies the counting (a change of tokenizer re-chunks the stored columns)
    window: int  # tokens of one text the model reads

    def counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each text."""
        ...

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character offsets of the text's tokens, in order."""
        ...


class ModelTokenizer:
    """The word-piece tokenizer shipped with a sentence-transformers model (tokenizer.json)."""

    def __init__(self, folder: Path, window: int):
        from tokenizers import Tokenizer as HFTokenizer

        self._tok = HFTokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        self.window = window
        self.name = f"model:{folder.name if folder.name != 'model' else folder.parent.name}:{window}"

    def counts(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        return list(self._tok.encode(text, add_special_tokens=False).offsets)


class WordTokenizer:
    """Words and punctuation marks: a stand-in for a model without a tokenizer file."""

    def __init__(self, window: int = DEFAULT_WINDOW):
        self.window = window
        self.name = f"words:{window}"

    def counts(self, texts: Sequence[str]) -> list[int]:
        return [len(WORD.findall(t)) for t in texts]

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in WORD.finditer(text)]


@functools.lru_cache(maxsize=8)
def load_tokenizer(model: str, base_dir: Path | None = None) -> Tokenizer:
    """The tokenizer of an installed model (no weights are loaded), or a word counter when the
    model or its tokenizer file is not found."""
    folder = resolve_model(model, base_dir)
    if folder is None or not (folder / "tokenizer.json").is_file():
        return WordTokenizer()
    return ModelTokenizer(folder, _window(folder))


def _window(folder: Path) -> int:
    """Tokens of text the model reads: its max_seq_length less the two special tokens."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        try:
            value = json.loads((folder / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError):
            continue
        if isinstance(value, int) and 8 < value < 100_000:
            return value - 2
    return DEFAULT_WINDOW
