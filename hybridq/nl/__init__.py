"""Natural language to SQL: deterministic from the catalog, an optional language model otherwise.

question -> linked spans (lexical, then paraphrases for words left over) -> QuerySpec -> composed
SQL (sqlglot) -> Session.sql(). A question whose words cannot all be placed is refused with those
words and the closest catalog phrases; it is never answered with a guess.
"""

from __future__ import annotations

import datetime as dt
import time

from hybridq.errors import NLError, SQLError
from hybridq.nl.answer import Alternative, Answer
from hybridq.nl.lexicon import Lexicon, build_lexicon
from hybridq.nl.llm import LLMConfig, ask_llm
from hybridq.nl.paraphrase import PhraseIndex, paraphrase_links
from hybridq.nl.parse import STOPWORDS, Refusal, link_words
from hybridq.nl.readings import Understanding, understand
from hybridq.nl.spec import Words
from hybridq.nl.verify import untraced_parts


MAX_PARAPHRASED = 3  # unplaced words a question may have and still be a rewording of catalog phrases


def lexicon_for(session) -> Lexicon:
    """The session's lexicon, rebuilt when a refresh changed the indexed column values."""
    store = session.store
    with store.snapshot() as snap:
        stamp = snap.stamp.refresh_id
        cached = session.__dict__.get("_lexicon")
        if cached is not None and cached[0] == stamp:
            return cached[1]
        values = snap.cursor.execute("SELECT table_name, column_name, value FROM _hq.values_index").fetchall()
    lexicon = build_lexicon(session.catalog, values)
    session.__dict__["_lexicon"] = (stamp, lexicon)
    return lexicon


def today_of(session) -> dt.date:
    return session.catalog.today or dt.date.today()


def question_to_sql(session, question: str, choose: int | None = None) -> tuple[str | None, Answer]:
    """The composed SQL (or a clarification, or a refusal) without running it.

    `choose` picks one of the readings of an ambiguous question (its number in `Answer.options`, from 1).
    """
    answer, _ = _compose(session, question, choose)
    return answer.sql, answer


def _compose(session, question: str, choose: int | None) -> tuple[Answer, Understanding]:
    t0 = time.perf_counter()
    answer = Answer(question)
    lexicon = lexicon_for(session)
    outcome = _understand(session, question, lexicon)
    if outcome.refusal is None and not outcome.readings:
        outcome.refusal = Refusal([], {}, "no reading of the question could be composed")
    if outcome.refusal is not None:
        refusal = outcome.refusal
        answer.refused = True
        answer.reason = refusal.reason
        answer.unplaced = refusal.words
        answer.suggestions = refusal.suggestions
    elif outcome.ambiguous and choose is None:
        answer.options = [Alternative(r.description, r.sql, r.choice_labels()) for r in outcome.readings]
    else:
        if choose is not None and not 1 <= choose <= len(outcome.readings):
            raise NLError(f"there is no reading {choose}: the question has {len(outcome.readings)}",
                          hint="choose one of the numbers listed with the readings")
        _answer_with(answer, outcome.readings[(choose or 1) - 1])
    answer.planning_ms = (time.perf_counter() - t0) * 1000
    return answer, outcome


def _answer_with(answer: Answer, reading) -> None:
    answer.sql = reading.sql
    answer.links = reading.parsed.links
    answer.description = reading.description


def _same_rows(a, b) -> bool:
    """Whether two results hold the same rows (columns compared by position, rows in any order)."""
    if len(a.columns) != len(b.columns) or len(a) != len(b):
        return False
    return sorted(map(repr, a.rows)) == sorted(map(repr, b.rows))


