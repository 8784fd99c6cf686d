"""Reader for PostgreSQL tables and read-only queries (psycopg), with change capture.

Three ways to follow a source, the best the server allows (`capture: auto`):
- **replication**: a logical replication slot (pgoutput) and a publication for the table, both
  named after the store and the table. The first read copies the table in the snapshot the slot
  was created at; later reads take the committed transactions since the position the store
  recorded (inserts, updates and deletes in commit order), and the slot is advanced only after
  the store committed them. In watch mode the changes are streamed (`follow`).
- **watermark**: rows whose `watermark_column` is at or past the last one seen; every
  `sweep_seconds` the keys and watermarks of the whole source are compared with the store's, which
  finds deletes (and rows whose transaction committed late).
- **full**: the whole table or query each time, diffed by key and hash.
Credentials come from the environment (`dsn_env` and libpq's PG* variables), never the catalog.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import threading
import time

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from hybridq.errors import SourceError
from hybridq.refresh.diff import key_text
from hybridq.refresh.sources.base import ReadContext, SourceRead, as_text, empty_rows, typed_from_records
from hybridq.refresh.sources.pgoutput import UNCHANGED, Decoder, ReplicationStream, Transaction, lsn_int, lsn_text

SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3"
SLOT_RELEASE_SECONDS = 10.0


def read_postgres(ctx: ReadContext, files: list[str]) -> SourceRead:
    handle = ctx.live.get("postgres")
    if handle is None:
        handle = ctx.live["postgres"] = PostgresSource(ctx)
    return handle.read(ctx)


def slot_name(store_dir: str, table: str) -> str:
    """A slot and publication name of this store's table (63 characters at most, lower case)."""
    digest = hashlib.sha1(f"{store_dir}\0{table}".encode()).hexdigest()[:12]
    return f"hybridq_{table.lower()[:36]}_{digest}"


