"""`hybridq init` on the generated acme data: a catalog that validates, with the right tables, keys,
semantic columns, path fields and relationships, and that loads and answers a semantic query."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

import hybridq
from hybridq.catalog.validate import validate_file
from hybridq.cli import main
from tests.conftest import make_acme


def test_init_infers_a_working_catalog(tmp_path, embedder):
    make_acme(tmp_path / "acme", scale=0.02)
    data = tmp_path / "acme" / "examples" / "acme" / "data"
    project = tmp_path / "project"
    project.mkdir()
    out = project / "acme.yaml"

    result = CliRunner().invoke(main, ["init", str(data), "--name", "acme", "-o", str(out)])
    assert result.exit_code == 0, result.output
    validation = validate_file(str(out))
    assert not validation.errors, [i.format() for i in validation.errors]

    cat = yaml.safe_load(out.read_text())
    tables = cat["tables"]
    assert set(tables) == {"customers", "subscriptions", "invoices", "tickets", "contracts", "kb"}
    keys = {name: t.get("primary_key") for name, t in tables.items()}
    assert keys["customers"] == "customer_id" and keys["subscriptions"] == "subscription_id"
    assert keys["invoices"] == "invoice_id" and keys["tickets"] == "ticket_id"
    assert keys["contracts"] == "contract_id"
    sources = cat["sources"]
    assert sources["tickets"]["kind"] == "jsonl" and sources["tickets"]["path"].endswith("tickets/*.jsonl")
    assert sources["contracts"]["kind"] == "documents"
    assert sources["contracts"]["path"].endswith("contracts/{customer_id}/{contract_id}.md")
    assert sources["kb"]["kind"] == "documents" and sources["kb"]["path"].startswith("../acme/examples/acme/data/kb/")

    def semantic(table: str) -> set[str]:
        return {c for c, spec in tables[table]["columns"].items() if spec.get("semantic")}

    assert semantic("tickets") == {"body"} and semantic("contracts") == {"body"} and semantic("kb") == {"body"}
    assert not any(semantic(t) for t in ("customers", "subscriptions", "invoices"))
    front_matter = set(tables["contracts"]["columns"])
    assert {"customer_id", "contract_id", "title", "contract_type", "signed_date", "term_months",
            "auto_renew", "body"} <= front_matter
    assert tables["contracts"]["columns"]["signed_date"]["type"] == "DATE"
    assert tables["contracts"]["columns"]["customer_id"]["type"] == tables["customers"]["columns"]["customer_id"]["type"]
    relationships = {(r["from"], r["to"]) for r in cat["relationships"]}
    for table in ("subscriptions", "invoices", "tickets", "contracts"):
        assert (f"{table}.customer_id", "customers.customer_id") in relationships
    assert ("invoices.subscription_id", "subscriptions.subscription_id") in relationships
    assert all(to.split(".")[0] != frm.split(".")[0] for frm, to in relationships)

    with hybridq.connect(out, embedder=embedder) as hq:
        report = hq.refresh()
        assert not report.issues, [i.format() for _, i in report.issues]
        counts = {t: hq.sql(f"SELECT count(*) FROM {t}").rows[0][0] for t in tables}
        assert all(n > 0 for n in counts.values()), counts
        assert counts["customers"] == len((data / "customers.csv").read_text().strip().splitlines()) - 1
        assert counts["contracts"] == len(list((data / "contracts").rglob("*.md")))
        rows = hq.sql(
            "SELECT c.contract_id, c.contract_type, similarity(c.body, 'the customer may terminate early "
            "for convenience') AS s FROM contracts c JOIN customers USING (customer_id) ORDER BY s DESC LIMIT 3"
        ).rows
        assert len(rows) == 3 and rows[0][2] >= rows[1][2] >= rows[2][2] and rows[0][2] > 0.4
        top = hq.sql("SELECT t.topic FROM tickets t ORDER BY similarity(t.body, 'we were charged twice, "
                     "please refund the duplicate payment') DESC LIMIT 3").rows
        assert sum(r[0] in ("refund", "billing_dispute") for r in top) >= 2


def run_init(data, tmp_path) -> dict:
    out = tmp_path / "catalog.yaml"
    result = CliRunner().invoke(main, ["init", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not validate_file(str(out)).errors
    return yaml.safe_load(out.read_text())


def test_init_groups_only_files_with_the_same_columns(tmp_path):
    data = tmp_path / "data"
    (data / "crm").mkdir(parents=True)
    (data / "events").mkdir()
    (data / "crm" / "customers.csv").write_text("id,name\n1,Globex\n2,Initech\n")
    (data / "crm" / "accounts.csv").write_text("account_id,customer_id,score\n1,1,3.5\n2,2,4.0\n")
    (data / "events" / "2024-Q1.jsonl").write_text('{"event_id": 1, "account_id": 1}\n')
    (data / "broken.jsonl").write_text("{not json\n")
    cat = run_init(data, tmp_path)
    assert set(cat["tables"]) == {"customers", "accounts", "events"}
    assert cat["sources"]["customers"]["path"] == "data/crm/customers.csv"
    assert cat["sources"]["events"]["path"] == "data/events/*.jsonl"  # more quarters will arrive
    relationships = {(r["from"], r["to"]) for r in cat["relationships"]}
    assert relationships == {("accounts.customer_id", "customers.id"), ("events.account_id", "accounts.account_id")}
    assert "broken.jsonl" in (tmp_path / "catalog.yaml").read_text().split("version: 1")[0]


def make_awkward_data(data):
    """Data on which a starter catalog used to validate and yet load nothing: a path field named
    like a front-matter key with other values, a CSV without a header, headers that are no SQL
    names or collide ignoring case, file names repeated in two folders, JSON files whose records
    do not all have the same keys."""
    for i in range(1, 13):
        (data / "reviews").mkdir(parents=True, exist_ok=True)
        (data / "reviews" / f"review-{i:04d}.md").write_text(
            f"---\nreview_id: R{i:04d}\nrating: {i % 5 + 1}\nposted_at: 2024-02-{i:02d}\n---\n"
            f"Review number {i}: the parcel arrived {'late' if i % 2 else 'early'} and the box was intact.\n")
    for year in (2024, 2025):
        (data / "notes" / str(year)).mkdir(parents=True)
        (data / "notes" / str(year) / "plan.md").write_text(f"The plan for {year}: grow the shop.\n")
    (data / "notes" / "2025" / "retro.md").write_text("What went well this year.\n")
    (data / "shop").mkdir()
    (data / "shop" / "suppliers.csv").write_text("1,Acme Supplies,Lyon\n2,Globex,Berlin\n3,Initech,Austin\n")
    (data / "shop" / "products.csv").write_text(
        "product_id,name,NAME,Unit Price (€),_score,listed_on,discount_pct\n"
        "1,anvil,ANVIL,19.5,3,2024-01-03,5\n2,rope,ROPE,4.25,4,2024-01-09,0\n3,glue,GLUE,2.0,5,2024-02-11,10\n")
    (data / "events").mkdir()
    (data / "events" / "jan.jsonl").write_text('{"event_id": 1, "kind": "view"}\n{"event_id": 2, "kind": "buy"}\n')
    (data / "events" / "feb.jsonl").write_text('{"event_id": 3, "kind": "view", "coupon": "SPRING"}\n')
    return {"reviews": 12, "notes": 3, "suppliers": 3, "products": 3, "events": 3}


def test_init_catalog_loads_every_row_it_inspected(tmp_path, embedder):
    data = tmp_path / "data"
    expected = make_awkward_data(data)
    cat = run_init(data, tmp_path)
    tables, sources = cat["tables"], cat["sources"]
    assert set(tables) == set(expected)  # the two JSONL files of events are one table, as the docs say
    assert all(s["refresh"] == {"mode": "watch"} for s in sources.values())
    assert sources["suppliers"]["csv"] == {"header": False}
    products = tables["products"]["columns"]
    assert products["unit_price"] == {"type": "DOUBLE", "unit": "EUR", "source_column": "Unit Price (€)"}
    assert products["score"]["source_column"] == "_score"
    assert products["NAME_2"]["source_column"] == "NAME" and "name" in products
    assert products["discount_pct"]["unit"] == "percent"
    assert tables["products"]["time_column"] == "listed_on" and tables["reviews"]["time_column"] == "posted_at"
    assert tables["notes"]["primary_key"] == ["note_part1", "note_id"]
    assert tables["reviews"]["primary_key"] == "review_id"
    assert sources["reviews"]["path"].endswith("reviews/{review_file}.md")

    with hybridq.connect(tmp_path / "catalog.yaml", embedder=embedder) as hq:
        report = hq.refresh()
        assert not report.issues, [i.format() for _, i in report.issues]
        counts = {t: hq.sql(f"SELECT count(*) FROM {t}").rows[0][0] for t in tables}
        assert counts == expected
        assert hq.sql("SELECT name, NAME_2, unit_price, score FROM products ORDER BY product_id LIMIT 1").rows == [
            ("anvil", "ANVIL", 19.5, 3)]
        assert hq.sql("SELECT review_id FROM reviews WHERE review_file = 'review-0007'").rows == [("R0007",)]


def test_init_says_which_rows_a_refresh_would_leave_out(tmp_path):
    data = tmp_path / "data"
    (data / "events").mkdir(parents=True)
    (data / "events" / "a.jsonl").write_text('{"event_id": 1, "kind": "view"}\n{"event_id": 2, "kind": "buy"}\n')
    (data / "events" / "b.jsonl").write_text('{"event_id": 3, "kind": "view"}\n{"event_id": 4, "kind": \n')
    out = tmp_path / "catalog.yaml"
    result = CliRunner().invoke(main, ["init", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = "check: events: data/events/b.jsonl:2: invalid JSON"
    assert said in result.stderr
    assert f"# {said}" in out.read_text().splitlines()[0]
