"""'customers with more than 3 tickets': the count decides which rows are kept and is shown beside
them; it is composed once (a LATERAL subquery), with the rows a scalar subquery in both places gives."""

from __future__ import annotations

import pytest


def per_customer(table: str, condition: str = "") -> str:
    extra = f" AND {condition}" if condition else ""
    return (f"COALESCE((SELECT count(*) FROM {table} x WHERE x.customer_id = c.customer_id{extra}), 0)")


@pytest.mark.parametrize("question, table, op, condition", [
    ("customers with more than 3 tickets", "tickets", "> 3", ""),
    ("customers with fewer than 2 contracts", "contracts", "< 2", ""),  # customers with none count 0
    ("customers with at least 2 tickets about invoices", "tickets", ">= 2",
     "semantic_match(x.body, 'invoices')"),
])
def test_a_count_kept_and_shown_is_composed_once(acme, question, table, op, condition):
    answer = acme.ask(question, llm=False)
    assert answer.kind == "answer", answer.explain()
    assert answer.sql.upper().count("COUNT(") == 1, answer.sql
    count = per_customer(table, condition)
    reference = acme.sql(f"SELECT c.customer_id, c.name, {count} FROM customers c WHERE {count} {op}").rows
    assert reference and sorted(map(tuple, answer.rows)) == sorted(map(tuple, reference))
