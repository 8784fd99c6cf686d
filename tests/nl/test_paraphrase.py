"""Paraphrases: words the catalog does not contain are linked by meaning, only when a lexical
reading leaves them unplaced, only when close and unambiguous, and shown in the explanation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from hybridq.catalog.model import Catalog
from hybridq.nl import _understand, question_to_sql
from hybridq.nl.lexicon import build_lexicon
from hybridq.nl.paraphrase import PARAPHRASE_MIN, PhraseIndex, paraphrase_links, spans
from hybridq.nl.parse import STOPWORDS, Parser, link_words
from hybridq.nl.text import tokenize

CATALOG = Catalog(name="shop", questions={"paraphrase": "on"}, tables={
    "customers": {"source": "customers", "primary_key": "id", "synonyms": ["clients"],
                  "columns": {"id": "INTEGER", "name": "VARCHAR", "region": {"type": "VARCHAR", "values": ["EMEA", "NA"]},
                              "employees": "INTEGER"}},
})


class TableEmbedder:
    """Unit vectors from a table of texts; unknown texts get a vector of their own (far from all)."""

    def __init__(self, table: dict[str, list[float]]):
        self.table = {k: np.asarray(v, np.float32) / np.linalg.norm(v) for k, v in table.items()}
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        out = []
        for t in texts:
            v = self.table.get(t.lower())
            if v is None:
                v = np.zeros(4, np.float32)
                v[hash(t) % 2] = -1.0  # opposite to every phrase below
            out.append(v)
        return np.stack(out)


def vectors(**near) -> dict[str, list[float]]:
    base = {"customers": [1, 0, 0, 0], "clients": [1, 0.05, 0, 0], "name": [0, 0, 1, 0], "region": [0, 0, 0, 1],
            "employees": [0, 1, 0, 0], "id": [0, 0, 0.7, 0.7], "emea": [0, 0, 0, -1], "na": [0, 0, -1, 0]}
    base.update(near)
    return base


def test_spans_join_unplaced_words_across_small_words_only():
    tokens = tokenize("how many of the firms with big money owed")
    positions = [4, 6, 7, 8]  # firms, big, money, owed
    assert spans(tokens, positions, STOPWORDS) == [
        (4, 5), (4, 7), (4, 8), (6, 7), (6, 8), (6, 9), (7, 8), (7, 9), (8, 9)]
    assert spans(tokens, [4, 8], STOPWORDS) == [(4, 5), (8, 9)]  # 'big' and 'money' are not small words


def test_a_close_unambiguous_phrase_becomes_a_link():
    embedder = TableEmbedder(vectors(firms=[0.95, 0.05, 0, 0]))
    lex = build_lexicon(CATALOG)
    index = PhraseIndex(lex, embedder.embed, {})
    tokens = tokenize("how many firms are in EMEA")
    found = paraphrase_links("how many firms are in EMEA", tokens, [2], index, embedder.embed, STOPWORDS)
    assert len(found) == 1
    p = found[0]
    assert (p.link.start, p.link.end) == (2, 3) and p.link.how == "paraphrase"
    assert [e.table for e in p.link.elements] == ["customers"] and p.similarity >= PARAPHRASE_MIN
    assert p.phrase in ("customers", "clients")


def test_a_far_or_ambiguous_phrase_is_not_a_link():
    lex = build_lexicon(CATALOG)
    far = TableEmbedder(vectors(firms=[0.5, 0.5, 0.5, 0.5]))
    tokens = tokenize("how many firms are in EMEA")
    assert paraphrase_links("how many firms are in EMEA", tokens, [2], PhraseIndex(lex, far.embed, {}),
                            far.embed, STOPWORDS) == []
    # as close to the customers table as to the employees column: ambiguous
    torn = TableEmbedder(vectors(firms=[1, 1, 0, 0]))
    torn.table["firms"] = np.asarray([0.7071, 0.7071, 0, 0], np.float32)
    torn.table["customers"] = torn.table["clients"] = np.asarray([0.96, 0.28, 0, 0], np.float32)
    torn.table["employees"] = np.asarray([0.28, 0.96, 0, 0], np.float32)
    assert paraphrase_links("how many firms are in EMEA", tokens, [2], PhraseIndex(lex, torn.embed, {}),
                            torn.embed, STOPWORDS) == []


def test_phrase_vectors_are_embedded_once_across_lexicons():
    embedder = TableEmbedder(vectors())
    cache: dict = {}
    PhraseIndex(build_lexicon(CATALOG), embedder.embed, cache)
    PhraseIndex(build_lexicon(CATALOG), embedder.embed, cache)
    assert len(embedder.calls) == 1 and "clients" in embedder.calls[0]


def session_for(embedder):
    return SimpleNamespace(catalog=CATALOG, embedder=embedder)


def test_a_covered_question_never_asks_the_model():
    embedder = TableEmbedder(vectors())
    outcome = _understand(session_for(embedder), "how many clients are in EMEA", build_lexicon(CATALOG))
    assert outcome.answer.parsed.spec.root == "customers" and embedder.calls == []


def test_unplaced_words_ask_the_model_only_when_the_catalog_allows_it():
    embedder = TableEmbedder(vectors(firms=[0.95, 0.05, 0, 0]))
    lexicon = build_lexicon(CATALOG)
    outcome = _understand(session_for(embedder), "how many firms are in EMEA", lexicon)
    assert outcome.answer is not None and embedder.calls
    off = CATALOG.model_copy(update={"questions": CATALOG.questions.model_copy(update={"paraphrase": "off"})})
    silent = TableEmbedder(vectors(firms=[0.95, 0.05, 0, 0]))
    outcome = _understand(SimpleNamespace(catalog=off, embedder=silent), "how many firms are in EMEA",
                          build_lexicon(off))
    assert outcome.refusal is not None and silent.calls == []


def test_shape_words_are_never_paraphrased():
    lex = build_lexicon(CATALOG)
    question = "the biggest firms by quarter over 5"
    parser = Parser(link_words(question, lex, CATALOG.today), lex, CATALOG.today)
    tokens = parser.tokens
    positions = list(range(len(tokens)))
    assert [tokens[k].text for k in parser.paraphrasable(positions)] == ["firms"]


def test_paraphrased_question_is_answered_and_explained(acme):
    sql, answer = question_to_sql(acme, "How many firms are in EMEA?")
    assert not answer.refused, answer.reason
    assert acme.sql(sql).rows == acme.sql("SELECT count(*) FROM customers WHERE region = 'EMEA'").rows
    explained = answer.explain()
    assert "firms" in explained and "read as 'companies'" in explained


def test_paraphrase_of_a_metric(acme):
    answer = acme.ask("What is the total money owed by enterprise customers?")
    assert not answer.refused, answer.reason
    gold = acme.sql("SELECT SUM(CASE WHEN i.status IN ('open', 'overdue') THEN i.amount ELSE 0 END) "
                    "FROM invoices i JOIN customers c USING (customer_id) WHERE c.segment = 'Enterprise'").rows
    assert np.isclose(float(answer.rows[0][0]), float(gold[0][0]))
    assert "read as 'amount owed'" in answer.explain()


def test_words_with_no_close_phrase_are_still_refused(acme):
    answer = acme.ask("How many zebras are in EMEA?")
    assert answer.refused and "zebras" in answer.unplaced