def _understand(session, question: str, lexicon: Lexicon) -> Understanding:
    """The readings of a question. When none places every word, words left over may be read as
    paraphrases of catalog phrases (by meaning); if that still leaves none, the first refusal stands."""
    today = today_of(session)
    outcome = understand(question, lexicon, today)
    if outcome.refusal is None or outcome.parser is None or not _paraphrasing(session):
        return outcome
    parser = outcome.parser
    # the unplaced words, with the unlinked words next to them ("money" of "money owed")
    near = {k + d for k in outcome.refusal.positions for d in (-2, -1, 1, 2)} - parser.linked.named
    unplaced = parser.paraphrasable(sorted(set(outcome.refusal.positions)))
    positions = parser.paraphrasable(sorted(set(outcome.refusal.positions) | {
        k for k in near if 0 <= k < len(parser.tokens) and parser.lower[k] not in STOPWORDS}))
    if not positions or len(unplaced) > MAX_PARAPHRASED:
        return outcome  # several words the catalog lacks: a question about something else, not a rewording
    embed = session.embedder.embed
    cache = session.__dict__.get("_phrase_vectors")  # survives lexicon rebuilds
    if cache is None:
        cache = session.__dict__["_phrase_vectors"] = stored_phrase_vectors(session)
    if lexicon.phrase_index is None:
        lexicon.phrase_index = PhraseIndex(lexicon, embed, cache)
    found = paraphrase_links(question, outcome.parser.tokens, positions, lexicon.phrase_index, embed, STOPWORDS)
    if not found:
        return outcome
    second = understand(question, lexicon, today, found)
    return outcome if second.refusal is not None else second


def stored_phrase_vectors(session) -> dict:
    """The phrase vectors the last refresh stored for this catalog's model (phrase -> vector)."""
    import numpy as np

    store = getattr(session, "store", None)
    if store is None:
        return {}
    with store.snapshot() as snap:
        rows = snap.cursor.execute("SELECT phrase, vector FROM _hq.phrases WHERE model = ?",
                                   [session.catalog.embedding.model]).fetchall()
    return {phrase: np.asarray(vector, dtype=np.float32) for phrase, vector in rows}


def _paraphrasing(session) -> bool:
    """Whether words may be linked by meaning: `questions.paraphrase` in the catalog; `auto` does it
    only for catalogs with semantic columns, whose model is loaded for them anyway."""
    mode = session.catalog.questions.paraphrase
    return mode == "on" or (mode == "auto" and bool(session.catalog.semantic_columns()))


def ask(session, question: str, *, llm: bool | None = None, choose: int | None = None) -> Answer:
    """Answer a question: SQL composed from the catalog, run on one snapshot; or a refusal.

    With a language model configured (catalog `llm:` or HYBRIDQ_LLM_BASE_URL), it is asked when
    the catalog alone cannot place every word (mode fallback), for every question (mode always),
    or when `llm=True`; `llm=False` never asks it.
    """
    config = LLMConfig.from_catalog(session.catalog)
    first = llm is True or (llm is None and config is not None and config.mode == "always")
    readings = []
    if not first:
        answer, outcome = _compose(session, question, choose)
        if answer.options:
            # readings that differ in SQL but give the same rows (COUNT(*) or a count metric) answer alike
            try:
                results = [session.sql(r.sql) for r in outcome.readings]
            except SQLError:
                results = []
            if results and all(_same_rows(results[0], r) for r in results[1:]):
                answer.options = []
                _answer_with(answer, outcome.readings[0])
                answer.result = results[0]
                return answer
            if llm is False or config is None or (llm is None and config.mode != "fallback"):
                return answer
            readings = answer.options  # the model is told the readings and asked which is meant
        if not answer.refused:
            try:
                answer.result = session.sql(answer.sql)
                return answer
            except SQLError as exc:  # the composition went wrong: say so rather than fail
                answer.refused, answer.reason = True, f"the SQL composed for this question does not run: {exc.message}"
        if llm is False or config is None or (llm is None and config.mode != "fallback"):
            return answer
    if config is None:
        raise NLError("no language model is configured", hint="set llm.base_url in the catalog or HYBRIDQ_LLM_BASE_URL")
    t0 = time.perf_counter()
    llm_answer = Answer(question, source="llm")
    try:
        llm_answer.sql, llm_answer.result, _ = ask_llm(session, question, config, readings=readings)
        llm_answer.links = [(Words(0, len(question), question), f"SQL written by the language model ({config.model})")]
        lexicon = lexicon_for(session)
        untraced = untraced_parts(llm_answer.sql, link_words(question, lexicon, today_of(session)), lexicon)
        if untraced:
            llm_answer.verified = False
            llm_answer.reason = "parts of the SQL trace back to no words of the question: " + ", ".join(untraced)
    except NLError as exc:
        llm_answer.refused, llm_answer.reason = True, f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    llm_answer.planning_ms = (time.perf_counter() - t0) * 1000
    return llm_answer


__all__ = ["Alternative", "Answer", "ask", "question_to_sql"]
