"""Understanding a question: linked spans -> a QuerySpec, or the words that could not be placed.

Recognisers run in a fixed order over the tokens and their links; each consumes the tokens it
explains and records them as provenance. Whatever content word is left unexplained makes the
question refused rather than guessed (DESIGN invariant 6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp

from hybridq.catalog.model import Catalog
from hybridq.nl.choices import Choices, Option
from hybridq.nl.graph import CatalogGraph, catalog_graph
from hybridq.nl.lexicon import SYNONYM, Element, Lexicon
from hybridq.nl.link import Link, best_covers, candidates, link_question
from hybridq.nl.paraphrase import Paraphrase
from hybridq.nl.spec import Condition, Group, Measure, QuerySpec, Ranking, Words
from hybridq.nl.text import Token, base_forms, normalize_phrase, singular, tokenize
from hybridq.nl.timewords import MONTHS, ORDINAL_QUARTERS, find_windows
from hybridq.nl.timewords import UNITS as TIME_UNITS
from hybridq.nl.words import (
    ALL_ROWS,
    ARTICLES,
    AUXILIARIES,
    CREATION_VERBS,
    DETERMINERS,
    FUNCTION_WORDS,
    PLACE_WORDS,
    PRESENT,
    PRONOUNS,
    QUESTION_WORDS,
    RELATION_VERBS,
)

# Words a question may contain without the catalog naming them (general English only, see nl.words).
STOPWORDS = FUNCTION_WORDS | RELATION_VERBS | ALL_ROWS
# Words that only shape the question; they are consumed where they are recognised.
AGG_WORDS = {
    "count": ("count",), "how many": ("count",), "number of": ("count",), "no of": ("count",),
    "how much": ("money",),
    "total": ("sum",), "sum of": ("sum",), "sum": ("sum",), "combined": ("sum",),
    "average": ("avg",), "avg": ("avg",), "mean": ("avg",), "typical": ("avg",),
    "maximum": ("max",), "max": ("max",), "minimum": ("min",), "min": ("min",), "median": ("median",),
}
AVERAGE_WORDS = ("average", "avg", "mean")  # 'above the average', 'average rating'
# Superlatives that only order ("top", "most") and need a "by X", a measure or a following column.
ORDER_WORDS = {"top": True, "highest": True, "most": True, "greatest": True, "maximum": True, "max": True,
               "bottom": False, "lowest": False, "least": False, "fewest": False, "minimum": False, "min": False}
# Superlative adjectives: they say which way, and the catalog says by what (`adjectives:` on a
# column, `rankings:` on a table); without it only the columns they can describe are candidates.
ADJECTIVE_SUPERLATIVES = {
    "largest": (True, "size"), "biggest": (True, "size"), "smallest": (False, "size"), "longest": (True, "size"),
    "shortest": (False, "size"), "oldest": (False, "time"), "earliest": (False, "time"), "newest": (True, "time"),
    "latest": (True, "time"), "recent": (True, "time"), "recently": (True, "time"), "expensive": (True, "money"), "priciest": (True, "money"),
    "cheapest": (False, "money"), "best": (True, None), "worst": (False, None),
}
# Alone they name no period and rank nothing ('customers who signed up recently'); after 'most' they rank.
VAGUE_TIME_WORDS = {"recent", "recently"}
# 'are all closed', 'all their invoices': 'all' that quantifies over related rows, not 'every row'.
UNIVERSAL_VERBS = {"are", "were", "is", "was", "be", "been", "have", "had", "has"}
POSSESSIVES = {"their", "its", "his", "her", "whose"}  # "all our accounts" is every row
# Superlatives that repeat an earlier one ("top 5 ... with the highest"), by direction.
RESTATING = {"highest": True, "most": True, "largest": True, "greatest": True, "biggest": True, "lowest": False,
             "least": False, "fewest": False, "smallest": False}
TOP_WORDS = {**ORDER_WORDS, **{w: d for w, (d, _) in ADJECTIVE_SUPERLATIVES.items()}}
GROUP_WORDS = [("broken", "down", "by"), ("break", "down", "by"), ("break", "down"), ("grouped", "by"),
               ("split", "by"), ("for", "each"), ("for", "every"), ("by",), ("per",), ("each",), ("across",),
               ("in", "each"), ("of", "each")]
AGENT_VERBS = RELATION_VERBS | {"filed", "created", "submitted", "opened", "signed", "issued", "raised", "sent", "owned", "managed",
               "handled", "made", "placed", "written", "logged", "reported", "bought", "purchased", "held"}
COMPARATORS = [
    (("more", "than"), ">"), (("greater", "than"), ">"), (("higher", "than"), ">"), (("larger", "than"), ">"),
    (("bigger", "than"), ">"), (("over",), ">"), (("above",), ">"), (("exceeding",), ">"), (("exceeds",), ">"),
    (("exceed",), ">"), ((">",), ">"), (("at", "least"), ">="), (("no", "less", "than"), ">="), ((">=",), ">="),
    (("minimum", "of"), ">="), (("fewer", "than"), "<"), (("less", "than"), "<"), (("lower", "than"), "<"),
    (("smaller", "than"), "<"), (("under",), "<"), (("below",), "<"), (("<",), "<"), (("at", "most"), "<="),
    (("no", "more", "than"), "<="), (("up", "to"), "<="), (("<=",), "<="), (("maximum", "of"), "<="),
    (("exactly",), "="), (("equal", "to"), "="), (("equals",), "="), (("=",), "="),
]
NEGATION_GAP = {"a", "an", "the", "any", "in", "from", "of", "to", "be", "is", "are", "on", "that", "who", "which", "than",
                "been", "have", "has", "had", "with", "via", "through", "by", "using", "for", "at", "belong",
                "belonging", "do", "does", "did", "ever", "yet"}
SUBJECT_GAP = {"is", "are", "was", "were", "be", "been", "of", "with", "whose", "where", "having", "has", "have", "had",
               "their", "its", "a", "an", "the", "that", "total", "which", "who"}
PERIOD_WORDS = {"monthly": "month", "yearly": "year", "annually": "year", "quarterly": "quarter", "weekly": "week",
                "daily": "day"}
UNIT_WORDS = {"dollars", "dollar", "usd", "bucks", "eur", "euros", "months", "month", "days", "day", "years", "year",
              "weeks", "percent", "%", "k", "thousand", "million"}
MONEY_WORDS = {"value", "amount", "worth", "money", "dollars", "revenue", "sales", "spend", "spent", "cost"}
ORDER_VERBS = {"order", "ordered", "sort", "sorted", "arrange", "arranged", "rank", "ranked"}
ORDER_FILLERS = {"the", "results", "result", "them", "it", "list", "output", "rows", "answer", "these", "those"}
DIRECTION_PHRASES = {
    ("in", "descending", "order"): True, ("in", "decreasing", "order"): True, ("descending",): True, ("desc",): True,
    ("from", "highest", "to", "lowest"): True, ("highest", "to", "lowest"): True, ("from", "most", "to", "least"): True,
    ("from", "largest", "to", "smallest"): True, ("from", "newest", "to", "oldest"): True,
    ("in", "ascending", "order"): False, ("in", "increasing", "order"): False, ("ascending",): False, ("asc",): False,
    ("from", "lowest", "to", "highest"): False, ("lowest", "to", "highest"): False, ("from", "least", "to", "most"): False,
    ("from", "smallest", "to", "largest"): False, ("from", "oldest", "to", "newest"): False,
    ("alphabetically",): False, ("in", "alphabetical", "order"): False, ("from", "a", "to", "z"): False,
    ("highest", "first"): True, ("lowest", "first"): False, ("largest", "first"): True, ("smallest", "first"): False,
    ("chronologically",): False,
}
# Words between a noun and what qualifies it: "customers in Brazil", "suppliers based in Canada".
QUALIFYING_WORDS = {"in", "from", "of", "at", "within", "based", "located", "situated", "headquartered", "who", "that",
                    "which", "are", "is"}
WORD_MULTIPLES = {"twice", "double", "triple", "half"}
NEGATIONS = {"outside", "not", "non", "no", "without", "excluding", "exclude", "except", "never", "other", "isn't", "aren't",
             "don't", "doesn't", "didn't", "haven't", "hasn't", "nothing"}
SEMANTIC_CUES = [
    ("most", "related", "to"), ("most", "relevant", "to"), ("most", "similar", "to"), ("closest", "to"),
    ("most", "about"), ("best", "matching"), ("related", "to"), ("relating", "to"), ("relevant", "to"),
    ("similar", "to"), ("complaining", "about"), ("complain", "about"), ("complained", "about"),
    ("complaints", "about"), ("talking", "about"), ("talk", "about"), ("asking", "about"), ("ask", "about"),
    ("asked", "about"), ("on", "the", "topic", "of"), ("dealing", "with"), ("referring", "to"), ("that", "mention"),
    ("mentioning",), ("mentions",), ("mention",), ("mentioned",), ("about",), ("regarding",), ("concerning",),
    ("discussing",), ("discuss",), ("discusses",), ("describing",), ("describe",), ("describes",), ("containing",),
    ("contain",), ("contains",), ("allow",), ("allows",), ("allowing",), ("permit",), ("permits",), ("include",),
    ("includes",), ("including",), ("cover",), ("covers",), ("covering",), ("require",), ("requires",),
    ("requiring",), ("specify",), ("specifies",), ("say",), ("says",), ("saying",), ("report",), ("reporting",),
    ("reports",), ("request",), ("requesting",), ("requests",), ("with", "the", "phrase"), ("matching",),
    ("complain",), ("complaining",), ("complains",), ("regard",),
]
RANKED_CUES = {("most", "related", "to"), ("most", "relevant", "to"), ("most", "similar", "to"), ("closest", "to"),
               ("most", "about"), ("best", "matching")}
CLAUSE_WORDS = {",", ";", "?", "and", "or", "by", "per", "from", "whose", "who", "which", "where", "with", "sorted",
                "ordered", "order", "grouped", "that", "since", "during", "before", "after", "in", "for", "last", "this",
                "past", "between", "signed", "created", "filed", "opened", "issued", "sent", "submitted", "raised",
                "logged", "updated", "over", "above", "under", "below", "than", "among", "excluding", "without",
                "not", "of", "on", "to", "at"}
TIME_VERBS = {"signed", "created", "filed", "opened", "issued", "sent", "submitted", "raised", "logged", "updated",
              "started", "started", "ended", "paid", "due", "joined", "registered", "made", "placed", "shipped",
              "received", "written", "published", "signing", "dated", "from"}
# Words the parser reads as the shape of a question; never paraphrased into catalog elements.
SHAPE_WORDS = (STOPWORDS | NEGATIONS | set(TOP_WORDS) | {w for phrase in AGG_WORDS for w in phrase.split()}
               | set(PERIOD_WORDS) | UNIT_WORDS | WORD_MULTIPLES | {w for c, _ in COMPARATORS for w in c}
               | {w for g in GROUP_WORDS for w in g} | {w for c in SEMANTIC_CUES for w in c}
               | CLAUSE_WORDS | TIME_VERBS | set(MONTHS) | set(TIME_UNITS) | set(ORDINAL_QUARTERS))
FILLER = {"any", "all", "some", "the", "a", "an", "our", "their", "its", "that", "which", "who", "have", "has", "had",
          "with", "are", "is", "were", "was", "been", "do", "did", "does"}

# verbs of being and having: what follows them holds now ('customers we have today')
STATIVE_VERBS = {"have", "has", "is", "are", "am", "be"}
# words between a verb and the rows it acts on ('open the most tickets', 'open any tickets')
VERB_OBJECT_FILLERS = {"the", "a", "an", "most", "more", "fewest", "least", "many", "any", "some", "no"}


PLURAL_TABLE = 0.1
# Other groupings of the words into catalog phrases than the best one are tried when they are this close.
COVER_SLACK = 0.5
# The glossary says what a phrase means to the business; a column or a value of the same name is how
# the data stores it.
TERM_OVER_DATA = 0.2


class Refusal(Exception):
    """The question has words the catalog cannot place; never guessed."""

    def __init__(self, words: list[str], suggestions: dict[str, list[str]], reason: str,
                 positions: list[int] | None = None):
        super().__init__(reason)
        self.words = words
        self.suggestions = suggestions
        self.reason = reason
        self.positions = positions or []  # token positions of the unplaced words, when that is the reason


@dataclass
class Parsed:
    spec: QuerySpec
    links: list[tuple[Words, str]] = field(default_factory=list)  # provenance: words -> what they became
    decisions: list = field(default_factory=list)  # the choices this reading made (nl.choices.Decision)


@dataclass
class Linked:
    """What linking finds in a question: the same for every reading of it."""

    question: str
    tokens: list[Token]
    covers: list[tuple[float, list[Link]]]  # ways to read the words as catalog phrases, best first; each
    # link has every element its words can name
    windows: list
    paraphrases: list[Paraphrase] = field(default_factory=list)

    @property
    def named(self) -> set[int]:
        """Positions of words some catalog phrase names, in any grouping."""
        return {k for _, links in self.covers for lk in links for k in range(lk.start, lk.end)}


def link_words(question: str, lexicon: Lexicon, today: dt.date, paraphrases: list[Paraphrase] = ()) -> Linked:
    """Link a question's words to the catalog. Two passes: the tables a first linking names decide
    which shortened terms ("unresolved" for "unresolved ticket") may stand; one-letter values never
    stand for function words."""
    tokens = tokenize(question)
    extra = [p.link for p in paraphrases]

    def plausible(element: Element, words: tuple[str, ...], start: int) -> bool:
        # a lone function word ('how', 'in', 'us') is grammar, not the name of a column, value or term,
        # unless it is written as an abbreviation ('US', 'AM'), the catalog gives it as a synonym, or it
        # is a letter an article names ('an A')
        if len(words) != 1 or words[0] not in FUNCTION_WORDS or element.kind not in ("value", "column", "term"):
            return True
        if element.kind == "value" and named_letter(start):
            return True
        return words[0] in abbreviations or (
            element.kind == "column" and lexicon.strength_of(words, element) == SYNONYM and words[0] not in PRONOUNS)

    def named_letter(k: int) -> bool:
        return len(tokens[k].text) == 1 and tokens[k].text.isupper() and k > 0 and tokens[k - 1].lower in ("a", "an")

    abbreviations = {t.lower for t in tokens if len(t.text) >= 2 and t.text.isupper()}
    numbers = {t.lower for t in tokens if t.number is not None}

    def plausible_or_number(element: Element, words: tuple[str, ...], start: int) -> bool:
        # a bare number is a quantity ('top 3'), not the value '3' of some column
        return plausible(element, words, start) and not (
            len(words) == 1 and words[0] in numbers and element.kind == "value")

    first = link_question(tokens, lexicon, keep=plausible_or_number, extra=extra)
    named = {e.table for lk in first for e in lk.elements if e.kind == "table"}
    named |= {e.head_table for lk in first for e in lk.elements if e.kind == "term" and e.head_table}
    # a filter term of one table's rows ('escalations': urgent tickets) names that table too
    named |= {t for lk in first for e in lk.elements if (t := filter_table(e, lexicon)) is not None}
    extra = extra + hyphenated(question, tokens, lexicon)
    found = candidates(tokens, lexicon, set(), keep=lambda e, words, start: plausible_or_number(e, words, start) and (
        e.needs_table is None or e.needs_table in named), extra=extra)
    # a shape word the catalog's vocabulary defines ('largest' -> area) counts as a content word
    vocabulary = {k for lk in found for k in range(lk.start, lk.end) if any(e.kind in ("adjective", "verb")
                                                                              for e in lk.elements)}
    light = {k for k, t in enumerate(tokens) if t.lower in SHAPE_WORDS and t.number is None and k not in vocabulary}
    averages = {k for k, t in enumerate(tokens) if t.lower in AVERAGE_WORDS}
    covers = best_covers(found, len(tokens), light, averages=averages)
    return Linked(question, tokens, covers, find_windows([t.lower for t in tokens], today), list(paraphrases))


def filter_table(e: Element, lexicon: Lexicon) -> str | None:
    """The table a whole filter term of one table's rows selects from, if `e` is one."""
    if e.kind != "term" or e.needs_table is not None or lexicon.catalog.glossary[e.term].kind != "filter":
        return None
    tables = catalog_graph(lexicon).term_tables(e.term)
    return tables[0] if len(tables) == 1 else None


