"""How often questions in words get the right answer: right / wrong / refused / clarified per question set.

    .venv/bin/python bench/bench_nl_eval.py                                 # every set, both splits
    .venv/bin/python bench/bench_nl_eval.py --set defog --split tuning --details
    .venv/bin/python bench/bench_nl_eval.py --set defog --catalogs catalogs/defog/v2
    .venv/bin/python bench/bench_nl_eval.py --set defog --cli --sample 20   # through `hybridq ask --format json`

Sets: `defog` (165 public questions over six databases, gold PostgreSQL SQL run in DuckDB, see
tests/nl/defog/), `defog-unanswerable` (90 questions those databases cannot answer: each must be
refused), `defog-extra`, `defog-third` and `defog-fourth` (tests/nl/questions_defog_extra.yaml,
questions_defog_third.yaml and questions_defog_fourth.yaml: more questions over the same databases),
`geography` (tests/nl/questions_geography.yaml: questions over the defog-data package's seventh
database, whose catalog was written without reading them), `acme-external`, `acme-second` and `acme-fourth` (tests/nl/questions_acme_external.yaml,
questions_acme_second.yaml and questions_acme_fourth.yaml), each of these seven written by an author other
than the parser's, and the regression sets `acme` and `tpch` (tests/nl). Each set is split
by a fixed hash into a tuning half and a held-out half (the regression sets are not split). Scoring
rules: tests/nl/evaluate.py.

Stores are built in a temporary folder (or --workdir): the defog databases from the defog-data package
with the catalogs of --catalogs, acme generated at scale 0.05, TPC-H at 0.01. Latency is the time of
`ask()` in this process, after one warm-up question per store; with --cli it is the wall time of each
`hybridq ask` process, which opens the store itself.

HELD-OUT QUESTIONS ARE FOR REPORTING ONLY. Their per-question details are never printed nor written to
--json unless --reveal-heldout is also given, so that nobody tunes the parser on them by accident: use
--details on the tuning split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench", ROOT / "tests", ROOT / "tests" / "nl"):
    sys.path.insert(0, str(path))

from common import command_line, load_average, machine, percentile, today  # noqa: E402
from evaluate import (HELDOUT, INVALID, TUNING, UNSPLIT, VERDICTS, Entry, GoldBook, Outcome,  # noqa: E402
                      cli_asker, load_questions, score, score_on_sessions, session_golds)

SETS = ("defog", "defog-unanswerable", "defog-extra", "defog-third", "defog-fourth", "geography", "acme-external",
        "acme-second", "acme-fourth", "acme", "tpch")
EXTERNAL = {"acme-external": ROOT / "tests" / "nl" / "questions_acme_external.yaml",
            "acme-second": ROOT / "tests" / "nl" / "questions_acme_second.yaml",
            "acme-fourth": ROOT / "tests" / "nl" / "questions_acme_fourth.yaml",
            "defog-extra": ROOT / "tests" / "nl" / "questions_defog_extra.yaml",
            "defog-third": ROOT / "tests" / "nl" / "questions_defog_third.yaml",
            "defog-fourth": ROOT / "tests" / "nl" / "questions_defog_fourth.yaml",
            "geography": ROOT / "tests" / "nl" / "questions_geography.yaml"}


# -- stores ------------------------------------------------------------------------------------


@dataclass
class World:
    """Stores sharing data, the question sets asked of them, and how their gold runs."""

    name: str
    sets: tuple[str, ...]
    catalogs: dict[str | None, Path] = field(default_factory=dict)  # db (None: the only one) -> catalog
    golds: GoldBook | None = None
    sessions: dict[str | None, object] = field(default_factory=dict)
    build_s: float = 0.0
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close_sessions(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()

    def close(self) -> None:
        self.close_sessions()
        for close in self.closers:
            close()


def open_sessions(world: World, embedder) -> None:
    import hybridq

    for db, catalog in world.catalogs.items():
        session = hybridq.connect(catalog, embedder=embedder)
        session.refresh()
        world.sessions[db] = session


def defog_world(root: Path, catalogs_dir: Path, embedder) -> World:
    from defog.stores import build_project, duck_golds

    world = World("defog", ("defog", "defog-unanswerable", "defog-extra", "defog-third", "defog-fourth"))
    t0 = time.perf_counter()
    world.catalogs = dict(build_project(root / "defog", catalogs_dir))
    open_sessions(world, embedder)
    world.golds, duck = duck_golds(root / "defog")
    world.closers.append(duck.close)
    world.build_s = time.perf_counter() - t0
    return world


def geography_world(root: Path, embedder) -> World:
    """The defog-data package's geography database, with its blind catalog (catalogs/defog/geography.yaml:
    there is one version only, whatever --catalogs says)."""
    from defog.stores import build_project, duck_golds

    world = World("geography", ("geography",))
    t0 = time.perf_counter()
    world.catalogs = dict(build_project(root / "geography", databases=("geography",)))
    open_sessions(world, embedder)
    world.golds, duck = duck_golds(root / "geography")
    world.closers.append(duck.close)
    world.build_s = time.perf_counter() - t0
    return world


def single_store_world(name: str, sets: tuple[str, ...], catalog: Path, embedder) -> World:
    world = World(name, sets, {None: catalog})
    t0 = time.perf_counter()
    open_sessions(world, embedder)
    world.golds = session_golds(world.sessions[None])
    world.build_s = time.perf_counter() - t0
    return world


def acme_world(root: Path, embedder) -> World:
    from conftest import make_acme

    t0 = time.perf_counter()
    catalog = make_acme(root / "acme", scale=0.05)
    world = single_store_world("acme", ("acme-external", "acme-second", "acme-fourth", "acme"), catalog, embedder)
    world.build_s = time.perf_counter() - t0
    return world


def tpch_world(root: Path, embedder) -> World:
    from conftest import make_tpch

    t0 = time.perf_counter()
    world = single_store_world("tpch", ("tpch",), make_tpch(root / "tpch", 0.01), embedder)
    world.build_s = time.perf_counter() - t0
    return world


# -- questions ---------------------------------------------------------------------------------


def entries_of(set_name: str) -> list[Entry] | None:
    from defog.stores import defog_entries, unanswerable_entries

    if set_name == "defog":
        return defog_entries()
    if set_name == "defog-unanswerable":
        return unanswerable_entries()
    if set_name in EXTERNAL:
        return load_questions(EXTERNAL[set_name], set_name, split=True) if EXTERNAL[set_name].exists() else None
    return load_questions(ROOT / "tests" / "nl" / f"questions_{set_name}.yaml", set_name)


def select(entries: list[Entry], split: str, sample: int | None) -> list[Entry]:
    # the regression sets (not split) count as tuning material
    chosen = [e for e in entries if split in ("all", e.split) or (split == TUNING and e.split == UNSPLIT)]
    if sample is not None:
        # a fixed mix across databases and shapes: the first `sample` by a hash of the id
        chosen = sorted(chosen, key=lambda e: hashlib.sha256(e.id.encode()).hexdigest())[:sample]
    return chosen


# -- asking ------------------------------------------------------------------------------------


def prefetch_golds(world: World, entries: list[Entry]) -> None:
    """Compute every gold while this process still has the stores open (before --cli closes them)."""
    for entry in entries:
        for sql in entry.golds:
            try:
                world.golds.expected(entry.db, sql)
            except Exception:  # noqa: BLE001 - the scorer reports the entry as invalid
                pass


def run_set(world: World, entries: list[Entry], cli: bool, progress: Callable[[Outcome], None]) -> list[Outcome]:
    """Ask every entry of one set, database by database."""
    if not cli:
        return score_on_sessions(entries, world.sessions, world.golds, on_outcome=progress)
    outcomes = []
    for db, catalog in world.catalogs.items():
        mine = [e for e in entries if e.db == db]
        outcomes += score(mine, cli_asker(catalog), world.golds, on_outcome=progress)
    return outcomes


# -- report ------------------------------------------------------------------------------------


@dataclass
class Figures:
    set: str
    split: str
    n: int
    counts: dict[str, int]
    invalid: int
    p50_ms: float
    p99_ms: float
    ask_s: float  # the time of all its questions' ask() (or `hybridq ask` processes)

    def line(self) -> str:
        cells = [f"{self.counts[v]:4d} {self.counts[v] / self.n:6.1%}" if self.n else "   -      -" for v in VERDICTS]
        invalid = f"  ({self.invalid} invalid entries)" if self.invalid else ""
        return (f"{self.set:19} {self.split:8} {self.n:4d}  " + "  ".join(cells) +
                f"  {self.p50_ms:8.1f} {self.p99_ms:8.1f}  {self.ask_s:7.1f}{invalid}")


HEADER = (f"{'set':19} {'split':8} {'n':>4}  " + "  ".join(f"{v:>11}" for v in VERDICTS) +
          f"  {'p50 ms':>8} {'p99 ms':>8}  {'ask s':>7}")


def figures_of(set_name: str, split: str, outcomes: list[Outcome]) -> Figures:
    scored = [o for o in outcomes if o.verdict != INVALID]
    latencies = [o.latency_ms for o in scored if o.latency_ms is not None]
    return Figures(set_name, split, len(scored), {v: sum(o.verdict == v for o in scored) for v in VERDICTS},
                   len(outcomes) - len(scored), percentile(latencies, 50), percentile(latencies, 99),
                   sum(latencies) / 1000.0)


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def shown(outcome: Outcome, reveal: bool) -> bool:
    return outcome.split != HELDOUT or reveal


def detail(o: Outcome) -> str:
    one_line = lambda sql: " ".join((sql or "-").split())  # noqa: E731
    return (f"[{o.verdict}] {o.set} {o.id} ({o.split}): {o.question}\n"
            f"    ours: {one_line(o.sql)}\n    gold: {one_line(o.gold)}" + (f"\n    why:  {o.why}" if o.why else ""))


def run_world(world: World, wanted: tuple[str, ...], args, progress, notes: list[str]):
    """Ask the wanted sets of one world's stores; (figures per set and split, outcomes)."""
    chosen_by_set = {}
    for set_name in (s for s in world.sets if s in wanted):
        entries = entries_of(set_name)
        if entries is None:
            notes.append(f"{set_name}: {EXTERNAL[set_name].relative_to(ROOT)} not found; skipped")
            continue
        chosen_by_set[set_name] = select(entries, args.split, args.sample)
    if args.cli:
        prefetch_golds(world, [e for chosen in chosen_by_set.values() for e in chosen])
        world.close_sessions()  # each `hybridq ask` then opens the store itself, as a user's does
    figures, outcomes = [], []
    for set_name, chosen in chosen_by_set.items():
        if not chosen:
            continue
        t0 = time.perf_counter()
        asked = run_set(world, chosen, args.cli, progress)
        notes.append(f"{set_name}: {len(asked)} questions asked and scored in {time.perf_counter() - t0:.1f} s")
        for split in sorted({o.split for o in asked}, key=[TUNING, HELDOUT, UNSPLIT].index):
            figures.append(figures_of(set_name, split, [o for o in asked if o.split == split]))
        outcomes += asked
    return figures, outcomes


