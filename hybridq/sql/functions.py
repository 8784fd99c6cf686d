"""The semantic SQL functions: names, arity and one-line documentation (docs/sql.md lists each)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SemanticFunction:
    name: str
    signature: str
    returns: str
    doc: str
    min_args: int
    max_args: int
    table_function: bool = False


FUNCTIONS = {
    f.name: f
    for f in (
        SemanticFunction("similarity", "similarity(column, text)", "DOUBLE",
                         "Cosine similarity between the text (or another semantic column) and the row's value, "
                         "the best over the value's chunks.", 2, 2),
        SemanticFunction("semantic_match", "semantic_match(column, text [, threshold])", "BOOLEAN",
                         "similarity(column, text) >= threshold; the threshold defaults to the column's "
                         "semantic.threshold in the catalog.", 2, 3),
        SemanticFunction("vector_search", "vector_search('table.column', text, k)", "TABLE",
                         "The k rows of the table closest in meaning to the text, with all their columns plus "
                         "_score and _chunk (the best-matching chunk). With a column of an outer table as text "
                         "(LATERAL), the k closest rows for each outer row.", 3, 3, table_function=True),
        SemanticFunction("keyword_score", "keyword_score(column, words)", "DOUBLE",
                         "BM25 relevance of the words to the row's value (best chunk) from the full-text index; "
                         "0 when no word matches.", 2, 2),
        SemanticFunction("keyword_match", "keyword_match(column, words)", "BOOLEAN",
                         "True when the row's value contains any of the words (keyword_score > 0).", 2, 2),
        SemanticFunction("hybrid_score", "hybrid_score(column, text)", "DOUBLE",
                         "The row's vector and keyword (BM25) scores, each standardised over the rows the query "
                         "considers, weighted 0.7 : 0.3.", 2, 2),
        SemanticFunction("embed", "embed(text)", "FLOAT[dim]",
                         "The embedding of the text with the catalog's model.", 1, 1),
    )
}

# Calls whose first argument is a semantic column and whose value is computed per row.
SCORING = ("similarity", "semantic_match", "keyword_score", "keyword_match", "hybrid_score")
