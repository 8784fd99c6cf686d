"""The catalog model: pydantic classes with unknown keys forbidden.

Shorthands users expect are accepted and normalised before validation:
`primary_key: id` (a list of one), `semantic: true` (default chunking), `name: VARCHAR` (a column
given by its type alone).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

FILE_KINDS = ("csv", "parquet", "jsonl", "json", "documents")
SOURCE_KINDS = FILE_KINDS + ("sqlite", "postgres", "http", "python")
TERM_KINDS = ("filter", "metric", "dimension", "entity")
TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class SemanticConfig(Strict):
    """How a text column is chunked and matched."""

    chunk_tokens: int | None = Field(
        None, ge=16, le=4096,
        description="Largest chunk, in the model's tokens; default and upper bound: the model's window (254 for all-MiniLM-L6-v2).")
    overlap_tokens: int = Field(30, ge=0, description="Model tokens repeated between consecutive chunks of a long paragraph.")
    threshold: float = Field(
        0.35, ge=-1.0, le=1.0, description="Default threshold of semantic_match() on this column."
    )


class ValueAliases(Strict):
    """A known value and the other ways people write it ("TX" for Texas, "mid market" for Mid-Market)."""

    value: str
    aliases: list[str] = Field(default_factory=list, description="Other spellings, abbreviations, names.")

    _normalise_aliases = field_validator("aliases", mode="before")(_as_list)

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_text(cls, value: Any) -> Any:
        return value if isinstance(value, (dict, list)) or value is None else str(value)


class Column(Strict):
    type: str = Field(description="A DuckDB type: INTEGER, BIGINT, DOUBLE, DECIMAL(12,2), VARCHAR, TEXT, DATE, TIMESTAMP, BOOLEAN.")
    description: str | None = None
    synonyms: list[str] = Field(default_factory=list, description="Other names people use for this column.")
    values: list[str | ValueAliases] | None = Field(
        None, description="The known values of a categorical column; a value may list its aliases: {value: TX, aliases: [Texas]}.")
    semantic: SemanticConfig | None = Field(
        None, description="Mark a text column semantic (true, or chunking settings) to embed it."
    )
    unit: str | None = Field(None, description="Unit or currency of a numeric column, e.g. USD, seats, days; "
                             "'year' on an integer column makes it usable as a time column.")
    verbs: list[str] = Field(default_factory=list, description=(
        "Date column: verbs whose time refers to this date ('cancelled', 'ended' on end_date). Semantic column: verbs "
        "that introduce what its text is about ('complained', 'reported' on tickets.body)."))
    adjectives: list[str] = Field(default_factory=list, description=(
        "Number column: adjectives that rank rows by it, highest first ('large' and 'big' on area: 'the largest'); "
        "their opposites ('smallest') rank lowest first."))
    index_values: bool | None = Field(None, description=(
        "Index the column's distinct values so questions can name them (default: short text columns, and the label "
        "column, up to 100,000 values); false to opt out."))
    source_column: str | None = Field(
        None, description="The column's name in the source when it differs (a CSV header such as 'Unit Price (€)', "
        "a JSON or front-matter key such as _score).")

    _normalise_synonyms = field_validator("synonyms", mode="before")(_as_list)
    _normalise_words = field_validator("verbs", "adjectives", mode="before")(_as_list)

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, (dict, list)) else str(v) for v in value]
        return value

    def value_names(self) -> list[str]:
        """The known values, without their aliases."""
        return [v.value if isinstance(v, ValueAliases) else v for v in self.values or []]

    @field_validator("semantic", mode="before")
    @classmethod
    def _semantic_shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            return None
        return value


class Ranking(Strict):
    """Adjectives that rank a table's rows by a glossary metric computed per row ('the best customers' by ARR)."""

    adjectives: list[str] = Field(description="Adjectives such as good, valuable; 'the best' ranks the highest first.")
    metric: str = Field(description="A glossary metric (its term), computed for each row of the table.")

    _normalise = field_validator("adjectives", mode="before")(_as_list)


