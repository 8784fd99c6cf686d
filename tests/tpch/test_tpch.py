"""TPC-H through hybridq: the 22 queries give DuckDB's own answers, and the tpch catalog is sound.

The data is generated at scale factor 0.01 with tpchgen-cli into a temporary project laid out like
the repository (catalogs/tpch.yaml next to examples/tpch/data/). The reference answers come from a
plain in-memory DuckDB connection with one view per table over the same Parquet files.
"""

from __future__ import annotations

import decimal
import math
from collections import deque
from pathlib import Path

import duckdb
import pytest
import sqlglot
import yaml
from sqlglot import exp

from tests.conftest import make_tpch
from examples.tpch.generate import TABLES, generate
from hybridq.catalog.validate import load_catalog, validate_file

ROOT = Path(__file__).resolve().parents[2]
QUERIES = Path(__file__).resolve().parent / "queries"
SCALE = 0.01
REL_TOL = 1e-9
# The raw catalog, for parametrizing (loading the model would look for the data, not generated yet).
CATALOG_YAML = yaml.safe_load((ROOT / "catalogs" / "tpch.yaml").read_text(encoding="utf-8"))


def query_files() -> list[Path]:
    return sorted(QUERIES.glob("q*.sql"))


@pytest.fixture(scope="module")
def tpch_catalog(tmp_path_factory) -> Path:
    return make_tpch(tmp_path_factory.mktemp("tpch"))


@pytest.fixture(scope="module")
def tpch(tpch_catalog):
    """A refreshed session over the SF 0.01 data (no semantic columns: no embedding model is loaded)."""
    import hybridq

    hq = hybridq.connect(tpch_catalog)
    report = hq.refresh()
    assert not any(t.issues for t in report.tables.values()), report.summary()
    yield hq
    hq.close()


@pytest.fixture(scope="module")
def reference(tpch_catalog):
    """Plain DuckDB over the same Parquet files, one view per table."""
    data = tpch_catalog.parent.parent / "examples" / "tpch" / "data"
    con = duckdb.connect(":memory:")
    for table in TABLES:
        path = str(data / f"{table}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    yield con
    con.close()


# -- comparing results --------------------------------------------------------------------------


def same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=0.0) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return decimal.Decimal(a) == decimal.Decimal(b)
    return a == b


def same_row(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))


def sort_key(row: tuple) -> tuple:
    """A total order over rows of mixed, nullable values (floats rounded so near-equal ones tie)."""
    out = []
    for v in row:
        if v is None:
            out.append((0, ""))
        elif isinstance(v, float):
            out.append((1, float(f"{v:.9g}")))
        elif isinstance(v, (int, decimal.Decimal)):
            out.append((1, float(v)))
        else:
            out.append((2, str(v)))
    return tuple(out)


def order_columns(sql: str, columns: list[str]) -> list[int]:
    """Indexes of the output columns named by the outermost ORDER BY (empty when unordered)."""
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    order = tree.args.get("order")
    if order is None:
        return []
    lowered = [c.lower() for c in columns]
    indexes = []
    for ordered in order.expressions:
        key = ordered.this
        name = key.alias_or_name if isinstance(key, exp.Column) else key.sql(dialect="duckdb")
        assert name.lower() in lowered, f"ORDER BY {name} is not an output column"
        indexes.append(lowered.index(name.lower()))
    return indexes


def assert_same_result(actual, expected, sql: str) -> None:
    assert actual.column_names == expected.column_names
    assert [str(t) for t in actual.schema.types] == [str(t) for t in expected.schema.types]
    got = list(zip(*[c.to_pylist() for c in actual.columns])) if actual.num_columns else []
    want = list(zip(*[c.to_pylist() for c in expected.columns])) if expected.num_columns else []
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}"
    # Order-sensitive on the ORDER BY keys: the sequence of sort-key values must be the same.
    keys = order_columns(sql, expected.column_names)
    if keys:
        for i, (g, w) in enumerate(zip(got, want)):
            assert same_row(tuple(g[k] for k in keys), tuple(w[k] for k in keys)), f"row {i}: {g} != {w}"
    # And the rows themselves, as a multiset (ties in the ORDER BY may come in any order).
    for i, (g, w) in enumerate(zip(sorted(got, key=sort_key), sorted(want, key=sort_key))):
        assert same_row(g, w), f"row {i} (sorted): {g} != {w}"


# -- the 22 queries -----------------------------------------------------------------------------


