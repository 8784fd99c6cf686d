"""Understanding a question: linked spans -> a QuerySpec, or the words that could not be placed.

Recognisers run in a fixed order over the tokens and their links; each consumes the tokens it
explains and records them as provenance. Whatever content word is left unexplained makes the
question refused rather than guessed (DESIGN invariant 6).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

from hybridq.catalog.model import Catalog
from hybridq.nl.lexicon import Element, Lexicon, similar_words
from hybridq.nl.link import Link, link_question
from hybridq.nl.spec import Condition, Group, Measure, QuerySpec, Ranking, Words
from hybridq.nl.text import Token, tokenize
from hybridq.nl.timewords import find_windows

STOPWORDS = set("""
a an the of in on at to for from by with and or is are was were be been being do does did done have has had having
what which who whom whose how where when why that this these those there here it its they them their our we us me my i
you your he she his her all any some each every per as than then so such into over under about list show give find get
tell display return see let please can could would should will shall may might must need want know kind sort type
whats what's also just only ever currently right now now overall total number many much count amount
one ones thing things record records entry entries row rows item items data info information detail details
exist exists existing our company companies's ok okay hey hi hello thanks thank
""".split())

# Words that only shape the question; they are consumed where they are recognised.
AGG_WORDS = {
    "count": ("count",), "how many": ("count",), "number of": ("count",), "no of": ("count",), "amount of": ("count",),
    "total": ("sum",), "sum of": ("sum",), "sum": ("sum",), "combined": ("sum",), "overall": ("sum",),
    "average": ("avg",), "avg": ("avg",), "mean": ("avg",), "typical": ("avg",),
    "maximum": ("max",), "max": ("max",), "minimum": ("min",), "min": ("min",),
}
TOP_WORDS = {"top": True, "highest": True, "largest": True, "biggest": True, "most": True, "best": True, "greatest": True,
             "maximum": True, "max": True, "bottom": False, "lowest": False, "smallest": False, "least": False,
             "fewest": False, "worst": False, "minimum": False, "min": False, "oldest": False, "newest": True,
             "latest": True, "earliest": False, "recent": True, "longest": True, "shortest": False}
GROUP_WORDS = [("broken", "down", "by"), ("grouped", "by"), ("split", "by"), ("for", "each"), ("for", "every"),
               ("by",), ("per",), ("each",), ("across",)]
COMPARATORS = [
    (("more", "than"), ">"), (("greater", "than"), ">"), (("higher", "than"), ">"), (("larger", "than"), ">"),
    (("bigger", "than"), ">"), (("over",), ">"), (("above",), ">"), (("exceeding",), ">"), (("exceeds",), ">"),
    (("exceed",), ">"), ((">",), ">"), (("at", "least"), ">="), (("no", "less", "than"), ">="), ((">=",), ">="),
    (("minimum", "of"), ">="), (("fewer", "than"), "<"), (("less", "than"), "<"), (("lower", "than"), "<"),
    (("smaller", "than"), "<"), (("under",), "<"), (("below",), "<"), (("<",), "<"), (("at", "most"), "<="),
    (("no", "more", "than"), "<="), (("up", "to"), "<="), (("<=",), "<="), (("maximum", "of"), "<="),
    (("exactly",), "="), (("equal", "to"), "="), (("equals",), "="), (("=",), "="),
]
NEGATIONS = {"not", "non", "no", "without", "excluding", "exclude", "except", "never", "other", "isn't", "aren't",
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
    ("complain",), ("complaining",), ("complains",), ("regard",), ("re",),
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
FILLER = {"any", "all", "some", "the", "a", "an", "our", "their", "its", "that", "which", "who", "have", "has", "had",
          "with", "are", "is", "were", "was", "been", "do", "did", "does"}


class Refusal(Exception):
    """The question has words the catalog cannot place; never guessed."""

    def __init__(self, words: list[str], suggestions: dict[str, list[str]], reason: str):
        super().__init__(reason)
        self.words = words
        self.suggestions = suggestions
        self.reason = reason


@dataclass
class Parsed:
    spec: QuerySpec
    links: list[tuple[Words, str]] = field(default_factory=list)  # provenance: words -> what they became


class Parser:
    def __init__(self, question: str, lexicon: Lexicon, today: dt.date):
        self.question = question
        self.lex = lexicon
        self.catalog: Catalog = lexicon.catalog
        self.today = today
        self.tokens: list[Token] = tokenize(question)
        self.used: set[int] = set()
        self.provenance: list[tuple[Words, str]] = []
        self.lower = [t.lower for t in self.tokens]

    # -- small helpers -------------------------------------------------------------------------

    def words(self, start: int, end: int) -> Words:
        end = max(end, start + 1)
        a, b = self.tokens[start].start, self.tokens[end - 1].end
        return Words(a, b, self.question[a:b])

    def note(self, start: int, end: int, what: str) -> Words:
        w = self.words(start, end)
        self.provenance.append((w, what))
        self.used.update(range(start, end))
        return w

    def match(self, i: int, phrase: tuple[str, ...]) -> bool:
        return all(i + k < len(self.tokens) and self.lower[i + k] == word for k, word in enumerate(phrase))

    def link_at(self, i: int) -> Link | None:
        return next((lk for lk in self.links if lk.start == i), None)

    # -- entry point ---------------------------------------------------------------------------

    def parse(self) -> Parsed:
        self.links = link_question(self.tokens, self.lex)
        self.windows = find_windows([t.lower for t in self.tokens], self.today)
        self._semantic()
        spec = self._understand()
        self._check_everything_placed()
        return Parsed(spec, self.provenance)

    # -- recognisers ---------------------------------------------------------------------------

    def _time_tokens(self) -> set[int]:
        return {k for w in self.windows for k in range(w.first, w.last)}

    def _semantic(self) -> None:
        """Quoted phrases and phrases after cues ("mentioning X", "about X") become semantic predicates."""
        self.semantics: list[dict] = []
        time_tokens = self._time_tokens()
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            if token.quoted is not None:
                ranked = i >= 1 and self.lower[i - 1] in ("most", "closest")
                self.semantics.append({"cue": (i, i), "phrase": (i, i + 1), "text": token.quoted, "ranked": ranked})
                i += 1
                continue
            cue = next((c for c in SEMANTIC_CUES if self.match(i, c)), None)
            if cue is None:
                i += 1
                continue
            start = i + len(cue)
            if start < len(self.tokens) and self.tokens[start].quoted is not None:
                self.semantics.append({"cue": (i, start), "phrase": (start, start + 1),
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
            while end > start and self.lower[end - 1] in FILLER:
                end -= 1
            if end <= start or all(self.lower[k] in STOPWORDS for k in range(start, end)):
                i += 1
                continue
            text = self.question[self.tokens[start].start:self.tokens[end - 1].end]
            self.semantics.append({"cue": (i, start), "phrase": (start, end), "text": text, "ranked": cue in RANKED_CUES})
            i = end
        phrase_tokens = {k for s in self.semantics for k in range(*s["phrase"])}
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
        if entity_link is not None:
            spec.entity_words = self.note(entity_link.start, entity_link.end, f"table {entity}")
            number = entity_link.start - 1
            while number >= 0 and self.lower[number] in ("the", "first", "last"):
                number -= 1
            if number >= 0 and self.tokens[number].number is not None and number not in self.used:
                spec.limit = int(self.tokens[number].number)
                self.note(number, number + 1, f"limit {spec.limit}")
        spec.groups = self._groups(spec)
        spec.conditions = self._comparisons(spec)
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
            if ranking is not None:
                spec.ranking = ranking
        elif spec.ranking is not None and spec.ranking.limit is None:
            spec.ranking.limit = spec.limit
        if spec.ranking is not None and spec.ranking.kind == "measure" and not spec.groups \
                and spec.measures and spec.measures[0].table != spec.entity:
            spec.groups.append(Group(spec.entity, words=spec.entity_words))
        self._show_columns(spec)
        self._finalize_root(spec)
        return spec

    def _top(self) -> tuple[bool, int | None, int | None]:
        """("top 5", "5 largest", "highest", "most", "least"): (descending, N, position)."""
        for i, t in enumerate(self.tokens):
            if i in self.used:
                continue
            word = t.lower
            if word in TOP_WORDS and not self._semantic_token(i):
                if word in ("most", "least") and i + 1 < len(self.tokens) and self.lower[i + 1] in (
                        "related", "relevant", "similar", "about"):
                    continue
                n = None
                if i + 1 < len(self.tokens) and self.tokens[i + 1].number is not None and word in ("top", "bottom"):
                    n = int(self.tokens[i + 1].number)
                    self.note(i, i + 2, f"top {n}")
                elif i >= 1 and self.tokens[i - 1].number is not None and i - 1 not in self.used:
                    n = int(self.tokens[i - 1].number)
                    self.note(i - 1, i + 1, f"the {n} {word}")
                else:
                    self.note(i, i + 1, word)
                if word in ("most", "least") and i >= 1 and self.lower[i - 1] == "the":
                    self.used.add(i - 1)
                return TOP_WORDS[word], n, i
        return True, None, None

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
                    self.note(i, i + len(words), f"aggregate {kind}")
                    return kind, i + len(words)
        return None

    def _next_link_is_table(self, i: int) -> bool:
        link = self.link_at(i)
        return link is not None and link.kinds() == {"table"}

    def _entity(self, table_links: list[Link]) -> tuple[str, Link | None]:
        for link in table_links:
            if not any(k in self.used for k in range(link.start, link.end)):
                return link.elements[0].table, link
        for link in self.links:
            for e in link.elements:
                if e.kind in ("column", "value") and e.table:
                    return e.table, None
                if e.kind == "term":
                    tables = self._term_tables(e.term)
                    if len(tables) == 1:
                        return tables[0], None
        if self.semantics:
            tables = [t for t, _c in self.catalog.semantic_columns()]
            if len(set(tables)) == 1:
                return tables[0], None
        raise Refusal(self._unplaced() or [self.question], self._suggest(self._unplaced()),
                      "no table, column or term of the catalog is named in the question")

    def _term_tables(self, index: int) -> list[str]:
        import sqlglot
        from sqlglot import exp

        sql = self.catalog.glossary[index].sql or ""
        if self.catalog.glossary[index].kind == "entity":
            return [self.catalog.find_table(sql.strip())]
        try:
            node = sqlglot.parse_one(sql, dialect="duckdb")
        except Exception:
            return []
        out = []
        for col in node.find_all(exp.Column):
            table = self.catalog.find_table(col.table) if col.table else None
            if table and table not in out:
                out.append(table)
        return out

    def _groups(self, spec: QuerySpec) -> list[Group]:
        groups = []
        for i in range(len(self.tokens)):
            if i in self.used:
                continue
            phrase = next((g for g in GROUP_WORDS if self.match(i, g)), None)
            if phrase is None:
                continue
            j = i + len(phrase)
            while j < len(self.tokens) and self.lower[j] in ("the", "their", "its", "customer", "account") and self.link_at(j) is None:
                j += 1
            link = self.link_at(j)
            if link is None:
                continue
            element = self._group_element(link, spec)
            if element is None:
                continue
            table, column, term = element
            what = f"group by {table}.{column}" if column else (
                f"group by {self.catalog.glossary[term].term}" if term is not None else f"group by {table}")
            words = self.note(i, link.end, what)
            groups.append(Group(table, column, term, words))
        return groups

    def _group_element(self, link: Link, spec: QuerySpec) -> tuple[str, str | None, int | None] | None:
        for e in link.elements:
            if e.kind == "term" and self.catalog.glossary[e.term].kind == "dimension":
                tables = self._term_tables(e.term)
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
        """The column among same-named ones: in the question's table, else in one reachable from it."""
        if len(columns) == 1:
            return columns[0]
        for e in columns:
            if e.table == spec.root or e.table == spec.entity:
                return e
        named = {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}
        for e in columns:
            if e.table in named:
                return e
        raise Refusal([c.column for c in columns[:1]], {columns[0].column: [f"{c.table}.{c.column}" for c in columns]},
                      f"'{columns[0].column}' could mean " + " or ".join(f"{c.table}.{c.column}" for c in columns))

    def _comparisons(self, spec: QuerySpec) -> list[Condition]:
        out = []
        for i in range(len(self.tokens)):
            if i in self.used or self._semantic_token(i):
                continue
            comparator = next(((p, op) for p, op in COMPARATORS if self.match(i, p)), None)
            if comparator is None:
                continue
            phrase, op = comparator
            j = i + len(phrase)
            if j < len(self.tokens) and self.lower[j] in ("the", "a"):
                j += 1
            if j < len(self.tokens) and self.lower[j] in ("average", "avg", "mean"):
                condition = self._above_average(i, j, op, spec)
                if condition:
                    out.append(condition)
                continue
            if j >= len(self.tokens) or self.tokens[j].number is None:
                continue
            value = self.tokens[j].number
            end = j + 1
            if op in (">",) and phrase == ("between",):
                pass
            subject = self._comparison_subject(i, end, spec)
            if subject is None:
                continue
            kind, table, column, measure, subject_span = subject
            words = [self.note(i, end, f"{op} {value:g}")]
            if subject_span:
                words.append(self.note(*subject_span, self._describe_subject(kind, table, column, measure)))
            if kind == "count" and measure is not None:
                out.append(Condition("count_compare", table, op=op, values=[value], measure=measure, words=words))
            elif kind == "measure":
                out.append(Condition("measure_compare", table, op=op, values=[value], measure=measure, words=words))
            else:
                out.append(Condition("compare", table, column, op=op, values=[value], words=words))
        for i in range(len(self.tokens)):
            if self.lower[i] == "between" and i not in self.used and i + 3 < len(self.tokens) and \
                    self.tokens[i + 1].number is not None and self.lower[i + 2] == "and" and self.tokens[i + 3].number is not None:
                subject = self._comparison_subject(i, i + 4, spec)
                if subject and subject[0] == "column":
                    _, table, column, _, span = subject
                    words = [self.note(i, i + 4, "between")]
                    if span:
                        words.append(self.note(*span, f"column {table}.{column}"))
                    out.append(Condition("compare", table, column, op="between",
                                         values=[self.tokens[i + 1].number, self.tokens[i + 3].number], words=words))
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
        if after is not None and not any(k in self.used for k in range(after.start, after.end)):
            tables = [e for e in after.elements if e.kind == "table"]
            if tables and tables[0].table != spec.entity:
                t = tables[0].table
                return "count", t, None, Measure("count", t, words=self.words(after.start, after.end)), (after.start, after.end)
            columns = [e for e in after.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
            if columns:
                c = self._choose_column(columns, spec)
                return "column", c.table, c.column, None, (after.start, after.end)
        k = i - 1
        while k >= 0 and (self.lower[k] in ("is", "are", "was", "of", "with", "whose", "where", "having", "has", "have",
                                             "their", "its", "a", "an", "the", "that", "total")):
            k -= 1
        link = next((lk for lk in self.links if lk.end == k + 1), None)
        if link is None:
            return None
        for e in link.elements:
            if e.kind == "term" and self.catalog.glossary[e.term].kind == "metric":
                tables = self._term_tables(e.term)
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

    def _value_column(self, table: str, number: Token) -> str | None:
        """'invoices over 50k': the table's money column (a unit), or its only measure-like number."""
        spec = self.catalog.tables[table]
        numeric = [c for c in spec.columns if self.lex.numeric(table, c) and c not in spec.primary_key
                   and not c.endswith("_id")]
        money = [c for c in numeric if (spec.columns[c].unit or "").upper() in ("USD", "EUR", "GBP", "$")]
        if len(money) == 1:
            return money[0]
        return numeric[0] if len(numeric) == 1 else None

    def _above_average(self, i: int, j: int, op: str, spec: QuerySpec) -> Condition | None:
        """'whose ARR is above the average', 'amount over the average'."""
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
                    tables = self._term_tables(e.term)
                    words = self.note(link.start, link.end, f"metric '{self.catalog.glossary[e.term].term}'")
                    return Measure("metric", tables[0] if tables else spec.root, term=e.term, words=words,
                                   alias=_alias(self.catalog.glossary[e.term].term))
        if agg is None:
            return None
        kind, after = agg
        if kind == "count":
            return Measure("count", spec.entity, words=spec.entity_words, alias="count")
        for link in self.links:
            if link.start < after - 1 or any(k in self.used for k in range(link.start, link.end)):
                continue
            columns = [e for e in link.elements if e.kind == "column" and self.lex.numeric(e.table, e.column)]
            if columns:
                c = self._choose_column(columns, spec)
                words = self.note(link.start, link.end, f"{kind} of {c.table}.{c.column}")
                return Measure(kind, c.table, c.column, words=words, alias=f"{kind}_{c.column}")
            break
        if kind == "sum" and spec.entity:
            return Measure("count", spec.entity, words=spec.entity_words, alias="count")
        raise Refusal([self.question], {}, f"'{kind}' of what? no numeric column is named after it")

    def _filters(self, spec: QuerySpec) -> None:
        """Values and filter terms left in the question become conditions (with negation before them)."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            negated, neg_at = self._negated(link.start)
            kinds = link.kinds()
            if "term" in kinds:
                e = next(e for e in link.elements if e.kind == "term")
                term = self.catalog.glossary[e.term]
                if term.kind == "filter":
                    tables = self._term_tables(e.term)
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
            if kinds == {"table"} and negated and link.elements[0].table != spec.entity:
                words = [self.note(link.start, link.end, f"table {link.elements[0].table}"),
                         self.note(neg_at, neg_at + 1, "none of them")]
                spec.conditions.append(Condition("exists", link.elements[0].table, negated=True, words=words))
            elif kinds == {"table"} and link.elements[0].table != spec.entity and self._with_before(link.start):
                words = [self.note(link.start, link.end, f"has {link.elements[0].table}")]
                spec.conditions.append(Condition("exists", link.elements[0].table, words=words))

    def _with_before(self, i: int) -> bool:
        k = i - 1
        while k >= 0 and self.lower[k] in ("any", "some", "open", "a", "an", "the"):
            k -= 1
        return k >= 0 and self.lower[k] in ("with", "have", "has", "having")

    def _negated(self, i: int) -> tuple[bool, int]:
        k = i - 1
        while k >= 0 and self.lower[k] in ("a", "an", "the", "any", "in", "from", "of", "to", "be", "is", "are", "on",
                                         "from", "that", "who", "which", "been", "have", "has", "with", "belong",
                                         "belonging") and k not in self.used:
            k -= 1
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
        before = self.link_at(link.start - 1) if link.start else None
        after = self.link_at(link.end)
        for near in (after, before):
            if near is not None:
                for e in near.elements:
                    for v in values:
                        if e.kind == "column" and (e.table, e.column) == (v.table, v.column):
                            return v
        in_root = [v for v in values if v.table == spec.entity]
        if len({(v.table, v.column) for v in in_root}) == 1:
            return in_root[0]
        named = {lk.elements[0].table for lk in self.links if lk.kinds() == {"table"}}
        in_named = [v for v in values if v.table in named]
        if len({(v.table, v.column) for v in in_named}) == 1:
            return in_named[0]
        options = sorted({f"{v.table}.{v.column}" for v in values})
        raise Refusal([values[0].value], {values[0].value: options},
                      f"'{values[0].value}' could be " + " or ".join(options))

    def _add_value(self, spec: QuerySpec, link: Link, e: Element, negated: bool, neg_at: int) -> None:
        words = [self.note(link.start, link.end, f"{e.table}.{e.column} = '{e.value}'")]
        for k in (link.start - 1, link.end):
            near = self.link_at(k)
            if near is not None and any(x.kind == "column" and (x.table, x.column) == (e.table, e.column)
                                        for x in near.elements):
                words.append(self.note(near.start, near.end, f"column {e.table}.{e.column}"))
        if negated:
            words.append(self.note(neg_at, neg_at + 1, "negation"))
        for cond in spec.conditions:
            if cond.kind == "value" and (cond.table, cond.column) == (e.table, e.column) and cond.negated == negated:
                cond.values.append(e.value)
                cond.words.extend(words)
                return
        spec.conditions.append(Condition("value", e.table, e.column, op="=", values=[e.value], negated=negated,
                                         words=words))

    def _time_conditions(self, spec: QuerySpec) -> None:
        for window in self.windows:
            if any(k in self.used for k in range(window.first, window.last)):
                continue
            table = self._time_table(window.first, spec)
            column = self.catalog.tables[table].time_column
            if column is None:
                raise Refusal([self.words(window.first, window.last).text], {},
                              f"table {table} has no time_column in the catalog, so a time window cannot be applied")
            span = self.words(window.first, window.last)
            desc = f"{table}.{column} in [{window.start or '...'}, {window.end or '...'})"
            words = [self.note(window.first, window.last, desc)]
            k = window.first - 1
            if k >= 0 and self.lower[k] in TIME_VERBS and k not in self.used:
                words.append(self.note(k, k + 1, f"({table}.{column})"))
            spec.conditions.append(Condition("time", table, column, values=[window.start, window.end], words=words))
            del span

    def _time_table(self, i: int, spec: QuerySpec) -> str:
        """The table a time window refers to: the nearest table named before it that has a time column."""
        for link in sorted(self.links, key=lambda lk: -lk.start):
            if link.end <= i and link.kinds() == {"table"}:
                t = link.elements[0].table
                if self.catalog.tables[t].time_column:
                    return t
        if spec.measures and self.catalog.tables[spec.measures[0].table].time_column:
            return spec.measures[0].table
        return spec.entity

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
                                                 negated=self._negated(s["cue"][0])[0]))

    def _semantic_column(self, s: dict, spec: QuerySpec) -> tuple[str, str]:
        """The semantic column a phrase is matched against: of the table it follows, else one reachable."""
        cue_start = s["cue"][0]
        candidates: list[str] = []
        for link in sorted(self.links, key=lambda lk: -lk.start):
            if link.end <= cue_start and link.kinds() == {"table"}:
                candidates.append(link.elements[0].table)
        candidates.append(spec.entity)
        semantic = {t: self.catalog.tables[t].semantic_columns() for t in self.catalog.tables}
        for t in candidates:
            if semantic.get(t):
                return t, semantic[t][0]
        cue_words = [self.lower[k] for k in range(*s["cue"])]
        owners = [t for t, cols in semantic.items() if cols]
        for word in cue_words:
            for t in owners:
                names = [t, *self.catalog.tables[t].synonyms]
                if any(similar_words(word.rstrip("s"), n.lower().rstrip("s")) or
                       difflib.SequenceMatcher(None, word, n.lower()).ratio() >= 0.8 for n in names):
                    return t, semantic[t][0]
        related = [t for t in owners if self._related(spec.entity, t)]
        if len(related) == 1:
            return related[0], semantic[related[0]][0]
        options = [f"{t}.{semantic[t][0]}" for t in (related or owners)]
        raise Refusal([s["text"]], {s["text"]: options},
                      f"'{s['text']}' could be searched in " + " or ".join(options) + "; name the table")

    def _related(self, a: str, b: str) -> bool:
        for rel in self.catalog.relationships:
            ta, tb = rel.from_.split(".")[0], rel.to.split(".")[0]
            if {ta, tb} == {a, b}:
                return True
        return False

    def _ranking(self, spec: QuerySpec, desc: bool, n: int | None, at: int) -> Ranking | None:
        if spec.ranking is not None:
            if n and not spec.ranking.limit:
                spec.ranking.limit = n
            return spec.ranking
        # "top 5 customers by MRR" / "which region has the most customers" / "the 3 largest invoices"
        if spec.measures:
            return Ranking("measure", desc, n or (1 if self._singular_ask() else 10))
        for link in self.links:
            if link.start > at and not any(k in self.used for k in range(link.start, link.end)):
                columns = [e for e in link.elements if e.kind == "column" and
                           (self.lex.numeric(e.table, e.column) or self.lex.temporal(e.table, e.column))]
                if columns:
                    c = self._choose_column(columns, spec)
                    words = [self.note(link.start, link.end, f"order by {c.table}.{c.column}")]
                    return Ranking("column", desc, n or (1 if self._singular_ask() else 10), c.table, c.column,
                                   words=words)
                tables = [e for e in link.elements if e.kind == "table"]
                if tables and tables[0].table != spec.entity:
                    t = tables[0].table
                    self.note(link.start, link.end, f"count of {t}")
                    spec.measures.append(Measure("count", t, alias=f"{t}_count"))
                    if not spec.groups:
                        spec.groups.append(Group(spec.entity))
                    return Ranking("measure", desc, n or (1 if self._singular_ask() else 10))
        before = [lk for lk in self.links if lk.end <= at and not any(k in self.used for k in range(lk.start, lk.end))
                  and lk.kinds() == {"column"}]
        if before and not spec.groups:
            c = self._choose_column([e for e in before[-1].elements if e.kind == "column"], spec)
            spec.groups.append(Group(c.table, c.column, words=self.note(before[-1].start, before[-1].end,
                                                                         f"group by {c.table}.{c.column}")))
        if spec.groups:
            spec.measures.append(Measure("count", spec.entity, alias="count"))
            return Ranking("measure", desc, n or 1)
        default = self._default_order_column(spec.entity)
        if default:
            return Ranking("column", desc, n or (1 if self._singular_ask() else 10), spec.entity, default)
        return None

    def _default_order_column(self, table: str) -> str | None:
        spec = self.catalog.tables[table]
        word = next((t.lower for t in self.tokens if t.lower in TOP_WORDS), "")
        if word in ("newest", "latest", "recent", "oldest", "earliest"):
            return spec.time_column
        numeric = [c for c in spec.columns if self.lex.numeric(table, c) and c not in spec.primary_key
                   and not c.endswith("_id")]
        return numeric[0] if len(numeric) == 1 else None

    def _singular_ask(self) -> bool:
        """'which region has the most' asks for one; 'which regions' or 'top customers' for several."""
        first = next((t for t in self.tokens if t.lower in ("which", "what", "who")), None)
        if first is None:
            return False
        link = next((lk for lk in self.links if lk.start > self.tokens.index(first)), None)
        if link is None:
            return True
        text = self.tokens[link.end - 1].lower
        return not text.endswith("s") or text.endswith("ss")

    def _show_columns(self, spec: QuerySpec) -> None:
        """Columns named but not used otherwise are shown ('list customers and their region')."""
        for link in self.links:
            if any(k in self.used for k in range(link.start, link.end)):
                continue
            columns = [e for e in link.elements if e.kind == "column"]
            if columns and link.kinds() == {"column"}:
                try:
                    c = self._choose_column(columns, spec)
                except Refusal:
                    continue
                self.note(link.start, link.end, f"show {c.table}.{c.column}")
                spec.show_columns.append((c.table, c.column))
            elif link.kinds() == {"table"} and link.elements[0].table == spec.entity:
                self.note(link.start, link.end, f"table {spec.entity}")

    def _finalize_root(self, spec: QuerySpec) -> None:
        if spec.measures:
            spec.root = spec.measures[0].table
        if spec.ranking and spec.ranking.kind == "semantic" and not spec.measures and spec.ranking.table != spec.entity:
            spec.root = spec.entity

    # -- refusal -------------------------------------------------------------------------------

    def _unplaced(self) -> list[str]:
        out = []
        for k, t in enumerate(self.tokens):
            if k in self.used or t.lower in STOPWORDS or t.lower in (",", ";", "?") or t.number is not None:
                continue
            if self._semantic_token(k) or t.lower in NEGATIONS or t.lower in TOP_WORDS:
                continue
            if any(lk.start <= k < lk.end for lk in self.links if lk.kinds() <= {"table"} and
                   lk.elements[0].table in (self.catalog.tables or {})):
                continue
            out.append(t.text)
        return out

    def _check_everything_placed(self) -> None:
        unplaced = self._unplaced()
        if unplaced:
            raise Refusal(unplaced, self._suggest(unplaced),
                          "these words do not name anything in the catalog: " + ", ".join(repr(w) for w in unplaced))

    def _suggest(self, words: list[str]) -> dict[str, list[str]]:
        from hybridq.nl.link import near_phrases

        return {w: near_phrases(w, self.lex) for w in words}


def _alias(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "value"
