"""Linking: the spans of a question that name catalog elements, each with a score.

Lexical matching (case, plural, punctuation, small typos) finds candidates; overlapping
candidates are resolved by coverage and score (longest, best-scoring non-overlapping set).
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridq.nl.lexicon import Element, Lexicon, similar_words
from hybridq.nl.text import Token

EXACT, SINGULAR, TYPO = 1.0, 0.97, 0.85


@dataclass
class Link:
    start: int  # token positions, end exclusive
    end: int
    elements: list[Element]
    score: float
    how: str  # exact | plural | typo

    @property
    def length(self) -> int:
        return self.end - self.start

    def kinds(self) -> set[str]:
        return {e.kind for e in self.elements}


def _is_word(token: Token) -> bool:
    return token.number is None and token.quoted is None and token.text[:1].isalpha()


def candidates(tokens: list[Token], lex: Lexicon, skip: set[int]) -> list[Link]:
    """Every span that names something in the lexicon (tokens in `skip` are never part of one)."""
    out: list[Link] = []
    by_length: dict[int, list[tuple[str, ...]]] = {}
    for key in lex.phrases:
        by_length.setdefault(len(key), []).append(key)
    n = len(tokens)
    for i in range(n):
        for length in range(min(lex.max_words, n - i), 0, -1):
            window = tokens[i:i + length]
            if any(j in skip for j in range(i, i + length)) or not all(_is_word(t) for t in window):
                continue
            lower = tuple(t.lower.strip("'") for t in window)
            norm = tuple(t.norm for t in window)
            hit = lex.lookup(lower)
            if hit:
                out.append(Link(i, i + length, list(hit), EXACT, "exact"))
                continue
            hit = lex.lookup(norm)
            if hit:
                out.append(Link(i, i + length, list(hit), SINGULAR, "plural"))
                continue
            if length <= 3 and any(len(w) >= 5 for w in norm):
                for key in by_length.get(length, []):
                    if all(similar_words(a, b) for a, b in zip(norm, key)) and norm != key:
                        out.append(Link(i, i + length, list(lex.phrases[key]), TYPO, "typo"))
    return out


def resolve(links: list[Link], n: int) -> list[Link]:
    """The non-overlapping links that cover the most words with the best scores."""
    by_start: dict[int, list[Link]] = {}
    for link in links:
        by_start.setdefault(link.start, []).append(link)
    best: list[tuple[float, list[Link]]] = [(0.0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        skip = best[i + 1]
        choice = skip
        for link in by_start.get(i, []):
            value = link.score * link.length + link.length * 0.01 + best[link.end][0]
            if value > choice[0] + 1e-9:
                choice = (value, [link] + best[link.end][1])
        best[i] = choice
    return best[0][1]


def link_question(tokens: list[Token], lex: Lexicon, skip: set[int] | None = None) -> list[Link]:
    return resolve(candidates(tokens, lex, skip or set()), len(tokens))


def near_phrases(word: str, lex: Lexicon, limit: int = 3) -> list[str]:
    """Catalog phrases that look like `word` (for refusals)."""
    import difflib

    surfaces = {lex.surface[k]: k for k in lex.phrases}
    return difflib.get_close_matches(word, list(surfaces), n=limit, cutoff=0.6)
