"""Live refresh benchmarks: freshness in watch mode, bulk ingest, incremental refresh.

    .venv/bin/python bench/bench_live.py                  # 10,000 and 100,000 documents
    .venv/bin/python bench/bench_live.py --sizes 10000    # quicker
    .venv/bin/python bench/bench_live.py --rebuild        # build the stores afresh, measuring ingest

Every figure is a ratio to a baseline measured in the same run:
- freshness: latency from a file write to the change being visible to a similarity query sent by
  another process (through `hybridq.connect()` and through HTTP) to `hybridq serve --watch`
  (p50, p99), as a ratio of the same query's round trip; the 100k store's p50 as a ratio of the
  10k store's; the owner's log breaks each change down (delivery, read, embed, writes, commit);
- ingest: documents per second of a full build vs raw sentence-transformers encode of the same
  chunks (same model, same batch size);
- incremental: a refresh after changing 1% of the documents, as a share of the full build time.
Stores are kept under bench/.cache/ between runs (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
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
POLL_SECONDS = 0.005  # a client asks again 5 ms after each answer
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


class Owner:
    """`hybridq serve CATALOG --watch` in another process: it owns the store, watches the files,
    and answers `hybridq.connect()` (its owner endpoint) and plain HTTP (the public API)."""

    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.lines: list[tuple[float, str]] = []  # (time received, line) of its log
        # stdout carries the server's access log (a line per request): not wanted here. SIGINT is
        # made deliverable in the child (a shell starting this bench in the background ignores it).
        self.proc = subprocess.Popen([sys.executable, "-m", "hybridq.cli", "serve", str(root / "catalog.yaml"),
                                      "--port", str(port), "--watch"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                                     env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.time() + 300
        while not any("watching" in line for _, line in self.lines):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("the owner did not start:\n" + "\n".join(line for _, line in self.lines))
            time.sleep(0.05)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.time(), line.rstrip("\n")))

    def applied(self, name: str, after: int) -> dict | None:
        """The owner's log line for the change of `name` (after line number `after`): when its
        refresh ended (wall clock), how long it took, and its stages."""
        for _, line in self.lines[after:]:
            if f"/{name}.md" in line and "rows" in line:
                m = re.match(r"(\d+):(\d+):(\d+)\.(\d+) .*\((\d+) ms\)", line)
                if not m:
                    return None
                h, mi, sec, ms, took = map(int, m.groups())
                now = dt.datetime.now()
                ended = now.replace(hour=h, minute=mi, second=sec, microsecond=ms * 1000).timestamp()
                tail = line.rsplit("] ", 1)[-1]
                stages = {name_.strip(): float(v) for name_, v in re.findall(r"([a-z ]+) (\d+)", tail.replace(" ms", ""))}
                return {"ended": ended, "took": took, "stages": stages}
        return None

    def close(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def http_client(port: int):
    """SELECT over the public HTTP API (JSON), on one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def sql(query: str, params: list) -> list:
        conn.request("POST", "/v1/sql", body=json.dumps({"sql": query, "params": params}),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(payload)
        return [list(r.values()) if isinstance(r, dict) else r for r in payload["rows"]]

    return sql


def freshness(root: Path, events: int, port: int, seed: int = 1) -> dict:
    """Milliseconds from a file write to the change being visible to another process, through
    `hybridq.connect()` (answered by the owner) and through the HTTP API, taking turns (one client
    polls each change, every 5 ms, as one user would); with the owner's own figures for each change
    (when its refresh ended, and its stages)."""
    rng = random.Random(seed)
    owner = Owner(root, port)
    try:
        remote = hybridq.connect(root / "catalog.yaml")
        assert not hasattr(remote, "store"), "the bench process must not own the store"
        http_sql = http_client(port)
        clients = {"connect()": lambda q, p: remote.sql(q, p).rows, "HTTP": http_sql}
        query = "SELECT similarity(body, ?) FROM docs WHERE doc_id = ?"
        existing = sorted((root / "docs").rglob("*.md"))
        out = {"connect()": [], "HTTP": [], "owner": [], "delivery": [], "refresh": [], "after commit": [],
               "next poll": [], "seeing poll": [],
               "stages": [], "kinds": {"connect()": [], "HTTP": []}, "applied kinds": []}
        for i in range(2 * events + 6):  # the first six warm both clients up and are not counted
            kind = ("add", "edit", "delete")[i % 3]
            client = ("connect()", "HTTP")[i // 3 % 2]
            probe = f"probe {i} {rng.choice(TOPICS)} zebra {rng.randrange(10**6)} lighthouse"
            path = path_of(root, 9_000_000 + rng.randrange(10**6)) if kind == "add" else \
                existing.pop(rng.randrange(len(existing)))
            name = path.stem
            seen = None
            mark = len(owner.lines)
            t_write = time.time()
            if kind == "delete":
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{probe}\n")
            while time.time() - t_write < 30:
                asked = time.time()
                rows = clients[client](query, [probe, name])
                if (not rows) if kind == "delete" else bool(rows and rows[0][0] is not None and rows[0][0] > 0.8):
                    seen = time.time()
                    break
                time.sleep(POLL_SECONDS)
            if seen is None:
                raise RuntimeError(f"event {i} ({kind} {name}) never became visible")
            applied = None
            for _ in range(200):
                applied = owner.applied(name, mark)
                if applied:
                    break
                time.sleep(0.01)
            if i < 6:
                continue
            out[client].append((seen - t_write) * 1000)
            out["kinds"][client].append(kind)
            if applied:
                started = applied["ended"] - applied["took"] / 1000
                out["owner"].append((applied["ended"] - t_write) * 1000)
                out["delivery"].append((started - t_write) * 1000)
                out["refresh"].append(applied["took"])
                out["after commit"].append((seen - applied["ended"]) * 1000)
                # the poll that saw it was sent this long after the commit (a poll sent before it
                # answers from the state before), and took this long
                out["next poll"].append((asked - applied["ended"]) * 1000)
                out["seeing poll"].append((seen - asked) * 1000)
                out["stages"].append(applied["stages"])
                out["applied kinds"].append(kind)
            time.sleep(0.05)
        # the baseline: the same query when nothing changes (a client cannot see a change faster)
        for client, run in clients.items():
            rounds = []
            for _ in range(40):
                t0 = time.perf_counter()
                run(query, ["lighthouse zebra", name])
                rounds.append((time.perf_counter() - t0) * 1000)
                time.sleep(POLL_SECONDS)
            out[f"query {client}"] = statistics.median(rounds)
        remote.close()
    finally:
        owner.close()
    return out


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


def report_freshness(fresh: dict, say) -> None:
    """The freshness lines of one store size: per client, per kind of change, and the breakdown."""
    for client in ("connect()", "HTTP"):
        lat = fresh[client]
        say(f"  - freshness seen from another process through {client}, over {len(lat)} events (adds, edits, "
            f"deletes): p50 **{statistics.median(lat):.0f} ms**, p99 **{pct(lat, 0.99):.0f} ms**, max {max(lat):.0f} ms "
            f"(targets: p50 <= 50, p99 <= 150); the same query with nothing changed: p50 "
            f"{fresh['query ' + client]:.1f} ms (freshness p50 / query p50 = "
            f"**{statistics.median(lat) / fresh['query ' + client]:.1f}x**)")
        for kind in ("add", "edit", "delete"):
            by_kind = [ms for ms, k in zip(lat, fresh["kinds"][client]) if k == kind]
            say(f"    - {kind}s: p50 {statistics.median(by_kind):.0f} ms, max {max(by_kind):.0f} ms")
    if fresh["owner"]:
        stages = {}
        for d in fresh["stages"]:
            for k, v in d.items():
                stages.setdefault(k, []).append(v)
        say(f"  - breakdown (p50 over the events): file write -> the owner's refresh starts (event delivery and "
            f"debounce) {statistics.median(fresh['delivery']):.0f} ms; its refresh {statistics.median(fresh['refresh']):.0f} ms ("
            + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in stages.items()) + " ms); refresh committed -> "
            f"first client sees it {statistics.median(fresh['after commit']):.0f} ms (the poll that saw it was sent "
            f"{statistics.median(fresh['next poll']):.0f} ms after the commit, while the one before answered from "
            f"the state before, and took {statistics.median(fresh['seeing poll']):.0f} ms: request, query, answer)")
        for kind in ("add", "edit", "delete"):
            of = lambda name: [v for v, k in zip(fresh[name], fresh["applied kinds"]) if k == kind]  # noqa: E731
            if not of("refresh"):
                say(f"    - {kind}s: not found in the owner's log")
                continue
            say(f"    - {kind}s: delivery {statistics.median(of('delivery')):.0f} ms, refresh "
                f"{statistics.median(of('refresh')):.0f} ms, committed -> seen {statistics.median(of('after commit')):.0f} ms")
        say(f"  - in the owner process (the old in-process figure, a breakdown only): write -> committed p50 "
            f"{statistics.median(fresh['owner']):.0f} ms, p99 {pct(fresh['owner'], 0.99):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--rebuild", action="store_true", help="build the stores afresh (measures ingest)")
    parser.add_argument("--port", type=int, default=8471, help="port of the owner's HTTP API (loopback)")
    parser.add_argument("--freshness-only", action="store_true",
                        help="measure freshness alone (the store is built without measuring ingest when missing)")
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
        if args.freshness_only:
            hq = hybridq.connect(root / "catalog.yaml")
            hq.refresh()  # a store built earlier is brought up to date; ingest is not measured
            hq.maintain()
            hq.close()
            fresh = freshness(root, args.events, args.port)
            p50s[n] = statistics.median(fresh["connect()"])
            report_freshness(fresh, say)
            continue
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
        hq.close()
        fresh = freshness(root, args.events, args.port)
        p50s[n] = statistics.median(fresh["connect()"])
        report_freshness(fresh, say)
    if len(p50s) > 1:
        small, large = min(p50s), max(p50s)
        say(f"- freshness p50 growth {large:,} vs {small:,} documents: **{p50s[large] / p50s[small]:.2f}x** "
            f"(target <= 1.5)")
    write_section(HEADING, f"Command: `{command_line()}`\n\nMeasured {today()} on {machine()}. "
                  f"1-minute load average {load_before} before and {load_average()} after. Documents are short "
                  f"support tickets (one chunk each); the watch debounce is 20 ms. Freshness is measured as a client "
                  f"sees it: `hybridq serve CATALOG --watch` owns the store in another process; this process writes "
                  f"a file and polls every 5 ms until the change is visible, through `hybridq.connect()` (answered by "
                  f"the owner) or through the HTTP API, the two taking turns by three events (an add, an edit, a "
                  f"delete). The owner's log gives the "
                  f"breakdown. The store is maintained (compacted) before the events, as the watcher does when "
                  f"idle.\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
