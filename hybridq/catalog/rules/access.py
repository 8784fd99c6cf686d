"""Rules about access roles: their tables, hidden columns and row filters."""

from __future__ import annotations

from typing import Iterator

from sqlglot import exp

from hybridq.catalog.binding import bind_query, has_aggregate, is_predicate, parse_expression
from hybridq.catalog.issues import Issue, suggestion
from hybridq.catalog.rules.context import RuleContext

SEMANTIC = {"similarity", "semantic_match", "keyword_match", "keyword_score", "hybrid_score", "vector_search", "embed"}


def check_access_roles(ctx: RuleContext) -> Iterator[Issue]:
    access = ctx.catalog.access
    if access is None:
        return
    for role, spec in access.roles.items():
        for table, policy in (spec.tables or {}).items():
            path = ("access", "roles", role, "tables", table)
            found = ctx.catalog.find_table(table)
            if found is None:
                if not ctx.table_known(table):
                    yield ctx.issue(path, f"role '{role}' names unknown table '{table}'",
                                    suggestion(table, ctx.catalog.tables, "tables"))
                continue
            if found != table:
                yield ctx.issue(path, f"role '{role}': write the table as the catalog does, '{found}'")
            columns = ctx.catalog.tables[found]
            for i, column in enumerate(policy.hide):
                name = columns.find_column(column)
                if name is None:
                    if not ctx.column_known(found, column):
                        yield ctx.issue(path + ("hide", i), f"role '{role}' hides unknown column {found}.{column}",
                                        suggestion(column, columns.columns, f"columns of {found}"))
                elif name in columns.primary_key:
                    yield ctx.issue(path + ("hide", i), f"role '{role}' hides {found}.{name}, part of the primary key",
                                    "rows are told apart by their key in results, joins and retrieval: "
                                    "give the role a table without the key column, or do not hide it")
            if policy.rows is not None:
                for message, hint in _row_filter_problems(policy.rows, found, ctx):
                    yield ctx.issue(path + ("rows",), f"role '{role}', rows of {found}: {message}", hint)


def _row_filter_problems(condition: str, table: str, ctx: RuleContext) -> list[tuple[str, str | None]]:
    node, problem = parse_expression(condition)
    if problem:
        return [(problem.message, "a row filter is a condition, e.g. region = caller('region')")]
    problems = []
    for call in node.find_all(exp.Anonymous):
        name = str(call.this).lower()
        if name == "caller":
            args = call.expressions
            if len(args) != 1 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
                problems.append((f"{call.sql(dialect='duckdb')}: caller() takes one attribute name in quotes",
                                 "e.g. caller('region')"))
        elif name in SEMANTIC:
            problems.append((f"{name}() cannot be used in a row filter",
                             "filter on ordinary columns; semantic calls are for queries"))
    if has_aggregate(node):
        problems.append(("a row filter cannot aggregate", "it is checked row by row, e.g. region = caller('region')"))
    if not is_predicate(node, ctx.catalog):
        problems.append(("not a condition", "e.g. region = caller('region')"))
    if problems:
        return problems
    # bound as the WHERE of a query on the table: its columns, and those of its subqueries' tables
    probe = node.transform(lambda n: exp.Literal.string("x") if isinstance(n, exp.Anonymous)
                           and str(n.this).lower() == "caller" else n)
    query = f"SELECT 1 FROM {table} WHERE {probe.sql(dialect='duckdb')}"
    return [(p.message, p.hint) for p in bind_query(query, ctx.catalog, ctx.unchecked)]
