"""The words a catalog gives meaning to: tables, columns, glossary terms, values and vocabulary.

Every phrase keeps how strongly it names its element: a name is stronger evidence than a
synonym, a synonym than a name shortened by a rule ("issued" for issued_date), a value the
catalog lists than one only seen in the data. Readings of a question are ranked by that evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hybridq.catalog.model import Catalog, ValueAliases
from hybridq.catalog.rules.context import type_family
from hybridq.nl.text import normalize_phrase, singular
from hybridq.nl.words import FUNCTION_WORDS

NAME, SYNONYM, DERIVED = 1.0, 0.95, 0.85
DECLARED_VALUE, VALUE_ALIAS, INDEXED_VALUE = 1.0, 0.95, 0.9
NAME_START = 0.8  # the first words of one row's name ('copperbridge' for Copperbridge Supply Corp.)


@dataclass(frozen=True)
class Element:
    """A catalog element a phrase can name."""

    kind: str  # table | column | term | value | adjective | verb
    table: str | None = None
    column: str | None = None
    term: int | None = None  # index into catalog.glossary (also: the metric of a ranking adjective)
    value: str | None = None
    needs_table: str | None = None  # a shortened filter term ("unresolved" for "unresolved ticket") that
    # stands only when this table is what the question is about
    head_table: str | None = None  # the table a term's phrase ends with ("enterprise customer": customers)
    desc: bool = True  # adjective: its superlative ranks the highest first ("largest"), or the lowest ("smallest")
    degree: str | None = None  # adjective: base | comparative | superlative

    def describe(self, catalog: Catalog) -> str:
        if self.kind == "table":
            return f"table {self.table}"
        if self.kind == "column":
            return f"column {self.table}.{self.column}"
        if self.kind == "term":
            t = catalog.glossary[self.term]
            return f"{t.kind} '{t.term}' ({t.sql})"
        if self.kind == "adjective":
            by = f"{self.table}.{self.column}" if self.column else f"'{catalog.glossary[self.term].term}'"
            return f"{by}, {'highest' if self.desc else 'lowest'} first"
        if self.kind == "verb":
            return f"verb of {self.table}.{self.column}"
        return f"value {self.table}.{self.column} = '{self.value}'"

    @property
    def label(self) -> str:
        """Short words for a clarification: which reading this element makes."""
        if self.kind == "value":
            return f"{self.table}.{self.column} = '{self.value}'"
        if self.kind in ("column", "verb"):
            return f"{self.table}.{self.column}"
        if self.kind == "adjective" and self.column:
            return f"{self.table}.{self.column}"
        return self.table or (str(self.term) if self.term is not None else self.kind)


@dataclass
class Lexicon:
    catalog: Catalog
    phrases: dict[tuple[str, ...], list[Element]] = field(default_factory=lambda: defaultdict(list))
    strength: dict[tuple[tuple[str, ...], Element], float] = field(default_factory=dict)
    surface: dict[tuple[str, ...], str] = field(default_factory=dict)  # normal form -> a readable phrase
    all_rows: set[tuple[str, ...]] = field(default_factory=set)  # catalog phrases meaning "every row"
    english: frozenset[str] = frozenset()  # words of the language: a real word is never a typo of another
    units: set[str] = field(default_factory=set)  # the catalog's units, lower case ('mph', 'usd', 'seats')
    typo_keys: dict[int, list[tuple[str, ...]]] = field(default_factory=dict)  # phrases a misspelling may mean
    max_words: int = 1
    phrase_index: object | None = None  # embeddings of the phrases, made on first use (nl.paraphrase)

    def add(self, phrase: str, element: Element, strength: float = NAME) -> None:
        for key in {normalize_phrase(phrase), tuple(w.lower() for w in normalize_phrase(phrase.lower()))}:
            if not key:
                continue
            if element not in self.phrases[key]:
                self.phrases[key].append(element)
            self.strength[(key, element)] = max(strength, self.strength.get((key, element), 0.0))
            self.surface.setdefault(key, phrase.replace("_", " "))
            self.max_words = max(self.max_words, len(key))

    def lookup(self, words: tuple[str, ...]) -> list[Element]:
        return self.phrases.get(words, [])

    def strength_of(self, words: tuple[str, ...], element: Element) -> float:
        return self.strength.get((words, element), DERIVED)

    def label_column(self, table: str) -> str:
        return self.catalog.tables[table].label()

    def numeric(self, table: str, column: str) -> bool:
        spec = self.catalog.tables[table].columns[column]
        return type_family(spec.type) in ("integer", "number") or type_family(spec.type).startswith("decimal")

    def temporal(self, table: str, column: str) -> bool:
        spec = self.catalog.tables[table].columns[column]
        return type_family(spec.type) in ("date", "timestamp") or self.year_column(table, column)

    def year_column(self, table: str, column: str) -> bool:
        """An integer column of years: one that says unit: year, or is named year (publication_year)."""
        spec = self.catalog.tables[table].columns[column]
        named = column.lower() == "year" or column.lower().endswith("_year")
        return type_family(spec.type) == "integer" and (named or (spec.unit or "").lower() in ("year", "years"))


def build_lexicon(catalog: Catalog, values: list[tuple[str, str, str]] | None = None) -> Lexicon:
    """Phrases for every table, column, glossary term, known value and vocabulary word; `values`
    adds the values indexed at refresh."""
    lex = Lexicon(catalog)
    last_words: dict[str, list[str]] = defaultdict(list)
    table_words: dict[tuple[str, ...], str] = {}
    for tname, spec in catalog.tables.items():
        table = Element("table", table=tname)
        lex.add(tname, table)
        table_words[normalize_phrase(tname)] = tname
        for synonym in spec.synonyms:
            lex.add(synonym, table, SYNONYM)
            table_words[normalize_phrase(synonym)] = tname
        words = normalize_phrase(tname)
        if len(words) > 1:
            last_words[words[-1]].append(tname)
        _add_columns(lex, tname, table_words)
    for word, tables in last_words.items():  # kb_articles is also "articles" when no other table is
        if len(tables) == 1 and (word,) not in lex.phrases:
            lex.add(word, Element("table", table=tables[0]), DERIVED)
    _add_terms(lex, table_words)
    _add_rankings(lex)
    lex.english = english_words(catalog.embedding.model, catalog.base_dir)
    # a column the catalog does not show (hidden from a role) gives no words
    values = [(t, c, v) for t, c, v in values or [] if t in catalog.tables and catalog.tables[t].find_column(c)]
    for table, column, value in values:
        if value and len(value) <= 60:
            lex.add(value, Element("value", table=table, column=column, value=value), INDEXED_VALUE)
    _add_name_starts(lex, values)
    for key, elements in list(lex.phrases.items()):  # "Japanese customers" names the value JAPAN
        for adjective in DEMONYMS.get(" ".join(key), ()):
            for e in elements:
                if e.kind == "value" and (adjective,) not in lex.phrases:
                    lex.add(adjective, e, VALUE_ALIAS)
        for name in US_STATES.get(" ".join(key), ()):  # "California" names the value CA
            for e in elements:
                if e.kind == "value" and e.value == " ".join(key).upper():
                    lex.add(name, e, VALUE_ALIAS)
    lex.all_rows = {normalize_phrase(p) for p in catalog.questions.all_rows}
    lex.units = {col.unit.lower() for t in catalog.tables.values() for col in t.columns.values() if col.unit}
    for key, elements in lex.phrases.items():
        # a misspelling may be of a catalog name, a synonym or a listed value, not of any value seen in the data
        if any(e.kind != "value" or lex.strength.get((key, e), 0) >= VALUE_ALIAS for e in elements):
            lex.typo_keys.setdefault(len(key), []).append(key)
    return lex


def _add_name_starts(lex: Lexicon, values: list[tuple[str, str, str]]) -> None:
    """People type the start of a name ('keystone pharma', 'copperbridge'): the first words of a value
    of a table's label column name that row when no other name starts so and they are not a phrase of
    their own; one word alone only when it is no common English word."""
    starts: dict[tuple[str, ...], set[Element]] = defaultdict(set)
    for table, column, value in values:
        # names, not titles or subjects: 'sign in' is no name of the ticket 'Sign-in broken after ...'
        if table not in lex.catalog.tables or not value or column != lex.catalog.tables[table].label() \
                or "name" not in column.lower():
            continue
        words = normalize_phrase(value)
        for cut in range(1, len(words)):
            starts[tuple(w.lower() for w in words[:cut])].add(Element("value", table=table, column=column, value=value))
    for key, elements in starts.items():
        if len(elements) != 1 or key in lex.phrases or key[-1] in FUNCTION_WORDS:
            continue
        if len(key) == 1 and (len(key[0]) < 4 or key[0] in lex.english or key[0].isdigit()):
            continue
        lex.add(" ".join(key), next(iter(elements)), NAME_START)


@lru_cache(maxsize=4)
def english_words(model: str, base_dir: Path) -> frozenset[str]:
    """Whole words of the embedding model's vocabulary (about 20,000 common English words), read from
    its vocab.txt without loading the model; empty when the model has none."""
    from hybridq.embed.models import resolve_model

    folder = resolve_model(model, base_dir)
    vocab = folder / "vocab.txt" if folder is not None else None
    if vocab is None or not vocab.is_file():
        return frozenset()
    words = vocab.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if w.isalpha() and len(w) >= 3 and not w.startswith("##"))


def _add_columns(lex: Lexicon, tname: str, table_words: dict) -> None:
    spec = lex.catalog.tables[tname]
    stem = singular(tname.split("_")[-1])
    prefix = shared_prefix(list(spec.columns))
    for cname, col in spec.columns.items():
        column = Element("column", table=tname, column=cname)
        lex.add(cname, column)
        # contracts.contract_type is also "type"; with columns all named l_..., l_quantity is "quantity"
        parts = normalize_phrase(cname[len(prefix):] if prefix else cname)
        if prefix:
            lex.add(" ".join(parts), column, DERIVED)
        elif len(parts) > 1 and parts[0] == stem and parts[-1] not in ("id", "number", "count", "amount", "total"):
            # flight_number is not "number": 'the number of meals' is a count, whatever the columns are called
            lex.add(" ".join(parts[1:]), column, DERIVED)
        if len(parts) == 1 and parts[0].endswith("date") and len(parts[0]) > 6 and \
                (parts[0][:-4],) not in lex.phrases and (parts[0][:-4],) not in table_words:
            lex.add(parts[0][:-4], column, DERIVED)  # shipdate is also "ship" (as in "shipped")
        for synonym in col.synonyms:
            lex.add(synonym, column, SYNONYM)
        if type_family(col.type) in ("date", "timestamp") and len(parts) > 1 and parts[-1] in ("date", "at", "on", "time"):
            lex.add(" ".join(parts[:-1]), column, DERIVED)  # issued_date is also "issued"
        if type_family(col.type) == "boolean" and len(parts) > 1 and parts[0] in ("has", "is", "can", "allow", "allows"):
            lex.add(" ".join(parts[1:]), column, DERIVED)  # has_final_exam is also "final exam"
        for verb in col.verbs:
            lex.add(verb, Element("verb", table=tname, column=cname))
        for adjective in col.adjectives:
            _add_adjective(lex, adjective, tname, column=cname)
        for value in col.values or []:
            name = value.value if isinstance(value, ValueAliases) else value
            element = Element("value", table=tname, column=cname, value=name)
            lex.add(name, element, DECLARED_VALUE)
            for alias in value.aliases if isinstance(value, ValueAliases) else ():
                lex.add(alias, element, VALUE_ALIAS)


def _add_terms(lex: Lexicon, table_words: dict) -> None:
    for i, term in enumerate(lex.catalog.glossary):
        if term.kind == "entity":
            element = Element("table", table=lex.catalog.find_table((term.sql or "").strip()))
        else:
            element = Element("term", term=i)
        if element.kind == "table" and element.table is None:
            continue
        for n, phrase in enumerate([term.term, *term.synonyms]):
            strength = NAME if n == 0 else SYNONYM
            words = normalize_phrase(phrase)
            head = next((table_words[words[cut:]] for cut in range(1, len(words)) if words[cut:] in table_words), None)
            if head is None:  # "customer in debt": the table noun first
                head = next((table_words[words[:cut]] for cut in range(len(words) - 1, 0, -1)
                             if words[:cut] in table_words), None)
            lex.add(phrase, element if head is None or element.kind != "term" else
                    Element("term", term=i, head_table=head), strength)
            if term.kind == "filter" and len(words) > 1:
                # "unresolved ticket" -> "unresolved", standing when tickets are what is asked about
                for cut in range(1, len(words)):
                    owner = table_words.get(words[cut:])
                    if owner is not None:
                        lex.add(" ".join(words[:cut]), Element("term", term=i, needs_table=owner), SYNONYM)
                        break


def _add_rankings(lex: Lexicon) -> None:
    metrics = {t.term.lower(): i for i, t in enumerate(lex.catalog.glossary) if t.kind == "metric"}
    for tname, spec in lex.catalog.tables.items():
        for ranking in spec.rankings:
            index = metrics.get(ranking.metric.lower())
            if index is not None:
                for adjective in ranking.adjectives:
                    _add_adjective(lex, adjective, tname, term=index)


def _add_adjective(lex: Lexicon, word: str, table: str, column: str | None = None, term: int | None = None) -> None:
    """An adjective and its forms: 'large' -> larger, largest; its opposite ranks the other way. An
    adjective of the low end ('small' on area, 'short' on length) ranks by the lowest values, so a
    catalog listing both 'large' and 'small' gives each one direction."""
    base = word.lower().strip()
    desc = base not in LOW_END
    for desc, adjective in ((desc, base), (not desc, OPPOSITES.get(base))):
        if adjective is None:
            continue
        for degree, form in inflections(adjective):
            lex.add(form, Element("adjective", table=table, column=column, term=term, desc=desc, degree=degree))


def inflections(adjective: str) -> list[tuple[str, str]]:
    """(degree, form) of an English adjective: large -> larger, largest; good -> better, best."""
    if " " in adjective:
        return [("base", adjective)]
    if adjective in IRREGULAR_ADJECTIVES:
        comparative, superlative = IRREGULAR_ADJECTIVES[adjective]
        return [("base", adjective), ("comparative", comparative), ("superlative", superlative)]
    if len(adjective) > 7:  # "populous", "expensive": more/most populous, handled as words
        return [("base", adjective)]
    if adjective.endswith("e"):
        stem = adjective[:-1]
    elif adjective.endswith("y") and len(adjective) > 3:
        stem = adjective[:-1] + "i"
    elif len(adjective) <= 4 and adjective[-1] not in "aeiouwy" and adjective[-2] in "aeiou" and adjective[-3] not in "aeiou":
        stem = adjective + adjective[-1]  # big -> bigger
    else:
        stem = adjective
    return [("base", adjective), ("comparative", stem + "er"), ("superlative", stem + "est")]


IRREGULAR_ADJECTIVES = {"good": ("better", "best"), "bad": ("worse", "worst"), "many": ("more", "most"),
                        "much": ("more", "most"), "little": ("less", "least"), "far": ("farther", "farthest"),
                        "few": ("fewer", "fewest"), "old": ("older", "oldest")}
# General English opposites: an adjective a catalog declares also ranks the other way by its opposite.
# Adjectives that describe low values of whatever they rank ('the smallest state', 'the shortest river').
LOW_END = {"small", "short", "low", "cheap", "few", "light", "narrow", "slow", "poor", "shallow", "weak", "little",
           "tiny"}
OPPOSITES = {"large": "small", "big": "small", "high": "low", "long": "short", "tall": "short", "old": "young",
             "expensive": "cheap", "costly": "cheap", "heavy": "light", "wide": "narrow", "fast": "slow",
             "good": "bad", "rich": "poor", "early": "late", "late": "early", "many": "few", "busy": "quiet",
             "popular": "unpopular", "profitable": "unprofitable", "valuable": "worthless", "deep": "shallow",
             "hot": "cold", "warm": "cold", "strong": "weak", "recent": "old", "new": "old", "young": "old",
             "small": "large", "low": "high", "short": "long", "cheap": "expensive", "bad": "good", "few": "many"}


# Adjectives of country and region names, so values written as names answer to them.
DEMONYMS = {
    "united state": ("american",), "us": ("american",), "usa": ("american",), "canada": ("canadian",),
    "mexico": ("mexican",), "brazil": ("brazilian",), "argentina": ("argentinian", "argentine"),
    "peru": ("peruvian",), "chile": ("chilean",), "colombia": ("colombian",), "united kingdom": ("british",),
    "uk": ("british",), "england": ("english",), "france": ("french",), "germany": ("german",),
    "spain": ("spanish",), "italy": ("italian",), "netherland": ("dutch",), "belgium": ("belgian",),
    "sweden": ("swedish",), "norway": ("norwegian",), "denmark": ("danish",), "finland": ("finnish",),
    "poland": ("polish",), "ireland": ("irish",), "switzerland": ("swiss",), "austria": ("austrian",),
    "portugal": ("portuguese",), "greece": ("greek",), "romania": ("romanian",), "russia": ("russian",),
    "ukraine": ("ukrainian",), "turkey": ("turkish",), "japan": ("japanese",), "china": ("chinese",),
    "india": ("indian",), "indonesia": ("indonesian",), "vietnam": ("vietnamese",), "thailand": ("thai",),
    "philippine": ("filipino",), "singapore": ("singaporean",), "malaysia": ("malaysian",),
    "australia": ("australian",), "new zealand": ("new zealander",), "egypt": ("egyptian",), "morocco": ("moroccan",),
    "algeria": ("algerian",), "kenya": ("kenyan",), "ethiopia": ("ethiopian",), "mozambique": ("mozambican",),
    "south africa": ("south african",), "nigeria": ("nigerian",), "saudi arabia": ("saudi",), "iran": ("iranian",),
    "iraq": ("iraqi",), "jordan": ("jordanian",), "israel": ("israeli",), "korea": ("korean",),
    "south korea": ("korean",), "europe": ("european",), "asia": ("asian",), "africa": ("african",),
    "america": ("american",), "middle east": ("middle eastern",), "latin america": ("latin american",),
}


_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia",
}
# US states by postal code: a column of codes answers to the states' names (general geography).
US_STATES = {code.lower(): (name,) for code, name in _STATES.items()}


def shared_prefix(columns: list[str]) -> str:
    """A short prefix every column of a table starts with ('l_' in l_orderkey, l_quantity...)."""
    if len(columns) < 2:
        return ""
    first = columns[0].split("_")[0] + "_"
    if len(first) <= 4 and all(c.startswith(first) and len(c) > len(first) for c in columns):
        return first
    return ""


def similar_words(a: str, b: str) -> bool:
    """A small typo: one edit for words of 5+ letters, two for 9+ (Damerau-Levenshtein, adjacent swaps)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 2:
        return False
    limit = 2 if min(len(a), len(b)) >= 9 else 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= limit


def singular_words(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(singular(w) for w in words)
