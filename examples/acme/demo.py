"""The acme demo: generate the data at full size, build the store, and ask it a few questions.

    python -m examples.acme.demo            # or: scripts/demo
    python -m examples.acme.demo --scale 0.1

Runs structured SQL, semantic search and hybrid SQL (both at once) against the embedded store.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import hybridq
from examples.acme.generate import generate

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalogs" / "acme.yaml"
DATA = ROOT / "examples" / "acme" / "data"

QUERIES = [
    ("Structured: ARR by region",
     """SELECT c.region, round(SUM(CASE WHEN s.status = 'active' THEN s.mrr ELSE 0 END) * 12) AS arr
        FROM subscriptions s JOIN customers c USING (customer_id)
        GROUP BY c.region ORDER BY arr DESC"""),
    ("Semantic: the tickets closest in meaning to 'the whole dashboard is down and nothing loads'",
     """SELECT ticket_id, subject, round(_score, 3) AS score
        FROM vector_search('tickets.body', 'the whole dashboard is down and nothing loads', 5)"""),
    ("Hybrid: enterprise customers complaining about refund delays",
     """SELECT c.name, t.subject, round(similarity(t.body, 'refund delays'), 3) AS score
        FROM tickets t JOIN customers c USING (customer_id)
        WHERE c.segment = 'Enterprise' AND t.created_at >= DATE '2025-01-01'
        ORDER BY score DESC LIMIT 5"""),
    ("Hybrid: contracts that keep data in the EU, with the customer's ARR",
     """SELECT k.contract_id, c.name, round(similarity(k.body, 'customer data must stay in the European Union'), 3) AS score,
               (SELECT SUM(mrr) * 12 FROM subscriptions s WHERE s.customer_id = c.customer_id AND s.status = 'active') AS arr
        FROM contracts k JOIN customers c USING (customer_id)
        ORDER BY score DESC LIMIT 5"""),
    ("Per-group top-k: the most outage-like open ticket per region",
     """SELECT c.region, t.ticket_id, t.subject, round(similarity(t.body, 'service outage, nothing loads'), 3) AS score
        FROM tickets t JOIN customers c USING (customer_id)
        WHERE t.status IN ('open', 'pending')
        QUALIFY row_number() OVER (PARTITION BY c.region ORDER BY score DESC) = 1
        ORDER BY c.region"""),
    ("Semantic join: for three SSO tickets, the closest help article",
     """SELECT t.ticket_id, a.title, round(a._score, 3) AS score
        FROM (SELECT * FROM tickets WHERE topic = 'sso_login' ORDER BY ticket_id LIMIT 3) AS x
        JOIN tickets t USING (ticket_id),
        LATERAL vector_search('kb_articles.body', t.body, 1) AS a"""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size (1.0 = 1,200 customers, 6,500 tickets)")
    args = parser.parse_args()
    console = Console()
    console.rule("hybridq demo: acme")
    counts = generate(DATA, scale=args.scale)
    console.print("generated " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    t0 = time.perf_counter()
    with hybridq.connect(CATALOG) as hq:
        with console.status("refreshing the store (first run embeds every chunk; a few minutes)..."):
            report = hq.refresh()
        console.print(f"refresh: {escape(report.summary())} in {time.perf_counter() - t0:.1f} s")
        for title, sql in QUERIES:
            console.rule(title, align="left")
            t1 = time.perf_counter()
            result = hq.sql(sql)
            table = Table(*(escape(c) for c in result.columns))
            for row in result.rows:
                table.add_row(*(escape("" if v is None else str(v))[:70] for v in row))
            console.print(table)
            console.print(f"[dim]{len(result)} rows in {(time.perf_counter() - t1) * 1000:.0f} ms, {result.snapshot}[/]")
        console.rule("explain: how the hybrid query ran", align="left")
        console.print(escape(str(hq.explain(QUERIES[2][1]))))


if __name__ == "__main__":
    main()
