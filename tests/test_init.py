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