def test_there_are_22_queries():
    assert [p.stem for p in query_files()] == [f"q{i:02d}" for i in range(1, 23)]


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_tpch_query_matches_duckdb(tpch, reference, path):
    sql = path.read_text()
    expected = reference.sql(sql).to_arrow_table()
    result = tpch.sql(sql)
    assert result.plan is not None and not result.plan.semantic
    assert_same_result(result.to_arrow(), expected, sql)


# What Daft 0.7.26's SQL cannot plan ("Unable to create logical plan node" for q01, q08, q09 and
# q14; an outer reference in a correlated subquery in q21): hybridq passes Daft's refusal on.
DAFT_CANNOT_RUN = {"q01", "q08", "q09", "q14", "q21"}
# Daft names an unaliased aggregate after its argument (l_quantity), DuckDB after the expression.
DAFT_NAMES_DIFFER = {"q18"}


@pytest.fixture(scope="module")
def tpch_on_daft(tpch, tpch_catalog):
    import hybridq

    hq = hybridq.connect(tpch_catalog, engine="daft")
    yield hq
    hq.close()


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_tpch_query_on_daft_matches_duckdb(tpch_on_daft, reference, path):
    import hybridq

    sql = path.read_text()
    if path.stem in DAFT_CANNOT_RUN:
        with pytest.raises(hybridq.SQLError, match="the daft engine could not run the query"):
            tpch_on_daft.sql(sql)
        return
    expected = reference.sql(sql).to_arrow_table()
    got = tpch_on_daft.sql(sql).to_arrow()
    if path.stem in DAFT_NAMES_DIFFER:
        assert got.column_names != expected.column_names
        got = got.rename_columns(expected.column_names)
    # values compare as DuckDB's types (Daft sums integers where DuckDB makes a DECIMAL)
    assert_same_result(got.cast(expected.schema), expected, sql)


def test_row_counts_match_the_parquet_files(tpch, reference):
    for table in TABLES:
        got = tpch.sql(f"SELECT count(*) FROM {table}").rows[0][0]
        want = reference.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert got == want, table


def test_known_answers_at_sf_001(tpch):
    """A few figures of the standard SF 0.01 answers, independent of the reference connection."""
    q1 = tpch.sql((QUERIES / "q01.sql").read_text()).rows
    assert [r[:2] for r in q1] == [("A", "F"), ("N", "F"), ("N", "O"), ("R", "F")]
    assert q1[0][2] == decimal.Decimal("380456.00") and q1[0][9] == 14876
    q6 = tpch.sql((QUERIES / "q06.sql").read_text()).rows
    assert q6 == [(decimal.Decimal("1193053.2253"),)]


# -- the catalog --------------------------------------------------------------------------------


def test_catalog_validates_cleanly(tpch_catalog):
    result = validate_file(tpch_catalog)
    assert result.ok, "\n".join(i.format() for i in result.issues)
    assert [i for i in result.issues if i.level == "warning"] == []
    catalog = result.catalog
    assert set(catalog.tables) == set(TABLES)
    assert catalog.tables["partsupp"].primary_key == ["ps_partkey", "ps_suppkey"]
    assert catalog.tables["lineitem"].primary_key == ["l_orderkey", "l_linenumber"]
    assert catalog.semantic_columns() == []
    assert len(catalog.glossary) >= 25 and len(catalog.examples) >= 10


def test_catalog_types_match_the_parquet_files(tpch_catalog, reference):
    catalog = load_catalog(tpch_catalog)
    for table, spec in catalog.tables.items():
        described = {name: dtype for name, dtype, *_ in reference.execute(f"DESCRIBE {table}").fetchall()}
        assert list(spec.columns) == list(described), table
        for column, col in spec.columns.items():
            assert col.type.replace(" ", "") == described[column], f"{table}.{column}"


