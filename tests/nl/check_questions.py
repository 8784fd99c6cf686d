"""Check the natural-language evaluation question sets against generated stores.

    .venv/bin/python tests/nl/check_questions.py            # acme at scales 0.05 and 0.2, TPC-H at 0.01 and 0.05
    .venv/bin/python tests/nl/check_questions.py --reuse /tmp/nlq-stores   # keep and reuse built stores
    .venv/bin/python tests/nl/check_questions.py --only acme --verbose

For every entry of ``questions_acme.yaml`` (and ``questions_tpch.yaml`` when ``catalogs/tpch.yaml``
exists) it validates the fields and shape tags, then runs the gold SQL through ``Session.sql()`` on
each store and reports errors, empty answers, missing key/value columns, repeated groups and ties at
the cut of ranked answers. Exits with status 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

SHAPES = {
    "list", "filter", "count", "sum", "avg", "metric", "top_n", "group_by", "compare", "time", "negation",
    "nesting", "join", "semantic", "semantic_ranked", "paraphrase",
}
ANSWER_KEYS = {"id", "question", "sql", "shape", "order_matters", "key_column", "value_column", "compare", "note"}
REFUSE_KEYS = {"id", "question", "expect", "reason", "shape", "note"}
COMPARE_MODES = {"columns_subset"}
# Shapes whose answer is a set (or ranking) of rows identified by key_column.
KEYED = {"list", "top_n", "group_by", "semantic_ranked"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LIMIT_RE = re.compile(r"\bLIMIT\s+(\d+)\s*;?\s*$", re.IGNORECASE)

DOMAINS = {
    # name: (question file, catalog, scales)
    "acme": (HERE / "questions_acme.yaml", ROOT / "catalogs" / "acme.yaml", (0.05, 0.2)),
    "tpch": (HERE / "questions_tpch.yaml", ROOT / "catalogs" / "tpch.yaml", (0.01, 0.05)),
}


# ---------------------------------------------------------------------------
# Static validation
# ---------------------------------------------------------------------------


def validate_entries(entries, label: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(entries, list):
        return [f"{label}: the file must hold a YAML list of entries"]
    ids: Counter = Counter()
    questions: Counter = Counter()
    for n, e in enumerate(entries):
        where = f"{label}[{n}]"
        if not isinstance(e, dict):
            problems.append(f"{where}: not a mapping")
            continue
        eid = e.get("id")
        where = f"{label}:{eid}"
        if not isinstance(eid, str) or not ID_RE.match(eid):
            problems.append(f"{where}: id must be a lower-case slug")
        ids[eid] += 1
        q = e.get("question")
        if not isinstance(q, str) or not q.strip():
            problems.append(f"{where}: question missing")
        else:
            questions[q.strip().lower()] += 1
        if e.get("expect") == "refuse":
            extra = set(e) - REFUSE_KEYS
            if extra:
                problems.append(f"{where}: unexpected fields for a refusal: {sorted(extra)}")
            if not isinstance(e.get("reason"), str) or not e["reason"].strip():
                problems.append(f"{where}: a refusal needs a reason")
            continue
        if "expect" in e:
            problems.append(f"{where}: expect must be 'refuse' (or absent)")
        extra = set(e) - ANSWER_KEYS
        if extra:
            problems.append(f"{where}: unknown fields {sorted(extra)}")
        if not isinstance(e.get("sql"), str) or not e["sql"].strip():
            problems.append(f"{where}: sql missing")
        shape = e.get("shape")
        if not isinstance(shape, list) or not shape:
            problems.append(f"{where}: shape must be a non-empty list")
            shape = []
        bad = [s for s in shape if s not in SHAPES]
        if bad:
            problems.append(f"{where}: unknown shape tags {bad}")
        if len(set(shape)) != len(shape):
            problems.append(f"{where}: repeated shape tags")
        if not isinstance(e.get("order_matters"), bool):
            problems.append(f"{where}: order_matters must be true or false")
        if e.get("compare") is not None and e["compare"] not in COMPARE_MODES:
            problems.append(f"{where}: compare must be one of {sorted(COMPARE_MODES)}")
        tags = set(shape)
        if tags & KEYED and not e.get("key_column"):
            problems.append(f"{where}: shapes {sorted(tags & KEYED)} need key_column")
        if "group_by" in tags and not e.get("value_column"):
            problems.append(f"{where}: group_by needs value_column")
        if "semantic_ranked" in tags and "semantic" in tags:
            problems.append(f"{where}: use either semantic or semantic_ranked")
        sql = e.get("sql") or ""
        if e.get("order_matters") and not re.search(r"\border\s+by\b", sql, re.IGNORECASE):
            problems.append(f"{where}: order_matters but the gold SQL has no ORDER BY")
        if "semantic_ranked" in tags and not re.search(r"similarity\s*\(", sql, re.IGNORECASE):
            problems.append(f"{where}: semantic_ranked gold should rank by similarity()")
        if "semantic" in tags and not re.search(r"semantic_match\s*\(|similarity\s*\(", sql, re.IGNORECASE):
            problems.append(f"{where}: semantic gold should use semantic_match() or similarity()")
        if ("top_n" in tags or "semantic_ranked" in tags) and not LIMIT_RE.search(sql.strip()):
            problems.append(f"{where}: top_n / semantic_ranked gold should end with LIMIT n")
    for eid, k in ids.items():
        if k > 1:
            problems.append(f"{label}: id {eid!r} used {k} times")
    for q, k in questions.items():
        if k > 1:
            problems.append(f"{label}: question {q!r} asked {k} times")
    return problems


# ---------------------------------------------------------------------------
# Running the gold SQL
# ---------------------------------------------------------------------------


def _is_zero(v) -> bool:
    try:
        return v is not None and float(v) == 0.0
    except (TypeError, ValueError):
        return False


def check_answer(hq, e: dict) -> list[str]:
    """Run one entry's gold SQL; return problems (empty list when fine)."""
    tags = set(e["shape"])
    try:
        res = hq.sql(e["sql"])
    except Exception as exc:  # noqa: BLE001 - report every failure
        return [f"error {type(exc).__name__}: {str(exc).splitlines()[0]}"]
    cols, rows = list(res.columns), res.rows
    if not rows:
        return ["empty result"]
    problems = []
    key, value = e.get("key_column"), e.get("value_column")
    if key is not None:
        if key not in cols:
            problems.append(f"key_column {key!r} not in result columns {cols}")
        elif "group_by" not in tags and cols[0] != key:
            problems.append(f"key_column {key!r} should be the first result column (got {cols})")
        elif any(r[cols.index(key)] is None for r in rows):
            problems.append(f"NULL in key_column {key!r}")
    if value is not None and value not in cols:
        problems.append(f"value_column {value!r} not in result columns {cols}")
    if problems:
        return problems
    if "group_by" in tags:
        keys = Counter(r[cols.index(key)] for r in rows)
        dup = [k for k, n in keys.items() if n > 1]
        if dup:
            problems.append(f"group keys repeated: {dup[:3]}")
    if key is None:
        # Without key_column the answer is one value: one row, one column, not NULL or zero.
        if len(rows) != 1 or len(cols) != 1:
            problems.append(f"a single-value question returned {len(rows)} rows x {len(cols)} columns "
                            "(add key_column?)")
        elif rows[0][0] is None or _is_zero(rows[0][0]):
            problems.append(f"single answer is {rows[0][0]!r}")
    if key is not None and "group_by" not in tags and e.get("compare") != "columns_subset":
        keys = Counter(r[cols.index(key)] for r in rows)
        dup = [k for k, n in keys.items() if n > 1]
        if dup and not e.get("order_matters"):
            problems.append(f"key values repeated (use DISTINCT?): {dup[:3]}")
    if e.get("order_matters") and value is not None:
        problems += _tie_problems(hq, e, cols, rows, value)
    return problems


