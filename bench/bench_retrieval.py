"""Retrieval quality: nDCG@10 and recall@10 of hybridq's ranking functions against LanceDB's own
dense, full-text and hybrid search, on the same texts and the same model, in the same run.

    .venv/bin/python bench/bench_retrieval.py                 # CISI, then the man-page collection
    .venv/bin/python bench/bench_retrieval.py --only cisi

Collections:
- CISI (../shared/eval/cisi, or --cisi DIR): 1,460 library-science abstracts, the 76 queries that
  have relevance judgements. A document's text is its title and its abstract.
- man pages (a collection nobody here tuned on): the pages of sections 2, 3, 5 and 7 of the Debian
  packages `manpages` and `manpages-dev` (fetched with `apt-get download`, unpacked, never
  installed). A document is a page's DESCRIPTION section; the query is the page's one-line summary
  from its NAME section (`open, openat, creat - open and possibly create a file` -> `open and
  possibly create a file`), and the relevant documents are the pages that carry that summary
  (known-item search). Pages that only point to another page (`.so`), pages whose DESCRIPTION has
  fewer than 20 words, and second copies of the same DESCRIPTION are left out.

hybridq runs `SELECT doc_id FROM docs ORDER BY <function>(body, ?) DESC LIMIT 10` (and
`vector_search('docs.body', ?, 10)`) through `Session.sql()`. LanceDB gets a table with the same
texts, the same model's vectors of the whole text, its default full-text index
(`create_fts_index`), and its default hybrid search (vector + full text fused by RRFReranker).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import DATA_DIR, command_line, load_average, machine, today, write_section  # noqa: E402

K = 10
CISI_DIR = ROOT.parent / "shared" / "eval" / "cisi"
MAN_PACKAGES = ("manpages", "manpages-dev")
MAN_SECTIONS = ("2", "3", "5", "7")


@dataclass
class Collection:
    name: str
    docs: dict[int, str]  # doc_id -> text
    queries: dict[int, str]  # query id -> text
    qrels: dict[int, set[int]]  # query id -> relevant doc ids (judged queries only)
    about: str


# -- collections ------------------------------------------------------------------------------

def _records(text: str) -> list[dict[str, str]]:
    """SMART-format records: `.I n` starts one, `.X` style fields hold the lines that follow."""
    out = []
    for block in re.split(r"^\.I\s+", text, flags=re.M)[1:]:
        ident, _, rest = block.partition("\n")
        fields = {"I": ident.strip()}
        for m in re.finditer(r"^\.([A-Z])\s*\n(.*?)(?=^\.[A-Z]\s*\n|\Z)", rest, flags=re.M | re.S):
            fields[m.group(1)] = m.group(2)
        out.append(fields)
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


def cisi(folder: Path) -> Collection:
    docs = {}
    for r in _records((folder / "CISI.ALL").read_text(encoding="latin-1")):
        title, abstract = _flat(r.get("T", "")), _flat(r.get("W", ""))
        docs[int(r["I"])] = f"{title}\n\n{abstract}" if abstract else title
    queries = {int(r["I"]): _flat(r.get("W", "")) for r in _records((folder / "CISI.QRY").read_text(encoding="latin-1"))}
    qrels: dict[int, set[int]] = {}
    for line in (folder / "CISI.REL").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(int(parts[0]), set()).add(int(parts[1]))
    queries = {q: t for q, t in queries.items() if q in qrels}
    return Collection("CISI", docs, queries, qrels,
                      f"{len(docs):,} abstracts (title and abstract), {len(queries)} judged queries")


def _roff_text(source: str) -> str:
    """Plain text of roff source, good enough for retrieval: macros dropped, their words kept."""
    out = []
    for line in source.splitlines():
        if line.startswith((".\\\"", "'\\\"")):
            continue
        if line.startswith("."):
            macro, _, args = line[1:].partition(" ")
            if macro in ("B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "SM", "SB"):
                line = args.replace('"', "")
            else:
                continue
        line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)  # font changes
        line = re.sub(r"\\\((..)", " ", line)  # special characters
        line = re.sub(r"\\\[[^]]*\]", " ", line)
        line = re.sub(r"\\[&:%|^ ]", "", line).replace("\\-", "-").replace("\\e", "\\")
        out.append(line)
    return _flat(" ".join(out))


def _sections(source: str) -> dict[str, str]:
    parts = re.split(r"^\.SH\s+\"?([^\"\n]+)\"?\s*$", source, flags=re.M)
    return {parts[i].strip().upper(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def manpages(work: Path) -> Collection:
    folder = work / "manpages"
    if not (folder / "usr" / "share" / "man").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["apt-get", "download", *MAN_PACKAGES], cwd=tmp, check=True, capture_output=True)
            for deb in Path(tmp).glob("*.deb"):
                subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
    import gzip

    pages = []
    for section in MAN_SECTIONS:
        for path in sorted((folder / "usr" / "share" / "man" / f"man{section}").glob("*")):
            raw = gzip.decompress(path.read_bytes()).decode("utf-8", "replace") if path.suffix == ".gz" \
                else path.read_text("utf-8", "replace")
            if raw.lstrip().startswith(".so "):
                continue
            sections = _sections(raw)
            name, description = _roff_text(sections.get("NAME", "")), _roff_text(sections.get("DESCRIPTION", ""))
            if " - " not in name or len(description.split()) < 20:
                continue
            summary = name.split(" - ", 1)[1].strip().lstrip("\\ ")
            pages.append((path.name, summary, description))
    docs, by_summary, seen = {}, {}, set()
    for i, (_, summary, description) in enumerate(pages, start=1):
        if description in seen:  # the same page installed under several names
            continue
        seen.add(description)
        docs[i] = description
        by_summary.setdefault(summary.lower(), set()).add(i)
    queries, qrels = {}, {}
    for qid, (summary, relevant) in enumerate(sorted(by_summary.items()), start=1):
        queries[qid] = summary
        qrels[qid] = relevant
    return Collection("man pages", docs, queries, qrels,
                      f"{len(docs):,} pages of sections {', '.join(MAN_SECTIONS)} (their DESCRIPTION), "
                      f"{len(queries):,} queries (each distinct NAME summary)")


# -- the two systems ----------------------------------------------------------------------------

CATALOG = """\
version: 1
name: retrieval
store: .store
sources:
  docs: {kind: jsonl, path: docs.jsonl}
