"""Natural language to SQL: deterministic from the catalog, an optional language model otherwise.

question -> linked spans (lexical, then paraphrases for words left over) -> QuerySpec -> composed
SQL (sqlglot) -> Session.sql(). A question whose words cannot all be placed is refused with those
words and the closest catalog phrases; it is never answered with a guess.
"""

from __future__ import annotations

import datetime as dt
import time

from hybridq.errors import NLError, SQLError
from hybridq.nl.answer import Answer
from hybridq.nl.compose import Composer
from hybridq.nl.lexicon import Lexicon, build_lexicon
from hybridq.nl.llm import LLMConfig, ask_llm
from hybridq.nl.paraphrase import PhraseIndex, paraphrase_links
from hybridq.nl.parse import STOPWORDS, Parsed, Parser, Refusal
from hybridq.nl.spec import Words


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


def question_to_sql(session, question: str) -> tuple[str | None, Answer]:
    """The composed SQL (or a refusal) without running it."""
    t0 = time.perf_counter()
    answer = Answer(question)
    try:
        lexicon = lexicon_for(session)
        parsed = _parse(session, question, lexicon)
        tree = Composer(parsed.spec, lexicon).compose()
        answer.sql = tree.sql(dialect="duckdb", pretty=True)
        answer.links = parsed.links
    except Refusal as refusal:
        answer.refused = True
        answer.reason = refusal.reason
        answer.unplaced = refusal.words
        answer.suggestions = refusal.suggestions
    answer.planning_ms = (time.perf_counter() - t0) * 1000
    return answer.sql, answer


def _parse(session, question: str, lexicon: Lexicon) -> Parsed:
    """A lexical reading; when it leaves words unplaced, a second reading with those of them that
    paraphrase a catalog phrase. If that still leaves words unplaced, the first refusal stands."""
    today = today_of(session)
    parser = Parser(question, lexicon, today)
    try:
        return parser.parse()
    except Refusal as refusal:
        positions = parser.paraphrasable(refusal.positions)
        if not positions:
            raise
        embed = session.embedder.embed
        cache = session.__dict__.setdefault("_phrase_vectors", {})  # survives lexicon rebuilds
        if lexicon.phrase_index is None:
            lexicon.phrase_index = PhraseIndex(lexicon, embed, cache)
        found = paraphrase_links(question, parser.tokens, positions, lexicon.phrase_index, embed, STOPWORDS)
        if not found:
            raise
        try:
            return Parser(question, lexicon, today, found).parse()
        except Refusal:
            raise refusal from None


def ask(session, question: str, *, llm: bool | None = None) -> Answer:
    """Answer a question: SQL composed from the catalog, run on one snapshot; or a refusal.

    With a language model configured (catalog `llm:` or HYBRIDQ_LLM_BASE_URL), it is asked when
    the catalog alone cannot place every word (mode fallback), for every question (mode always),
    or when `llm=True`; `llm=False` never asks it.
    """
    config = LLMConfig.from_catalog(session.catalog)
    first = llm is True or (llm is None and config is not None and config.mode == "always")
    if not first:
        _, answer = question_to_sql(session, question)
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
        llm_answer.sql, llm_answer.result, _ = ask_llm(session, question, config)
        llm_answer.links = [(Words(0, len(question), question), f"SQL written by the language model ({config.model})")]
    except NLError as exc:
        llm_answer.refused, llm_answer.reason = True, f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    llm_answer.planning_ms = (time.perf_counter() - t0) * 1000
    return llm_answer


__all__ = ["Answer", "ask", "question_to_sql"]
