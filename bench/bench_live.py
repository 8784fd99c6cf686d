"""Live refresh benchmarks: freshness in watch mode, bulk ingest, incremental refresh.

    .venv/bin/python bench/bench_live.py                  # 10,000 and 100,000 documents
    .venv/bin/python bench/bench_live.py --sizes 10000    # quicker
    .venv/bin/python bench/bench_live.py --rebuild        # build the stores afresh, measuring ingest

Every figure is a ratio to a baseline measured in the same run:
- freshness: latency from a file write to the change being visible to a similarity query, with
  the store in watch mode (p50, p99); the 100k store's p50 as a ratio of the 10k store's;
- ingest: documents per second of a full build vs raw sentence-transformers encode of the same
  chunks (same model, same batch size);
- incremental: a refresh after changing 1% of the documents, as a share of the full build time.
Stores are kept under bench/.cache/ between runs (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hybridq  # noqa: E402
from common import command_line, load_average, machine, today, write_section  # noqa: E402
from examples.acme.ticket_text import STYLES, TOPICS, compose_ticket  # noqa: E402
from hybridq.embed.chunking import chunk_text  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
HEADING = "Live refresh: freshness, ingest, incremental"
CATALOG = """\
version: 1
name: live{n}
store: .hybridq/live
sources:
  docs: {{kind: documents, path: "docs/{{shard}}/{{doc_id}}.md", refresh: {{mode: watch, debounce_ms: 20}}}}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      shard: VARCHAR
      doc_id: VARCHAR
      body: {{type: TEXT, semantic: true}}