def test_catalog_keys_and_relationships_hold_in_the_data(tpch_catalog, reference):
    catalog = load_catalog(tpch_catalog)
    for table, spec in catalog.tables.items():
        keys = ", ".join(spec.primary_key)
        dupes = reference.execute(f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
        assert dupes.fetchone()[0] == 0, f"{table} key ({keys}) is not unique"
    for rel in catalog.relationships:
        (ft, fc), (tt, tc) = rel.from_.split("."), rel.to.split(".")
        orphans = reference.execute(
            f"SELECT count(*) FROM {ft} f WHERE NOT EXISTS (SELECT 1 FROM {tt} t WHERE t.{tc} = f.{fc})").fetchone()[0]
        assert orphans == 0, f"{rel.from_} -> {rel.to}"


def test_catalog_values_match_the_data(tpch_catalog, reference):
    catalog = load_catalog(tpch_catalog)
    for table, spec in catalog.tables.items():
        for column, col in spec.columns.items():
            if col.values is None:
                continue
            found = [r[0] for r in reference.execute(f"SELECT DISTINCT {column} FROM {table} ORDER BY 1").fetchall()]
            assert sorted(col.values) == found, f"{table}.{column}"


@pytest.mark.parametrize("index", range(len(CATALOG_YAML["examples"])))
def test_catalog_example_runs(tpch, index):
    example = tpch.catalog.examples[index]
    result = tpch.sql(example.sql)
    assert len(result) > 0, example.question


def join_tree(catalog, tables: list[str]) -> str:
    """FROM clause joining `tables` along the catalog's relationships (shortest paths from the first)."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for rel in catalog.relationships:
        (ft, _), (tt, _) = rel.from_.split("."), rel.to.split(".")
        on = f"{rel.from_} = {rel.to}"
        edges.setdefault(ft, []).append((tt, on))
        edges.setdefault(tt, []).append((ft, on))
    start, joined, clauses = tables[0], {tables[0]}, [tables[0]]
    for target in tables[1:]:
        if target in joined:
            continue
        previous, queue = {start: None}, deque([start])
        while queue:
            node = queue.popleft()
            for nxt, on in edges.get(node, []):
                if nxt not in previous:
                    previous[nxt] = (node, on)
                    queue.append(nxt)
        assert target in previous, f"no relationship path from {start} to {target}"
        path, node = [], target
        while previous[node] is not None:
            parent, on = previous[node]
            path.append((node, on))
            node = parent
        for node, on in reversed(path):
            if node not in joined:
                clauses.append(f"JOIN {node} ON {on}")
                joined.add(node)
    return " ".join(clauses)


def glossary_query(catalog, term) -> str:
    if term.kind == "entity":
        return f"SELECT count(*) FROM {term.sql}"
    node = sqlglot.parse_one(term.sql, dialect="duckdb")
    tables = list(dict.fromkeys(c.table for c in node.find_all(exp.Column)))
    source = join_tree(catalog, tables)
    if term.kind == "metric":
        return f"SELECT {term.sql} AS value FROM {source}"
    if term.kind == "filter":
        return f"SELECT count(*) FROM {source} WHERE {term.sql}"
    return f"SELECT {term.sql} AS value, count(*) FROM {source} GROUP BY 1 ORDER BY 1"


@pytest.mark.parametrize("index", range(len(CATALOG_YAML["glossary"])))
def test_glossary_term_runs(tpch, index):
    term = tpch.catalog.glossary[index]
    rows = tpch.sql(glossary_query(tpch.catalog, term)).rows
    assert rows, term.term
    if term.kind in ("metric", "filter", "entity"):
        assert rows[0][0] is not None and rows[0][0] != 0, f"{term.term}: {rows[0][0]!r}"


# -- refresh ------------------------------------------------------------------------------------


def test_refresh_follows_a_new_scale(tmp_path):
    """Regenerating at another scale rewrites every file; refresh brings the store (composite keys too) in line."""
    import hybridq

    catalog = make_tpch(tmp_path, 0.01)
    data = tmp_path / "examples" / "tpch" / "data"
    with hybridq.connect(catalog) as hq:
        hq.refresh()
        assert hq.refresh().changed is False
        generate(data, 0.02)
        report = hq.refresh()
        assert report.tables["lineitem"].inserted > 0 and report.tables["region"].inserted == 0
        con = duckdb.connect(":memory:")
        for table in TABLES:
            want = con.execute(f"SELECT count(*) FROM read_parquet('{data / (table + '.parquet')}')").fetchone()[0]
            assert hq.sql(f"SELECT count(*) FROM {table}").rows[0][0] == want, table
        q = (QUERIES / "q18.sql").read_text()
        con.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet('{data / 'lineitem.parquet'}')")
        con.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{data / 'orders.parquet'}')")
        con.execute(f"CREATE VIEW customer AS SELECT * FROM read_parquet('{data / 'customer.parquet'}')")
        assert_same_result(hq.sql(q).to_arrow(), con.sql(q).to_arrow_table(), q)
        con.close()


def test_lateral_subquery_runs(tpch, reference):
    sql = ("SELECT r_name, x.nations FROM region, "
           "LATERAL (SELECT count(*) AS nations FROM nation WHERE n_regionkey = r_regionkey) x ORDER BY r_name")
    assert_same_result(tpch.sql(sql).to_arrow(), reference.sql(sql).to_arrow_table(), sql)
