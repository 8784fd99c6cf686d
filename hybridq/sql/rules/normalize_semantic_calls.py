"""normalize_semantic_calls: one spelling per semantic function, with its arity checked.

sqlglot reads vector_search() as its own node type; it becomes a plain call like the others.

>>> import sqlglot
>>> from hybridq.sql.rules.normalize_semantic_calls import _normalized
>>> tree = sqlglot.parse_one("SELECT * FROM VECTOR_SEARCH('t.c', 'x', 3)", dialect="duckdb")
>>> _normalized(tree).sql("duckdb", normalize_functions=False)
"SELECT * FROM vector_search('t.c', 'x', 3)"
"""

from __future__ import annotations

from sqlglot import exp

from hybridq.errors import SQLError
from hybridq.sql.functions import FUNCTIONS
from hybridq.sql.parse import where_of
from hybridq.sql.semantic import call_name


def normalize_semantic_calls(expression: exp.Expression, ctx) -> exp.Expression:
    expression = _normalized(expression)
    for node in expression.find_all(exp.Anonymous):
        name = call_name(node)
        if name is None:
            continue
        spec = FUNCTIONS[name]
        count = len(node.expressions)
        if not spec.min_args <= count <= spec.max_args:
            wanted = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} or {spec.max_args}"
            raise SQLError(f"{name}() takes {wanted} arguments, got {count}", where=where_of(node, ctx.sql),
                           hint=f"usage: {spec.signature}")
        text = node.expressions[0]
        if name == "embed" and not (isinstance(text, exp.Literal) and text.is_string):
            raise SQLError("embed(): the text must be a string constant", where=where_of(text, ctx.sql),
                           hint="e.g. embed('refund delays')")
    return expression


def _normalized(expression: exp.Expression) -> exp.Expression:
    def transform(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.VectorSearch):
            args = [a for a in (node.this, node.args.get("column_to_search"), node.args.get("query_table"),
                                node.args.get("query_column_to_search"), node.args.get("top_k")) if a is not None]
            call = exp.Anonymous(this="vector_search", expressions=[a.copy() for a in args])
            call.meta.update(node.meta)
            return call
        if isinstance(node, exp.Anonymous) and call_name(node) and node.this != call_name(node):
            node.set("this", call_name(node))
        return node

    return expression.transform(transform, copy=False)  # rules rewrite the engine's private copy