tables:
  docs:
    source: docs
    primary_key: doc_id
    columns:
      doc_id: INTEGER
      body: {type: TEXT, semantic: true}
"""


def build_hybridq(col: Collection, folder: Path, embedder):
    import hybridq

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as f:
        for doc_id, text in col.docs.items():
            f.write(json.dumps({"doc_id": doc_id, "body": text}) + "\n")
    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    hq = hybridq.connect(folder / "catalog.yaml", embedder=embedder)
    t0 = time.perf_counter()
    hq.refresh()
    return hq, time.perf_counter() - t0


def build_lancedb(col: Collection, folder: Path, embedder):
    import lancedb
    import pyarrow as pa

    ids = list(col.docs)
    texts = [col.docs[i] for i in ids]
    vectors = embedder.embed(texts)
    db = lancedb.connect(str(folder / "lancedb"))
    table = db.create_table("docs", pa.table({
        "doc_id": pa.array(ids, pa.int64()), "body": pa.array(texts),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])}), mode="overwrite")
    table.create_fts_index("body")
    return table


def hybridq_methods(hq) -> dict:
    def ranked(sql):
        return lambda q: [r[0] for r in hq.sql(sql, [q]).rows]

    return {
        "hybridq similarity()": ranked(f"SELECT doc_id FROM docs ORDER BY similarity(body, ?) DESC LIMIT {K}"),
        "hybridq keyword_score()": ranked(f"SELECT doc_id FROM docs ORDER BY keyword_score(body, ?) DESC LIMIT {K}"),
        "hybridq hybrid_score()": ranked(f"SELECT doc_id FROM docs ORDER BY hybrid_score(body, ?) DESC LIMIT {K}"),
        "hybridq vector_search()": ranked(f"SELECT doc_id FROM vector_search('docs.body', ?, {K}) ORDER BY _score DESC"),
    }


def lancedb_methods(table, embedder) -> dict:
    from lancedb.rerankers import RRFReranker

    def ids(frame):
        return frame.column("doc_id").to_pylist()

    return {
        "LanceDB dense": lambda q: ids(table.search(embedder.embed_query(q), query_type="vector")
                                       .metric("cosine").limit(K).to_arrow()),
        "LanceDB full-text": lambda q: ids(table.search(q, query_type="fts", fts_columns="body").limit(K).to_arrow()),
        "LanceDB hybrid (RRF)": lambda q: ids(table.search(query_type="hybrid", fts_columns="body")
                                              .vector(embedder.embed_query(q)).text(q)
                                              .rerank(RRFReranker()).limit(K).to_arrow()),
    }


# -- measures -------------------------------------------------------------------------------------

def ndcg(ranked: list[int], relevant: set[int], k: int = K) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[int], relevant: set[int], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def evaluate(methods: dict, col: Collection) -> dict[str, tuple[float, float, float]]:
    """method -> (mean nDCG@10, mean recall@10, ms per query)."""
    out = {}
    for name, search in methods.items():
        t0 = time.perf_counter()
        runs = {q: search(text) for q, text in col.queries.items()}
        ms = (time.perf_counter() - t0) * 1000 / max(len(runs), 1)
        n = [ndcg(runs[q], col.qrels[q]) for q in col.queries]
        r = [recall(runs[q], col.qrels[q]) for q in col.queries]
        out[name] = (sum(n) / len(n), sum(r) / len(r), ms)
    return out


def run(col: Collection, work: Path, embedder) -> list[str]:
    hq, build_s = build_hybridq(col, work / col.name.replace(" ", "_"), embedder)
    try:
        table = build_lancedb(col, work / col.name.replace(" ", "_"), embedder)
        results = evaluate({**hybridq_methods(hq), **lancedb_methods(table, embedder)}, col)
        chunks = hq.sql("SELECT count(*) FROM docs").rows[0][0]
    finally:
        hq.close()
    best_lance = max((v[0], k) for k, v in results.items() if k.startswith("LanceDB"))
    hybrid = results["hybridq hybrid_score()"][0]
    lines = [f"**{col.name}**: {col.about}; hybridq store built in {build_s:.0f} s ({chunks:,} rows).", "",
             "| method | nDCG@10 | recall@10 | ms per query |", "|---|---:|---:|---:|"]
    for name, (n, r, ms) in results.items():
        lines.append(f"| {name} | {n:.3f} | {r:.3f} | {ms:.1f} |")
    lines += ["", f"- hybrid_score() minus the best LanceDB method ({best_lance[1]}, {best_lance[0]:.3f}): "
              f"**{hybrid - best_lance[0]:+.3f}** nDCG@10", ""]
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["cisi", "manpages"])
    parser.add_argument("--cisi", type=Path, default=CISI_DIR)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md as it is")
    args = parser.parse_args()
    from hybridq.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    work = DATA_DIR / "retrieval"
    load_before = load_average()
    body = []
    if args.only in (None, "cisi"):
        body += run(cisi(args.cisi), work, embedder)
    if args.only in (None, "manpages"):
        body += run(manpages(work), work, embedder)
    header = [f"Command: `{command_line()}`", "",
              f"Measured {today()} on {machine()}; load average {load_before} at the start, {load_average()} at the end. "
              "Same texts, same model (all-MiniLM-L6-v2) and the same query vectors for both systems; LanceDB with its "
              "default full-text index and its default hybrid search (RRF). Relevance is binary; measures are means "
              "over the judged queries.", ""]
    if not args.no_write:
        write_section("Retrieval quality (nDCG@10, recall@10)", "\n".join(header + body))


if __name__ == "__main__":
    main()