class PostgresSource:
    """One PostgreSQL source in one process: its connection, its capture and its stream."""

    def __init__(self, ctx: ReadContext):
        self.opts = ctx.source.postgres
        self.name = ctx.name
        self.columns = list(ctx.table.columns)
        self.keys = list(ctx.table.primary_key)
        self.slot = slot_name(ctx.live.get("store_dir", ""), ctx.live.get("table", ctx.name))
        self.conn: psycopg.Connection | None = None
        self.decoder = Decoder()
        self.capture: str | None = None
        self.stream: ReplicationStream | None = None
        self.streaming = False
        self.pending: list[Transaction] = []
        self.applied_lsn = 0
        self.lock = threading.Lock()

    # -- connections ----------------------------------------------------------------------------

    def connect(self, **extra) -> psycopg.Connection:
        dsn = os.environ.get(self.opts.dsn_env, "")
        try:
            return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(self.opts.connect_timeout_seconds)),
                                   application_name="hybridq", options=SESSION_OPTIONS, **extra)
        except psycopg.Error as exc:
            raise SourceError(f"cannot connect to PostgreSQL (${self.opts.dsn_env}): {_first_line(exc)}",
                              hint=f"set {self.opts.dsn_env} to a connection string such as "
                                   "'host=... dbname=... user=...'; the password comes from PGPASSWORD or ~/.pgpass") from None

    def _connection(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = self.connect()
            self.decoder = Decoder()  # pgoutput sends each relation once per server session
        return self.conn

    def close(self) -> None:
        self.stop_streaming()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # -- reading ---------------------------------------------------------------------------------

    def read(self, ctx: ReadContext) -> SourceRead:
        from hybridq.refresh.external import health_of

        try:
            conn = self._connection()
            if self.capture is None:
                capture, detail = self._choose_capture(conn)
                if capture != "replication":  # a slot of an earlier capture would keep WAL on the server for nothing
                    with contextlib.suppress(psycopg.Error, SourceError):
                        self.release(conn)
                self.capture = capture
                health = health_of(ctx.live)
                health.capture, health.detail = self.capture, detail
            if self.capture == "replication":
                return self._read_replication(ctx, conn)
            if self.capture == "watermark":
                return self._read_watermark(ctx, conn)
            read = self._read_all(ctx, conn)
            read.state = {"capture": "full"}
            return read
        except psycopg.Error as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            raise SourceError(f"PostgreSQL: {_first_line(exc)}") from None

    def _choose_capture(self, conn) -> tuple[str, str]:
        opts = self.opts
        if opts.capture == "full":
            return "full", "capture: full (every refresh reads the whole source)"
        if opts.capture == "watermark":
            return "watermark", f"rows whose {opts.watermark_column} moved on, keys swept every {opts.sweep_seconds:g}s"
        problem = self._replication_problem(conn)
        if problem is None:
            return "replication", f"logical replication (slot {self.slot})"
        if opts.capture == "replication":
            raise SourceError(f"logical replication is not possible: {problem}",
                              hint="use capture: auto to fall back to the watermark or a full diff")
        if opts.watermark_column:
            return "watermark", f"watermark on {opts.watermark_column} (no logical replication: {problem})"
        return "full", f"full diff (no logical replication: {problem}; no watermark_column)"

    def _replication_problem(self, conn) -> str | None:
        """Why this source cannot use logical replication, or None (the publication then exists)."""
        opts = self.opts
        if opts.table is None:
            return "the source is a query"
        if _one(conn, "SHOW wal_level") != "logical":
            return f"wal_level is {_one(conn, 'SHOW wal_level')}, not logical"
        if not _one(conn, "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user"):
            return "the role has no REPLICATION privilege"
        row = conn.execute("SELECT oid, relreplident FROM pg_class WHERE oid = to_regclass(%s)", [opts.table]).fetchone()
        if row is None:
            raise SourceError(f"table {opts.table} does not exist", hint="check postgres.table (schema.name)")
        oid, identity = row
        if identity == "n":
            return "the table's replica identity is NOTHING"
        if identity != "f":
            flag = "indisprimary" if identity == "d" else "indisreplident"
            columns = [r[0] for r in conn.execute(
                f"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.{flag}", [oid]).fetchall()]
            if not columns:
                return "the table has no primary key (deletes would not say which row)"
            if not set(self.keys) <= set(columns):
                return f"the catalog key ({', '.join(self.keys)}) is not the table's identity ({', '.join(columns)})"
        exists = _one(conn, "SELECT count(*) FROM pg_publication WHERE pubname = %s", [self.slot])
        covers = _one(conn, "SELECT count(*) FROM pg_publication_rel WHERE prpubid = (SELECT oid FROM pg_publication "
                      "WHERE pubname = %s) AND prrelid = %s", [self.slot, oid])
        if not covers:  # new, or the table was dropped and created again since
            verb = "ALTER PUBLICATION {} SET TABLE {}" if exists else "CREATE PUBLICATION {} FOR TABLE {}"
            try:
                conn.execute(sql.SQL(verb).format(sql.Identifier(self.slot), _table_identifier(opts.table)))
            except psycopg.Error as exc:
                return f"cannot create a publication ({_first_line(exc)})"
        return None

    def release(self, conn=None) -> list[str]:
        """Drop the slot and publication this source made on the server (what was dropped)."""
        self.stop_streaming()
        conn = conn or self._connection()
        dropped = []
        if self._slot_ready(conn):
            conn.execute("SELECT pg_drop_replication_slot(%s)", [self.slot])
            dropped.append(f"replication slot {self.slot}")
        if _one(conn, "SELECT count(*) FROM pg_publication WHERE pubname = %s", [self.slot]):
            conn.execute(sql.SQL("DROP PUBLICATION {}").format(sql.Identifier(self.slot)))
            dropped.append(f"publication {self.slot}")
        self.capture = None
        return dropped

    def _select(self, where: sql.Composable | None = None) -> sql.Composed:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in self.columns)
        source = _table_identifier(self.opts.table) if self.opts.table else sql.SQL(
            "(" + self.opts.query.replace("%", "%%") + ") AS hybridq_query")
        return sql.SQL("SELECT {} FROM {}{}").format(cols, source, where or sql.SQL(""))

    def _read_all(self, ctx: ReadContext, conn, where: sql.Composable | None = None, params=None) -> SourceRead:
        from hybridq.refresh.external import rows_from_records

        return rows_from_records(ctx, _text_records(conn, self._select(where), params))

    # -- watermark --------------------------------------------------------------------------------

    def _read_watermark(self, ctx: ReadContext, conn) -> SourceRead:
        from hybridq.refresh.external import rows_from_records

        column = self.opts.watermark_column
        state = ctx.state
        now = time.time()
        if state.get("capture") != "watermark" or "watermark" not in state:
            read = self._read_all(ctx, conn)
            read.state = {"capture": "watermark", "watermark": _max_text(read.rows, column)}
            ctx.live["swept_at"] = now
            return read
        where = sql.SQL(" WHERE {} >= %s").format(sql.Identifier(column)) if state["watermark"] is not None else None
        records = _text_records(conn, self._select(where), [state["watermark"]] if where else None)
        deleted = None
        if now - ctx.live.get("swept_at", 0) >= self.opts.sweep_seconds:  # a new process sweeps first
            stale, deleted = self._sweep(ctx, conn, column)
            have = {tuple(r[k] for k in self.keys) for r in records}
            records += self._records_by_key(conn, [k for k in stale if tuple(k) not in have])
        read = rows_from_records(ctx, records)
        read.complete, read.deleted = False, deleted
        read.state = {**state, "watermark": _max_text(read.rows, column) or state["watermark"]}
        if deleted is not None:
            ctx.live["swept_at"] = now
        return read

    def _sweep(self, ctx: ReadContext, conn, column: str) -> tuple[list[list[str]], pa.Table]:
        """Keys whose watermark differs from the stored one (or that the store lacks), and stored
        keys the source no longer has."""
        wanted = list(dict.fromkeys([*self.keys, column]))
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in wanted)
        raw = _text_records(conn, sql.SQL("SELECT {} FROM ({}) AS s").format(cols, self._select()), None)
        typed, _ = typed_from_records(ctx, raw, ["sweep"] * len(raw), list(range(len(raw))))
        stored = ctx.live["stored"](wanted)
        held = {key_text(r, self.keys): r[column] for r in stored.to_pylist()}
        seen, stale = set(), []
        for row in typed.select([*wanted, "_line"]).to_pylist():
            k = key_text(row, self.keys)
            seen.add(k)
            if k not in held or held[k] != row[column]:
                stale.append([raw[row["_line"]][c] for c in self.keys])
        gone = [r for r in stored.select(self.keys).to_pylist() if key_text(r, self.keys) not in seen]
        return stale, pa.Table.from_pylist(gone, schema=stored.select(self.keys).schema)

    def _records_by_key(self, conn, keys: list[list[str]]) -> list[dict]:
        """The current rows with these keys (text values as PostgreSQL prints them)."""
        if not keys:
            return []
        joined = sql.SQL(" || chr(31) || ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in self.keys)
        query = sql.SQL("SELECT * FROM ({}) AS k WHERE {} = ANY(%s::text[])").format(self._select(), joined)
        return _text_records(conn, query, [["\x1f".join(k) for k in keys]])

    # -- replication ------------------------------------------------------------------------------

    def _read_replication(self, ctx: ReadContext, conn) -> SourceRead:
        state = ctx.state
        if self.streaming:
            with self.lock:
                txns = list(self.pending)
            read = self._apply(ctx, conn, txns, state)
            read.on_commit = _then(read.on_commit, lambda: self._taken(len(txns)))
            return read
        if state.get("slot") != self.slot or "lsn" not in state or not self._slot_ready(conn):
            return self._snapshot(ctx, conn)
        rows = conn.execute(
            "SELECT data FROM pg_logical_slot_peek_binary_changes(%s, NULL, NULL, 'proto_version', '1', "
            "'publication_names', %s)", [self.slot, self.slot]).fetchall()
        txns = [t for t in (self.decoder.feed(bytes(r[0])) for r in rows) if t is not None]
        read = self._apply(ctx, conn, txns, state)
        self._lag_from_server(ctx, conn, read.state["lsn"])
        return read

    def _slot_ready(self, conn) -> bool:
        """Whether the slot exists and is free (a process that died holding it lets go within
        seconds; the server notices the closed connection)."""
        deadline = time.monotonic() + SLOT_RELEASE_SECONDS
        while True:
            row = conn.execute("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", [self.slot]).fetchone()
            if row is None:
                return False
            if row[0] is None:
                return True
            if time.monotonic() > deadline:
                raise SourceError(f"replication slot {self.slot} is in use by server process {row[0]}",
                                  hint="another process follows this table for this store; stop it")
            time.sleep(0.1)

    def _snapshot(self, ctx: ReadContext, conn) -> SourceRead:
        """Create the slot (dropping one left behind) and copy the table as of the slot's start."""
        if self._slot_ready(conn):  # left by a refresh that died before the store committed its copy
            conn.execute("SELECT pg_drop_replication_slot(%s)", [self.slot])
        replication = self.connect(replication="database")
        try:
            _, start, snapshot, _ = replication.execute(
                f"CREATE_REPLICATION_SLOT {self.slot} LOGICAL pgoutput EXPORT_SNAPSHOT").fetchone()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                read = self._read_all(ctx, conn)
            finally:
                conn.execute("COMMIT")
        finally:
            replication.close()
        read.state = {"capture": "replication", "slot": self.slot, "lsn": lsn_int(start)}
        return read

    def _apply(self, ctx: ReadContext, conn, txns: list[Transaction], state: dict) -> SourceRead:
        """The net effect of the transactions not applied yet: rows to upsert, keys deleted."""
        from hybridq.refresh.external import rows_from_records

        done = state["lsn"]
        txns = [t for t in txns if t.end_lsn > done]
        if not txns:
            return SourceRead(empty_rows(ctx), complete=False, state=state)
        last = txns[-1].end_lsn
        new_state = {**state, "lsn": last}
        if any(t.truncated for t in txns):  # emptied: the table as it is now replaces everything
            read = self._read_all(ctx, conn)
            read.state, read.on_commit = new_state, lambda: self._applied(conn, last)
            return read
        net: dict[tuple, tuple[str, dict]] = {}
        for txn in txns:
            for change in txn.changes:
                if change.op == "delete":
                    net[self._key(change.old)] = ("delete", change.old)
                    continue
                if change.old is not None and self._key(change.old) != self._key(change.new):
                    net[self._key(change.old)] = ("delete", change.old)
                net[self._key(change.new)] = ("upsert", change.new)
        upserts = {k: v for k, (op, v) in net.items() if op == "upsert"}
        unchanged = [list(k) for k, v in upserts.items() if any(x is UNCHANGED for x in v.values())]
        records = [{c: v.get(c) for c in self.columns} for v in upserts.values()
                   if not any(x is UNCHANGED for x in v.values())]
        # a large value an update left alone is not sent: such rows are read as they are now
        read = rows_from_records(ctx, records + self._records_by_key(conn, unchanged))
        gone = [dict(zip(self.keys, k)) for k, (op, _v) in net.items() if op == "delete"]
        if gone:
            read.deleted = typed_from_records(ctx, gone, ["delete"] * len(gone), [None] * len(gone))[0].select(self.keys)
        read.complete, read.state = False, new_state
        read.on_commit = lambda: self._applied(conn, last)
        return read

    def _taken(self, count: int) -> None:
        """The first `count` streamed transactions are in the store: they leave the queue (not
        before, so a refresh that fails applies them again)."""
        with self.lock:
            del self.pending[:count]

    def _key(self, values: dict | None) -> tuple:
        return tuple((values or {}).get(k) for k in self.keys)

    def _applied(self, conn, lsn: int) -> None:
        """After the store committed up to `lsn`: the server may forget those changes."""
        self.applied_lsn = max(self.applied_lsn, lsn)
        if self.streaming:
            return  # the stream confirms it (only its thread writes to the stream)
        try:
            conn.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", [self.slot, lsn_text(lsn)])
        except psycopg.Error:
            pass  # the next read gets those changes again and skips them by position

    def _lag_from_server(self, ctx: ReadContext, conn, lsn: int) -> None:
        from hybridq.refresh.external import health_of

        health = health_of(ctx.live)
        current = lsn_int(_one(conn, "SELECT pg_current_wal_lsn()::text"))
        health.lag_bytes = max(0, current - lsn)
        health.lag_seconds = 0.0

    # -- streaming (watch mode) --------------------------------------------------------------------

    def start_streaming(self, lsn: int) -> None:
        self.stop_streaming()
        replication = self.connect(replication="database")
        try:
            self.stream = ReplicationStream(replication, self.slot, self.slot, lsn)
        except Exception:
            replication.close()
            raise
        self.applied_lsn = max(self.applied_lsn, lsn)
        self.streaming = True

    def stop_streaming(self) -> None:
        self.streaming = False
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        with self.lock:
            self.pending = []

    def stream_step(self, timeout: float, health) -> bool:
        """Read the stream for up to `timeout` seconds; whether committed changes wait to be applied."""
        self.stream.confirm(self.applied_lsn)
        txns = self.stream.poll(timeout)
        with self.lock:
            self.pending += txns
            waiting = list(self.pending)
        health.lag_bytes = max(0, self.stream.server_lsn - self.applied_lsn)
        health.lag_seconds = (dt.datetime.now(dt.timezone.utc) - waiting[0].committed_at).total_seconds() if waiting else 0.0
        return bool(waiting)


def follow(session, table: str, stop: threading.Event, log, following: threading.Event | None = None) -> None:
    """Watch mode for a `mode: stream` PostgreSQL source: apply each transaction as it arrives."""
    from hybridq.refresh.external import health_of, load_state

    backoff = 0.5
    while not stop.is_set():
        live = session.store.live_sources.setdefault(table, {})
        try:
            report = session.refresh([table])
            for source, issue in report.issues:
                log(f"{source}: {issue.format()}")
            handle = live.get("postgres")
            if handle is None or handle.capture != "replication":
                interval = session.catalog.sources[session.catalog.tables[table].source].refresh.interval_seconds
                if following is not None:
                    following.set()
                stop.wait(interval)  # no replication here: read again on the interval
                continue
            handle.start_streaming(load_state(session.store, table)["lsn"])
            if following is not None:
                following.set()
            backoff = 0.5
            while not stop.is_set():
                if handle.stream_step(0.2, health_of(live)):
                    report = session.refresh([table])
                    if report.changed:
                        log(report.summary())
        except Exception as exc:  # a lost connection: catch up from the store's position and stream again
            log(f"{table}: replication stream interrupted: {exc}")
            if following is not None:
                following.set()  # watch on; the stream is tried again
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
        finally:
            handle = live.get("postgres")
            if handle is not None:
                handle.stop_streaming()


def _then(first, second):
    """One callback that runs `first` (if any), then `second`."""
    def both() -> None:
        if first is not None:
            first()
        second()
    return both


def _text_records(conn, query, params) -> list[dict]:
    """Rows as {column: text} in PostgreSQL's text output (the form replication sends), read in a
    read-only transaction: a source's query cannot change the server."""
    cur = conn.cursor()
    own = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    if own:
        cur.execute("BEGIN READ ONLY")
    try:
        cur.execute(query, params)
    finally:
        if own:
            conn.execute("COMMIT" if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
                         else "ROLLBACK")
    result = cur.pgresult
    if result is None or cur.description is None:
        return []
    names = [d.name for d in cur.description]
    get = result.get_value
    out = []
    for i in range(result.ntuples):
        row = {}
        for j, name in enumerate(names):
            value = get(i, j)
            row[name] = None if value is None else bytes(value).decode()
        out.append(row)
    cur.close()
    return out


def _max_text(rows: pa.Table, column: str) -> str | None:
    if not rows.num_rows:
        return None
    return as_text(pc.max(rows.column(column)).as_py())


def _table_identifier(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def _one(conn, query: str, params=None):
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def release(session, tables: list[str] | None = None) -> list[str]:
    """Session.release_sources: drop the slots and publications of these PostgreSQL tables, and
    forget their position so the next refresh copies them again."""
    from hybridq.refresh.sources.base import ReadContext

    catalog, store = session.catalog, session.store
    done = []
    with store.write_lock:
        for table in tables or list(catalog.tables):
            source = catalog.sources[catalog.tables[table].source]
            if source.kind != "postgres":
                continue
            live = store.live_sources.setdefault(table, {})
            live.update(store_dir=str(store.directory), table=table)
            handle = live.get("postgres") or PostgresSource(
                ReadContext(catalog.tables[table].source, source, catalog.tables[table], catalog.base_dir,
                            store.scratch(), live=live))
            try:
                done += [f"{table}: dropped {what}" for what in handle.release()]
            except psycopg.Error as exc:
                raise SourceError(f"{table}: PostgreSQL: {_first_line(exc)}") from None
            finally:
                handle.close()
                live.pop("postgres", None)
            store.db.execute("DELETE FROM _hq.source_state WHERE table_name = ?", [table])
    return done
