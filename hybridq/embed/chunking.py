"""Split text into chunks whose boundaries stay put when other parts of the text change.

A text that fits in one chunk stays whole. Longer texts are cut at paragraphs (blank lines):
runs of short paragraphs (headings, one-liners) are joined with what follows them, and a
paragraph longer than a chunk is cut into overlapping windows. Every decision depends only on
nearby paragraphs, so editing one paragraph of a long document changes only its own chunk and
the vectors of the rest can be kept.

Tokens are counted as words and punctuation marks, close to the model's word pieces for English.
"""

from __future__ import annotations

import hashlib
import re

TOKEN = re.compile(r"\w+|[^\w\s]")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def chunk_text(text: str, chunk_tokens: int = 200, overlap_tokens: int = 30) -> list[str]:
    text = (text or "").strip()
    if not text:
        return []
    if count_tokens(text) <= chunk_tokens:
        return [text]
    chunks: list[str] = []
    pending: list[str] = []  # short paragraphs waiting to be joined with the next ones
    pending_tokens = 0
    min_tokens = max(1, chunk_tokens // 4)
    for para in (p.strip() for p in PARAGRAPH_BREAK.split(text)):
        if not para:
            continue
        size = count_tokens(para)
        if size > chunk_tokens:
            if pending:
                chunks.append("\n\n".join(pending))
                pending, pending_tokens = [], 0
            chunks.extend(_windows(para, chunk_tokens, overlap_tokens))
            continue
        if pending and pending_tokens + size > chunk_tokens:
            chunks.append("\n\n".join(pending))
            pending, pending_tokens = [], 0
        pending.append(para)
        pending_tokens += size
        if pending_tokens >= min_tokens:
            chunks.append("\n\n".join(pending))
            pending, pending_tokens = [], 0
    if pending:
        if chunks and count_tokens(chunks[-1]) + pending_tokens <= chunk_tokens:
            chunks[-1] = chunks[-1] + "\n\n" + "\n\n".join(pending)
        else:
            chunks.append("\n\n".join(pending))
    return chunks


def _windows(text: str, size: int, overlap: int) -> list[str]:
    """Overlapping windows of `size` tokens, cut at token boundaries of the original text."""
    spans = [m.span() for m in TOKEN.finditer(text)]
    step = max(1, size - overlap)
    out = []
    for start in range(0, len(spans), step):
        end = min(start + size, len(spans))
        out.append(text[spans[start][0]:spans[end - 1][1]])
        if end == len(spans):
            break
    return out


def chunk_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