class Table(Strict):
    source: str = Field(description="Name of the source (under `sources:`) that fills this table.")
    description: str | None = None
    primary_key: list[str] = Field(default_factory=list, description="Column name, or list of names.")
    synonyms: list[str] = Field(default_factory=list)
    time_column: str | None = Field(None, description="The column questions about time ('last quarter') refer to.")
    label_column: str | None = Field(
        None, description="The column that names a row in answers that list rows (default: name, title or subject).")
    entity_key: list[str] = Field(default_factory=list, description=(
        "When a row is finer than the thing it describes (one row per river and state), the column(s) naming that "
        "thing: counting the table's things counts distinct values of these."))
    rankings: list[Ranking] = Field(default_factory=list, description="Adjectives that rank rows by a metric.")
    current: str | None = Field(None, description=(
        "A condition on this table's columns that holds for the rows in effect now (an active subscription: "
        "subscriptions.status = 'active'). A question that reaches these rows without a state or a time of its "
        "own is read both ways: all rows, and the current ones."))
    columns: dict[str, Column]

    _normalise_lists = field_validator("primary_key", "synonyms", "entity_key", mode="before")(_as_list)

    @field_validator("columns", mode="before")
    @classmethod
    def _type_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"type": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    def semantic_columns(self) -> list[str]:
        return [name for name, col in self.columns.items() if col.semantic is not None]

    def label(self) -> str:
        """The column that names a row when rows are listed: label_column, else one called name, title,
        subject or label (also with a prefix: c_name), else the key."""
        if self.label_column:
            return self.label_column
        for name in ("name", "title", "subject", "label"):
            for column in self.columns:
                if column.lower() == name or column.lower().endswith("_" + name):
                    return column
        return self.primary_key[0] if self.primary_key else next(iter(self.columns))

    def find_column(self, name: str) -> str | None:
        """The catalog spelling of column `name`, matched case-insensitively, or None."""
        if name in self.columns:
            return name
        lowered = name.lower()
        return next((c for c in self.columns if c.lower() == lowered), None)


class RefreshConfig(Strict):
    mode: Literal["manual", "watch", "poll", "stream"] = Field(
        "manual", description="watch: file-system events; poll: check every interval; stream: PostgreSQL changes as the server sends them.")
    interval_seconds: float = Field(5.0, gt=0)
    debounce_ms: int = Field(30, ge=0, le=10_000)


class CsvOptions(Strict):
    delimiter: str | None = None
    header: bool = True
    quote: str | None = None
    encoding: str | None = None
    date_format: str | None = None


class PostgresOptions(Strict):
    """A PostgreSQL table or read-only query. Credentials come from the environment only."""

    dsn_env: str = Field("DATABASE_URL", description="Environment variable holding the libpq connection string; "
                         "PGHOST, PGUSER, PGPASSWORD, ... fill in what it leaves out.")
    table: str | None = Field(None, description="The table to read: name or schema.name.")
    query: str | None = Field(None, description="A read-only SELECT to read instead of a table.")
    capture: Literal["auto", "replication", "watermark", "full"] = Field(
        "auto", description="auto: logical replication when the server allows it, else the watermark, else a full diff.")
    watermark_column: str | None = Field(None, description="A column set on every insert and update (updated_at).")
    sweep_seconds: float = Field(300.0, gt=0, description="watermark: how often all keys are compared to find deletes.")
    connect_timeout_seconds: float = Field(10.0, gt=0)


class SqliteOptions(Strict):
    table: str | None = Field(None, description="The SQLite table to read.")
    query: str | None = Field(None, description="A SELECT to read instead of a table.")


class HttpPagination(Strict):
    style: Literal["none", "page", "offset", "cursor", "next_url"] = Field(
        "none", description="page/offset/cursor: the URL template uses {{ page }}, {{ offset }} and {{ limit }}, or {{ cursor }}; "
        "next_url: follow the URL found at next_path, or the Link header.")
    start: int = Field(1, ge=0, description="page: the first page number.")
    size: int = Field(100, ge=1, description="Records per page ({{ limit }}); a shorter page is the last.")
    next_path: str | None = Field(None, description="cursor/next_url: dotted path of the next cursor or URL in the response.")
    max_pages: int = Field(1000, ge=1)


class HttpOptions(Strict):
    """A JSON endpoint polled on an interval."""

    url: str = Field(description="jinja2 template: {{ page }}, {{ offset }}, {{ limit }}, {{ cursor }}, {{ env.NAME }}.")
    headers: dict[str, str] = Field(default_factory=dict, description="Values are jinja2 templates; secrets come from {{ env.NAME }}.")
    records: str | None = Field(None, description="Dotted path of the list of records in the response (default: the response itself).")
    pagination: HttpPagination = Field(default_factory=HttpPagination)
    timeout_seconds: float = Field(30.0, gt=0)


class PythonOptions(Strict):
    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
                          description="module:function that returns or yields rows (mappings); the catalog's folder is importable.")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments passed to the function.")


