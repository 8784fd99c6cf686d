"""Paraphrases: words the catalog does not contain, linked by meaning to a phrase it does.

Only the words a lexical reading left unplaced are looked at ("firms" when the catalog says
"companies", "money owed" for "amount owed"), so a question the catalog already
covers reads the same with or without this step. A paraphrase stands only when its embedding is
close to one catalog phrase (cosine >= PARAPHRASE_MIN) and clearly closer to it than to any phrase
of another element (by PARAPHRASE_MARGIN); otherwise the words stay unplaced and the question is
refused as before. Values are not paraphrased: a name or a code has no synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hybridq.nl.lexicon import Element, Lexicon
from hybridq.nl.link import Link
from hybridq.nl.text import Token

PARAPHRASE_MIN = 0.8
PARAPHRASE_MARGIN = 0.04
MAX_WORDS = 3  # content words in one paraphrased span
MAX_GAP = 2  # small words allowed between the content words of a span ("amount of money")


@dataclass
class Paraphrase:
    link: Link
    phrase: str  # the catalog phrase it was read as
    similarity: float

    def describe(self) -> str:
        return f"read as '{self.phrase}', similarity {self.similarity:.2f}"


class PhraseIndex:
    """Embeddings of the catalog's table, column and glossary phrases (not values)."""

    def __init__(self, lexicon: Lexicon, embed, cache: dict[str, np.ndarray]):
        self.phrases: list[str] = []
        self.elements: list[list[Element]] = []
        for key, elements in lexicon.phrases.items():
            named = [e for e in elements if e.kind != "value"]
            if named:
                self.phrases.append(lexicon.surface[key])
                self.elements.append(named)
        missing = sorted({p for p in self.phrases if p not in cache})
        if missing:
            cache.update(zip(missing, embed(missing)))
        dim = len(next(iter(cache.values()))) if cache else 0
        self.matrix = np.array([cache[p] for p in self.phrases], dtype=np.float32).reshape(len(self.phrases), dim)


def spans(tokens: list[Token], positions: list[int], small_words: set[str]) -> list[tuple[int, int]]:
    """Token ranges [start, end) that start and end on an unplaced word, with at most MAX_WORDS of
    them and only small words between."""
    positions = sorted(positions)
    runs: list[list[int]] = []
    for p in positions:
        if runs and p - runs[-1][-1] - 1 <= MAX_GAP and all(
                tokens[k].lower in small_words for k in range(runs[-1][-1] + 1, p)):
            runs[-1].append(p)
        else:
            runs.append([p])
    out = []
    for run in runs:
        for i in range(len(run)):
            for j in range(i, min(len(run), i + MAX_WORDS)):
                out.append((run[i], run[j] + 1))
    return out


def paraphrase_links(question: str, tokens: list[Token], positions: list[int], index: PhraseIndex, embed,
                     small_words: set[str]) -> list[Paraphrase]:
    """The paraphrases among the unplaced words at `positions`: non-overlapping (the closest
    wins), in question order."""
    candidates = spans(tokens, positions, small_words)
    if not candidates or not index.phrases:
        return []
    texts = [question[tokens[s].start:tokens[e - 1].end] for s, e in candidates]
    scores = np.asarray(embed(texts), dtype=np.float32) @ index.matrix.T
    found: list[Paraphrase] = []
    for (start, end), row in zip(candidates, scores):
        order = np.argsort(-row)
        best = int(order[0])
        if row[best] < PARAPHRASE_MIN:
            continue
        rival = next((float(row[k]) for k in order[1:] if index.elements[k] != index.elements[best]), -1.0)
        if row[best] - rival < PARAPHRASE_MARGIN:
            continue  # as close to another element: ambiguous, not a paraphrase
        link = Link(start, end, list(index.elements[best]), float(row[best]), "paraphrase")
        found.append(Paraphrase(link, index.phrases[best], float(row[best])))
    chosen: list[Paraphrase] = []
    taken: set[int] = set()
    for p in sorted(found, key=lambda p: (-p.similarity, -(p.link.end - p.link.start))):
        span = set(range(p.link.start, p.link.end))
        if not span & taken:
            chosen.append(p)
            taken |= span
    return sorted(chosen, key=lambda p: p.link.start)
