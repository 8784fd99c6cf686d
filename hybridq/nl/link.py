"""Linking: the spans of a question that name catalog elements, each with a score.

Lexical matching (case, plural, punctuation, small typos) finds candidates, and nl.paraphrase
adds links by meaning for words left over; overlapping candidates are resolved by coverage and
score (longest, best-scoring non-overlapping set).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hybridq.nl.lexicon import VALUE_ALIAS, Element, Lexicon, similar_words
from hybridq.nl.text import Token, normalize_phrase

EXACT, SINGULAR, TYPO = 1.0, 0.97, 0.85


@dataclass
class Link:
    start: int  # token positions, end exclusive
    end: int
    elements: list[Element]
    score: float
    how: str  # exact | plural | typo | verb | loose | paraphrase
    weights: dict = field(default_factory=dict)  # element -> how strongly the words name it (lexicon strength)

    def weight(self, element: Element) -> float:
        """The evidence for one of the link's elements: how well the words match times how strongly they name it."""
        return self.score * self.weights.get(element, 1.0)

    @property
    def length(self) -> int:
        return self.end - self.start

    def kinds(self) -> set[str]:
        return {e.kind for e in self.elements}


INFLECTIONS = ("ed", "ing", "er", "ers", "es", "ly", "ment", "ments", "ion", "ions")


def plausible_typo(word: str, target: str) -> bool:
    """A small typo that is not another form of a different word ('started' is not 'Starter')."""
    if word == target:
        return True
    if word[:2] != target[:2] or not similar_words(word, target):
        return False
    for ending in INFLECTIONS:
        if word.endswith(ending) != target.endswith(ending) and (word.endswith(ending) or target.endswith(ending)):
            stem_w = word[: -len(ending)] if word.endswith(ending) else word
            stem_t = target[: -len(ending)] if target.endswith(ending) else target
            if stem_w[:4] == stem_t[:4]:
                return False
    return True


def verb_stems(word: str) -> list[str]:
    if word.endswith("ed") and len(word) > 4:
        stems = [word[:-1], word[:-2]]
        if word[-3] == word[-4]:  # "shipped" -> "ship"
            stems.append(word[:-3])
        return stems
    if word.endswith("ing") and len(word) > 5:
        return [word[:-3], word[:-3] + "e"]
    return []


def _is_word(token: Token) -> bool:
    """A token that can be part of a catalog phrase: a word, or a plain number ('2-HIGH', 'Brand#23')."""
    if token.quoted is not None:
        return False
    return token.text[:1].isalpha() or token.text.isdigit()


AUXILIARY = {"is", "was", "were", "are", "be", "been", "being", "has", "have", "had", "get", "got", "gets"}


def _loose_windows(tokens: list[Token], i: int, words: int) -> list[int]:
    """Positions of `words` content words from i, skipping auxiliary verbs between them."""
    out, k = [], i
    while k < len(tokens) and len(out) < words:
        if out and tokens[k].lower in AUXILIARY:
            k += 1
            continue
        out.append(k)
        k += 1
    return out if len(out) == words else []


def candidates(tokens: list[Token], lex: Lexicon, skip: set[int], keep=None, extra: list[Link] = ()) -> list[Link]:
    """Every span that names something in the lexicon (tokens in `skip` are never part of one),
    with the `extra` links found otherwise; `keep(element, words, start)` can rule elements out."""
    raw = _candidates(tokens, lex, skip) + [replace(link) for link in extra]
    if keep is None:
        return raw
    out = []
    for link in raw:
        words = tuple(t.lower for t in tokens[link.start:link.end])
        elements = [e for e in link.elements if keep(e, words, link.start)]
        if elements:
            link.elements = elements
            out.append(link)
    return out


def _candidates(tokens: list[Token], lex: Lexicon, skip: set[int]) -> list[Link]:
    out: list[Link] = []
    n = len(tokens)
    for i in range(n):
        if tokens[i].quoted is not None and i not in skip:
            # a quoted name ('the domain "Machine Learning"') is a value the data holds, or nothing
            key = normalize_phrase(tokens[i].quoted)
            values = [e for e in lex.lookup(key) + lex.lookup(tuple(w.lower() for w in key)) if e.kind == "value"]
            if values:
                out.append(Link(i, i + 1, list(dict.fromkeys(values)), EXACT, "quoted",
                                {e: lex.strength_of(key, e) for e in values}))
            continue
        for length in range(min(lex.max_words, n - i), 0, -1):
            window = tokens[i:i + length]
            if any(j in skip for j in range(i, i + length)) or not all(_is_word(t) for t in window):
                continue
            lower = tuple(t.lower for t in window)
            norm = tuple(t.norm for t in window)
            found = False
            if lex.lookup(lower):
                out.append(_link(lex, i, i + length, lower, EXACT, "exact"))
                found = True
            elif lex.lookup(norm):
                link = _link(lex, i, i + length, norm, SINGULAR, "plural")
                # a value is a name: 'Longs' (a peak) is not the plural of the word 'long'
                link.elements = [e for e in link.elements if e.kind != "value" or _plural_of_value(lower, e.value)]
                if link.elements:
                    out.append(link)
                    found = True
            if length == 1:
                stemmed = [(stem, e) for stem in verb_stems(norm[0]) for e in lex.lookup((stem,))
                           if e.kind == "column" and lex.temporal(e.table, e.column)]
                if stemmed:  # "started" names start_date, "issued" issued_date
                    out.append(Link(i, i + 1, [e for _, e in stemmed], SINGULAR - 0.05, "verb",
                                    {e: lex.strength_of((stem,), e) for stem, e in stemmed}))
                    found = True
            if found:
                continue
            if length <= 3 and any(len(w) >= 5 for w in norm) and not all(w in lex.english for w in lower):
                for key in lex.typo_keys.get(length, []):
                    if all(plausible_typo(a, b) for a, b in zip(norm, key)) and norm != key:
                        link = _link(lex, i, i + length, key, TYPO, "typo")
                        link.elements = [e for e in link.elements if e.kind != "value" or link.weights[e] >= VALUE_ALIAS]
                        out.append(link)
        for length in range(2, min(lex.max_words, n - i) + 1):
            positions = _loose_windows(tokens, i, length)
            if not positions or positions[-1] - i + 1 == length:
                continue
            span = range(i, positions[-1] + 1)
            window = [tokens[k] for k in positions]
            if any(k in skip for k in span) or not all(_is_word(t) for t in window):
                continue
            key = tuple(t.norm for t in window)
            if lex.lookup(key):
                out.append(_link(lex, i, positions[-1] + 1, key, SINGULAR - 0.02, "loose"))
    return out