class Source(Strict):
    kind: Literal["csv", "parquet", "jsonl", "json", "documents", "sqlite", "postgres", "http", "python"]
    path: str | None = Field(
        None,
        description="File, glob or (documents) path template such as data/contracts/{customer_id}/{contract_id}.md; "
        "relative to the catalog file. sqlite: the database file."
    )
    refresh: RefreshConfig = Field(default_factory=RefreshConfig)
    csv: CsvOptions | None = None
    body_column: str = Field("body", description="documents: the column that receives the text after the front matter.")
    max_file_bytes: int = Field(10_000_000, gt=0, description="Files larger than this are quarantined, not read.")
    sqlite: SqliteOptions | None = None
    postgres: PostgresOptions | None = None
    http: HttpOptions | None = None
    python: PythonOptions | None = None
    follow_symlinks: bool = Field(
        False, description="Read files whose real path (through a link) is outside the source's folder.")

    @property
    def reads_files(self) -> bool:
        return self.kind in FILE_KINDS

    @property
    def live_mode(self) -> str:
        """How watch mode keeps the source live: a source that reads files (or a SQLite database) is
        watched unless its entry names another mode; other sources only as their entry says."""
        if "mode" not in self.refresh.model_fields_set and (self.reads_files or self.kind == "sqlite"):
            return "watch"
        return self.refresh.mode


class Relationship(Strict):
    from_: str = Field(alias="from", description="table.column holding the foreign key (the many side).")
    to: str = Field(description="table.column it refers to (usually the primary key).")
    description: str | None = None


class GlossaryTerm(Strict):
    term: str
    kind: Literal["filter", "metric", "dimension", "entity"]
    sql: str | None = Field(
        None, description="filter: a predicate; metric: an aggregate expression; dimension: an expression; entity: a table name."
    )
    synonyms: list[str] = Field(default_factory=list)
    description: str | None = None

    _normalise_synonyms = field_validator("synonyms", mode="before")(_as_list)


class Example(Strict):
    question: str
    sql: str


