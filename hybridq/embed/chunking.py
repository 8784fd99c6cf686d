"""Split text into chunks the model reads whole, with boundaries that stay put when other parts
of the text change.

Tokens are the embedding model's own word pieces (hybridq.embed.tokens). A text that fits the
chunk size (by default the model's window, 254 word pieces for all-MiniLM-L6-v2) is one chunk.
Longer texts are cut at paragraphs (blank lines): runs of short paragraphs (headings, one-liners)
are joined with what follows them; a paragraph longer than a chunk is cut at sentence ends into
chunks that repeat up to `overlap_tokens` of the previous one's last sentences, and a sentence
longer than a chunk into overlapping windows of tokens. Every decision depends only on nearby
paragraphs, so editing one paragraph of a long document changes only its own chunks and the
vectors of the rest can be kept.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple, Sequence

from hybridq.embed.tokens import Tokenizer

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# a sentence ends at . ! ? (and closing quotes or brackets) followed by white space
SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
CHUNKER = "paragraphs-sentences-v2"  # part of a column's fingerprint: a new chunker re-chunks stored text


def chunk_size(tokenizer: Tokenizer, chunk_tokens: int | None) -> int:
    """Tokens per chunk: the catalog's chunk_tokens, never more than the model reads."""
    return tokenizer.window if chunk_tokens is None else min(chunk_tokens, tokenizer.window)


class Chunk(NamedTuple):
    """One chunk: the text the model embeds, and where it lies in the row's text.

    `text` is what is embedded and hashed: a slice of the row's text, except that the paragraphs of
    a chunk of several are stripped and joined with one blank line. `text_of[start:end]` is the
    verbatim passage, with the row's own whitespace between those paragraphs.
    """

    text: str
    start: int
    end: int


def chunk_text(text: str, tokenizer: Tokenizer, chunk_tokens: int | None = None, overlap_tokens: int = 30) -> list[str]:
    return chunk_texts([text], tokenizer, chunk_tokens, overlap_tokens)[0]


def chunk_texts(texts: Sequence[str | None], tokenizer: Tokenizer, chunk_tokens: int | None = None,
                overlap_tokens: int = 30) -> list[list[str]]:
    """The chunks of each text; texts that fit are counted in one batch and kept whole."""
    return [[c.text for c in chunks] for chunks in chunk_spans(texts, tokenizer, chunk_tokens, overlap_tokens)]


def chunk_spans(texts: Sequence[str | None], tokenizer: Tokenizer, chunk_tokens: int | None = None,
                overlap_tokens: int = 30) -> list[list[Chunk]]:
    """The chunks of each text with their character offsets in it (see Chunk)."""
    size = chunk_size(tokenizer, chunk_tokens)
    overlap = min(overlap_tokens, size // 2)
    spans = [_stripped_span(t or "") for t in texts]
    stripped = [(t or "")[a:b] for t, (a, b) in zip(texts, spans)]
    counts = tokenizer.counts(stripped)
    return [[] if not text else [Chunk(text, a, b)] if n <= size else
            [Chunk(c, a + s, a + e) for c, s, e in _split(text, tokenizer, size, overlap)]
            for text, (a, b), n in zip(stripped, spans, counts)]


def _stripped_span(text: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """(start, end) of text[start:end] without its leading and trailing white space."""
    end = len(text) if end is None else end
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return (start + lead, start + lead + len(piece.strip())) if piece.strip() else (start, start)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text's non-empty paragraphs (parted by blank lines), stripped."""
    out, start = [], 0
    for m in [*PARAGRAPH_BREAK.finditer(text), None]:
        a, b = _stripped_span(text, start, m.start() if m else len(text))
        if b > a:
            out.append((a, b))
        if m:
            start = m.end()
    return out


def _split(text: str, tokenizer: Tokenizer, size: int, overlap: int) -> list[tuple[str, int, int]]:
    """(embedded text, start, end) of the chunks of a text longer than a chunk."""
    paras = _paragraphs(text)
    sizes = tokenizer.counts([text[a:b] for a, b in paras])
    chunks: list[tuple[list[tuple[int, int]], int]] = []  # (paragraph spans, tokens)
    pending: list[tuple[int, int]] = []  # short paragraphs waiting to be joined with the next ones
    pending_tokens = 0
    min_tokens = max(1, size // 4)

    def flush():
        nonlocal pending, pending_tokens
        if pending:
            chunks.append((pending, pending_tokens))
            pending, pending_tokens = [], 0

    for (a, b), n in zip(paras, sizes):
        if n > size:
            flush()
            for s, e in _split_paragraph(text[a:b], tokenizer, size, overlap):
                chunks.append(([(a + s, a + e)], size))
            continue
        if pending and pending_tokens + n > size:
            flush()
        pending.append((a, b))
        pending_tokens += n
        if pending_tokens >= min_tokens:
            flush()
    if pending:
        if chunks and chunks[-1][1] + pending_tokens <= size:
            last, n = chunks.pop()
            chunks.append((last + pending, n + pending_tokens))
        else:
            flush()
    # the paragraphs of a chunk are joined with one blank line (what is embedded, and hashed)
    return [("\n\n".join(text[a:b] for a, b in spans), spans[0][0], spans[-1][1]) for spans, _ in chunks]


def _split_paragraph(para: str, tokenizer: Tokenizer, size: int, overlap: int) -> list[tuple[int, int]]:
    """A paragraph longer than a chunk: whole sentences packed up to `size` tokens, each chunk
    starting with the previous one's last sentences that fit in `overlap` tokens; (start, end) in it."""
    pieces = _pieces(para, tokenizer, size, overlap)
    out = []
    start = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and (end == start or used + pieces[end][2] <= size):
            used += pieces[end][2]
            end += 1
        out.append((pieces[start][0], pieces[end - 1][1]))
        if end == len(pieces):
            break
        back, kept = end, 0
        while back - 1 > start and kept + pieces[back - 1][2] <= overlap:
            back -= 1
            kept += pieces[back][2]
        start = back
    return out


def _pieces(para: str, tokenizer: Tokenizer, size: int, overlap: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of the paragraph's sentences; a sentence longer than a chunk becomes
    overlapping windows of `size` tokens."""
    bounds, start = [], 0
    for m in SENTENCE_END.finditer(para):
        bounds.append((start, m.start() + len(m.group().rstrip())))
        start = m.end()
    if start < len(para):
        bounds.append((start, len(para)))
    counts = tokenizer.counts([para[a:b] for a, b in bounds])
    pieces = []
    for (a, b), n in zip(bounds, counts):
        if n <= size:
            pieces.append((a, b, n))
            continue
        spans = tokenizer.spans(para[a:b])
        step = max(1, size - overlap)
        for first in range(0, len(spans), step):
            last = min(first + size, len(spans))
            pieces.append((a + spans[first][0], a + spans[last - 1][1], last - first))
            if last == len(spans):
                break
    return pieces


def chunk_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
