"""Chunking counts the model's own word pieces: a text the model reads whole is one chunk, a longer
one is cut at paragraphs and sentence ends, never past what the model reads."""

from __future__ import annotations

import json
import re

import pytest

from hybridq.embed.chunking import chunk_spans, chunk_text, chunk_texts
from hybridq.embed.tokens import ModelTokenizer, WordTokenizer, load_tokenizer

SENTENCES = [
    "The library's circulation records were analysed over twelve months.",
    "Borrowing of periodicals fell sharply after the introduction of photocopying services.",
    "Interlibrary loans, by contrast, rose by a third, mostly for older monographs.",
    "Users surveyed said that on-line catalogues saved them time, but rarely changed what they read.",
    "The authors argue that acquisition budgets should follow measured use rather than requests.",
    "A cost model for weeding little-used items is proposed and tested on two collections.",
]


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer("all-MiniLM-L6-v2")


def sentences(n: int) -> list[str]:
    return [f"{SENTENCES[i % len(SENTENCES)][:-1]} (case {i})." for i in range(n)]


def test_tokenizer_is_the_models_with_its_window(tok, embedder):
    assert isinstance(tok, ModelTokenizer)
    model = embedder._load()
    assert tok.window == model.max_seq_length - 2 == 254
    text = "Photocopying isn't borrowing: re-shelving costs were measured."
    ids = model.tokenize([text])["input_ids"][0]
    assert tok.counts([text]) == [len(ids) - 2]  # the model's pieces less [CLS] and [SEP]


def test_an_abstract_that_fits_the_window_is_one_chunk(tok):
    abstract = " ".join(sentences(12))
    (n,) = tok.counts([abstract])
    words = len(WordTokenizer().spans(abstract))
    assert 200 < words <= n <= 254  # the old count (words and marks) would have split it at 200
    assert chunk_text(abstract, tok) == [abstract]
    assert chunk_text(abstract, tok, chunk_tokens=120) != [abstract]


def test_long_paragraph_splits_at_sentence_ends_with_overlap(tok, embedder):
    paragraph = " ".join(sentences(40))
    chunks = chunk_text(paragraph, tok, overlap_tokens=40)
    assert len(chunks) >= 3
    model = embedder._load()
    for chunk in chunks:
        ids = model.tokenize([chunk])["input_ids"][0]
        assert len(ids) <= 256 and int(ids[-1]) == 102  # [SEP] closes the text: nothing was cut off
        assert chunk.endswith(")."), chunk[-40:]  # a sentence end
        assert chunk in paragraph
    for before, after in zip(chunks, chunks[1:]):
        # the next chunk starts with the previous one's last whole sentences, at most 40 tokens of them
        shared = max((after[:i] for i in range(1, len(after)) if before.endswith(after[:i])), key=len, default="")
        assert shared.endswith(").") and before[-len(shared) - 2:-len(shared)] == ". "
        assert 0 < tok.counts([shared])[0] <= 40
    covered = " ".join(chunks)
    for s in sentences(40):
        assert s in covered


def test_sentence_longer_than_a_chunk_becomes_overlapping_windows(tok):
    sentence = " ".join(["retrieval effectiveness of boolean and ranked searching"] * 60) + "."
    chunks = chunk_text(sentence, tok, chunk_tokens=100, overlap_tokens=20)
    counts = tok.counts(chunks)
    assert all(c <= 100 for c in counts) and counts[0] == 100
    for before, after in zip(chunks, chunks[1:]):
        tail = tok.spans(before)[-20][0]
        assert after.startswith(before[tail:])  # the next window starts with the previous one's last 20 tokens
    assert chunks[0].startswith("retrieval") and chunks[-1].endswith(".")


def test_editing_one_paragraph_changes_only_its_chunks(tok):
    paras = [" ".join(sentences(12 + i % 3)) for i in range(6)]
    before = chunk_text("\n\n".join(paras), tok)
    paras[3] = paras[3].replace("sharply", "slowly", 1)
    after = chunk_text("\n\n".join(paras), tok)
    assert len(before) == len(after) and sum(a != b for a, b in zip(before, after)) == 1


def test_batch_equals_one_by_one_and_empty_text_has_no_chunks(tok):
    texts = ["", None, "  short note  ", " ".join(sentences(30)), "\n\n".join(sentences(50))]
    assert chunk_texts(texts, tok, 100, 10) == [chunk_text(t, tok, 100, 10) for t in texts]
    assert chunk_texts(["", None], tok) == [[], []]
    assert chunk_text("  short note  ", tok) == ["short note"]


def test_model_without_tokenizer_file_counts_words(tmp_path):
    folder = tmp_path / "tiny-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8}))
    tok = load_tokenizer(str(folder))
    assert isinstance(tok, WordTokenizer) and tok.window == 254
    assert tok.counts(["can't stop, won't stop"]) == [len(["can", "'", "t", "stop", ",", "won", "'", "t", "stop"])]


@pytest.mark.parametrize("break_", ["\n\n", "\n\n\n", "\n  \n", "\r\n\r\n", "\n\t\n\n "])
def test_chunks_carry_their_verbatim_place_in_the_text(tok, break_):
    # short paragraphs joined into one chunk, long ones cut at sentence ends, a sentence into windows
    paras = ["Renewal terms", " ".join(sentences(3)), " ".join(sentences(14)), "x " * 300, "Signed."]
    text = "  \n" + break_.join(paras) + "\n "
    chunks = chunk_spans([text], tok, 100, 10)[0]
    assert [c.text for c in chunks] == chunk_text(text, tok, 100, 10)  # what is embedded (and hashed) is unchanged
    assert len(chunks) > 5
    for chunk in chunks:
        passage = text[chunk.start:chunk.end]
        assert passage == passage.strip() and passage
        # the embedded text is the passage's paragraphs, stripped, joined with one blank line
        assert "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", passage)) == chunk.text
    assert any(text[c.start:c.end] != c.text for c in chunks) == (break_ != "\n\n")
    assert chunk_spans(["", None, "  one line "], tok) == [[], [], [("one line", 2, 10)]]
