"""The words a catalog gives meaning to: tables, columns, glossary terms and column values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hybridq.catalog.model import Catalog
from hybridq.catalog.rules.context import type_family
from hybridq.nl.text import normalize_phrase, singular


@dataclass(frozen=True)
class Element:
    """A catalog element a phrase can name."""

    kind: str  # table | column | term | value
    table: str | None = None
    column: str | None = None
    term: int | None = None  # index into catalog.glossary
    value: str | None = None
    needs_table: str | None = None  # a shortened filter term ("unresolved" for "unresolved ticket") that
    # stands only when this table is what the question is about
    head_table: str | None = None  # the table a term's phrase ends with ("enterprise customer": customers)

    def describe(self, catalog: Catalog) -> str:
        if self.kind == "table":
            return f"table {self.table}"
        if self.kind == "column":
            return f"column {self.table}.{self.column}"
        if self.kind == "term":
            t = catalog.glossary[self.term]
            return f"{t.kind} '{t.term}' ({t.sql})"
        return f"value {self.table}.{self.column} = '{self.value}'"


@dataclass
class Lexicon:
    catalog: Catalog
    phrases: dict[tuple[str, ...], list[Element]] = field(default_factory=lambda: defaultdict(list))
    surface: dict[tuple[str, ...], str] = field(default_factory=dict)  # normal form -> a readable phrase
    max_words: int = 1
    phrase_index: object | None = None  # embeddings of the phrases, made on first use (nl.paraphrase)

    def add(self, phrase: str, element: Element) -> None:
        for key in {normalize_phrase(phrase), tuple(w.lower() for w in normalize_phrase(phrase.lower()))}:
            if not key:
                continue
            if element not in self.phrases[key]:
                self.phrases[key].append(element)
            self.surface.setdefault(key, phrase)
            self.max_words = max(self.max_words, len(key))

    def lookup(self, words: tuple[str, ...]) -> list[Element]:
        return self.phrases.get(words, [])

    def label_column(self, table: str) -> str:
        """The column that names a row of the table in a listing: label_column, else one called
        name, title, subject or label (also with a prefix: c_name), else the key."""
        spec = self.catalog.tables[table]
        if spec.label_column:
            return spec.label_column
        for name in ("name", "title", "subject", "label"):
            for column in spec.columns:
                if column.lower() == name or column.lower().endswith("_" + name):
                    return column
        return spec.primary_key[0] if spec.primary_key else next(iter(spec.columns))

    def numeric(self, table: str, column: str) -> bool:
        return type_family(self.catalog.tables[table].columns[column].type) in ("integer", "number")

    def temporal(self, table: str, column: str) -> bool:
        return type_family(self.catalog.tables[table].columns[column].type) in ("date", "timestamp")


def build_lexicon(catalog: Catalog, values: list[tuple[str, str, str]] | None = None) -> Lexicon:
    """Phrases for every table, column, glossary term and known value; `values` adds indexed ones."""
    lex = Lexicon(catalog)
    last_words: dict[str, list[str]] = defaultdict(list)
    table_words: dict[tuple[str, ...], str] = {}
    for tname, spec in catalog.tables.items():
        table = Element("table", table=tname)
        lex.add(tname, table)
        table_words[normalize_phrase(tname)] = tname
        for synonym in spec.synonyms:
            lex.add(synonym, table)
            table_words[normalize_phrase(synonym)] = tname
        words = normalize_phrase(tname)
        if len(words) > 1:
            last_words[words[-1]].append(tname)
        stem = singular(tname.split("_")[-1])
        prefix = shared_prefix(list(spec.columns))
        for cname, col in spec.columns.items():
            column = Element("column", table=tname, column=cname)
            lex.add(cname, column)
            # contracts.contract_type is also "type"; with columns all named l_..., l_quantity is "quantity"
            parts = normalize_phrase(cname[len(prefix):] if prefix else cname)
            if prefix:
                lex.add(" ".join(parts), column)
            elif len(parts) > 1 and parts[0] == stem and parts[-1] not in ("id",):
                lex.add(" ".join(parts[1:]), column)
            if len(parts) == 1 and parts[0].endswith("date") and len(parts[0]) > 6 and \
                    (parts[0][:-4],) not in lex.phrases and (parts[0][:-4],) not in table_words:
                lex.add(parts[0][:-4], column)  # shipdate is also "ship" (as in "shipped")
            for synonym in col.synonyms:
                lex.add(synonym, column)
            if type_family(col.type) in ("date", "timestamp") and len(parts) > 1 and parts[-1] in ("date", "at", "on", "time"):
                lex.add(" ".join(parts[:-1]), column)  # issued_date is also "issued"
            for value in col.values or []:
                lex.add(value, Element("value", table=tname, column=cname, value=value))
    for word, tables in last_words.items():  # kb_articles is also "articles" when no other table is
        if len(tables) == 1 and (word,) not in lex.phrases:
            lex.add(word, Element("table", table=tables[0]))
    for i, term in enumerate(catalog.glossary):
        if term.kind == "entity":
            element = Element("table", table=catalog.find_table((term.sql or "").strip()))
        else:
            element = Element("term", term=i)
        if element.kind == "table" and element.table is None:
            continue
        for phrase in [term.term, *term.synonyms]:
            words = normalize_phrase(phrase)
            head = next((table_words[words[cut:]] for cut in range(1, len(words)) if words[cut:] in table_words), None)
            if head is None:  # "customer in debt": the table noun first
                head = next((table_words[words[:cut]] for cut in range(len(words) - 1, 0, -1)
                             if words[:cut] in table_words), None)
            lex.add(phrase, element if head is None or element.kind != "term" else
                    Element("term", term=i, head_table=head))
            if term.kind == "filter" and len(words) > 1:
                # "unresolved ticket" -> "unresolved", standing when tickets are what is asked about
                for cut in range(1, len(words)):
                    owner = table_words.get(words[cut:])
                    if owner is not None:
                        lex.add(" ".join(words[:cut]), Element("term", term=i, needs_table=owner))
                        break
    for table, column, value in values or []:
        if table in catalog.tables and catalog.tables[table].find_column(column) and value and len(value) <= 60:
            lex.add(value, Element("value", table=table, column=column, value=value))
    for key, elements in list(lex.phrases.items()):  # "Japanese customers" names the value JAPAN
        for adjective in DEMONYMS.get(" ".join(key), ()):
            for e in elements:
                if e.kind == "value" and (adjective,) not in lex.phrases:
                    lex.add(adjective, e)
    return lex


# Adjectives of country and region names, so values written as names answer to them.
DEMONYMS = {
    "united state": ("american",), "us": ("american",), "usa": ("american",), "canada": ("canadian",),
    "mexico": ("mexican",), "brazil": ("brazilian",), "argentina": ("argentinian", "argentine"),
    "peru": ("peruvian",), "united kingdom": ("british",), "uk": ("british",), "france": ("french",),
    "germany": ("german",), "spain": ("spanish",), "italy": ("italian",), "netherland": ("dutch",),
    "sweden": ("swedish",), "norway": ("norwegian",), "denmark": ("danish",), "poland": ("polish",),
    "ireland": ("irish",), "switzerland": ("swiss",), "austria": ("austrian",), "portugal": ("portuguese",),
    "romania": ("romanian",), "russia": ("russian",), "japan": ("japanese",), "china": ("chinese",),
    "india": ("indian",), "indonesia": ("indonesian",), "vietnam": ("vietnamese",), "singapore": ("singaporean",),
    "australia": ("australian",), "new zealand": ("new zealander",), "egypt": ("egyptian",), "morocco": ("moroccan",),
    "algeria": ("algerian",), "kenya": ("kenyan",), "ethiopia": ("ethiopian",), "mozambique": ("mozambican",),
    "south africa": ("south african",), "nigeria": ("nigerian",), "saudi arabia": ("saudi",), "iran": ("iranian",),
    "iraq": ("iraqi",), "jordan": ("jordanian",), "israel": ("israeli",), "korea": ("korean",),
    "south korea": ("korean",), "europe": ("european",), "asia": ("asian",), "africa": ("african",),
    "america": ("american",), "middle east": ("middle eastern",), "latin america": ("latin american",),
}


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
