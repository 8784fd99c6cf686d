"""Checking SQL that did not come from the catalog's own reading (a language model's) against the question.

The SQL is read back into catalog terms: the tables it reads, the columns it filters and the
literal values it compares with. Each must trace back to words of the question: a table or column
some phrase of the question names (or a table joining two named ones), a value the question says.
Whatever does not trace back is listed, and the answer is marked unverified rather than presented
as the question's meaning.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from hybridq.nl.graph import catalog_graph
from hybridq.nl.lexicon import Lexicon
from hybridq.nl.parse import Linked

# Numbers a query may use without the question saying them: a LIMIT 1, a percentage's 100, a NULLIF's 0.
IMPLIED_NUMBERS = {0.0, 1.0, 100.0}


def untraced_parts(sql: str, linked: Linked, lexicon: Lexicon) -> list[str]:
    """The parts of `sql` that no words of the question account for, in words ('table invoices')."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError:
        return ["the SQL itself (it does not parse)"]
    catalog = lexicon.catalog
    graph = catalog_graph(lexicon)
    named_tables: set[str] = set()
    named_columns: set[tuple[str, str]] = set()
    named_values: set[str] = set()
    for _, links in linked.covers:
        for link in links:
            for e in link.elements:
                named_tables |= graph.tables_of(e)
                if e.column:
                    named_columns.add((e.table, e.column.lower()))
                if e.kind == "value" and e.value is not None:
                    named_values.add(e.value.lower())
    question = linked.question.lower()
    said_numbers = {t.number for t in linked.tokens if t.number is not None}
    for window in linked.windows:  # "last quarter" says its dates
        named_values |= {d.isoformat() for d in (window.start, window.end) if d is not None}
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out = []
    tables = []
    for table in tree.find_all(exp.Table):
        name = catalog.find_table(table.name) if table.name else None
        if name is not None and table.name.lower() not in ctes:
            tables.append(name)
    for name in dict.fromkeys(tables):
        if name not in named_tables and not _bridges(name, named_tables, graph):
            out.append(f"table {name}")
    for literal in tree.find_all(exp.Literal):
        if literal.is_string:
            text = literal.this.strip("%").lower()
            if text and text not in question and text not in named_values:
                out.append(f"value '{literal.this}'")
        else:
            try:
                number = float(literal.this)
            except ValueError:
                continue
            if number not in said_numbers and number not in IMPLIED_NUMBERS and not _year_said(number, question):
                out.append(f"number {literal.this}")
    return out


def _bridges(table: str, named: set[str], graph) -> bool:
    """A table on a shortest join path between two named ones (the link tables of a many-to-many
    relationship, or a chain of them)."""
    for a in named:
        for b in named:
            whole, first, second = graph.distance(a, b), graph.distance(a, table), graph.distance(table, b)
            if a != b and None not in (whole, first, second) and first + second == whole:
                return True
    return False


def _year_said(number: float, question: str) -> bool:
    """The year, or the year after it (the exclusive end of 'in 2020': YEAR(d) < 2021)."""
    return number.is_integer() and any(re.search(rf"\b{year}\b", question) for year in (int(number), int(number) - 1))
