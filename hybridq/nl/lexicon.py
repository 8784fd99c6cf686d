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
        """The column that names a row of the table in a listing."""
        spec = self.catalog.tables[table]
        if spec.label_column:
            return spec.label_column
        for name in ("name", "title", "subject", "label"):
            found = spec.find_column(name)
            if found:
                return found
        return spec.primary_key[0] if spec.primary_key else next(iter(spec.columns))

    def numeric(self, table: str, column: str) -> bool:
        return type_family(self.catalog.tables[table].columns[column].type) in ("integer", "number")

    def temporal(self, table: str, column: str) -> bool:
        return type_family(self.catalog.tables[table].columns[column].type) in ("date", "timestamp")


def build_lexicon(catalog: Catalog, values: list[tuple[str, str, str]] | None = None) -> Lexicon:
    """Phrases for every table, column, glossary term and known value; `values` adds indexed ones."""
    lex = Lexicon(catalog)
    for tname, spec in catalog.tables.items():
        table = Element("table", table=tname)
        lex.add(tname, table)
        for synonym in spec.synonyms:
            lex.add(synonym, table)
        for cname, col in spec.columns.items():
            column = Element("column", table=tname, column=cname)
            lex.add(cname, column)
            for synonym in col.synonyms:
                lex.add(synonym, column)
            for value in col.values or []:
                lex.add(value, Element("value", table=tname, column=cname, value=value))
    for i, term in enumerate(catalog.glossary):
        if term.kind == "entity":
            element = Element("table", table=catalog.find_table((term.sql or "").strip()))
        else:
            element = Element("term", term=i)
        if element.kind == "table" and element.table is None:
            continue
        for phrase in [term.term, *term.synonyms]:
            lex.add(phrase, element)
    for table, column, value in values or []:
        if table in catalog.tables and value and len(value) <= 60:
            lex.add(value, Element("value", table=table, column=column, value=value))
    return lex


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