def _plural_of_value(words: tuple[str, ...], value: str | None) -> bool:
    """Whether the question's words are the value or its plural ('order forms' for Order Form)."""
    said = " ".join(words)
    name = " ".join(value.lower().replace("-", " ").replace("_", " ").split()) if value else ""
    return said == name or said in (name + "s", name + "es") or (name.endswith("y") and said == name[:-1] + "ies") \
        or name.startswith(said + " ")  # the start of a name as written ('starwell couriers')


def _link(lex: Lexicon, start: int, end: int, key: tuple[str, ...], score: float, how: str) -> Link:
    elements = list(lex.lookup(key))
    return Link(start, end, elements, score, how, {e: lex.strength_of(key, e) for e in elements})


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
            # a longer phrase beats the same words split into shorter ones ("urgent tickets" the
            # glossary term, not the value "urgent" and the table "tickets")
            value = link.score * link.length + (link.length - 1) * 0.1 + best[link.end][0]
            if value > choice[0] + 1e-9:
                choice = (value, [link] + best[link.end][1])
        best[i] = choice
    return best[0][1]


def link_question(tokens: list[Token], lex: Lexicon, skip: set[int] | None = None, keep=None,
                  extra: list[Link] = ()) -> list[Link]:
    return resolve(candidates(tokens, lex, skip or set(), keep, extra), len(tokens))


LINK_COST = 0.3  # each extra link: the same words as one longer catalog phrase read better
LIGHT = 0.35  # a common word ('total', 'am') a phrase covers: placed by the question's shape otherwise
COVERS = 4


def _light_weight(link: Link, t: int, averages: set[int]) -> float:
    """What a shape word inside a phrase adds to reading the words as that phrase. 'average' at the
    start of one ('average rating' naming a column) could as well ask for the average of the rest
    ('average rating of businesses in Los Angeles'), so both readings weigh the same."""
    return 0.0 if t == link.start and link.length > 1 and t in averages else LIGHT


def one_name(link: Link, rest: list[Link]) -> bool:
    """Two values of one table written side by side ('Jane' 'Doe' as first and last name) read as one
    name: the split costs no extra link, so it competes with one column holding the whole phrase."""
    if not rest or rest[0].start != link.end:
        return False
    tables = {(e.table, e.column) for e in link.elements if e.kind == "value"}
    after = {(e.table, e.column) for e in rest[0].elements if e.kind == "value"}
    return any(t == u and c != d for t, c in tables for u, d in after)


def best_covers(links: list[Link], n: int, light: set[int], k: int = COVERS,
                averages: set[int] = frozenset()) -> list[tuple[float, list[Link]]]:
    """The k best ways to read the words as non-overlapping catalog phrases: by the content words
    they cover (words in `light`, such as 'total' or 'am', count for little), then by using fewer,
    longer phrases. Each is a reading to try: the best may leave a word unusable that another places."""
    by_start: dict[int, list[Link]] = {}
    for link in links:
        by_start.setdefault(link.start, []).append(link)
    best: list[list[tuple[float, list[Link]]]] = [[] for _ in range(n + 1)]
    best[n] = [(0.0, [])]
    for i in range(n - 1, -1, -1):
        options = list(best[i + 1])
        for link in by_start.get(i, []):
            covered = sum(_light_weight(link, t, averages) if t in light else 1 for t in range(link.start, link.end))
            gain = covered * link.score
            options += [(value + gain - (0.0 if one_name(link, rest) else LINK_COST), [link] + rest)
                        for value, rest in best[link.end]]
        options.sort(key=lambda vr: -vr[0])
        kept: list[tuple[float, list[Link]]] = []
        for value, chosen in options:
            spans = [(lk.start, lk.end) for lk in chosen]
            if all(spans != [(lk.start, lk.end) for lk in other] for _, other in kept):
                kept.append((value, chosen))
            if len(kept) == k:
                break
        best[i] = kept
    return best[0]


def near_phrases(word: str, lex: Lexicon, limit: int = 3) -> list[str]:
    """Catalog phrases that look like `word` (for refusals)."""
    import difflib

    surfaces = {lex.surface[k]: k for k in lex.phrases}
    return difflib.get_close_matches(word, list(surfaces), n=limit, cutoff=0.6)