"""


COMPANIES = ("Northwind Logistics", "Bluepeak Health", "Granite Bank", "Orchid Retail", "Vega Energy")
MANAGERS = ("Priya Raman", "Lukas Brandt", "Aisha Khan", "Chiara Rossi")
MONTHS = ("January", "February", "March", "April", "May", "June")


def document(rng: random.Random) -> str:
    """A support-ticket-like document (the acme ticket generator's text)."""
    topic, style = rng.choice(TOPICS), rng.choice(STYLES)
    am = rng.choice(MANAGERS)
    known = {"company": rng.choice(COMPANIES), "am": am, "am_first": am.split()[0], "plan": "Growth",
             "seats": str(rng.randint(5, 500)), "mrr": f"${rng.randint(500, 9000):,}.00",
             "amount": f"${rng.randint(500, 90000):,}.00", "invoice_ref": f"#{rng.randint(1000, 9999)}",
             "month": rng.choice(MONTHS), "date_short": f"{rng.choice(MONTHS)} {rng.randint(1, 28)}",
             "weekday": "Tuesday"}
    subject, body = compose_ticket(rng, topic, style, known)
    words = body.split()
    return f"# {subject}\n\n{' '.join(words[:40])}\n"  # short, so a 100k store builds in minutes


def path_of(root: Path, doc_id: int) -> Path:
    return root / "docs" / f"s{doc_id % 100:02d}" / f"d{doc_id:07d}.md"


def make_project(n: int) -> Path:
    root = CACHE / f"live_{n}"
    if (root / "catalog.yaml").exists() and (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(n)
    for i in range(n):
        path = path_of(root, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document(rng))
    (root / "catalog.yaml").write_text(CATALOG.format(n=n))
    (root / ".complete").write_text("ok")
    return root


def build(root: Path) -> tuple[hybridq.Session, dict | None]:
    """Open the store, building it if needed; what the build measured (None when it was cached)."""
    hq = hybridq.connect(root / "catalog.yaml")
    stamp = root / ".hybridq" / "live" / "built.json"
    built = stamp.exists()
    if not built:
        # Ingest compares throughput: the model is loaded first (a refresh loads it once per
        # process, in seconds), and the baseline is measured right before and right after the
        # build, since the machine's speed drifts while a build runs.
        hq.embedder.embed(["warm up"])
        encode_before, chunks = raw_encode_seconds(hq, root)
    t0 = time.perf_counter()
    hq.refresh()
    seconds = time.perf_counter() - t0
    if built:
        return hq, None
    encode_after, chunks = raw_encode_seconds(hq, root)
    figures = {"build_seconds": seconds, "encode_seconds": (encode_before + encode_after) / 2,
               "encode_before": encode_before, "encode_after": encode_after, "chunks": chunks, "date": today()}
    stamp.write_text(json.dumps(figures))
    return hq, figures


def raw_encode_seconds(hq, root: Path) -> tuple[float, int]:
    """Raw sentence-transformers encode of every chunk of every document, as the build embeds them."""
    cfg = hq.catalog.tables["docs"].columns["body"].semantic
    chunks = []
    for path in sorted((root / "docs").rglob("*.md")):
        chunks.extend(chunk_text(path.read_text().strip(), hq.store.tokenizer, cfg.chunk_tokens, cfg.overlap_tokens))
    unique = list(dict.fromkeys(chunks))
    model = hq.embedder._load()
    t0 = time.perf_counter()
    model.encode(unique, batch_size=hq.catalog.embedding.batch_size, normalize_embeddings=True,
                 convert_to_numpy=True, show_progress_bar=False)
    return time.perf_counter() - t0, len(unique)


def freshness(hq, root: Path, events: int, seed: int = 1) -> list[float]:
    """Milliseconds from a file write to the change being visible, for adds, edits and deletes."""
    rng = random.Random(seed)
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=hq.watch, kwargs={"stop": stop, "ready": ready.set}, daemon=True)
    watcher.start()
    if not ready.wait(120):
        raise RuntimeError("the watcher did not get ready in 2 minutes")
    latencies = []
    existing = sorted((root / "docs").rglob("*.md"))
    try:
        for i in range(events):
            kind = ("add", "edit", "delete")[i % 3]
            probe = f"probe {i} {rng.choice(TOPICS)} zebra {rng.randrange(10**6)} lighthouse"
            if kind == "add":
                path = path_of(root, 9_000_000 + rng.randrange(10**6))
            else:
                path = existing.pop(rng.randrange(len(existing)))
            name = path.stem
            query = f"SELECT similarity(body, '{probe}') FROM docs WHERE doc_id = '{name}'"
            t0 = time.perf_counter()
            if kind == "delete":
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{probe}\n")
            while True:
                rows = hq.sql(query).rows
                visible = (not rows) if kind == "delete" else bool(rows and rows[0][0] is not None and rows[0][0] > 0.8)
                if visible:
                    break
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError(f"event {i} ({kind} {name}) never became visible")
                time.sleep(0.003)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(timeout=10)
    return latencies


def incremental(hq, root: Path, build_seconds: float, share: float = 0.01, seed: int = 2) -> tuple[float, str]:
    rng = random.Random(seed)
    paths = sorted((root / "docs").rglob("*.md"))
    hq.embedder.embed(["warm up"])  # the model is loaded, as in a process that keeps the store live
    run = time.time_ns()  # new text every run, so each run embeds its changes
    for path in rng.sample(paths, k=max(1, int(len(paths) * share))):
        path.write_text(document(rng) + f"\nUpdate {run}.\n")
    t0 = time.perf_counter()
    report = hq.refresh()
    seconds = time.perf_counter() - t0
    return seconds / build_seconds, report.summary()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--rebuild", action="store_true", help="build the stores afresh (measures ingest)")
    args = parser.parse_args()
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    load_before = load_average()
    p50s = {}
    for n in args.sizes:
        say(f"- **{n:,} documents**")
        root = make_project(n)
        if args.rebuild:
            shutil.rmtree(root / ".hybridq", ignore_errors=True)
        hq, figures = build(root)
        cached = figures is None
        if cached:
            figures = json.loads((root / ".hybridq" / "live" / "built.json").read_text())
        build_seconds, encode_seconds = figures["build_seconds"], figures["encode_seconds"]
        when = f" (measured when the store was built, {figures['date']}; --rebuild measures again)" if cached else ""
        say(f"  - ingest{when}: "
            f"{n / build_seconds:,.0f} docs/s for the full build ({build_seconds:.1f} s); raw encode of the same "
            f"{figures['chunks']:,} chunks: {n / encode_seconds:,.0f} docs/s (mean of "
            f"{figures.get('encode_before', encode_seconds):.1f} s before and {figures.get('encode_after', encode_seconds):.1f} s "
            f"after the build); ratio **{encode_seconds / build_seconds:.2f}** (target >= 0.95)")
        ratio, summary = incremental(hq, root, build_seconds)
        say(f"  - incremental: refresh after changing 1% of documents ({summary}) = **{ratio:.3f}** of the full "
            f"build (target <= 0.05)")
        hq.maintain()  # what the watcher does when idle: the steady state a live store is in
        lat = freshness(hq, root, args.events)
        p50s[n] = statistics.median(lat)
        say(f"  - freshness over {len(lat)} events (adds, edits, deletes): p50 **{p50s[n]:.0f} ms**, "
            f"p99 **{pct(lat, 0.99):.0f} ms**, max {max(lat):.0f} ms (targets: p50 <= 100, p99 <= 400)")
        hq.close()
    if len(p50s) > 1:
        small, large = min(p50s), max(p50s)
        say(f"- freshness p50 growth {large:,} vs {small:,} documents: **{p50s[large] / p50s[small]:.2f}x** "
            f"(target <= 1.5)")
    write_section(HEADING, f"Command: `{command_line()}`\n\nMeasured {today()} on {machine()}. "
                  f"1-minute load average {load_before} before and {load_average()} after. Documents are short "
                  f"support tickets (one or two chunks); the watch debounce is 20 ms; a query polls every 3 ms "
                  f"until the change is visible, from the same process (as the owner process serves other clients); the store is "
                  f"maintained (compacted) before the events, as the watcher does when idle.\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