def _tie_problems(hq, e, cols, rows, value) -> list[str]:
    """A ranked answer must not depend on how ties are broken."""
    vi = cols.index(value)
    vals = [r[vi] for r in rows]
    problems = []
    if len(set(vals)) != len(vals):
        problems.append(f"ties inside the ranking on {value!r}")
    m = LIMIT_RE.search(e["sql"].strip())
    if m and len(rows) == int(m.group(1)):
        wider = e["sql"].strip()[: m.start()] + f"LIMIT {int(m.group(1)) + 1}"
        more = hq.sql(wider).rows
        if len(more) > len(rows) and more[len(rows)][vi] == vals[-1]:
            problems.append(f"tie at the LIMIT cut on {value!r} ({vals[-1]!r})")
    return problems


# ---------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------


def build_acme(root: Path, scale: float) -> Path:
    from examples.acme.generate import generate

    (root / "catalogs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "catalogs" / "acme.yaml", root / "catalogs" / "acme.yaml")
    generate(root / "examples" / "acme" / "data", scale=scale)
    return root / "catalogs" / "acme.yaml"


def build_tpch(root: Path, scale: float) -> Path:
    from examples.tpch.generate import generate

    (root / "catalogs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "catalogs" / "tpch.yaml", root / "catalogs" / "tpch.yaml")
    generate(root / "examples" / "tpch" / "data", scale_factor=scale)
    return root / "catalogs" / "tpch.yaml"


def open_store(domain: str, scale: float, base: Path, reuse: bool):
    import hybridq

    root = base / f"{domain}-{scale}"
    ready = root / ".checked"
    catalog = root / "catalogs" / f"{domain}.yaml"
    fresh_catalog = (ROOT / "catalogs" / f"{domain}.yaml").read_text()
    if reuse and ready.exists() and catalog.exists() and catalog.read_text() == fresh_catalog:
        return hybridq.connect(catalog)
    if root.exists():
        shutil.rmtree(root)
    catalog = (build_acme if domain == "acme" else build_tpch)(root, scale)
    hq = hybridq.connect(catalog)
    hq.refresh()
    ready.write_text("ok\n")
    return hq


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def shape_counts(entries) -> Counter:
    counts: Counter = Counter()
    for e in entries:
        if e.get("expect") == "refuse":
            counts["(refuse)"] += 1
        else:
            counts.update(e.get("shape") or [])
    return counts


def run_domain(domain: str, base: Path, reuse: bool, verbose: bool) -> int:
    qfile, catalog, scales = DOMAINS[domain]
    if not catalog.exists():
        print(f"[{domain}] skipped: {catalog.relative_to(ROOT)} does not exist")
        return 0
    if not qfile.exists():
        print(f"[{domain}] skipped: {qfile.relative_to(ROOT)} does not exist")
        return 0
    entries = yaml.safe_load(qfile.read_text())
    problems = validate_entries(entries, qfile.name)
    answerable = [e for e in entries if isinstance(e, dict) and e.get("expect") != "refuse"]
    counts = shape_counts(entries)
    print(f"[{domain}] {len(entries)} entries: {len(answerable)} answerable, "
          f"{len(entries) - len(answerable)} to refuse")
    print("   shapes: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if problems:
        for p in problems:
            print("   FIELD  " + p)
        return len(problems)
    failures = 0
    for scale in scales:
        started = time.perf_counter()
        hq = open_store(domain, scale, base, reuse)
        built = time.perf_counter() - started
        bad = 0
        started = time.perf_counter()
        for e in answerable:
            for p in check_answer(hq, e):
                print(f"   FAIL   [{domain} scale {scale}] {e['id']}: {p}")
                bad += 1
            if verbose:
                print(f"   ok     [{domain} scale {scale}] {e['id']}")
        hq.close()
        print(f"   scale {scale}: {len(answerable)} gold queries, {bad} problems "
              f"(store ready in {built:.0f}s, queries ran in {time.perf_counter() - started:.0f}s)")
        failures += bad
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(DOMAINS), help="check one question set")
    parser.add_argument("--reuse", type=Path, help="build stores under this folder and reuse them on later runs")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    base = args.reuse or Path(tempfile.mkdtemp(prefix="nl-questions-"))
    base.mkdir(parents=True, exist_ok=True)
    failures = 0
    try:
        for domain in DOMAINS:
            if args.only and domain != args.only:
                continue
            failures += run_domain(domain, base, reuse=args.reuse is not None, verbose=args.verbose)
    finally:
        if args.reuse is None:
            shutil.rmtree(base, ignore_errors=True)
    print("OK: every question checks out" if not failures else f"FAILED: {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