def hyphenated(question: str, tokens: list[Token], lexicon: Lexicon) -> list[Link]:
    """'check-ins' names the checkin table: a hyphenated word also read as one word."""
    out = []
    for i in range(len(tokens) - 1):
        a, b = tokens[i], tokens[i + 1]
        if a.quoted is None and b.quoted is None and question[a.end:b.start] == "-":
            word = singular(a.lower + b.lower)
            elements = lexicon.lookup((word,))
            if elements:
                out.append(Link(i, i + 2, list(elements), 1.0, "hyphenated",
                                {e: lexicon.strength_of((word,), e) for e in elements}))
    return out


class Parser:
    def __init__(self, linked: Linked, lexicon: Lexicon, today: dt.date, choices: Choices | None = None):
        self.question = linked.question
        self.linked = linked
        self.paraphrases = linked.paraphrases
        self.lex = lexicon
        self.catalog: Catalog = lexicon.catalog
        self.today = today
        self.choices = choices or Choices()
        self.tokens: list[Token] = linked.tokens
        self.used: set[int] = set()
        self.provenance: list[tuple[Words, str]] = []
        self._negated_links: dict[int, int] = {}  # last token of a negated link -> the negation word
        self.descriptors: set[int] = set()  # links placed without an element of their own ('city' of New York)
        self._decided: dict[int, int] = {}  # start of a link -> its element decision in self.choices.made
        self.lower = [t.lower for t in self.tokens]

    # -- small helpers -------------------------------------------------------------------------

    def words(self, start: int, end: int) -> Words:
        end = max(end, start + 1)
        a, b = self.tokens[start].start, self.tokens[end - 1].end
        return Words(a, b, self.question[a:b])

    def note(self, start: int, end: int, what: str) -> Words:
        w = self.words(start, end)
        read_as = [p.describe() for p in self.paraphrases if start <= p.link.start and p.link.end <= max(end, start + 1)]
        if read_as:
            what = f"{what} ({'; '.join(read_as)})"
        self.provenance.append((w, what))
        self.used.update(range(start, end))
        return w

    def match(self, i: int, phrase: tuple[str, ...]) -> bool:
        return all(i + k < len(self.tokens) and self.lower[i + k] == word for k, word in enumerate(phrase))

    def link_at(self, i: int) -> Link | None:
        return next((lk for lk in self.links if lk.start == i), None)

    def choose(self, what: str, options: list[Option]):
        return self.choices.choose(what, options)

    # -- entry point ---------------------------------------------------------------------------

    def parse(self) -> Parsed:
        covers = [(v, c) for v, c in self.linked.covers if v >= self.linked.covers[0][0] - COVER_SLACK]
        cover = covers[0][1] if len(covers) == 1 else self.choose("how the words group into catalog phrases", [
            Option(links, value, " + ".join(repr(self.words(lk.start, lk.end).text) for lk in links))
            for value, links in covers])
        self.links = [self._how_adjective(lk) for lk in self._choose_elements(cover)]
        self.windows = self.linked.windows
        self._semantic()
        self._universal()
        self._all_rows()
        spec = self._understand()
        self._disjunction(spec)
        self._windows_meet(spec)
        self._metric_scope(spec)
        self._some_or_none(spec)
        self._ids_for_names(spec)
        self._subject_answered(spec)
        self._row_grain(spec)
        self._present_words(spec)
        self._where_and_when(spec)
        self._name_asked(spec)
        self._who_did(spec)
        self._column_is_column()
        self._current_rows(spec)
        self._check_everything_placed()
        return Parsed(spec, self.provenance, list(self.choices.made))

    def _how_adjective(self, link: Link) -> Link:
        """'how long is the Nile', 'how high is Everest': an adjective after 'how' asks for the value
        of the column it describes."""
        if link.start == 0 or self.lower[link.start - 1] != "how" or not link.elements or any(
                e.kind != "adjective" or not e.column or e.degree != "base" for e in link.elements):
            return link
        return replace(link, elements=list(dict.fromkeys(
            Element("column", table=e.table, column=e.column) for e in link.elements)))

    def _choose_elements(self, links: list[Link]) -> list[Link]:
        """One element per linked span. Where the words name several (a value of two columns, a
        column of two tables), each is an option, with the evidence of the words and how closely
        its table relates to the tables the rest of the question names (a compact reading first)."""
        anchors: set[str] = set()
        for link in links:
            tables = {t for e in link.elements for t in self.graph.tables_of(e)}
            if len(tables) == 1:
                anchors |= tables
        out = []
        for link in links:
            link = self._verb_or_term(link, links)
            if link is None:
                continue
            if len(link.elements) == 1:
                out.append(link)
                continue
            options = []
            for e in self._rows_over_their_name(link.elements):
                if self._key_of_named_rows(e, link, links):
                    continue
                tables = self.graph.tables_of(e)
                score = link.weight(e) + self.graph.coherence(tables, anchors) + self._adjacency(e, link, links)
                if e.kind == "term" and any(x.kind in ("column", "value", "table") for x in link.elements) and \
                        not self._modifies_own_table(link, links):
                    score += TERM_OVER_DATA
                if e.kind == "table" and (self.tokens[link.end - 1].lower != self.tokens[link.end - 1].norm
                                          or self._head_noun(link, links)):
                    score += PLURAL_TABLE  # 'which airlines', 'which state', 'the largest state': rows, not an attribute
                options.append(Option(e, score, e.describe(self.catalog)))
            text = " ".join(t.text for t in self.tokens[link.start:link.end])
            self._decided[link.start] = len(self.choices.made)
            element = self.choose(f"what '{text}' names", options)
            anchors |= self.graph.tables_of(element)
            out.append(replace(link, elements=[element], weights={element: link.weights.get(element, 1.0)}))
        return out

    def _key_of_named_rows(self, e: Element, link: Link, links: list[Link]) -> bool:
        """'the largest state': words naming a table are not read as another table's foreign key to it
        (cities' state_name) unless other words name that other table ('what state is Chicago in')."""
        if e.kind != "column" or any(e.table in self.graph.tables_of(x) for other in links if other is not link
                                     for x in other.elements if x.kind in ("table", "value", "column", "term")):
            return False
        named = {x.table for x in link.elements if x.kind == "table"}
        return any(r.from_.lower() == f"{e.table}.{e.column}".lower() and r.to.split(".")[0] in named
                   for r in self.catalog.relationships)

    def _head_noun(self, link: Link, links: list[Link]) -> bool:
        """The noun a question word or a superlative asks about: 'which state', 'the largest state'."""
        if link.start == 0:
            return False
        before = self.lower[link.start - 1]
        if before in ("which", "what") or before in TOP_WORDS:
            return True
        previous = next((lk for lk in links if lk.end == link.start), None)
        return previous is not None and any(e.kind == "adjective" and e.degree == "superlative"
                                            for e in previous.elements)

    def _rows_over_their_name(self, elements: list[Element]) -> list[Element]:
        """'papers per keyphrase', 'which journal published the most': words naming a table and the
        column that names its rows mean the rows (shown with their name), not the names merged."""
        tables = {e.table for e in elements if e.kind == "table"}
        return [e for e in elements if not (e.kind == "column" and e.table in tables
                                             and e.column == self.catalog.tables[e.table].label())]

    def _verb_or_term(self, link: Link, links: list[Link]) -> Link | None:
        """'what did churned customers open tickets about', 'customers who open the most tickets': after
        the rows that do it, a term or value that starts with a verb ('open ticket', 'open') may be the
        verb and its object; each is a reading. None when the link is the verb alone."""
        if not link.kinds() <= {"term", "value"} or self.lower[link.start] not in RELATION_VERBS:
            return link
        before = next((lk for lk in links if lk.end == link.start), None)
        subject = (before is not None and any(e.kind == "table" or e.head_table for e in before.elements)) or (
            link.start > 0 and self.lower[link.start - 1] in ("we", "they", "you", "who", "that", "i"))
        if link.length > 1:
            rest = [e for e in self.lex.lookup(tuple(t.norm for t in self.tokens[link.start + 1:link.end]))
                    if e.kind == "table"]
        else:
            after = next((lk for lk in links if lk.start >= link.end
                          and set(self.lower[link.end:lk.start]) <= VERB_OBJECT_FILLERS), None)
            rest = [e for e in after.elements if e.kind == "table"] if after is not None else []
        if not subject or not rest:
            return link
        words = " ".join(t.text for t in self.tokens[link.start:link.end])
        verb = self.choose(f"what '{words}' says", [
            Option(False, 1.0, link.elements[0].describe(self.catalog)),
            Option(True, 1.0, f"'{self.tokens[link.start].text}' as a verb", vetoes=True)])
        if not verb:
            return link
        self.note(link.start, link.start + 1, "verb: the rows before it do it to the rows after it")
        return replace(link, start=link.start + 1, elements=rest[:1], weights={rest[0]: 1.0}) if link.length > 1 else None

    @property
    def graph(self) -> "CatalogGraph":
        return catalog_graph(self.lex)

    def _modifies_own_table(self, link: Link, links: list[Link]) -> bool:
        """'the highest-MRR subscriptions': the words qualify rows of the table of the column they name,
        where the row's column and the business metric are both readings."""
        after = next((lk for lk in links if lk.start == link.end), None)
        columns = {x.table for x in link.elements if x.kind == "column"}
        return after is not None and any(x.kind == "table" and x.table in columns for x in after.elements)

    def _adjacency(self, e: Element, link: Link, links: list[Link]) -> float:
        """A value next to its own column's name ('priority urgent', 'the Growth plan'), or next to a
        word its column is named after ('the city of New York' for city_name), is read as that column's."""
        if e.kind == "column":
            # "a review rated below 4", "the lowest-rated review": the column of the noun next to it
            near = [lk for lk in links if lk.end == link.start or lk.start == link.end]
            return 0.2 if any(x.kind == "table" and x.table == e.table for lk in near for x in lk.elements) else 0.0
        if e.kind != "value":
            return 0.0
        for other in links:
            if other is link or not (other.end in (link.start, link.start - 1) or other.start in (link.end, link.end + 1)):
                continue
            if any(x.kind == "column" and (x.table, x.column) == (e.table, e.column) for x in other.elements):
                return 0.25
        return 0.25 if self._descriptor(e, link) is not None else 0.0

    def _descriptor(self, e: Element, link: Link) -> tuple[int, int] | None:
        """The word next to a value that names its kind: 'city' in 'the city of New York' when the
        value's column is city_name."""
        kind = set(normalize_phrase(e.column))
        for k in (link.start - 1, link.start - 2, link.end, link.end + 1):
            # a preposition counts right before the value only: 'from LAX' for from_airport
            grammar = self.tokens[k].norm in FUNCTION_WORDS if 0 <= k < len(self.tokens) else True
            if 0 <= k < len(self.tokens) and self.tokens[k].norm in kind and (not grammar or k == link.start - 1):
                between = range(min(k + 1, link.end), max(k, link.start))
                if all(self.lower[j] in ("of", "the", "named", "called") for j in between):
                    return k, k + 1
        return None

    # -- recognisers ---------------------------------------------------------------------------

    def _time_tokens(self) -> set[int]:
        return {k for w in self.windows for k in range(w.first, w.last)}

    def _semantic(self) -> None:
        """Quoted phrases and phrases after cues ("mentioning X", "about X") become semantic predicates."""
        self.semantics: list[dict] = []
        time_tokens = self._time_tokens()
        i = 0
        while i < len(self.tokens):
            cue = next((c for c in SEMANTIC_CUES if self.match(i, c)), None)
            verb, column = self.link_at(i), None
            if verb is not None and verb.elements[0].kind == "verb" and \
                    self.catalog.tables[verb.elements[0].table].columns[verb.elements[0].column].semantic:
                # a verb the catalog gives a text column ("complained" -> tickets.body), with its preposition
                column = (verb.elements[0].table, verb.elements[0].column)
                length = verb.end - i
                if verb.end < len(self.tokens) and self.lower[verb.end] in ("about", "that", "of", "on", "regarding"):
                    length += 1
                cue = tuple(self.lower[i:i + length])
            if cue is None:
                i += 1
                continue
            start = i + len(cue)
            while start < len(self.tokens) and self.lower[start] in ("that", "the", "a", "an", "how", "when", "whether"):
                start += 1
            if start < len(self.tokens) and self.tokens[start].quoted is not None:
                self.semantics.append({"cue": (i, start), "phrase": (start, start + 1), "column": column,
                                       "text": self.tokens[start].quoted, "ranked": cue in RANKED_CUES})
                i = start + 1
                continue
            end = start
            while end < len(self.tokens):
                t = self.tokens[end]
                if end in time_tokens or t.lower in (",", ";", "?") or t.quoted is not None:
                    break
                if end > start and t.lower in CLAUSE_WORDS and not (t.lower in ("of", "to", "on", "for", "in", "at")
                                                                     and self._inside_phrase(end, start)):
                    break
                end += 1
            while end < len(self.tokens) and self.question[self.tokens[end - 1].end:self.tokens[end].start] == "-":
                end += 1  # a hyphenated word stays whole: "single sign-on"
            while end > start and self.lower[end - 1] in FILLER:
                end -= 1
            if end <= start or all(self.lower[k] in FUNCTION_WORDS for k in range(start, end)):
                i += 1
                continue
            if column is None and cue in (("about",), ("regarding",), ("concerning",)) and any(
                    lk.start == start and lk.end == end and lk.kinds() == {"value"}
                    and any(e.table in self._named_tables() for e in lk.elements) for lk in self.links) \
                    and not any(w in ORDER_WORDS for w in self.lower[:i]):
                # 'tickets about performance' where performance is a topic the data records: that value
                # ('the top 3 tickets about performance' ranks by meaning)
                i = end
                continue
            text = self.question[self.tokens[start].start:self.tokens[end - 1].end]
            self.semantics.append({"cue": (i, start), "phrase": (start, end), "text": text, "column": column,
                                   "ranked": cue in RANKED_CUES})
            i = end
        phrase_tokens = {k for s in self.semantics for k in range(s["cue"][0], s["phrase"][1])}
        for lk in self.links:
            if any(k in phrase_tokens for k in range(lk.start, lk.end)) and lk.start in self._decided:
                self.choices.made[self._decided[lk.start]].moot = True
        self.links = [lk for lk in self.links if not any(k in phrase_tokens for k in range(lk.start, lk.end))]

    def _inside_phrase(self, k: int, start: int) -> bool:
        """'terms of service', 'right to audit': a small word between two content words stays in the phrase."""
        nxt = self.tokens[k + 1] if k + 1 < len(self.tokens) else None
        return (nxt is not None and nxt.lower not in CLAUSE_WORDS and nxt.lower not in STOPWORDS
                and self.link_at(k + 1) is None and k - start <= 4)

    def _understand(self) -> QuerySpec:
        table_links = [lk for lk in self.links if lk.kinds() == {"table"}]
        # the entity: the first table named, or the owner of the first linked column
        entity, entity_link = self._entity(table_links)
        spec = QuerySpec(root=entity, entity=entity)
        if getattr(self, "_entity_via", None):
            spec.vias[entity] = self._entity_via
        if entity_link is not None:
            spec.entity_words = self.note(entity_link.start, entity_link.end, f"table {entity}")
            if entity_link.start > 0 and self.lower[entity_link.start - 1] in ("distinct", "unique", "different"):
                self.note(entity_link.start - 1, entity_link.start, f"each {entity} once")
            number = entity_link.start - 1
            # "the 4 EMEA customer tickets": a number before the entity, maybe past a few qualifiers
            while number >= 0 and number >= entity_link.start - 4 and self.tokens[number].number is None and (
                    self.lower[number] in ("the", "first", "last", "a") or self._linked(number)):
                number -= 1
            if number >= 0 and self.tokens[number].number is not None and number not in self.used and \
                    not (number + 1 < len(self.tokens) and self.lower[number + 1] in ("+", "or")):
                spec.limit = int(self.tokens[number].number)
                self.note(number, number + 1, f"limit {spec.limit}")
        spec.groups = self._groups(spec)
        spec.conditions = self._comparisons(spec)
        self._asked_about = spec.entity
        top_desc, top_n, top_at = self._top()
        if top_n is None:
            top_n = spec.limit
        agg = self._aggregation()
        measure = self._measure(agg, spec, top_at)
        if measure is not None:
            spec.measures.append(measure)
        self._filters(spec)
        self._time_conditions(spec)
        self._semantic_conditions(spec, top_n)
        if top_at is not None:
            ranking = self._ranking(spec, top_desc, top_n, top_at)
            start, end, what = self._top_span
            restated = getattr(self, "_top_restated", None)
            if ranking is not None:
                spec.ranking = ranking
                self.note(start, end, what)
                if restated is not None:
                    self.note(restated, restated + 1, what)
            else:
                self.used.difference_update(range(start, end))
                self.used.discard(restated)
        elif spec.ranking is not None and spec.ranking.limit is None:
            spec.ranking.limit = spec.limit
        self._explicit_order(spec)
        if spec.ranking is not None and spec.ranking.kind == "semantic" and spec.ranking.limit is None:
            spec.ranking.limit = self._unsaid_limit()
        self._partition(spec)
        if spec.ranking is not None and spec.ranking.kind == "measure" and not spec.groups and spec.measures:
            # "the 3 biggest subscriptions by seat count": one value per subscription
            spec.groups.append(Group(spec.entity, words=spec.entity_words))
        if spec.groups and not spec.measures:
            spec.measures.append(self._quantity(spec) or  # "invoice amount per plan": the sum in each
                                 Measure("count", spec.entity, words=spec.entity_words, alias="count"))
        if entity_link is None and not spec.measures and not spec.groups and spec.ranking is None:
            self._amount_asked(spec)
        self._restated_count(spec)
        self._show_columns(spec)
        self._finalize_root(spec)
        self._period_columns(spec)
        return spec

    def _amount_asked(self, spec: QuerySpec) -> None:
        """'billed amount last month', no table named: one quantity asks for its total, or for the rows
        that hold it; each is a reading ('invoice amounts last month', plural, asks for the rows)."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)) or link.kinds() != {"column"}:
                continue
            columns = [e for e in link.elements if e.table == spec.entity and self.lex.numeric(e.table, e.column)
                       and self.catalog.tables[e.table].columns[e.column].unit]
            last = self.tokens[link.end - 1]
            if not columns or last.lower != last.norm:
                return
            c = columns[0]
            if self._one_row(spec):
                return  # 'how long is the Nile': the total of one row is its value
            if self.choose(f"what '{self.words(link.start, link.end).text}' asks for", [
                    Option(False, 1.0, f"the {c.table} rows"), Option(True, 1.0, f"the total of {c.table}.{c.column}")]):
                words = self.note(link.start, link.end, f"sum of {c.table}.{c.column}")
                spec.measures.append(Measure("sum", c.table, c.column, words=words, alias=f"total_{c.column}"))
            return

    def _one_row(self, spec: QuerySpec) -> bool:
        """The conditions name one row of the entity by its key ('the Nile', 'customer 42')."""
        key = self.catalog.tables[spec.entity].primary_key if spec.entity else []
        return len(key) == 1 and any(
            c.kind == "value" and c.table == spec.entity and c.column == key[0] and not c.negated
            and c.op in (None, "=") and len(c.values) == 1 for c in spec.conditions)

    def _partition(self, spec: QuerySpec) -> None:
        """'the top 3 customers by MRR in each segment', 'the 2 newest tickets per priority': the
        ranking restarts in each group, rather than ranking the groups."""
        r = spec.ranking
        if r is None or not r.limit or spec.entity_words is None:
            return
        each = [g for g in spec.groups if g.each and g.table and g.words and g.words.start > spec.entity_words.start
                and (g.column or g.table != spec.entity)]
        if not each:
            return
        if r.kind == "column" and r.table == each[0].table and r.table != spec.entity:
            # within each state, the state's own population is the same for every row: it orders nothing
            raise Refusal([r.column], {}, f"ranking within each {each[0].table} by {r.table}.{r.column} orders nothing")
        spec.partition = each[0]
        spec.groups.remove(each[0])
        if r.kind == "measure" and not any(g.table == spec.entity and g.column is None for g in spec.groups):
            spec.groups.append(Group(spec.entity, words=spec.entity_words))

    def _restated_count(self, spec: QuerySpec) -> None:
        """'Which neighbourhoods have the most businesses, and how many businesses are in each?': a
        second 'how many' of what is already counted per group asks for the count the answer shows."""
        counts = {m.table for m in spec.measures if m.kind == "count"}
        if not counts or not spec.groups:
            return
        for i in range(len(self.tokens) - 1):
            if i in self.used or not self.match(i, ("how", "many")):
                continue
            counted = self.link_at(i + 2)
            if counted is not None and counted.kinds() == {"table"} and counted.elements[0].table in counts:
                self.note(i, counted.end, f"(the count of {counted.elements[0].table} shown)")
                for k in range(counted.end, len(self.tokens) - 1):
                    group = self.link_at(k + 1)
                    if self.lower[k] in ("each", "per") and group is not None and any(
                            g.table == group.elements[0].table or g.column == group.elements[0].column
                            for g in spec.groups):
                        self.note(k, group.end, "(per group)")
                        break

    def _period_columns(self, spec: QuerySpec) -> None:
        """'yearly revenue from orders': the period is of the root's time, or of the time of another
        table the question names and the root belongs to; each is a reading when both exist."""
        for group in spec.groups:
            if group.period is None:
                continue
            options = []
            own = self._time_column_of(spec.root) if self.catalog.tables[spec.root].time_column else None
            if own:
                options.append(Option((spec.root, own), 1.0, f"{spec.root}.{own}"))
            for table in sorted(self._named_tables() - {spec.root}):
                column = self.catalog.tables[table].time_column
                if column and self.graph.up_reachable(spec.root, table):
                    options.append(Option((table, column), 1.0, f"{table}.{column}"))
            if not options:
                raise Refusal([group.words.text if group.words else group.period], {},
                              f"table {spec.root} has no time_column to group by {group.period}")
            group.table, group.column = self.choose(f"whose {group.period}", options)

    def _named_tables(self) -> set[str]:
        return {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}

    def _explicit_order(self, spec: QuerySpec) -> None:
        """'ordered by the number of authors in descending order', 'sort the codes in ascending order',
        'sorted alphabetically', 'from highest to lowest': the order asked for, as a ranking with no
        limit (or more words for the ranking there is)."""
        n = len(self.tokens)
        direction, spans = None, []
        for i in range(n):
            phrase = next((p for p in DIRECTION_PHRASES if self.match(i, p)), None)
            if phrase is not None and i not in self.used:
                direction = DIRECTION_PHRASES[phrase]
                spans.append((i, i + len(phrase)))
                break
        target_at, cue = None, None
        for i in range(n):
            if i in self.used:
                continue
            length = 3 if self.match(i, ("in", "order", "of")) else 1 if self.lower[i] in ORDER_VERBS else 0
            if not length:
                continue
            j = i + length
            while j < n and self.lower[j] in ORDER_FILLERS:
                j += 1
            if j < n and self.lower[j] == "by":
                j += 1
                target_at = j
            elif length == 3 or (j < n and self._linked(j)):
                target_at = j  # "in order of rating", "sort the aircraft codes"
            cue = (i, j)
            break
        if cue is None and not spans:
            return
        if target_at is not None:
            k = target_at
            while k < n and self.lower[k] in ("the", "their", "its", "a"):
                k += 1
            if k < n and self.lower[k] in RESTATING and direction is None:
                direction = RESTATING[self.lower[k]]  # "by the highest average rating (first)"
                spans.append((k, k + 1))
                k += 1
            target_at = k
        target = self._order_target(spec, target_at, spans[0] if spans else None)
        if target is None:
            return  # the words stay unplaced: an order of something the question does not name
        kind, table, column, span = target
        if span is not None and span[1] < n and self.lower[span[1]] == "first":
            spans.append((span[1], span[1] + 1))
        desc = direction if direction is not None else (spec.ranking.desc if spec.ranking else False)
        if spec.ranking is not None:
            same = (kind == spec.ranking.kind == "measure") or (
                kind == spec.ranking.kind == "column" and (table, column) == (spec.ranking.table, spec.ranking.column))
            if not same or desc != spec.ranking.desc:
                return  # an order other than the ranking's: left unplaced rather than half applied
        else:
            if kind == "measure" and not spec.measures:
                return
            spec.ranking = Ranking(kind, desc, None, table, column)
        for start, end in filter(None, (cue, span, *spans)):
            self.note(start, end, f"order {'descending' if desc else 'ascending'}")

    def _order_target(self, spec: QuerySpec, k: int | None, direction_span):
        """What the order is by: the column, count or measure named at k; the label for
        'alphabetically'; the time for 'chronologically'; the ranking's own measure otherwise."""
        if k is not None and k < len(self.tokens):
            if self.match(k, ("number", "of")) or self.match(k, ("count", "of")) or self.lower[k] == "count":
                end = k + (2 if self.lower[k + 1:k + 2] == ["of"] else 1)
                counted = self.link_at(end)
                counts = [m for m in spec.measures if m.kind == "count"]
                if counts and (counted is None or counted.elements[0].table == counts[0].table):
                    return "measure", None, None, (k, counted.end if counted else end)
                return None
            link = self.link_at(k)
            if link is None:
                return None
            after = self.link_at(link.end)
            if link.kinds() == {"table"} and after is not None and after.kinds() == {"column"} and \
                    after.elements[0].table == link.elements[0].table:
                self.note(link.start, link.end, f"(of {link.elements[0].table})")  # "the students' last names"
                link = after
                k = link.start
            e = link.elements[0]
            for m in spec.measures:
                if (e.kind == "column" and (m.table, m.column) == (e.table, e.column)) or (
                        e.kind == "term" and m.term == e.term):
                    return "measure", None, None, (k, link.end)
            if e.kind == "column":
                if spec.measures and not any(g.column == e.column and g.table == e.table for g in spec.groups):
                    return None
                return "column", e.table, e.column, (k, link.end)
            if e.kind == "table" and spec.ranking is None and not spec.measures:
                return None
            return None
        if direction_span is None:
            return None
        phrase = tuple(self.lower[direction_span[0]:direction_span[1]])
        entity = spec.entity or spec.root
        if phrase in (("alphabetically",), ("in", "alphabetical", "order"), ("from", "a", "to", "z")):
            # the text column asked for ('the titles ... alphabetically'), else the rows' label
            named = [lk.elements[0] for lk in self.links if lk.end <= direction_span[0] and lk.kinds() == {"column"}
                     and lk.elements[0].table == entity and self._is_text(entity, lk.elements[0].column)]
            shown = [e for e in named if (e.table, e.column) in spec.show_columns]
            column = (shown or named)[0].column if named else self.lex.label_column(entity)
            return "column", entity, column, None
        if phrase in (("chronologically",),):
            column = self._time_column_of(entity)
            return ("column", entity, column, None) if column else None
        if spec.ranking is not None:
            return spec.ranking.kind, spec.ranking.table, spec.ranking.column, None
        if spec.measures and spec.groups:
            return "measure", None, None, None
        return None

    def _linked(self, i: int) -> bool:
        return any(lk.start <= i < lk.end for lk in self.links)

    def _top(self) -> tuple[bool, int | None, int | None]:
        """("top 5", "5 largest", "highest", "most", "least", "most populous"): (descending, N, position).
        A superlative the catalog defines ('largest' ranks states by area) is kept in self.adjective."""
        self.adjective: Element | None = None
        directions = {k for i in range(len(self.tokens)) for p in DIRECTION_PHRASES if self.match(i, p)
                      for k in range(i, i + len(p))}
        for i, t in enumerate(self.tokens):
            if i in self.used or self._semantic_token(i) or i in directions:
                continue  # "ordered from highest to lowest" says an order, not a superlative
            link = self.link_at(i)
            adjective = link.elements[0] if link is not None and link.elements[0].kind == "adjective" else None
            if adjective is not None and adjective.table != self._asked_about:
                words = tuple(t.norm for t in self.tokens[link.start:link.end])
                if any(e.kind == "adjective" and e.table == self._asked_about for e in self.lex.lookup(words)):
                    continue  # the catalog says what it means for these rows: this reading took another sense
                adjective = None  # 'the largest city': an adjective of states says nothing about cities
                self.descriptors.add(link.start)
            word = t.lower
            if adjective is not None and adjective.degree == "superlative" and self._numeric_column_at(link.end):
                desc, end = adjective.desc, link.end  # 'the largest population': the column says by what
                self.descriptors.add(link.start)
            elif adjective is not None and adjective.degree == "superlative":
                self.adjective, desc, end = adjective, adjective.desc, link.end
            elif word in ("most", "least") and (after := self.link_at(i + 1)) is not None and \
                    after.elements[0].kind == "adjective" and after.elements[0].degree == "base":
                # "the most populous": most/least says which way, the adjective by what
                self.adjective, end = after.elements[0], after.end
                desc = after.elements[0].desc == (word == "most")
            elif word in ("most", "least") and i + 1 < len(self.tokens) and \
                    self.lower[i + 1] in ADJECTIVE_SUPERLATIVES and self.link_at(i + 1) is None:
                # "the most expensive part": the adjective says by what, most/least which way
                at = i + 1
                desc, end = ADJECTIVE_SUPERLATIVES[self.lower[at]][0] == (word == "most"), i + 2
                n = None
                if i >= 1 and self.tokens[i - 1].number is not None and i - 1 not in self.used:
                    n = int(self.tokens[i - 1].number)  # "the 5 most recent tickets"
                self._top_span = (i - (n is not None), end, f"{word} {self.lower[at]}")
                self.used.update(range(*self._top_span[:2]))
                return desc, n, at
            elif word in TOP_WORDS and adjective is None:
                if word in VAGUE_TIME_WORDS:
                    continue  # "signed up recently": a period the words do not give, not a ranking
                if word in ("most", "least") and i + 1 < len(self.tokens) and self.lower[i + 1] in (
                        "related", "relevant", "similar", "about"):
                    continue
                desc, end = TOP_WORDS[word], i + 1
            else:
                continue
            n = None
            what = self.adjective.describe(self.catalog) if self.adjective else word
            if end < len(self.tokens) and self.tokens[end].number is not None and word in ("top", "bottom"):
                n = int(self.tokens[end].number)
                self._top_span = (i, end + 1, f"top {n}")
            elif i >= 1 and self.tokens[i - 1].number is not None and i - 1 not in self.used:
                n = int(self.tokens[i - 1].number)
                self._top_span = (i - 1, end, f"the {n} {what}")
            else:
                self._top_span = (i, end, what)
            # held until a ranking is made of it: a superlative that ranks nothing stays unplaced
            self.used.update(range(self._top_span[0], self._top_span[1]))
            # "the top 3 publications with the highest number of citations": the second says by what
            self._top_restated = next((j for j in range(self._top_span[1], len(self.tokens))
                                       if self.lower[j] in RESTATING and RESTATING[self.lower[j]] == desc
                                       and j not in self.used and not self._semantic_token(j)
                                       and self.link_at(j) is None), None)
            if self._top_restated is not None:
                self.used.add(self._top_restated)
            if word in ("most", "least") and i >= 1 and self.lower[i - 1] == "the":
                self.used.add(i - 1)
            return desc, n, i
        return True, None, None

    def _numeric_column_at(self, i: int) -> bool:
        link = self.link_at(i)
        return link is not None and any(e.kind == "column" and self.lex.numeric(e.table, e.column)
                                        for e in link.elements)

    def _semantic_token(self, i: int) -> bool:
        return any(s["cue"][0] <= i < s["phrase"][1] for s in self.semantics)

    def _aggregation(self) -> tuple[str, int] | None:
        for i in range(len(self.tokens)):
            if i in self.used or self._semantic_token(i):
                continue
            if any(lk.start <= i < lk.end and lk.length > 1 for lk in self.links):
                continue
            for phrase, (kind,) in sorted(AGG_WORDS.items(), key=lambda kv: -len(kv[0].split())):
                words = tuple(phrase.split())
                if self.match(i, words):
                    if kind in ("max", "min") and self._next_link_is_table(i + len(words)):
                        continue
                    end = i + len(words)
                    if kind in ("avg", "sum", "max", "min", "median") and self.match(end, ("number", "of")) \
                            and self.link_at(end) is None:
                        end += 2  # "the average number of employees": the average of the column
                    self.note(i, end, f"aggregate {kind}")
                    if kind in ("avg", "sum", "max", "min", "median"):
                        # "on average, how many licenses": the question words of the amount asked
                        for k in range(len(self.tokens)):
                            if k not in self.used and (self.match(k, ("how", "many")) or self.match(k, ("how", "much"))):
                                self.note(k, k + 2, f"aggregate {kind}")
                    return kind, end
        return None

    def _next_link_is_table(self, i: int) -> bool:
        link = self.link_at(i)
        return link is not None and link.kinds() == {"table"}

    def _entity(self, table_links: list[Link]) -> tuple[str, Link | None]:
        for i in range(len(self.tokens)):
            if self.match(i, ("how", "many")) or self.match(i, ("number", "of")) or self.match(i, ("count", "of")):
                counted = self.link_at(i + 2)
                e = counted.elements[0] if counted is not None else None
                noun = self.link_at(counted.end) if counted is not None else None
                if e is not None and e.kind == "term" and self.catalog.glossary[e.term].kind == "filter" and \
                        len(self.graph.term_tables(e.term)) == 1 and (noun is None or noun.kinds() != {"table"}) \
                        and (not table_links or counted.start < table_links[0].start):
                    # "how many escalations from enterprise customers": the term's rows are counted
                    return self.graph.term_tables(e.term)[0], None
                break
        headed = [lk for lk in self.links if any(e.kind == "term" and e.head_table for e in lk.elements)]
        if headed and (not table_links or headed[0].start < table_links[0].start):
            # "Which Mid-Market customers have no contracts": the term names the entity
            e = next(e for e in headed[0].elements if e.kind == "term" and e.head_table)
            return e.head_table, None
        grouped = {k for i in range(len(self.tokens)) for g in GROUP_WORDS if self.match(i, g)
                   for k in range(i + len(g), i + len(g) + 4)}
        for i, link in enumerate(table_links):
            if link.start in grouped:
                continue  # "check-ins for each business": grouped by, not asked about
            if not any(k in self.used for k in range(link.start, link.end)):
                following = table_links[i + 1] if i + 1 < len(table_links) else None
                if following is not None and following.start == link.end:
                    # "customer nations": the head noun, reached by way of the first table
                    self._entity_via = link.elements[0].table
                    self.note(link.start, link.end, f"(by way of {link.elements[0].table})")
                    return following.elements[0].table, following
                return link.elements[0].table, link
        for link in sorted(self.links, key=lambda lk: lk.start in grouped):
            for e in link.elements:
                if e.kind in ("column", "value") and e.table:
                    return e.table, None
                if e.kind == "term":
                    tables = self.graph.term_tables(e.term)
                    if len(tables) == 1:
                        return tables[0], None
        if self.semantics:
            tables = [t for t, _c in self.catalog.semantic_columns()]
            if len(set(tables)) == 1:
                return tables[0], None
        if table_links:
            return table_links[0].elements[0].table, table_links[0]
        positions = self._unplaced_positions()
        words = [self.tokens[k].text for k in positions]
        raise Refusal(words or [self.question], self._suggest(words),
                      "no table, column or term of the catalog is named in the question", positions)

    def _groups(self, spec: QuerySpec) -> list[Group]:
        groups = self._period_groups()
        for i in range(len(self.tokens)):
            if i in self.used:
                continue
            phrase = next((g for g in GROUP_WORDS if self.match(i, g)), None)
            if phrase is None or (phrase == ("by",) and i > 0 and (
                    self.lower[i - 1] in AGENT_VERBS or self.lower[i - 1] in ORDER_VERBS)):
                continue
            j = i + len(phrase)
            while j < len(self.tokens) and self.lower[j] in ("the", "their", "its", "each", "every") and self.link_at(j) is None:
                j += 1
            link = self.link_at(j)
            hops = 0
            while link is not None and hops < 2 and self._is_filter_link(link) and self.link_at(link.end) is not None:
                link, hops = self.link_at(link.end), hops + 1  # "each European nation": the filter stays a filter
            if link is None:
                continue
            following = self.link_at(link.end)
            if link.kinds() == {"table"} and following is not None and following.kinds() == {"table"}:
                spec.vias[following.elements[0].table] = link.elements[0].table  # "supplier region"
                self.note(link.start, link.end, f"(by way of {link.elements[0].table})")
                link = following
            if self._ranks_by(link, spec):
                continue  # "top 5 customers by headcount" orders, it does not group
            element = self._group_element(link, spec)
            if element is None:
                if phrase in (("per",), ("each",)) and link.kinds() == {"table"} and link.elements[0].table == spec.entity \
                        and not (i > 0 and self.lower[i - 1] in ("for", "in", "of")):  # 'for each' asks for groups
                    # "average seats per subscription": the rows an average is taken over, not a grouping
                    self.note(i, link.end, f"(per {spec.entity} row)")
                continue
            if phrase == ("by",) and self._made_by(i, link):
                continue
            table, column, term = element
            if phrase == ("per",) and column and self.lex.numeric(table, column) and not self._is_key(table, column) \
                    and self.catalog.tables[table].columns[column].unit and \
                    self.tokens[link.end - 1].lower == self.tokens[link.end - 1].norm:
                # 'MRR per seat', 'revenue per employee': a rate (divided by a quantity), not groups of it
                said = self.words(i, link.end).text
                raise Refusal([said], {}, f"'{said}' asks for a rate (divided by {table}.{column}), which questions "
                              f"in words cannot compute yet; 'by {self.words(link.start, link.end).text}' would group by it",
                              positions=list(range(i, link.end)))
            what = f"group by {table}.{column}" if column else (
                f"group by {self.catalog.glossary[term].term}" if term is not None else f"group by {table}")
            self.note(i, i + len(phrase), "group by")
            words = self.note(link.start, link.end, what)
            groups.append(Group(table, column, term, words, each=any(w in ("each", "every", "per") for w in phrase)))
        if groups:  # "can you break down ARR by segment": the words that announce the grouping
            for i in range(len(self.tokens)):
                for phrase in (("break", "down"), ("broken", "down"), ("breakdown",), ("split",)):
                    if self.match(i, phrase) and not any(k in self.used for k in range(i, i + len(phrase))):
                        self.note(i, i + len(phrase), "(grouped)")
        return groups

    def _made_by(self, i: int, link: Link) -> bool:
        """'orders by customers in Brazil': rows of one table made by rows of another, not grouped by
        them. After a table's noun, 'by' and a table it refers to can be read either way; a plural
        ('by customers') leans to who made them, a singular ('by customer') to a grouping."""
        before = next((lk for lk in self.links if lk.end == i), None)
        if before is None or before.kinds() != {"table"} or link.kinds() != {"table"}:
            return False
        maker, made = link.elements[0].table, before.elements[0].table
        if maker == made or not self.graph.up_reachable(made, maker):
            return False
        plural = self.tokens[link.end - 1].lower != self.tokens[link.end - 1].norm
        agent = self.choose(f"'by {self.words(link.start, link.end).text}'", [
            Option(True, 1.0 if plural else 0.8, f"{made} made by {maker}"),
            Option(False, 0.9 if plural else 1.0, f"grouped by {maker}")])
        if agent:
            self.note(i, i + 1, f"({made} made by {maker})")
        return agent

    def _qualified_noun(self, link: Link, table: str, spec: QuerySpec) -> None:
        """'European customers', 'customers in Brazil': the filter's table is reached by way of the noun
        it qualifies, not by whichever path happens to be shortest."""
        noun = self.link_at(link.end)
        if noun is None or noun.kinds() != {"table"}:
            start = link.start
            own = next((lk for lk in self.links if lk.end == start and lk.kinds() == {"table"}
                        and lk.elements[0].table == table), None)
            if own is not None:  # 'publications in the domain "Machine Learning"': past the value's own noun
                start = own.start
                while start > 0 and self.lower[start - 1] in ARTICLES:
                    start -= 1
            k = start - 1
            while k >= 0 and start - k <= 3 and self.lower[k] in QUALIFYING_WORDS and not self._linked(k):
                k -= 1
            noun = next((lk for lk in self.links if lk.end == k + 1), None) if k < start - 1 else None
        if noun is not None and noun.kinds() == {"table"} and noun.elements[0].table != table:
            spec.vias.setdefault(table, noun.elements[0].table)
            if not any(k in self.used for k in range(noun.start, noun.end)):
                self.note(noun.start, noun.end, f"(by way of {noun.elements[0].table})")

    def _period_groups(self) -> list[Group]:
        """'monthly order count', 'revenue per year', 'by quarter': grouping by a period of time."""
        out = []
        for i, t in enumerate(self.tokens):
            period = PERIOD_WORDS.get(t.lower)
            if period and not self._linked(i):
                out.append(Group(None, period=period, words=self.note(i, i + 1, f"group by {period}")))
                continue
            unit = t.lower if t.lower in ("month", "year", "quarter", "week", "day") else None
            if unit and i > 0 and self.lower[i - 1] in ("per", "by", "each", "every") and not self._linked(i):
                k = i - 2 if i > 1 and self.lower[i - 2] == "for" else i - 1
                out.append(Group(None, period=unit, words=self.note(k, i + 1, f"group by {unit}")))
        return out

    def _is_filter_link(self, link: Link) -> bool:
        return any(e.kind == "value" or (e.kind == "term" and self.catalog.glossary[e.term].kind == "filter")
                   for e in link.elements)

    def _ranks_by(self, link: Link, spec: QuerySpec) -> bool:
        """'by <number column or metric>' after a superlative ranks rows instead of grouping them."""
        if not any(t.lower in TOP_WORDS for t in self.tokens[:link.start]):
            return False
        for e in link.elements:
            if e.kind == "term" and self.catalog.glossary[e.term].kind == "metric":
                return True
            if e.kind == "column" and (self.lex.numeric(e.table, e.column) or self.lex.temporal(e.table, e.column)):
                return True
        return False

    def _group_element(self, link: Link, spec: QuerySpec) -> tuple[str, str | None, int | None] | None:
        for e in link.elements:
            if e.kind == "term" and self.catalog.glossary[e.term].kind == "dimension":
                tables = self.graph.term_tables(e.term)
                return (tables[0] if tables else spec.root), None, e.term
        columns = [e for e in link.elements if e.kind == "column"]
        if columns:
            chosen = self._choose_column(columns, spec)
            return chosen.table, chosen.column, None
        tables = [e for e in link.elements if e.kind == "table"]
        if tables and tables[0].table != spec.entity:
            return tables[0].table, None, None
        return None

    def _choose_column(self, columns: list[Element], spec: QuerySpec) -> Element:
        """One of several columns the same words name: each is a reading, the closest to the question's tables first."""
        if len(columns) == 1:
            return columns[0]
        named = {spec.root, spec.entity} | {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}
        return self.choose(f"which '{columns[0].column}'", [
            Option(e, 1.0 + self.graph.coherence({e.table}, named), f"{e.table}.{e.column}") for e in columns])

    def _comparisons(self, spec: QuerySpec) -> list[Condition]:
        """Numbers compared with something: 'over 100k', 'at least 5 tickets', '20k+ employees',
        '36 months or more', 'between 10 and 50', 'under the average'."""
        out = []
        for i in range(len(self.tokens)):
            if i in self.used or self._semantic_token(i):
                continue
            found = self._number_phrase(i)
            if found is None:
                continue
            op, values, start, end = found
            if op == "average":
                condition = self._above_average(start, end - 1, values[0], spec)
                if condition:
                    out.append(condition)
                continue
            subject = self._comparison_subject(start, end, spec)
            if subject is None:
                continue
            kind, table, column, measure, subject_span = subject
            shown = " and ".join(f"{v:g}" for v in values)
            words = [self.note(start, end, f"{op} {shown}")]
            if subject_span:
                words.append(self.note(*subject_span, self._describe_subject(kind, table, column, measure)))
            if kind == "count" and measure is not None:
                measure.filters += self._inner_filters(end, subject_span[0] if subject_span else end, table, spec)
                out.append(Condition("count_compare", table, op=op, values=values, measure=measure, words=words))
            elif kind == "measure":
                out.append(Condition("measure_compare", table, op=op, values=values, measure=measure, words=words))
            else:
                out.append(Condition("compare", table, column, op=op, values=values, words=words))
        return out

    def _number_phrase(self, i: int) -> tuple[str, list[float], int, int] | None:
        """(operator, values, first token, token after the phrase) of a comparison starting at i."""
        tokens, n = self.tokens, len(self.tokens)
        if self.lower[i] == "between" and i + 3 < n and tokens[i + 1].number is not None and \
                self.lower[i + 2] == "and" and tokens[i + 3].number is not None:
            return "between", [tokens[i + 1].number, tokens[i + 3].number], i, self._after_unit(i + 4)
        if tokens[i].number is not None and i + 1 < n:
            if self.lower[i + 1] == "+":
                return ">=", [tokens[i].number], i, self._after_unit(i + 2)
            if self.lower[i + 1] == "or" and i + 2 < n:
                more = {"more": ">=", "greater": ">=", "higher": ">=", "above": ">=", "over": ">=", "larger": ">=",
                        "less": "<=", "fewer": "<=", "lower": "<=", "below": "<=", "under": "<=", "smaller": "<="}
                if self.lower[i + 2] in more:
                    return more[self.lower[i + 2]], [tokens[i].number], i, i + 3
                if i + 3 < n and self.lower[i + 3] in more:  # "36 months or more"
                    return more[self.lower[i + 3]], [tokens[i].number], i, i + 4
        if self.lower[i] in ("more", "fewer", "less") and i + 1 < n:
            link = self.link_at(i + 1)
            if link is not None and link.kinds() == {"table"} and self.match(link.end, ("than",)):
                k = link.end + 1
                if k < n and self.lower[k] in ("the", "an", "a"):
                    k += 1
                if k < n and self.lower[k] in AVERAGE_WORDS:
                    self._average_of = link  # what is counted: "more customers than the average"
                    return "average", [">" if self.lower[i] == "more" else "<"], i, k + 1
        if self.lower[i] == "of" and i + 1 < n and tokens[i + 1].number is not None and i > 0:
            before = next((lk for lk in self.links if lk.end == i), None)
            if before is not None and any(e.kind == "column" and self.lex.numeric(e.table, e.column)
                                          for e in before.elements):
                return "=", [tokens[i + 1].number], i, self._after_unit(i + 2)  # "a quantity of 50"
        if tokens[i].number is not None and i > 0 and self.lower[i - 1] in ("have", "has", "with", "having") and \
                (after := self.link_at(i + 1)) is not None and after.kinds() == {"table"}:
            return "=", [tokens[i].number], i, i + 1  # "papers that have 1 keyphrase": exactly one
        comparator = next(((p, op) for p, op in COMPARATORS if self.match(i, p)), None)
        if comparator is None:
            return None
        phrase, op = comparator
        j = i + len(phrase)
        if j < n and self.lower[j] in ("the", "a", "an"):
            j += 1
        if j < n and self.lower[j] in AVERAGE_WORDS:
            return "average", [op], i, j + 1
        if j < n and self.lower[j] in WORD_MULTIPLES and j + 1 < n and self.lower[j + 1] in ("the",) and \
                j + 2 < n and self.lower[j + 2] in AVERAGE_WORDS:
            return None
        if j >= n or tokens[j].number is None:
            return None
        return op, [tokens[j].number], i, self._after_unit(j + 1)

    def _after_unit(self, k: int) -> int:
        """Skip a unit word after a number ('500 dollars', '12 months') unless it names something."""
        if k < len(self.tokens) and not self._linked(k) and (
                self.lower[k] in UNIT_WORDS or self.lower[k] in self.lex.units):
            return k + 1  # a unit the catalog gives a column ('200 mph') counts as one too
        return k

    def _inner_filters(self, start: int, stop: int, table: str, spec: QuerySpec) -> list[Condition]:
        """Terms and values between a number and the table it counts: '5 urgent tickets'."""
        out = []
        for link in [lk for lk in self.links if start <= lk.start and lk.end <= stop]:
            for e in link.elements:
                if e.kind == "term" and self.catalog.glossary[e.term].kind == "filter" and \
                        table in self.graph.term_tables(e.term):
                    words = [self.note(link.start, link.end, f"counted: {self.catalog.glossary[e.term].term}")]
                    out.append(Condition("term", table, term=e.term, words=words))
                    break
                if e.kind == "value" and e.table == table:
                    words = [self.note(link.start, link.end, f"counted: {e.table}.{e.column} = '{e.value}'")]
                    out.append(Condition("value", table, e.column, op="=", values=[e.value], words=words))
                    break
        return out

    def _describe_subject(self, kind, table, column, measure) -> str:
        if kind == "column":
            return f"column {table}.{column}"
        if measure and measure.term is not None:
            return f"metric '{self.catalog.glossary[measure.term].term}'"
        return f"count of {table}"

    def _comparison_subject(self, i: int, end: int, spec: QuerySpec):
        """What a comparison is about: the numeric column or metric before it, or the table after the number."""
        after = self.link_at(end)
        # "at least 5 urgent tickets": past qualifiers (terms, values) to the table counted
        probe, hops = after, 0
        while probe is not None and probe.kinds() != {"table"} and hops < 3 and \
                any(e.kind in ("term", "value") for e in probe.elements):
            probe, hops = self.link_at(probe.end), hops + 1
        if probe is not None and probe.kinds() == {"table"}:
            after = probe
        if after is not None and not any(k in self.used for k in range(after.start, after.end)):
            tables = [e for e in after.elements if e.kind == "table"]
            if tables and tables[0].table != spec.entity:
                t = tables[0].table
                return "count", t, None, Measure("count", t, words=self.words(after.start, after.end)), (after.start, after.end)
            filters = [e for e in after.elements if e.kind == "term" and self.catalog.glossary[e.term].kind == "filter"
                       and e.needs_table is None]
            counted = self.graph.term_tables(filters[0].term) if filters else []
            if len(counted) == 1 and counted[0] != spec.entity:
                t = counted[0]
                m = Measure("count", t, words=self.words(after.start, after.end))
                m.filters = [Condition("term", t, term=filters[0].term)]
                return "count", t, None, m, (after.start, after.end)
            metrics = [e for e in after.elements if e.kind == "term" and self.catalog.glossary[e.term].kind == "metric"]
            if metrics:
                tables = self.graph.term_tables(metrics[0].term)
                m = Measure("metric", tables[0] if tables else spec.root, term=metrics[0].term,
                            words=self.words(after.start, after.end))
                return "measure", m.table, None, m, (after.start, after.end)
            columns = [e for e in after.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
            if columns:
                c = self._choose_column(columns, spec)
                return "column", c.table, c.column, None, (after.start, after.end)
            if after.start == end and any(e.kind == "column" for e in after.elements):
                return None  # 'more than 3 credits' with credits stored as text: no other number is meant
        k = i - 1
        while k >= 0 and self.lower[k] in SUBJECT_GAP:
            k -= 1
        link = next((lk for lk in self.links if lk.end == k + 1), None)
        if link is None:
            return None
        for e in link.elements:
            if e.kind == "term" and self.catalog.glossary[e.term].kind == "metric":
                tables = self.graph.term_tables(e.term)
                m = Measure("metric", tables[0] if tables else spec.root, term=e.term, words=self.words(link.start, link.end))
                return "measure", m.table, None, m, (link.start, link.end)
        columns = [e for e in link.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
        if columns:
            c = self._choose_column(columns, spec)
            return "column", c.table, c.column, None, (link.start, link.end)
        tables = [e for e in link.elements if e.kind == "table"]
        if tables and tables[0].table != spec.entity:
            t = tables[0].table
            return "count", t, None, Measure("count", t), (link.start, link.end)
        if tables:
            column = self._value_column(tables[0].table, self.tokens[end - 1])
            if column:
                return "column", tables[0].table, column, None, None
        return None

    def _value_column(self, table: str, number: Token | None) -> str | None:
        """'invoices over 50k': the table's money column (a unit), its only measure-like number, or
        each of its numbers as a reading."""
        spec = self.catalog.tables[table]
        numeric = [c for c in spec.columns if self.lex.numeric(table, c) and not self._is_key(table, c)]
        money = [c for c in numeric if self._is_money(table, c)]
        if len(money) == 1:
            return money[0]
        pool = money if money and number is not None and "$" in number.text else numeric
        if not pool:
            return None
        return self.choose(f"which number of {table}", [Option(c, 1.0, f"{table}.{c}") for c in pool])

    def _above_average(self, i: int, j: int, op: str, spec: QuerySpec) -> Condition | None:
        """'whose ARR is above the average', 'amount over the average', 'more tickets than average'."""
        counted = getattr(self, "_average_of", None)
        if counted is not None:
            self._average_of = None
            table = counted.elements[0].table
            if table == spec.entity:
                return None
            words = [self.note(i, j + 1, f"{op} the average count of {table}")]
            k = j + 1
            if k < len(self.tokens) and (link := self.link_at(k)) is not None and link.kinds() == {"table"} \
                    and link.elements[0].table == spec.entity:
                words.append(self.note(link.start, link.end, f"per {spec.entity}"))  # "than the average nation"
            return Condition("above_average", table, op=op, measure=Measure("count", table), words=words)
        subject = self._comparison_subject(i, j + 1, spec)
        if subject is None:
            return None
        kind, table, column, measure, span = subject
        words = [self.note(i, j + 1, f"{op} the average")]
        if span:
            words.append(self.note(*span, self._describe_subject(kind, table, column, measure)))
        return Condition("above_average", table, column, op=op, measure=measure, words=words)

    def _measure(self, agg, spec: QuerySpec, top_at: int | None) -> Measure | None:
        """The aggregate asked for: a count, a sum/avg/min/max of a column, or a glossary metric."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            for e in link.elements:
                if e.kind == "term" and self.catalog.glossary[e.term].kind == "metric":
                    grouped = spec.groups or any(lk.kinds() == {"column"} and lk.end <= (top_at or 0) for lk in self.links)
                    if agg is None and top_at is not None and not grouped and any(
                            c.kind == "column" and c.table == spec.entity and self.lex.numeric(c.table, c.column)
                            for c in link.elements):
                        continue  # "the highest-MRR subscriptions": rank rows by the column of that name
                    if agg is not None and agg[0] in ("avg", "median", "min", "max"):
                        # "median MRR": a metric is already a total; its median is not defined here
                        raise Refusal([self.words(link.start, link.end).text], {},
                                      f"'{agg[0]}' of the metric '{self.catalog.glossary[e.term].term}', which is "
                                      "already an aggregate", positions=list(range(link.start, link.end)))
                    tables = self.graph.term_tables(e.term)
                    words = self.note(link.start, link.end, f"metric '{self.catalog.glossary[e.term].term}'")
                    return Measure("metric", tables[0] if tables else spec.root, term=e.term, words=words,
                                   alias=_alias(self.catalog.glossary[e.term].term))
        if agg is None:
            return None
        kind, after = agg
        column = self._numeric_after(after, spec)
        if kind == "count":
            if column is not None and column[0].start == after and \
                    self.catalog.tables[column[1].table].columns[column[1].column].unit and \
                    not self.lex.temporal(column[1].table, column[1].column):  # "how many licenses": a sum of seats
                link, c = column
                words = self.note(link.start, link.end, f"sum of {c.table}.{c.column}")
                return Measure("sum", c.table, c.column, words=words, alias=f"total_{c.column}")
            k = after + (1 if self.lower[after:after + 1] == ["the"] else 0)
            counted = self.link_at(k)
            if counted is not None and counted.kinds() == {"table"} and counted.elements[0].table != spec.entity \
                    and k not in self.used and self.graph.distance(spec.entity, counted.elements[0].table) is not None:
                # "the domains with the highest number of authors": authors counted per domain
                t = counted.elements[0].table
                words = self.note(counted.start, counted.end, f"count of {t}")
                return Measure("count", t, words=words, alias=f"{t}_count")
            return self._count_of_rows(spec, counted)
        if column is not None:
            link, c = column
            if kind == "money" and not self._is_money(c.table, c.column):
                # "how much discount": a metric named after the column ("discount amount"), or nothing
                metric = self._metric_named_like(link)
                if metric is None:
                    raise Refusal(["how much"], {}, f"'how much' asks for an amount of money, and "
                                  f"{c.table}.{c.column} is not one")
                words = self.note(link.start, link.end, f"metric '{self.catalog.glossary[metric].term}'")
                tables = self.graph.term_tables(metric)
                return Measure("metric", tables[0] if tables else spec.root, term=metric, words=words,
                               alias=_alias(self.catalog.glossary[metric].term))
            words = self.note(link.start, link.end, f"{kind} of {c.table}.{c.column}")
            return Measure("sum" if kind == "money" else kind, c.table, c.column, words=words, alias=f"{kind}_{c.column}")
        if kind in ("sum", "money"):
            money = self._value_column(spec.entity, None)
            # "the total value of void invoices": the words of money mean the table's money column
            said = [k for k, t in enumerate(self.tokens) if k not in self.used and t.lower in MONEY_WORDS]
            if money and (kind == "money" or said):
                words = self.note(said[0], said[0] + 1, f"sum of {spec.entity}.{money}") if said else None
                return Measure("sum", spec.entity, money, words=words, alias=f"total_{money}")
            if kind == "sum":  # "total check-ins": the rows, or what a column of them tallies
                counted = next((lk for lk in self.links if lk.kinds() == {"table"}
                                and lk.elements[0].table == spec.entity), None)
                return self._count_of_rows(spec, counted)
        word = {"money": "how much", "avg": "average"}.get(kind, kind)
        raise Refusal([word], {}, f"'{word}' of what? no number column is named after it")

    def _count_of_rows(self, spec: QuerySpec, counted: Link | None) -> Measure:
        """How many of the entity: its rows, or, when a column of it tallies what the words name, that
        column's total too (one row of daily check-in counts holds many check-ins)."""
        tally = self._tally_column(counted, spec.entity)
        if tally is not None and self.choose(f"how many {spec.entity}", [
                Option(False, 1.0, f"rows of {spec.entity}"), Option(True, 1.0, f"total of {spec.entity}.{tally}")]):
            return Measure("sum", spec.entity, tally, words=spec.entity_words, alias=f"total_{tally}")
        return Measure("count", spec.entity, words=spec.entity_words, alias="count")

    def _tally_column(self, counted: Link | None, table: str) -> str | None:
        """A number column of the counted table that is itself a count of what the words name: one
        whose name or synonym is 'number of <words>' or '<words> count', or called count."""
        if counted is None or counted.kinds() != {"table"} or counted.elements[0].table != table:
            return None
        words = tuple(t.norm for t in self.tokens[counted.start:counted.end])
        for name, col in self.catalog.tables[table].columns.items():
            if not self.lex.numeric(table, name) or self._is_key(table, name):
                continue
            phrases = {normalize_phrase(p) for p in [name, *col.synonyms]}
            if ("count",) in phrases or ("number", "of", *words) in phrases or (*words, "count") in phrases:
                return name
        return None

    def _quantity(self, spec: QuerySpec) -> Measure | None:
        """An unused number column with a unit (an additive quantity: money, seats) to sum."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)) or link.kinds() != {"column"}:
                continue
            columns = [e for e in link.elements if self.lex.numeric(e.table, e.column)
                       and self.catalog.tables[e.table].columns[e.column].unit]
            if columns:
                c = self._choose_column(columns, spec)
                words = self.note(link.start, link.end, f"sum of {c.table}.{c.column}")
                return Measure("sum", c.table, c.column, words=words, alias=f"total_{c.column}")
        return None

    def _is_text(self, table: str, column: str) -> bool:
        from hybridq.catalog.rules.context import is_text_type

        return is_text_type(self.catalog.tables[table].columns[column].type)

    def _sums_money(self, sql: str) -> bool:
        """Whether a metric adds up a money column (not a count, a ratio or a score)."""
        try:
            tree = sqlglot.parse_one(sql, dialect="duckdb")
        except sqlglot.errors.ParseError:
            return False
        for total in tree.find_all(exp.Sum):
            for column in total.find_all(exp.Column):
                table = column.table or next((t for t, spec in self.catalog.tables.items()
                                              if column.name in spec.columns), None)
                if table in self.catalog.tables and column.name in self.catalog.tables[table].columns and \
                        self._is_money(table, column.name):
                    return True
        return False

    def _is_money(self, table: str, column: str) -> bool:
        return (self.catalog.tables[table].columns[column].unit or "").upper() in ("USD", "EUR", "GBP", "$")

    def _metric_named_like(self, link: Link) -> int | None:
        """The only glossary metric whose name starts with the linked words ('discount amount')."""
        words = " ".join(t.lower for t in self.tokens[link.start:link.end])
        found = [i for i, g in enumerate(self.catalog.glossary) if g.kind == "metric"
                 and g.term.lower().startswith(words + " ")]
        return found[0] if len(found) == 1 else None

    def _numeric_after(self, after: int, spec: QuerySpec) -> tuple[Link, Element] | None:
        """The number column an aggregate word applies to: among the next few links."""
        for link in [lk for lk in self.links if lk.start >= after - 1][:3]:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            columns = [e for e in link.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
            if columns:
                return link, self._choose_column(columns, spec)
        return None

    def _filters(self, spec: QuerySpec) -> None:
        """Values and filter terms left in the question become conditions (with negation before them)."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            negated, neg_at = self._negated(link.start)
            if negated:
                self._negated_links[link.end - 1] = neg_at
            kinds = link.kinds()
            terms = [e for e in link.elements if e.kind == "term" and (
                e.needs_table is None or e.needs_table in self._tables_in_play(spec))]
            if terms and self._value_named_with_column(link):
                terms = []  # "urgent priority": the column is named, so the value, not the term
            if terms:
                e = terms[0]
                term = self.catalog.glossary[e.term]
                if term.kind == "filter":
                    tables = self.graph.term_tables(e.term)
                    self._qualified_noun(link, tables[0] if tables else spec.root, spec)
                    words = [self.note(link.start, link.end, f"filter '{term.term}': {term.sql}")]
                    if negated:
                        words.append(self.note(neg_at, neg_at + 1, "negation"))
                    spec.conditions.append(Condition("term", tables[0] if tables else spec.root, term=e.term,
                                                     negated=negated, words=words))
                    continue
                if term.kind == "dimension":
                    continue
            values = [e for e in link.elements if e.kind == "value"]
            if values:
                e = self._choose_value(values, link, spec)
                self._add_value(spec, link, e, negated, neg_at)
                continue
            numbers = [e for e in link.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
            if numbers and kinds == {"column"} and negated and self.lower[neg_at] in ("no", "without"):
                e = self._choose_column(numbers, spec)  # "line items with no discount": the number is zero
                words = [self.note(link.start, link.end, f"{e.table}.{e.column} = 0"),
                         self.note(neg_at, neg_at + 1, "none")]
                spec.conditions.append(Condition("compare", e.table, e.column, op="=", values=[0], words=words))
                continue
            booleans = [e for e in link.elements if e.kind == "column" and
                        self.catalog.tables[e.table].columns[e.column].type.upper() in ("BOOLEAN", "BOOL")]
            if booleans and kinds == {"column"}:
                e = self._choose_column(booleans, spec)
                words = [self.note(link.start, link.end, f"{e.table}.{e.column} is true")]
                if negated:
                    words.append(self.note(neg_at, neg_at + 1, "negation"))
                spec.conditions.append(Condition("compare", e.table, e.column, op="=", values=[exp_true()],
                                                 negated=negated, words=words))
                continue
            if kinds == {"table"} and negated and link.elements[0].table != spec.entity:
                words = [self.note(link.start, link.end, f"table {link.elements[0].table}"),
                         self.note(neg_at, neg_at + 1, "none of them")]
                spec.conditions.append(Condition("exists", link.elements[0].table, negated=True, words=words))
            elif kinds == {"table"} and link.elements[0].table != spec.entity and self._with_before(link.start):
                words = [self.note(link.start, link.end, f"has {link.elements[0].table}")]
                spec.conditions.append(Condition("exists", link.elements[0].table, words=words))

    def _value_named_with_column(self, link: Link) -> bool:
        for v in (e for e in link.elements if e.kind == "value"):
            for k in (link.start - 1, link.end):
                near = self.link_at(k) if k >= 0 else None
                if near is not None and any(x.kind == "column" and (x.table, x.column) == (v.table, v.column)
                                            for x in near.elements):
                    return True
        return False

    def _tables_in_play(self, spec: QuerySpec) -> set[str]:
        named = {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}
        named |= {e.head_table for lk in self.links for e in lk.elements if e.kind == "term" and e.head_table}
        return named | {spec.entity, spec.root} | {m.table for m in spec.measures}

    def _tables_used(self, spec: QuerySpec) -> set[str]:
        """Tables the spec actually reads: a table named but used by nothing is not explained."""
        used = {spec.entity, spec.root} | {m.table for m in spec.measures} | {g.table for g in spec.groups}
        used |= {c.table for c in spec.conditions} | {c.measure.table for c in spec.conditions if c.measure}
        for c in spec.conditions:
            if c.kind == "term" and c.term is not None:
                used |= set(self.graph.term_tables(c.term))
        for m in spec.measures:
            if m.term is not None:
                used |= set(self.graph.term_tables(m.term))
        if spec.ranking is not None and spec.ranking.table:
            used.add(spec.ranking.table)
        return used

    def _with_before(self, i: int) -> bool:
        k = i - 1
        while k >= 0 and self.lower[k] in ("any", "some", "open", "a", "an", "the"):
            k -= 1
        return k >= 0 and self.lower[k] in ("with", "have", "has", "having")

    def _negated(self, i: int) -> tuple[bool, int]:
        """A negation shortly before position i ('not submitted via email', 'never filed an urgent ticket')."""
        k = i - 1
        while k >= 0 and i - k <= 4 and k not in self.used and (
                self.lower[k] in NEGATION_GAP or self.lower[k] in RELATION_VERBS or self.lower[k] in AGENT_VERBS):
            k -= 1
        if k >= 0 and self.lower[k] in ("and", "or", ",", "nor") and (k - 1) in self._negated_links:
            return True, self._negated_links[k - 1]
        if k >= 0 and self.lower[k] in NEGATIONS and k not in self.used:
            if self.lower[k] == "other" and not (k + 1 < len(self.tokens) and self.lower[k + 1] == "than"):
                return False, -1
            if self.lower[k] == "other":
                self.used.add(k + 1)
            return True, k
        return False, -1

    def _choose_value(self, values: list[Element], link: Link, spec: QuerySpec) -> Element:
        if len(values) == 1:
            return values[0]
        named = {spec.root, spec.entity} | {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}
        return self.choose(f"which '{values[0].value}'", [
            Option(v, 1.0 + self.graph.coherence({v.table}, named), v.label) for v in values])

    def _add_value(self, spec: QuerySpec, link: Link, e: Element, negated: bool, neg_at: int) -> None:
        if link.start > 0 and self.lower[link.start - 1] in ("named", "called", "titled") and \
                link.start - 1 not in self.used:
            self.note(link.start - 1, link.start, "(its name)")  # 'the dataset named "COVID-19 Research"'
        descriptor = self._descriptor(e, link)
        if descriptor is not None and not any(k in self.used for k in range(*descriptor)):
            self.note(*descriptor, f"(a {e.column})")  # 'the city of New York': what kind of value
            self.descriptors.add(descriptor[0])
        self._qualified_noun(link, e.table, spec)
        words = [self.note(link.start, link.end, f"{e.table}.{e.column} = '{e.value}'")]
        for k in (link.start - 1, link.end):
            near = self.link_at(k)
            if near is not None and any(x.kind == "column" and (x.table, x.column) == (e.table, e.column)
                                        for x in near.elements):
                words.append(self.note(near.start, near.end, f"column {e.table}.{e.column}"))
        if negated:
            words.append(self.note(neg_at, neg_at + 1, "negation"))
        both = any(t.lower == "both" for t in self.tokens[:link.start])
        for cond in spec.conditions:
            if cond.kind == "value" and (cond.table, cond.column) == (e.table, e.column) and cond.negated == negated \
                    and not both:
                last = max(w.end for w in cond.words)
                between = self.question[last:self.tokens[link.start].start].lower().split()
                if not set(between) & {"and", "or", ",", "nor", "/"} and "," not in self.question[last:self.tokens[link.start].start]:
                    raise Refusal([e.value], {}, f"'{e.value}' and {', '.join(repr(v) for v in cond.values)} are both "
                                  f"values of {e.table}.{e.column}; one row cannot have both")
                cond.values.append(e.value)
                cond.words.extend(words)
                return
        spec.conditions.append(Condition("value", e.table, e.column, op="=", values=[e.value], negated=negated,
                                         words=words))

    def _time_conditions(self, spec: QuerySpec) -> None:
        for window in self.windows:
            if any(k in self.used for k in range(window.first, window.last)):
                continue
            if self._present_state(window):
                continue  # left to the words of the present: a state, not a date
            table, column, link = self._time_target(window, spec)
            desc = f"{table}.{column} in [{window.start or '...'}, {window.end or '...'})"
            words = [self.note(window.first, window.last, desc)]
            if link is not None:
                words.append(self.note(link.start, link.end, f"column {table}.{column}"))
            if column == self.catalog.tables[table].time_column:
                # "new customers this year": new says the window is about when the row was made
                for named in self.links:
                    k = named.start - 1
                    if named.elements[0].table == table and k >= 0 and self.lower[k] in ("new", "recent") \
                            and k not in self.used:
                        words.append(self.note(k, k + 1, f"({table} made in the window)"))
            spec.conditions.append(Condition("time", table, column, values=[window.start, window.end], words=words))

    def _present_state(self, window) -> bool:
        """'customers we have today', 'who is a customer now': 'today' after a verb of being or having
        says what holds now, not a day on which something happened."""
        words = self.lower[window.first:window.last]
        if words not in (["today"], ["now"], ["right", "now"]):
            return False
        k = window.first - 1
        while k >= 0 and self.lower[k] in PRONOUNS:
            k -= 1
        return k >= 0 and self.lower[k] in STATIVE_VERBS

    def _time_target(self, window, spec: QuerySpec) -> tuple[str, str, Link | None]:
        """The date a time window is about: the date column or the verb the catalog gives for it
        right before ('signed up in 2024', 'cancelled last year'), the time column of the table a
        creating verb follows ('tickets filed last month'), else the time column of what is measured
        or named. A window right after a state ('churned in 2025') needs the catalog to say which
        date that state has; without it the question is refused."""
        k = window.first - 1
        while k >= 0 and self.lower[k] in ("was", "were", "is", "are", "been", "be", "have", "has", "had", "got"):
            k -= 1
        link = next((lk for lk in self.links if lk.end == k + 1), None)
        state = link is not None and (link.elements[0].kind == "value" or (
            link.elements[0].kind == "term" and self.catalog.glossary[link.elements[0].term].kind == "filter"))
        if state and self.lower[link.end - 1].endswith("ed"):
            # 'subscriptions cancelled in 2025': a state the rows are in, and the date it happened on
            # is the date the catalog gives that verb; without one, no date is guessed
            verb = next((x for _, links in self.linked.covers for lk in links if lk.end == link.end
                         for x in lk.elements if x.kind == "verb" and self.lex.temporal(x.table, x.column)), None)
            if verb is not None:
                return verb.table, verb.column, None
            said = self.words(link.start, window.last).text
            raise Refusal([said], {}, f"'{said}': the catalog does not say on which date rows become "
                          f"'{self.words(link.start, link.end).text}'", positions=list(range(link.start, link.end)))
        if link is not None and not any(j in self.used for j in range(link.start, link.end)):
            e = link.elements[0]
            if e.kind in ("column", "verb") and self.lex.temporal(e.table, e.column):
                return e.table, e.column, link
            if e.kind == "term" and e.head_table is None and self.catalog.glossary[e.term].kind == "filter":
                said = self.words(link.start, window.last).text
                raise Refusal([said], {}, f"'{said}': the catalog does not say which date "
                              f"'{self.words(link.start, link.end).text}' happens on",
                              positions=list(range(link.start, link.end)))
        asked = [spec.measures[0].table] if spec.measures else [spec.entity]
        if k >= 1 and link is None and self.lower[k] in CREATION_VERBS:
            # "tickets filed last month", "how many tickets did enterprise customers file this year": the
            # rows made then are the rows asked about (or the table just before the verb)
            owner = next((lk for lk in self.links if lk.end == k and lk.kinds() == {"table"}), None)
            for table in ([owner.elements[0].table] if owner else []) + asked:
                if self._time_column_of(table):
                    self.note(k, k + 1, f"(made: {table})")
                    return table, self._time_column_of(table), None
        # Without a verb, the window is about the rows asked about, or about the rows named right
        # before it ('customers with tickets this year'); when those differ, each is a reading.
        before = next((self._link_table(lk) for lk in sorted(self.links, key=lambda lk: -lk.start)
                       if lk.end <= window.first and self._link_table(lk)), None)
        options: dict[tuple[str, str], float] = {}
        # a total or a count is of the rows the window selects ('revenue from Healthcare customers in 2025')
        nearby = 0.85 if spec.measures else 1.0
        for table, score in [(t, 1.0) for t in asked] + ([(before, nearby)] if before else []):
            column = self._time_column_of(table)
            if column and (table, column) not in options:
                options[(table, column)] = score
        if not options:
            for lk in self.links:
                table = self._link_table(lk)
                if table and self._time_column_of(table):
                    options.setdefault((table, self._time_column_of(table)), 0.9)
        if not options:
            raise Refusal([self.words(window.first, window.last).text], {},
                          f"table {spec.entity} has no time_column in the catalog, so a time window cannot be applied")
        table, column = self.choose(f"whose time is '{self.words(window.first, window.last).text}'", [
            Option(key, score, f"{key[0]}.{key[1]}") for key, score in options.items()])
        return table, column, None

    def _link_table(self, link: Link) -> str | None:
        """The table a linked noun names: a table, or the table of a term naming one ('enterprise customers')."""
        e = link.elements[0]
        if e.kind == "table":
            return e.table
        if e.kind == "term" and e.head_table:
            return e.head_table
        return None

    def _time_column_of(self, table: str) -> str | None:
        """The table's time column; without one, its only date column, or each of its dates as a reading."""
        spec = self.catalog.tables[table]
        if spec.time_column:
            return spec.time_column
        dates = [c for c in spec.columns if self.lex.temporal(table, c)]
        if len(dates) <= 1:
            return dates[0] if dates else None
        return self.choose(f"which date of {table}", [Option(c, 1.0, f"{table}.{c}") for c in dates])

    def _semantic_column_options(self, s: dict, spec: QuerySpec) -> list[Option]:
        """Where a phrase can be searched: the text column the cue's verb belongs to ('complained'
        -> tickets.body), else the text of the table the phrase follows, of the table asked about,
        of tables named before, or of tables related to the one asked about."""
        if s.get("column"):
            return [Option(s["column"], 1.0, "{}.{}".format(*s["column"]))]
        cue_start = s["cue"][0]
        semantic = {t: self.catalog.tables[t].semantic_columns() for t in self.catalog.tables}
        before = [lk.elements[0].table for lk in sorted(self.links, key=lambda lk: -lk.start)
                  if lk.end <= cue_start and lk.kinds() == {"table"}]
        ranked: list[tuple[str, float]] = []
        if before:
            ranked.append((before[0], 1.0))
        ranked.append((spec.entity, 0.95))
        ranked += [(t, 0.9) for t in before[1:]]
        ranked += [(t, 0.8) for t in semantic if semantic[t] and self.graph.related(spec.entity, t)]
        cue = [self.lower[k] for k in range(*s["cue"])]
        options, seen = [], set()
        for table, score in ranked:
            if any(_same_stem(word, name) for word in cue for name in [table, *self.catalog.tables[table].synonyms]):
                score += 0.15  # "complain about" and the table called complaints
            for column in semantic.get(table, []):
                if (table, column) not in seen:
                    seen.add((table, column))
                    options.append(Option((table, column), score, f"{table}.{column}"))
        return options

    def _semantic_conditions(self, spec: QuerySpec, top_n: int | None) -> None:
        for s in self.semantics:
            table, column = self._semantic_column(s, spec)
            cue_words = self.note(s["cue"][0], s["cue"][1], "semantic cue") if s["cue"][1] > s["cue"][0] else None
            words = [self.note(*s["phrase"], f"semantic: {table}.{column} ~ '{s['text']}'")]
            if cue_words:
                words.append(cue_words)
            if s["ranked"]:
                spec.ranking = Ranking("semantic", True, top_n, table=table, column=column, text=s["text"], words=words)
            else:
                spec.conditions.append(Condition("semantic", table, column, text=s["text"], words=words,
                                                 negated=self._negated(s["cue"][0])[0],
                                                 literals=self._rare_words(*s["phrase"])))

    def _rare_words(self, start: int, end: int) -> list[str]:
        """Words of a short search phrase the model hardly knows ('hubspot', '429', 'SSO'): names and
        codes, which a text that mentions them holds as written. Long phrases are left to meaning."""
        if end - start > 3 or not self.lex.english:
            return []
        content = [t for t in self.tokens[start:end] if t.lower not in FUNCTION_WORDS and t.quoted is None]
        codes = [t.text for t in content if t.text.isalnum() and any(ch.isdigit() for ch in t.text)]
        names = [t.text for t in content if t.text.isalpha() and len(t.text) >= 3 and not self._known_word(t)
                 and not self.lex.lookup((t.norm,)) and not self.lex.lookup((t.lower,))]
        # a code says what it is about ('429 errors'); a name beside known words ('SAML login failures')
        # is only part of what is asked, and a text that holds it need not be about the rest
        return codes + names if codes or len(names) == len(content) else []

    def _known_word(self, t: Token) -> bool:
        """A word of the model's vocabulary, in some form ('dashboards', 'cancelling', 'queries')."""
        return any(f in self.lex.english for f in base_forms(t.lower) | {t.norm} if len(f) >= 3)

    def _semantic_column(self, s: dict, spec: QuerySpec) -> tuple[str, str]:
        options = self._semantic_column_options(s, spec)
        if not options:
            owners = [f"{t}.{c}" for t, c in self.catalog.semantic_columns()]
            raise Refusal([s["text"]], {s["text"]: owners},
                          f"no text column of {spec.entity} or of a table related to it can be searched for "
                          f"'{s['text']}'" + (f"; the catalog's text columns: {', '.join(owners)}" if owners else ""))
        return self.choose(f"where to look for '{s['text']}'", options)

    def _ranking(self, spec: QuerySpec, desc: bool, n: int | None, at: int) -> Ranking | None:
        if spec.ranking is not None:
            if n and not spec.ranking.limit:
                spec.ranking.limit = n
            return spec.ranking
        if self.adjective is not None:
            return self._adjective_ranking(spec, desc, n)
        word = self.lower[at]
        # "top 5 customers by MRR" / "which region has the most customers" / "the 3 largest invoices"
        if spec.measures:
            if not spec.groups:
                self._group_named_before(spec, at)
            return Ranking("measure", desc, n or self._unsaid_limit())
        for link in self.links:
            if link.start > at and not any(k in self.used for k in range(link.start, link.end)):
                # a key is a number that names rows: 'the most cited paper' is not ranked by cite.cited
                columns = [e for e in link.elements if e.kind == "column" and not self._is_key(e.table, e.column)
                           and (self.lex.numeric(e.table, e.column) or self.lex.temporal(e.table, e.column))]
                if columns:
                    c = self._choose_column(columns, spec)
                    if c.table != spec.entity and not self.graph.up_reachable(spec.entity, c.table) and \
                            self.lex.numeric(c.table, c.column) and self.catalog.tables[c.table].columns[c.column].unit:
                        # "the 5 suppliers with the most units in stock": a total per supplier
                        words = self.note(link.start, link.end, f"sum of {c.table}.{c.column}")
                        spec.measures.append(Measure("sum", c.table, c.column, words=words, alias=f"total_{c.column}"))
                        return Ranking("measure", desc, n or self._unsaid_limit())
                    words = [self.note(link.start, link.end, f"order by {c.table}.{c.column}")]
                    self._criterion_words(link)
                    return Ranking("column", desc, n or self._unsaid_limit(), c.table, c.column, words=words)
                tables = [e for e in link.elements if e.kind == "table"]
                if tables and tables[0].table != spec.entity and word not in ADJECTIVE_SUPERLATIVES:
                    t = tables[0].table
                    self.note(link.start, link.end, f"count of {t}")
                    spec.measures.append(Measure("count", t, alias=f"{t}_count"))
                    if not spec.groups:
                        spec.groups.append(Group(spec.entity))
                    return Ranking("measure", desc, n or self._unsaid_limit())
        each = bool(spec.groups) and all(g.each for g in spec.groups) and n is not None
        if word in ADJECTIVE_SUPERLATIVES and each:
            return self._generic_superlative(spec, word, desc, n)  # "the 2 newest tickets per priority"
        if not spec.groups:
            self._group_named_before(spec, at)
        if spec.groups and not each:
            if word in ADJECTIVE_SUPERLATIVES and ADJECTIVE_SUPERLATIVES[word][1] in ("time", "money"):
                return None  # 'the most expensive plans', 'the newest regions': not a count of rows
            spec.measures.append(self._count_of_rows(spec, self.link_at(at + 1)))
            return Ranking("measure", desc, n or spec.limit or self._unsaid_limit())
        semantic = [c for c in spec.conditions if c.kind == "semantic" and not c.negated]
        if len(semantic) == 1 and desc:  # "top 10 tickets about slow performance": rank by meaning
            c = semantic[0]
            spec.conditions.remove(c)
            return Ranking("semantic", True, n or self._unsaid_limit(), c.table, c.column, c.text, words=c.words)
        if word in ADJECTIVE_SUPERLATIVES:
            # 'largest', 'newest' without the catalog saying by what: the columns such a word can
            # describe are the options; a word that can describe none is left unplaced
            return self._generic_superlative(spec, word, desc, n)
        return None

    def _criterion_words(self, link: Link) -> None:
        """'top 3 businesses in terms of review count': the words before what rows are ranked by."""
        for phrase in (("in", "terms", "of"), ("based", "on"), ("according", "to"), ("by",)):
            k = link.start - len(phrase)
            if k >= 0 and self.match(k, phrase) and not any(j in self.used for j in range(k, link.start)):
                self.note(k, link.start, "(ranked by)")
                return

    def _adjective_ranking(self, spec: QuerySpec, desc: bool, n: int | None) -> Ranking | None:
        """Rows ranked by what the catalog says the adjective measures: a column, or a metric per row."""
        a = self.adjective
        if a.table != spec.entity:
            return None  # 'the largest city': an adjective of states does not say what largest means for cities
        if a.column is not None:
            return Ranking("column", desc, n or self._unsaid_limit(), a.table, a.column)
        term = self.catalog.glossary[a.term]
        measure = Measure("metric", a.table, term=a.term, alias=_alias(term.term))
        spec.measures.append(measure)
        if not spec.groups:
            spec.groups.append(Group(a.table, words=spec.entity_words))
        return Ranking("measure", desc, n or self._unsaid_limit())

    def _generic_superlative(self, spec: QuerySpec, word: str, desc: bool, n: int | None) -> Ranking | None:
        kind = ADJECTIVE_SUPERLATIVES[word][1]
        table = spec.entity
        columns = self.catalog.tables[table].columns
        if kind == "time":
            candidates = [c for c in columns if self.lex.temporal(table, c)]
            preferred = self.catalog.tables[table].time_column
        elif kind == "money":
            candidates = [c for c in columns if self._is_money(table, c)]
            preferred = None
        elif kind == "size":
            numbers = [c for c in columns if self.lex.numeric(table, c) and not self._is_key(table, c)]
            # a magnitude is a number with a unit (money, people, km); a code or a rank has none
            candidates = [c for c in numbers if columns[c].unit] or numbers
            preferred = None
        else:
            return None
        # 'the biggest customers' may as well mean by a money metric of theirs (ARR) as by headcount
        # ... unless the rows hold money of their own ('the largest order': its total price)
        own_money = any(self._is_money(table, c) for c in columns)
        metrics = self._money_metrics_of(table) if kind == "size" and not own_money else []
        if not candidates and not metrics:
            return None
        # the catalog's time column is what "newest" means; other columns are readings to ask about
        options = [Option(("column", c), 1.0 if c == preferred else 0.9 if preferred else 1.0, f"{table}.{c}")
                   for c in candidates]
        options += [Option(("metric", m), 1.0, f"metric '{self.catalog.glossary[m].term}'") for m in metrics]
        what, chosen = self.choose(f"what '{word}' ranks {table} by", options)
        if what == "metric":
            term = self.catalog.glossary[chosen]
            spec.measures.append(Measure("metric", self.graph.term_tables(chosen)[0], term=chosen, alias=_alias(term.term)))
            if not spec.groups:
                spec.groups.append(Group(table, words=spec.entity_words))
            return Ranking("measure", desc, n or self._unsaid_limit())
        return Ranking("column", desc, n or self._unsaid_limit(), table, chosen)

    def _money_metrics_of(self, table: str) -> list[int]:
        """Glossary metrics of money over rows of other tables that belong to `table` (ARR over a
        customer's subscriptions)."""
        out = []
        for i, term in enumerate(self.catalog.glossary):
            if term.kind != "metric" or not term.sql or not self._sums_money(term.sql):
                continue
            tables = self.graph.term_tables(i)
            if tables and all(t != table and self.graph.up_reachable(t, table) for t in tables):
                out.append(i)
        return out

    def _group_named_before(self, spec: QuerySpec, at: int) -> None:
        """'which region has the most customers': the column named before the superlative groups;
        'the top 3 regions by ARR': the column named right after it does."""
        free = [lk for lk in self.links if not any(k in self.used for k in range(lk.start, lk.end))
                and lk.kinds() == {"column"}]
        before = [lk for lk in free if lk.end <= at]
        after = [lk for lk in free if lk.start == self._top_span[1]] if getattr(self, "_top_span", None) else []
        if before or after:
            link = before[-1] if before else after[0]
            c = self._choose_column([e for e in link.elements if e.kind == "column"], spec)
            spec.groups.append(Group(c.table, c.column, words=self.note(link.start, link.end,
                                                                         f"group by {c.table}.{c.column}")))
            k = link.start - 1
            if k >= 0 and self.tokens[k].number is not None and k not in self.used:
                spec.limit = int(self.tokens[k].number)
                self.note(k, k + 1, f"limit {spec.limit}")

    def _is_key(self, table: str, column: str) -> bool:
        """A key or a foreign key: a number that identifies rows rather than measures them."""
        if column in self.catalog.tables[table].primary_key or column.endswith("_id"):
            return True
        return any(f"{table}.{column}" in (r.from_, r.to) for r in self.catalog.relationships)

    def _name_column(self, table: str) -> str | None:
        """The column that names the table's rows, or None when its label is only a key."""
        label = self.catalog.tables[table].label()
        return None if self._is_key(table, label) else label

    def _unsaid_limit(self) -> int | None:
        """How many rows a superlative without a number asks for: one when the question asks for one
        thing ('which region has the most', 'the largest state'); otherwise the words do not say, and
        each of the usual answers is a reading (all rows in order, or the first ten)."""
        number = self._grammatical_number()
        if number == "one":
            return 1
        return self.choose("how many rows", [Option(None, 1.0, "all of them, in order"),
                                              Option(10, 1.0, "the first 10")])

    def _grammatical_number(self) -> str | None:
        """'one' or 'many' as the question's words say ('which region has', 'which regions have', 'the
        largest state'), or None when they do not."""
        subject = next((lk for lk in self.links if lk.elements[0].kind in ("table", "column")), None)
        if subject is not None:
            last = self.tokens[subject.end - 1]
            if last.lower != last.norm:
                return "many"
            if singular(last.lower + "s") == last.lower and not last.lower.endswith(("ss", "us", "is")):
                return "one"
        wh = next((k for k, t in enumerate(self.tokens) if t.lower in ("which", "what", "who")), None)
        if wh is not None:
            verbs = [self.lower[k] for k in range(wh + 1, min(wh + 4, len(self.tokens)))]
            if any(v in ("is", "was", "has", "does") for v in verbs):
                return "one"
            if any(v in ("are", "were", "have", "do") for v in verbs):
                return "many"
        return None

    def _show_columns(self, spec: QuerySpec) -> None:
        """Columns named but not used otherwise: shown in a listing ('customers and their region');
        a date column used as a verb ('tickets filed by phone') says nothing more."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            if link.kinds() == {"table"} and link.elements[0].table in self._tables_used(spec):
                self.note(link.start, link.end, f"table {link.elements[0].table}")
                continue
            columns = [e for e in link.elements if e.kind == "column"]
            if not columns or link.kinds() != {"column"}:
                continue
            try:
                c = self._choose_column(columns, spec)
            except Refusal:
                continue
            if self.lex.temporal(c.table, c.column) and not self._asks_to_show(link.start):
                self.note(link.start, link.end, f"({c.table}.{c.column})")
                continue
            compared = any((x.table, x.column) == (c.table, c.column) for x in spec.conditions)
            if link.start >= 2 and self.lower[link.start - 1] in ("a", "an", "any", "no") and not compared and \
                    self.lower[link.start - 2] in ("with", "without", "having", "have", "has"):
                continue  # 'flights with a stop' asks for rows that have one, not to show the count of stops
            if spec.measures and (not self._asks_to_show(link.start) or (spec.groups and self.lex.numeric(c.table, c.column))):
                continue  # left unplaced: an aggregate cannot show a column it does not group by, and a
                # number shown beside a count per group would split the groups by it
            self.note(link.start, link.end, f"show {c.table}.{c.column}")
            spec.show_columns.append((c.table, c.column))

    def _asks_to_show(self, i: int) -> bool:
        k = i - 1
        while k >= 0 and self.lower[k] in ("the", "a", "an"):
            k -= 1
        if k >= 0 and self.lower[k] in ("and", "with", "their", "its", "show", "list", "including", ",", "plus",
                                        "also", "display", "return", "give", "provide", "both"):
            return True
        # "the names of the restaurants", "the latitude and longitude of the business": what is asked
        link = self.link_at(i)
        j = link.end if link is not None else i + 1
        while j < len(self.tokens) and (self.lower[j] == "and" or self._linked(j) and self.link_at(j).kinds() == {"column"}):
            j = self.link_at(j).end if self._linked(j) and self.link_at(j) is not None else j + 1
        if self.lower[j:j + 1] == ["of"]:
            j += 1
            while j < len(self.tokens) and self.lower[j] in ("the", "all", "each", "every", "a", "an"):
                j += 1
            owner = self.link_at(j)
            return owner is not None and owner.kinds() == {"table"} and link is not None and \
                owner.elements[0].table in {e.table for e in link.elements}
        return False

    def _finalize_root(self, spec: QuerySpec) -> None:
        if spec.measures:
            spec.root = spec.measures[0].table
        if spec.ranking and spec.ranking.kind == "semantic" and not spec.measures and spec.ranking.table != spec.entity:
            spec.root = spec.entity

    # -- refusal -------------------------------------------------------------------------------

    def _unplaced_positions(self) -> list[int]:
        """Words that nothing explained. Numbers, negations and superlatives count: one that applied
        to nothing would change the answer without showing it."""
        out = []
        for k, t in enumerate(self.tokens):
            if k in self.used or self._semantic_token(k) or t.lower in (",", ";", "?", "+"):
                continue
            if t.number is None and t.lower in STOPWORDS and t.lower not in NEGATIONS and k not in self.linked.named \
                    and not self._signs_in(k):
                continue  # a word the catalog names ("open" for open orders) counts even if it is a common word
            out.append(k)
        return out

    def _signs_in(self, k: int) -> bool:
        """'logged in', 'log on': a visit, not the making of a row ('tickets logged in May' is)."""
        return self.lower[k] in ("log", "logs", "logged", "logging") and \
            self.lower[k + 1:k + 2] in (["in"], ["into"], ["on"], ["out"]) and \
            not any(w.first == k + 1 for w in self.windows)

    def _windows_meet(self, spec: QuerySpec) -> None:
        """'users who wrote reviews in 2021 and 2022': two periods of the same date cannot both hold for
        one row; the question means either period, or rows of each, and the words do not say which."""
        windows = [c for c in spec.conditions if c.kind == "time" and not c.negated]
        for i, a in enumerate(windows):
            for b in windows[i + 1:]:
                if (a.table, a.column) != (b.table, b.column):
                    continue
                starts = [d for d in (a.values[0], b.values[0]) if d is not None]
                ends = [d for d in (a.values[1], b.values[1]) if d is not None]
                if starts and ends and max(starts) >= min(ends):
                    said = [w.text for c in (a, b) for w in c.words]
                    raise Refusal(said, {}, f"{' and '.join(repr(w) for w in said)} cannot both hold for one "
                                  f"{a.table} row: ask for each period, or for either one, in its own question")

    def _ids_for_names(self, spec: QuerySpec) -> None:
        """'the most cited paper' read as groups of cite.cited would answer with publication ids: a
        group on a foreign key stands for the rows it refers to, which have names of their own."""
        for g in spec.groups:
            if g.column is None or g.words is None:
                continue
            target = next((r.to for r in self.catalog.relationships if r.from_ == f"{g.table}.{g.column}"), None)
            if target is None or not self.lex.numeric(g.table, g.column):
                continue  # a code people read ('JFK') names the row as well as its name does
            table, key = target.split(".", 1)
            said = g.words.text.lower().split()
            if table in self.catalog.tables and self.catalog.tables[table].label() != key and \
                    not {"id", "ids", "key", "keys", "code", "codes", "number", "numbers"} & set(said):
                raise Refusal([g.words.text], {}, f"'{g.words.text}' ({g.table}.{g.column}) holds {table} ids: the "
                              f"answer would show ids, not the {table} rows they refer to")

    def _some_or_none(self, spec: QuerySpec) -> None:
        """'customers with tickets that are not urgent': some ticket that is not urgent, or no urgent
        ticket at all? Both are common readings and their answers differ, so neither is guessed."""
        having = {c.table for c in spec.conditions if c.kind == "exists" and not c.negated}
        for c in spec.conditions:
            if c.negated and c.kind in ("value", "term", "compare", "time", "semantic") and c.table in having \
                    and c.table != spec.root:
                said = [w.text for w in c.words]
                what = " ".join(w for w in said if w.lower() not in NEGATIONS) or "so"
                raise Refusal(said, {}, f"some {c.table} that are not {what}, or no {c.table} that are {what}? "
                              f"Say 'with no ... {c.table}' for the second")

    def _metric_scope(self, spec: QuerySpec) -> None:
        """'MRR in paused subscriptions': MRR counts active subscriptions only, so rows the question keeps
        to other values of that column have none by definition; the answer 0 would mislead."""
        for measure in spec.measures:
            if measure.kind != "metric" or measure.term is None:
                continue
            scope = _case_scope(self.catalog.glossary[measure.term].sql or "")
            for c in spec.conditions + measure.filters:
                if c.kind != "value" or c.negated or c.column is None:
                    continue
                kept = scope.get((c.table.lower(), c.column.lower()))
                if kept is not None and not {str(v).lower() for v in c.values} & kept:
                    term = self.catalog.glossary[measure.term].term
                    said = [w.text for w in c.words] or [str(v) for v in c.values]
                    raise Refusal(said, {}, f"{term} counts only {c.table} whose {c.column} is "
                                  f"{' or '.join(repr(v) for v in sorted(kept))}, so for {', '.join(said)} it is 0 by definition")

    def _subject_answered(self, spec: QuerySpec) -> None:
        """'tickets about refunds and billing' asks for tickets: a reading that answers with a total of
        another table, the tickets only filtering it, answers a different question. 'What electives are
        in the Computer Science program?' asks for electives, not for programs."""
        first = next((lk for lk in self.links if not all(
            self.lower[j] in FUNCTION_WORDS for j in range(lk.start, lk.end))), None)
        if first is None or any(self.lower[j] not in FUNCTION_WORDS for j in range(first.start)):
            return
        e = first.elements[0]
        then = self.link_at(first.end)
        modifies_root = then is not None and spec.root in {t for x in then.elements for t in self.graph.tables_of(x)}
        head = all(self.lower[j] in QUESTION_WORDS | ARTICLES | DETERMINERS | {"show", "list", "me", "give"}
                   for j in range(first.start))  # the noun right after 'what', not one after a verb
        if head and not spec.measures and not spec.groups and e.kind in ("value", "term") and not modifies_root \
                and spec.root not in self.graph.tables_of(e) and first.start not in self.descriptors:
            # 'Growth customers' is customers on the Growth plan; 'electives are in ...' asks for electives
            words = self.words(first.start, first.end).text
            raise Refusal([words], {}, f"the question asks for '{words}', and this reading would list "
                          f"{spec.root} instead", positions=list(range(first.start, first.end)))
        if not spec.measures or spec.groups:
            return
        if e.kind != "table" or first.start in self.descriptors:
            return
        if all(m.table != e.table for m in spec.measures) and not any(
                self.lower[j] in ("total", "sum", "average", "avg", "much", "many", "number", "count")
                for j in range(len(self.tokens))):
            words = self.words(first.start, first.end).text
            raise Refusal([words], {}, f"the question asks for {e.table}, and this reading would answer with "
                          f"{', '.join(m.alias for m in spec.measures)} instead", positions=list(range(first.start, first.end)))

    def _disjunction(self, spec: QuerySpec) -> None:
        """'customers in EMEA or with over 500 employees': 'or' between conditions on different columns
        asks for rows meeting either one. Conditions are joined with AND, so such a question is refused;
        'in EMEA or APAC' (values of one column) is a list of values and stays."""
        for k, t in enumerate(self.tokens):
            if t.lower != "or" or self._semantic_token(k) or self._linked(k):
                continue
            spans = [(w.start, w.end, c) for c in spec.conditions for w in c.words]
            spans += [(x.words.start, x.words.end, x) for x in [*spec.measures, *spec.groups] if x.words is not None]
            before = max((sp for sp in spans if sp[1] <= t.start), key=lambda sp: sp[1], default=None)
            after = min((sp for sp in spans if sp[0] >= t.end), key=lambda sp: sp[0], default=None)
            if before is None or after is None:
                continue
            a, b = before[2], after[2]
            either = not isinstance(a, Condition) or not isinstance(b, Condition) or \
                (a.table, a.column) != (b.table, b.column) or a.kind != b.kind or a.negated != b.negated
            if a is not b and either:
                raise Refusal([t.text], {}, f"'{t.text}' asks for rows meeting either condition, and "
                              "questions in words only combine conditions that all hold", positions=[k])

    def _universal(self) -> None:
        """'customers whose tickets are all closed', 'with all their invoices paid': 'all' over the rows
        of another table asks that none of them fails the condition. Read as 'some of them' it would
        give a confident wrong answer, so it is refused."""
        for k, t in enumerate(self.tokens):
            if t.lower not in ("all", "every") or k in self.used:
                continue
            before = self.lower[k - 1] if k > 0 else ""
            after = self.lower[k + 1] if k + 1 < len(self.tokens) else ""
            after_of = self.lower[k + 2] if k + 2 < len(self.tokens) else ""
            asked = k >= 2 and self.lower[k - 2] in QUESTION_WORDS  # 'what are all the tickets'
            if (before in UNIVERSAL_VERBS and not asked and after not in ARTICLES | DETERMINERS | {"of"}) \
                    or after in POSSESSIVES or (after == "of" and after_of in POSSESSIVES):
                raise Refusal([t.text], {}, f"'{t.text}' asks that every related row meets the condition, "
                              "which questions in words cannot say yet", positions=[k])

    def _all_rows(self) -> None:
        """Phrases the catalog says mean every row ('in the us' when all the data is about one country)."""
        for phrase in self.lex.all_rows:
            for i in range(len(self.tokens) - len(phrase) + 1):
                if all(self.tokens[i + k].norm == w or self.lower[i + k] == w for k, w in enumerate(phrase)) and \
                        not any(j in self.used for j in range(i, i + len(phrase))):
                    self.note(i, i + len(phrase), "(every row: the catalog's questions.all_rows)")
                    self.descriptors |= {lk.start for lk in self.links if i <= lk.start and lk.end <= i + len(phrase)}

    def _present_words(self, spec: QuerySpec) -> None:
        """'still open', 'currently on the Growth plan': a word of the present restates a condition on
        the rows' state; with no such condition it is left unplaced ('customers we currently have'
        asks for a state the catalog must define)."""
        # a name says which row, not what state it is in ('is Trueline Bank still a customer?')
        states = [c for c in spec.conditions if c.kind in ("term", "value", "compare") and not (
            c.kind == "value" and c.column == self.catalog.tables[c.table].label())]
        states += [m for m in spec.measures if m.kind == "metric"]  # "our ARR right now": a metric is as of now
        for k, t in enumerate(self.tokens):
            if k not in self.used and t.lower in PRESENT and states:
                self.note(k, k + 1, "(as of now)")
            elif k not in self.used and self.match(k, ("right", "now")) and states:
                self.note(k, k + 2, "(as of now)")

    def _where_and_when(self, spec: QuerySpec) -> None:
        """'Where is X held?' asks for a place and 'When was X filed?' for a date: the answer shows a
        column of the rows that holds one (each such column is a reading), or there is no answer."""
        if not self.tokens or self.lower[0] not in ("where", "when") or 0 in self.used:
            return
        wh = self.lower[0]
        fits = self._is_place if wh == "where" else self.lex.temporal
        shown = list(spec.show_columns) + [(g.table, g.column) for g in spec.groups if g.column]
        shown += [(m.table, m.column) for m in spec.measures if m.column]
        if any(fits(t, c) for t, c in shown):
            self.note(0, 1, f"('{wh}': {', '.join(f'{t}.{c}' for t, c in shown if fits(t, c))})")
            return
        table = spec.root
        columns = [c for c in self.catalog.tables[table].columns if fits(table, c) and not self._is_key(table, c)]
        if not columns or spec.measures:
            what = "a place" if wh == "where" else "a date or time"
            raise Refusal([self.tokens[0].text], {}, f"'{self.tokens[0].text}' asks for {what}, and no column of "
                          f"{table} the answer could show holds one", [0])
        if wh == "where":  # a place is told by all its parts (address, city, state)
            chosen = columns
        else:  # which of several dates is asked for the words do not say: each is a reading
            chosen = [columns[0] if len(columns) == 1 else self.choose(
                f"what '{self.tokens[0].text}' asks for", [Option(c, 1.0, f"{table}.{c}") for c in columns])]
        self.note(0, 1, "show " + ", ".join(f"{table}.{c}" for c in chosen))
        spec.show_columns += [(table, c) for c in chosen]

    def _current_rows(self, spec: QuerySpec) -> None:
        """'customers on annual billing', 'seats by segment': rows of a table that has current ones (an
        active subscription), reached from other rows or used without being named, and no state or time
        said for them, are all its rows or the current ones; each is a reading. The rows a question
        names ('how many subscriptions') are all of them, the one row another row refers to (an
        invoice's subscription) is that row, and a metric defines its own rows."""
        used = {c.table for c in spec.conditions} | {m.table for m in spec.measures if m.kind != "metric"}
        if not (spec.measures and all(m.kind == "metric" for m in spec.measures)):
            used.add(spec.root)
        for table in sorted(used):
            current = self.catalog.tables[table].current
            if not current:
                continue
            if table == spec.root and spec.entity == table and spec.entity_words is not None:
                continue
            if table != spec.root and self.graph.up_reachable(spec.root, table):
                continue
            columns = {c.name.lower() for c in sqlglot.parse_one(current, dialect="duckdb").find_all(exp.Column)}
            if any(self._says_state(c, table, columns) for c in spec.conditions):
                continue
            if self.choose(f"which {table}", [Option(False, 1.0, f"all {table}"),
                                              Option(True, 1.0, f"current {table} ({current})")]):
                spec.conditions.append(Condition("current", table, text=current))

    def _says_state(self, cond: Condition, table: str, columns: set[str]) -> bool:
        """Whether a condition already says which rows of `table` by their state or their time."""
        if cond.kind == "time" and cond.table == table:
            return True
        if cond.kind in ("value", "compare") and cond.table == table and (cond.column or "").lower() in columns:
            return True
        if cond.kind == "term":
            node = sqlglot.parse_one(self.catalog.glossary[cond.term].sql, dialect="duckdb")
            return any(c.name.lower() in columns and (not c.table or c.table.lower() == table.lower())
                       for c in node.find_all(exp.Column))
        return False

    def _row_grain(self, spec: QuerySpec) -> None:
        """'which neighbourhood has the most businesses' over a table with one row per (business,
        neighbourhood): each of its rows refers to one business, so a group per row counts one. The
        things the rows stand for are told apart by their name; without one the question is refused."""
        measured = {m.table for m in spec.measures}
        for k, g in enumerate(spec.groups):
            if g.column or g.term is not None or g.period or not g.table:
                continue
            if not any(t != g.table and self.graph.up_reachable(g.table, t) for t in measured):
                continue
            label = self._name_column(g.table)
            if label is None:
                words = g.words.text if g.words else g.table
                raise Refusal([words], {}, f"each {g.table} row refers to one {'/'.join(sorted(measured))} row, "
                              f"and {g.table} has no name to gather its rows by")
            spec.groups[k] = replace(g, column=label)

    def _column_is_column(self) -> None:
        """'states whose capital is also their largest city': one column said to equal another column
        or other rows is a comparison no reading makes; the words are not read as two columns shown."""
        for link in self.links:
            if link.start == 0 or not any(e.kind == "column" for e in link.elements):
                continue
            before = link.start - 1 - (self.lower[link.start - 1] == "the")
            if before < 0 or self.lower[before] not in ("whose", "where"):
                continue
            k = link.end
            if k >= len(self.tokens) or self.lower[k] not in ("is", "are", "was", "were", "equals"):
                continue
            k += 1
            while k < len(self.tokens):  # 'is also their largest city'
                at = self.link_at(k)
                if self.lower[k] in ("also", "the", "their", "its", "same", "as") or self.lower[k] in TOP_WORDS:
                    k += 1
                elif at is not None and at.start == k and all(e.kind == "adjective" for e in at.elements):
                    k = at.end
                else:
                    break
            other = self.link_at(k)
            if other is not None and other.start == k and other.elements and \
                    all(e.kind in ("column", "table") for e in other.elements):
                first, second = self.words(link.start, link.end).text, self.words(other.start, other.end).text
                raise Refusal([first, second], {}, f"'{first}' compared with '{second}': comparing a column with "
                              "another column or other rows is not something a question can be read as here",
                              positions=list(range(link.start, other.end)))

    def _who_did(self, spec: QuerySpec) -> None:
        """'Who wrote the lowest-rated review?' asks for whoever did it, not for the review: when the
        rows listed are what a verb after 'who' acts on, they are not the answer."""
        if len(self.tokens) < 3 or self.lower[0] not in ("who", "whom"):
            return
        listed = spec.entity or spec.root
        if not spec.measures and not spec.groups and self._name_column(listed) is None:
            # 'who got an A in Calculus' over records that only point at a student: no one is named
            raise Refusal([self.tokens[0].text], {}, f"'{self.tokens[0].text}' asks for someone by name, and the "
                          f"answer would list {listed} rows, which have no column that names them", [0])
        if self.lower[1] in AUXILIARIES:
            return
        named = [lk for lk in self.links if lk.start > 1 and any(
            e.kind == "table" and e.table == (spec.entity or spec.root) for e in lk.elements)]
        if named:
            raise Refusal([self.tokens[0].text, self.tokens[1].text], {},
                          f"'{self.tokens[0].text} {self.tokens[1].text}' asks for whoever did it, and the answer "
                          f"would list the {spec.entity or spec.root} rows themselves", [0, 1])

    def _name_asked(self, spec: QuerySpec) -> None:
        """'the name of the research field of X': a name is asked for; rows of a table without a column
        that names them have none to give (their key is no name)."""
        if any(g.column or g.term is not None for g in spec.groups):
            return
        for k, t in enumerate(self.tokens):
            if k in self.used or t.lower not in ("name", "names", "title", "titles"):
                continue
            if not (self.lower[k + 1:k + 2] == ["of"] or (k > 0 and self.lower[k - 1] in ("the", "their", "its", "whose"))):
                continue
            if spec.measures and not spec.groups:
                raise Refusal([t.text], {}, f"'{t.text}' asks for the names of rows, and the answer read is one "
                              "figure for all of them", [k])
            table = spec.groups[0].table if spec.groups else spec.entity or spec.root
            label = self._name_column(table)
            if label is None:
                raise Refusal([t.text], {}, f"'{t.text}' asks for a name, and {table} has no column that names "
                              f"its rows (only the key {table}.{self.catalog.tables[table].label()})", [k])
            self.note(k, k + 1, f"({table}.{label})")

    def _is_place(self, table: str, column: str) -> bool:
        spec = self.catalog.tables[table].columns[column]
        words = set(normalize_phrase(column.replace("_", " ")))
        for synonym in spec.synonyms:
            words |= set(normalize_phrase(synonym))
        return bool(words & PLACE_WORDS) and not self.lex.numeric(table, column)

    def _check_everything_placed(self) -> None:
        positions = self._unplaced_positions()
        if positions:
            unplaced = [self.tokens[k].text for k in positions]
            raise Refusal(unplaced, self._suggest(unplaced),
                          "these words do not name anything in the catalog: " + ", ".join(repr(w) for w in unplaced),
                          positions)

    def paraphrasable(self, positions: list[int]) -> list[int]:
        """The unplaced words a paraphrase may explain: content words, not the words that shape a
        question (numbers, negations, superlatives, aggregates, units, periods)."""
        return [k for k in positions if self.tokens[k].number is None and self.tokens[k].quoted is None
                and self.tokens[k].text[:1].isalpha() and self.lower[k] not in SHAPE_WORDS]

    def _suggest(self, words: list[str]) -> dict[str, list[str]]:
        from hybridq.nl.link import near_phrases

        return {w: near_phrases(w, self.lex) for w in words}


def _same_stem(word: str, name: str) -> bool:
    """A verb and the noun of a table's name from the same stem: complain / complaints, report / reports."""
    a, b = singular(word.lower()), singular(name.lower().split()[-1] if name.split() else name.lower())
    return len(a) >= 5 and len(b) >= 5 and (a[:6] == b[:6] and abs(len(a) - len(b)) <= 3)


def exp_true():
    from sqlglot import exp

    return exp.true()


def _case_scope(sql: str) -> dict[tuple[str, str], set[str]]:
    """The values a metric's CASE keeps per column: SUM(CASE WHEN s.status = 'active' THEN ...) keeps
    {'active'} of subscriptions.status (a column is qualified by its table in glossary SQL)."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError:
        return {}
    out: dict[tuple[str, str], set[str]] = {}
    for case in tree.find_all(exp.Case):
        ifs = case.args.get("ifs") or []
        if len(ifs) != 1:
            continue
        test = ifs[0].this
        if isinstance(test, exp.EQ) and isinstance(test.this, exp.Column) and isinstance(test.expression, exp.Literal):
            column, values = test.this, [test.expression]
        elif isinstance(test, exp.In) and isinstance(test.this, exp.Column) and \
                all(isinstance(v, exp.Literal) for v in test.expressions):
            column, values = test.this, test.expressions
        else:
            continue
        if column.table:
            out[(column.table.lower(), column.name.lower())] = {str(v.this).lower() for v in values}
    return out


def _alias(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "value"