class NotifyTarget(Strict):
    """Where an alert's changes go: exactly one of stdout, file or webhook."""

    stdout: bool | None = Field(None, description="Print changes in watch mode.")
    file: str | None = Field(None, description="Append changes as JSON lines to this file (relative to the catalog).")
    webhook: str | None = Field(None, description="POST changes as JSON to this URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="webhook: headers; values are jinja2 templates ({{ env.NAME }}).")
    max_attempts: int = Field(8, ge=1, le=100, description="webhook: attempts before a change is given up.")
    backoff_seconds: float = Field(1.0, gt=0, description="webhook: wait before the second attempt, doubled after each failure.")
    timeout_seconds: float = Field(10.0, gt=0)


class Alert(Strict):
    """A standing query: re-evaluated after each refresh of a table it reads; added and removed rows are notified."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    description: str | None = None
    sql: str | None = Field(None, description="A SELECT over catalog tables (semantic functions allowed).")
    question: str | None = Field(None, description="A question in words; its SQL is composed when the store opens.")
    key: list[str] = Field(default_factory=list, description="Columns of the result that identify a row (default: the whole row).")
    notify: list[NotifyTarget] = Field(default_factory=list)

    _normalise_key = field_validator("key", mode="before")(_as_list)


class Embedding(Strict):
    model: str = Field("all-MiniLM-L6-v2", description="An installed model package name or a local model directory.")
    batch_size: int = Field(64, ge=1, le=4096)
    ann_min_rows: int = Field(
        100_000, ge=1, description="A semantic column gets an ANN index once it holds this many chunks."
    )


class EngineConfig(Strict):
    """Where queries run: the embedded DuckDB (default) or Daft, on its native runner or on Ray."""

    kind: Literal["duckdb", "daft"] = Field("duckdb", description="duckdb (embedded, every feature) or daft.")
    runner: Literal["native", "ray"] = Field("native", description="daft only: its native runner or a Ray cluster.")
    address: str | None = Field(None, description="daft on ray only: the cluster address (e.g. ray://host:10001); "
                                                  "default: a local cluster started with the process.")
    embed_workers: int | None = Field(None, ge=1, description="daft only: model instances of a bulk embedding job "
                                                             "(default: as many as the runner decides).")
    bulk_embed_min_chunks: int = Field(4096, ge=1, description="daft only: a refresh that embeds at least this many "
                                                              "chunks runs it as a Daft job; fewer are embedded in process.")


class LLMSettings(Strict):
    """An optional OpenAI-compatible chat endpoint for questions the catalog alone cannot answer."""

    base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8000/v1 (or HYBRIDQ_LLM_BASE_URL)")
    model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint (or HYBRIDQ_LLM_MODEL).")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable that holds the API key.")
    mode: Literal["off", "fallback", "always"] = Field(
        "fallback", description="fallback: only when the catalog cannot place every word; always: every question.")
    max_rounds: int = Field(3, ge=1, le=10, description="Attempts, each fed the previous error.")
    timeout_seconds: float = Field(60.0, gt=0)


class Questions(Strict):
    """How questions in words read this catalog."""

    all_rows: list[str] = Field(default_factory=list, description=(
        "Phrases that mean every row of the data and change nothing ('in the us' when all the data is about one "
        "country), beyond general ones such as 'overall' and 'in total'."))
    paraphrase: Literal["auto", "on", "off"] = Field("auto", description=(
        "Link words the catalog does not contain to its phrases by meaning: auto uses the embedding model only when "
        "it is loaded for semantic columns anyway."))

    _normalise = field_validator("all_rows", mode="before")(_as_list)


class TablePolicy(Strict):
    """What one role sees of one table."""

    rows: str | None = Field(
        None, description="A condition on the table's columns: only rows where it holds exist for the role. "
                          "caller('name') is the caller's attribute of that name (from its API key).")
    hide: list[str] = Field(default_factory=list, description="Columns that do not exist for the role.")

    _normalise_hide = field_validator("hide", mode="before")(_as_list)


class Role(Strict):
    """A role that API keys map to: the tables it sees, their row filters and hidden columns."""

    description: str | None = None
    tables: dict[str, TablePolicy] | None = Field(
        None, description="The tables the role sees, each with an optional row filter and hidden columns; "
                          "tables not listed do not exist for it. Omitted: every table, whole.")
    allow: list[Literal["status", "refresh"]] = Field(
        default_factory=list, description="Operations beyond reading: status (sizes of every table), refresh.")

    @field_validator("tables", mode="before")
    @classmethod
    def _empty_policy(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value


class Access(Strict):
    """Who may read what through `hybridq serve`: API keys map to roles."""

    roles: dict[str, Role] = Field(default_factory=dict)
    keys_file: str | None = Field(
        None, description="YAML file of hashed API keys (hybridq keys add writes it), relative to the catalog. "
                          "Default: <catalog file name>.keys.yaml beside the catalog.")


class Catalog(Strict):
    version: Literal[1] = 1
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    description: str | None = None
    store: str | None = Field(None, description="Store directory, relative to the catalog file. Default .hybridq/<name>.")
    today: dt.date | None = Field(None, description="The date questions are relative to ('last quarter'); default: the real today.")
    vector_store: str | None = Field(
        None, description="Where the Lance datasets live: a directory relative to the catalog file, or an object "
                          "store URI (s3://bucket/prefix; credentials from the environment). Default: <store>/lance.")
    embedding: Embedding = Field(default_factory=Embedding)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    llm: LLMSettings | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    tables: dict[str, Table] = Field(default_factory=dict)
    relationships: list[Relationship] = Field(default_factory=list)
    glossary: list[GlossaryTerm] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    questions: Questions = Field(default_factory=Questions, description="How questions in words read the catalog.")
    alerts: list[Alert] = Field(default_factory=list)
    access: Access | None = None

    # Where the catalog was read from; set by the loader, not part of the YAML.
    _file: str | None = PrivateAttr(None)
    _located: Any = PrivateAttr(None)

    @property
    def file(self) -> str | None:
        return self._file

    @property
    def base_dir(self) -> Path:
        return Path(self._file).resolve().parent if self._file else Path.cwd()

    @property
    def store_dir(self) -> Path:
        return (self.base_dir / (self.store or f".hybridq/{self.name}")).resolve()

    @property
    def vector_location(self) -> str | Path:
        """The Lance datasets' directory (resolved) or object store URI."""
        if self.vector_store is None:
            return self.store_dir / "lance"
        if "://" in self.vector_store:
            return self.vector_store
        return (self.base_dir / self.vector_store).resolve()

    def line_of(self, *path: str | int) -> int | None:
        return self._located.line_of(path) if self._located else None

    def table(self, name: str) -> Table:
        """The table called `name` (case-insensitive, as in SQL)."""
        found = self.find_table(name)
        if found is None:
            raise KeyError(name)
        return self.tables[found]

    def find_table(self, name: str) -> str | None:
        """The catalog spelling of table `name`, matched case-insensitively, or None."""
        if name in self.tables:
            return name
        lowered = name.lower()
        return next((t for t in self.tables if t.lower() == lowered), None)

    def semantic_columns(self) -> list[tuple[str, str]]:
        """(table, column) for every semantic column."""
        return [(t, c) for t, table in self.tables.items() for c in table.semantic_columns()]

    def phrases(self) -> list[str]:
        """The names and synonyms of tables, columns and glossary terms, and the vocabulary's words:
        what words of a question may be paraphrases of (values are names, never paraphrased)."""
        out = set()
        for tname, table in self.tables.items():
            out |= {tname.replace("_", " "), *table.synonyms}
            for ranking in table.rankings:
                out |= set(ranking.adjectives)
            for cname, col in table.columns.items():
                out |= {cname.replace("_", " "), *col.synonyms, *col.verbs, *col.adjectives}
        for term in self.glossary:
            out |= {term.term, *term.synonyms}
        return sorted(p for p in out if p.strip())
