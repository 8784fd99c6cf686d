"""From a question to one reading, a clarification or a refusal.

Every reading the evidence supports is built (nl.choices replays the parser through each of its
open decisions) and composed into SQL. Readings that leave a word unplaced, or whose SQL cannot be
composed, are not admissible. Among the admissible ones, those whose evidence is within MARGIN
of the best are the question's plausible readings: when they all give the same SQL, that is the
answer; when they differ, the user is asked which was meant; when there is none, the question is
refused with the words that could not be placed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from hybridq.nl.choices import Choices, enumerate_paths
from hybridq.nl.compose import Composer
from hybridq.nl.describe import describe_spec
from hybridq.nl.lexicon import Lexicon
from hybridq.nl.parse import Linked, Parsed, Parser, Refusal, link_words
from hybridq.nl.ratio import RatioQuestion, ratio_question
from hybridq.nl.spec import Words
from hybridq.nl.words import CREATION_VERBS, RELATION_VERBS

MARGIN = 0.12  # readings whose evidence is this close to the best one's are all plausible
MAX_READINGS = 48  # runs of the parser per question
MAX_PENALTY = 0.6  # decisions together this much weaker than the best are not explored
MAX_OPTIONS = 6  # readings offered in a clarification


@dataclass
class Reading:
    parsed: Parsed
    tree: exp.Select
    sql: str
    penalty: float
    path: list[int]
    description: str

    @property
    def decisions(self):
        return self.parsed.decisions

    def choice_labels(self) -> list[str]:
        """The options this reading took where the words allowed several."""
        return [f"{d.key}: {d.chosen.label}" for d in self.decisions if len(d.options) > 1 and not d.moot]


@dataclass
class Understanding:
    question: str
    readings: list[Reading] = field(default_factory=list)  # the plausible readings, one per distinct SQL
    refusal: Refusal | None = None
    parser: Parser | None = None  # of the best refused run, for paraphrasing its unplaced words
    considered: int = 0

    @property
    def answer(self) -> Reading | None:
        return self.readings[0] if len(self.readings) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.readings) > 1


def check_effect(parser: Parser, tree: exp.Select) -> None:
    """Every catalog element a reading placed words on must be in its SQL: a table the question
    names but the query never reads ('the instructor who taught the most courses' answered about
    courses) is a word without effect, and the reading is not admissible."""
    tables = {t.name.lower() for t in tree.find_all(exp.Table)}
    columns = {(c.table.lower(), c.name.lower()) for c in tree.find_all(exp.Column)}
    literals = {str(lit.this) for lit in tree.find_all(exp.Literal) if lit.is_string}
    graph = parser.graph
    for link in parser.links:
        if not all(k in parser.used for k in range(link.start, link.end)) or link.start in parser.descriptors:
            continue
        e = link.elements[0]
        if e.kind in ("table", "term"):
            missing = not {t.lower() for t in graph.tables_of(e)} & tables if graph.tables_of(e) else False
        elif e.kind in ("column", "verb") or (e.kind == "adjective" and e.column):
            missing = (e.table.lower(), e.column.lower()) not in columns
            if missing and e.kind == "column" and parser.lex.temporal(e.table, e.column) and \
                    e.table.lower() in tables and _is_verb(parser.tokens[link.end - 1].lower):
                missing = False  # "tickets filed by phone": the date's verb only says the row was made
        elif e.kind == "value":
            missing = e.value not in literals
        else:
            missing = False
        if missing:
            words = parser.words(link.start, link.end).text
            raise Refusal([words], {}, f"'{words}' ({e.describe(parser.catalog)}) would have no effect on the answer",
                          positions=list(range(link.start, link.end)))


def _is_verb(word: str) -> bool:
    return word.endswith("ed") or word in RELATION_VERBS or word in CREATION_VERBS


def understand(question: str, lexicon: Lexicon, today: dt.date, paraphrases=()) -> Understanding:
    ratio = ratio_question(question) if not paraphrases else None
    if ratio is not None:
        return read_ratio(question, ratio, lexicon, today)
    linked = link_words(question, lexicon, today, paraphrases)
    return read(linked, lexicon, today)


def read_ratio(question: str, ratio: RatioQuestion, lexicon: Lexicon, today: dt.date) -> Understanding:
    """Both sides read as questions of their own; each pair of their readings is a reading of the ratio."""
    outcome = Understanding(question)
    sides = [understand(side, lexicon, today) for side in ratio.sides(question)]
    for side, said in zip(sides, ratio.sides(question)):
        if side.refusal is not None:
            outcome.refusal = Refusal(side.refusal.words, side.refusal.suggestions,
                                      f"in '{said}': {side.refusal.reason}")
            return outcome
        if any(not _single_number(r.tree) for r in side.readings):
            outcome.refusal = Refusal([said], {}, f"'{said}' is not a single number, so it cannot be one side of a ratio")
            return outcome
    scale = 100 if ratio.kind == "percentage" else 1
    for a in sides[0].readings:
        for b in sides[1].readings:
            if not _agree(a, b):
                continue  # the words both sides share ('in New York') mean the same on both
            share = exp.Div(this=exp.Cast(this=exp.Subquery(this=a.tree.copy()), to=exp.DataType.build("DOUBLE")),
                            expression=exp.Nullif(this=exp.Subquery(this=b.tree.copy()), expression=exp.Literal.number(0)))
            value = exp.Mul(this=share, expression=exp.Literal.number(scale)) if scale != 1 else share
            tree = exp.select(exp.alias_(value, ratio.kind))
            words = [(Words(*span, question[span[0]:span[1]]), what) for span, what in (
                (ratio.cue, ratio.kind), (ratio.first, f"counted above: {a.description}"),
                (ratio.second, f"counted below: {b.description}"),
                (ratio.shared, "for both counts")) if span is not None]
            parsed = Parsed(a.parsed.spec, words, a.decisions + b.decisions)
            outcome.readings.append(Reading(parsed, tree, tree.sql(dialect="duckdb", pretty=True),
                                            a.penalty + b.penalty, a.path + b.path,
                                            f"{ratio.kind} of ({a.description}) to ({b.description})"))
    outcome.readings = outcome.readings[:MAX_OPTIONS]
    if not outcome.readings:
        outcome.refusal = Refusal([question[ratio.shared[0]:ratio.shared[1]]] if ratio.shared else [], {},
                                  "the two sides of the ratio read the words they share differently")
    return outcome


def _agree(a: Reading, b: Reading) -> bool:
    """Whether two readings take the same value for the same words ('San Francisco' a city in both)."""
    def values(r: Reading) -> dict:
        return {d.key: d.chosen.value for d in r.decisions if getattr(d.chosen.value, "kind", None) == "value"}
    mine = values(a)
    return all(mine.get(key, value) == value for key, value in values(b).items())


def _single_number(tree: exp.Select) -> bool:
    """One aggregate value: no grouping, one column, no row-level listing."""
    projections = tree.expressions
    return (not tree.args.get("group") and len(projections) == 1
            and projections[0].find(exp.AggFunc) is not None)


def read(linked: Linked, lexicon: Lexicon, today: dt.date) -> Understanding:
    outcome = Understanding(linked.question)
    parsers: dict[int, Parser] = {}

    def run(choices: Choices):
        parser = Parser(linked, lexicon, today, choices)
        parsers[id(choices)] = parser
        try:
            parsed = parser.parse()
            tree = Composer(parsed.spec, lexicon).compose()
            check_effect(parser, tree)
        except Refusal as refusal:
            return refusal
        return Reading(parsed, tree, tree.sql(dialect="duckdb", pretty=True), choices.penalty, choices.path(),
                       describe_spec(parsed.spec, lexicon))

    found: list[float] = []

    def counted(choices: Choices):
        result = run(choices)
        if isinstance(result, Reading):
            found.append(result.penalty)
        return result

    # readings come weakest-penalty first: past the best admissible one plus MARGIN nothing counts
    runs = enumerate_paths(counted, limit=MAX_READINGS, max_penalty=MAX_PENALTY,
                           enough=lambda penalty: bool(found) and penalty > min(found) + MARGIN + 1e-9)
    outcome.considered = len(runs)
    admissible = [(choices, r) for choices, r in runs if isinstance(r, Reading)]
    if not admissible:
        choices, refusal = min(runs, key=lambda cr: (len(cr[1].words), cr[0].penalty))
        outcome.refusal, outcome.parser = refusal, parsers[id(choices)]
        return outcome
    best = min(r.penalty for _, r in admissible)
    for choices, refusal in runs:
        if isinstance(refusal, Refusal) and choices.penalty <= best + MARGIN + 1e-9 and \
                any(d.chosen.vetoes for d in choices.made if len(d.options) > 1):
            outcome.refusal, outcome.parser = refusal, parsers[id(choices)]
            return outcome
    by_sql: dict[str, Reading] = {}
    for _, reading in sorted(admissible, key=lambda cr: cr[1].penalty):
        if reading.penalty <= best + MARGIN + 1e-9 and reading.sql not in by_sql:
            by_sql[reading.sql] = reading
    outcome.readings = list(by_sql.values())[:MAX_OPTIONS]
    return outcome