def print_report(figures: list[Figures], outcomes: list[Outcome], notes: list[str], args) -> int:
    """The table, the notes and the unusable entries; returns how many held-out outcomes stay hidden."""
    print("\n" + HEADER)
    for f in figures:
        print(f.line())
    print("\n" + "\n".join(notes))
    print(f"Latency: {'wall time of each hybridq ask process' if args.cli else 'ask() after one warm-up question per store'}; "
          f"ask s: the total of that line's ask times.")
    for o in outcomes:
        if o.verdict == INVALID and shown(o, args.reveal_heldout):
            print(f"unusable entry {o.set} {o.id}: {o.why}")
    hidden = sum(1 for o in outcomes if not shown(o, args.reveal_heldout))
    if args.details and hidden:
        print(f"({hidden} held-out outcomes not shown: figures only, see --reveal-heldout)")
    return hidden


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Held-out questions are for reporting only: --details and --json never include their "
               "per-question outcomes unless --reveal-heldout is given too.")
    parser.add_argument("--set", choices=[*SETS, "all"], default="all", help="question set (default: all)")
    parser.add_argument("--catalogs", type=Path, default=ROOT / "catalogs" / "defog",
                        help="folder of the defog catalogs <db>.yaml (default: catalogs/defog)")
    parser.add_argument("--split", choices=[TUNING, HELDOUT, "all"], default="all",
                        help="which half of each set (the regression sets acme and tpch are not split)")
    parser.add_argument("--details", action="store_true",
                        help="one line per question: verdict, question, our SQL, gold SQL, why it differs "
                             "(tuning and unsplit questions only, unless --reveal-heldout)")
    parser.add_argument("--reveal-heldout", action="store_true",
                        help="also show held-out questions in --details and --json (for the final report only)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures and outcomes to FILE")
    parser.add_argument("--cli", action="store_true",
                        help="ask through `hybridq ask --format json` in a new process per question (what a user "
                             "sees; slow: combine with --sample)")
    parser.add_argument("--sample", type=int, metavar="N", help="at most N questions per set (a fixed choice)")
    parser.add_argument("--workdir", type=Path, help="build the stores here and keep them (default: a temporary folder)")
    args = parser.parse_args(argv)

    wanted = SETS if args.set == "all" else (args.set,)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="hq-nl-eval-"))
    root.mkdir(parents=True, exist_ok=True)
    from hybridq.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    builders = {"defog": lambda: defog_world(root, args.catalogs, embedder),
                "geography": lambda: geography_world(root, embedder),
                "acme": lambda: acme_world(root, embedder), "tpch": lambda: tpch_world(root, embedder)}
    families = {"defog": "defog", "defog-unanswerable": "defog", "defog-extra": "defog", "defog-third": "defog",
                "defog-fourth": "defog", "geography": "geography", "acme-external": "acme", "acme-second": "acme", "acme-fourth": "acme", "acme": "acme", "tpch": "tpch"}
    print(f"# {command_line()}\n# {today()}, {machine()}; load average {load_average()}; "
          f"{'hybridq ask processes' if args.cli else 'in-process ask()'}; defog catalogs {shown_path(args.catalogs)}")
    all_figures, all_outcomes, notes = [], [], []

    def progress(o: Outcome) -> None:
        if args.details and shown(o, args.reveal_heldout):
            print(detail(o), flush=True)

    try:
        for family in dict.fromkeys(families[s] for s in wanted):
            world = builders[family]()
            notes.append(f"{family}: stores built in {world.build_s:.1f} s")
            try:
                figures, outcomes = run_world(world, wanted, args, progress, notes)
            finally:
                world.close()
            all_figures += figures
            all_outcomes += outcomes
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    hidden = print_report(all_figures, all_outcomes, notes, args)
    if args.json:
        args.json.write_text(json.dumps({
            "command": command_line(), "date": today(), "machine": machine(), "cli": args.cli,
            "catalogs": shown_path(args.catalogs), "figures": [asdict(f) for f in all_figures],
            "outcomes": [asdict(o) for o in all_outcomes if shown(o, args.reveal_heldout)],
            "heldout_outcomes_hidden": hidden,
        }, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
