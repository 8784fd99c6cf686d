"""The defog databases as hybridq stores, and their questions as scorer entries.

A project folder mirrors the repository's layout, so the catalogs' relative paths (data files under
examples/defog/data/, the store under .hybridq/) resolve inside it: the catalogs of `catalogs_dir`
are copied to the same place relative to the project root, and the data is written by
examples/defog/load.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from defog.gold import (DATABASES, QUESTIONS, ROOT, UNANSWERABLE, DefogQuestion, DuckGold, dump_schema,
                        gold_variants, read_questions, to_duckdb)
from evaluate import Entry, GoldBook, split_of

DEFAULT_CATALOGS = ROOT / "catalogs" / "defog"


def build_project(root: Path, catalogs_dir: Path = DEFAULT_CATALOGS,
                  databases: tuple[str, ...] = DATABASES) -> dict[str, Path]:
    """Write the data and copy the catalogs into the project folder `root`; {db: catalog path}."""
    from examples.defog.load import load

    catalogs_dir = Path(catalogs_dir).resolve()
    try:
        relative = catalogs_dir.relative_to(ROOT)
    except ValueError:
        relative = Path("catalogs") / "defog"
    catalogs = {}
    for db in databases:
        source = catalogs_dir / f"{db}.yaml"
        if not source.is_file():
            raise FileNotFoundError(f"no catalog for database {db} in {catalogs_dir} (expected {source.name})")
        load(db, root / "examples" / "defog" / "data" / db)
        target = root / relative / f"{db}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        catalogs[db] = target
    return catalogs


def data_dir(root: Path) -> Path:
    return root / "examples" / "defog" / "data"


def duck_golds(root: Path) -> tuple[GoldBook, DuckGold]:
    """Gold run in DuckDB over the project's data files (gold.py); close the DuckGold when done."""
    duck = DuckGold(data_dir(root))
    return GoldBook(duck.run), duck


ASKS_FOR_ORDER = re.compile(r"\b(order|sort|arrange)\b", re.I)


def asks_for_order(q: DefogQuestion) -> bool:
    """defog's own rule (sql-eval's normalize_table): rows compare in order when the question is of the
    order_by category or says order, sort or arrange; otherwise an unrequested ORDER BY in the gold
    does not make an answer in another order wrong."""
    return q.category == "order_by" or ASKS_FOR_ORDER.search(q.question) is not None


def _answerable(q: DefogQuestion) -> Entry:
    schema = dump_schema(q.db)
    return Entry(set="defog", id=q.id, question=q.question, db=q.db, split=split_of(q.db, q.question),
                 compare="columns", order_matters=asks_for_order(q),
                 golds=[to_duckdb(v, schema) for v in gold_variants(q.query)])


def _unanswerable(q: DefogQuestion) -> Entry:
    return Entry(set="defog-unanswerable", id=q.id, question=q.question, db=q.db,
                 split=split_of(q.db, q.question), golds=[], expect_refusal=True)


def defog_entries() -> list[Entry]:
    return [_answerable(q) for q in read_questions(QUESTIONS)]


def unanswerable_entries() -> list[Entry]:
    return [_unanswerable(q) for q in read_questions(UNANSWERABLE)]
