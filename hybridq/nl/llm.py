"""The optional language-model path: any OpenAI-compatible chat endpoint.

The prompt (jinja2 templates in nl/templates) carries only the slice of the catalog relevant to
the question, found by embedding similarity, so large catalogs fit, plus the verified examples
closest to it. The returned SQL goes through the same guard as any query; an error is sent back
with the SQL for at most `max_rounds` rounds, then the question is refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import jinja2
import numpy as np

from hybridq.catalog.model import Catalog
from hybridq.errors import HybridqError, NLError

TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               autoescape=False)
SQL_BLOCK = re.compile(r"```(?:sql)?\s*(.*?)```", re.S | re.I)
MAX_TABLES = 6
MAX_TERMS = 20
MAX_EXAMPLES = 5


@dataclass
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None
    mode: str = "fallback"  # off | fallback | always
    max_rounds: int = 3
    timeout: float = 60.0

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> "LLMConfig | None":
        """The catalog's `llm:` settings, overridden by HYBRIDQ_LLM_* variables; None when not set up."""
        cfg = catalog.llm
        base_url = os.environ.get("HYBRIDQ_LLM_BASE_URL") or (cfg.base_url if cfg else None)
        if not base_url:
            return None
        key_env = cfg.api_key_env if cfg else "OPENAI_API_KEY"
        return cls(base_url=base_url.rstrip("/"),
                   model=os.environ.get("HYBRIDQ_LLM_MODEL") or (cfg.model if cfg else "gpt-4o-mini"),
                   api_key=os.environ.get(key_env),
                   mode=os.environ.get("HYBRIDQ_LLM_MODE") or (cfg.mode if cfg else "fallback"),
                   max_rounds=cfg.max_rounds if cfg else 3,
                   timeout=cfg.timeout_seconds if cfg else 60.0)


def _table_text(catalog: Catalog, name: str) -> str:
    t = catalog.tables[name]
    columns = ", ".join(f"{c} {' '.join(col.synonyms)} {col.description or ''}" for c, col in t.columns.items())
    return f"{name} {' '.join(t.synonyms)} {t.description or ''}: {columns}"


def catalog_slice(session, question: str) -> dict:
    """The tables, glossary terms and examples closest to the question (and the tables joining them)."""
    catalog: Catalog = session.catalog
    cache = session.__dict__.setdefault("_llm_vectors", {})
    embedder = session.embedder
    names = list(catalog.tables)
    if "tables" not in cache:
        cache["tables"] = embedder.embed([_table_text(catalog, n) for n in names])
        cache["terms"] = embedder.embed([f"{g.term} {' '.join(g.synonyms)} {g.description or ''}"
                                         for g in catalog.glossary]) if catalog.glossary else np.zeros((0, 1))
        cache["examples"] = embedder.embed([e.question for e in catalog.examples]) if catalog.examples else np.zeros((0, 1))
    q = embedder.embed([question])[0]
    top = [names[i] for i in np.argsort(-(cache["tables"] @ q))[:MAX_TABLES]]
    chosen = set(top)
    for rel in catalog.relationships:  # keep the tables that connect the chosen ones
        a, b = rel.from_.split(".")[0], rel.to.split(".")[0]
        if a in chosen and b not in chosen and len(chosen) < MAX_TABLES + 2:
            chosen.add(b)
    tables = [n for n in names if n in chosen]
    terms = [catalog.glossary[i] for i in np.argsort(-(cache["terms"] @ q))[:MAX_TERMS]] if catalog.glossary else []
    examples = [catalog.examples[i] for i in np.argsort(-(cache["examples"] @ q))[:MAX_EXAMPLES]] \
        if catalog.examples else []
    return {
        "today": catalog.today,
        "tables": [{"name": n, "description": catalog.tables[n].description,
                    "primary_key": catalog.tables[n].primary_key, "time_column": catalog.tables[n].time_column,
                    "columns": [{"name": c, "type": col.type, "semantic": col.semantic is not None,
                                 "description": col.description, "values": col.value_names(), "synonyms": col.synonyms}
                                for c, col in catalog.tables[n].columns.items()]} for n in tables],
        "relationships": [f"{r.from_} -> {r.to}" for r in catalog.relationships
                          if r.from_.split(".")[0] in chosen and r.to.split(".")[0] in chosen],
        "glossary": [{"term": g.term, "synonyms": g.synonyms, "kind": g.kind, "sql": g.sql} for g in terms],
        "examples": [{"question": e.question, "sql": e.sql} for e in examples],
    }


def extract_sql(text: str) -> str:
    m = SQL_BLOCK.search(text or "")
    return (m.group(1) if m else text or "").strip().rstrip(";").strip()


class ChatClient:
    def __init__(self, config: LLMConfig):
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self.http = httpx.Client(base_url=config.base_url, headers=headers, timeout=config.timeout, trust_env=False)

    def complete(self, messages: list[dict]) -> str:
        try:
            response = self.http.post("/chat/completions", json={"model": self.config.model, "messages": messages,
                                                                 "temperature": 0})
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise NLError(f"the language model at {self.config.base_url} did not answer: {exc}",
                          hint="check llm.base_url / HYBRIDQ_LLM_BASE_URL and the API key") from exc


def ask_llm(session, question: str, config: LLMConfig, client: ChatClient | None = None,
            readings: list | None = None):
    """(sql, result, transcript) from the language model, every SQL checked by the guard and run;
    raises NLError when no usable SQL came back within the rounds allowed. `readings` (description,
    sql) are the catalog's own readings of an ambiguous question, given to the model as context."""
    client = client or ChatClient(config)
    system = TEMPLATES.get_template("system.j2").render(**catalog_slice(session, question))
    user = question if not readings else TEMPLATES.get_template("readings.j2").render(question=question,
                                                                                      readings=readings)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    errors = []
    for _ in range(max(1, config.max_rounds)):
        reply = client.complete(messages)
        sql = extract_sql(reply)
        try:
            result = session.sql(sql)
            return sql, result, messages + [{"role": "assistant", "content": reply}]
        except HybridqError as exc:
            errors.append(f"{sql!r}: {exc.message}")
            messages += [{"role": "assistant", "content": reply},
                         {"role": "user", "content": TEMPLATES.get_template("repair.j2").render(error=str(exc))}]
    raise NLError(f"the language model gave no usable SQL in {config.max_rounds} rounds",
                  hint="last errors: " + " | ".join(errors[-2:]))
