"""Standing queries: re-evaluated after each refresh that touches a table they read; the rows
added and removed since the last evaluation go to a callback, stdout (watch mode), a JSON-lines
file or a webhook.

Rows are identified by the alert's key columns (the whole row without them): a row whose key
appears is added, one whose key is gone is removed. The last result of every alert is kept in the
store (`_hq.alert_rows`), so a restarted process does not alert again; the first evaluation of a
new alert records a baseline and emits nothing. Webhook deliveries are written to an outbox in the
same transaction as the new result and sent by one background thread, with retries and backoff:
a slow or failing webhook never holds up a refresh, and a delivery survives a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from sqlglot import exp

from hybridq.catalog.issues import Issue
from hybridq.catalog.model import Alert, NotifyTarget
from hybridq.errors import CatalogError, HybridqError

OUTBOX_LIMIT = 10_000  # deliveries kept per alert while a webhook is down; the oldest go first


@dataclass
class AlertChange:
    """What changed in a standing query's result: rows added and rows removed."""

    alert: str
    added: list[dict]
    removed: list[dict]
    evaluated_at: dt.datetime
    refresh_id: int | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_dict(self) -> dict:
        return {"id": self.id, "alert": self.alert, "evaluated_at": self.evaluated_at.isoformat(),
                "refresh_id": self.refresh_id, "added": self.added, "removed": self.removed}

    @classmethod
    def from_dict(cls, d: dict) -> "AlertChange":
        return cls(d["alert"], d["added"], d["removed"], dt.datetime.fromisoformat(d["evaluated_at"]),
                   d.get("refresh_id"), d["id"])

    def summary(self) -> str:
        return f"alert {self.alert}: +{len(self.added)} -{len(self.removed)}"


@dataclass
class AlertStatus:
    name: str
    sql: str
    tables: list[str]
    notify: list[str]
    last_evaluated: dt.datetime | None = None
    last_change: dt.datetime | None = None
    last_added: int = 0
    last_removed: int = 0
    rows: int = 0
    last_error: str | None = None
    pending_deliveries: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("last_evaluated", "last_change"):
            d[k] = d[k].isoformat() if d[k] else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AlertStatus":
        d = dict(d)
        for k in ("last_evaluated", "last_change"):
            d[k] = dt.datetime.fromisoformat(d[k]) if d.get(k) else None
        return cls(**d)


@dataclass
class StandingQuery:
    name: str
    sql: str
    key: list[str]
    tables: set[str]
    targets: list[NotifyTarget] = field(default_factory=list)
    callback: Callable[[AlertChange], None] | None = None
    evaluated: bool = False  # in this process
    last_error: str | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha1(json.dumps([self.sql, self.key]).encode()).hexdigest()[:16]

    def describe_targets(self) -> list[str]:
        shown = ["callback"] if self.callback else []
        for t in self.targets:
            shown.append("stdout" if t.stdout else f"file {t.file}" if t.file else f"webhook {t.webhook}")
        return shown


class Subscription:
    """A standing query registered with `Session.subscribe`; `cancel()` stops it."""

    def __init__(self, alerts: "Alerts", name: str):
        self._alerts, self.name = alerts, name

    def cancel(self) -> None:
        self._alerts.remove(self.name)

    def __repr__(self) -> str:
        return f"<Subscription {self.name}>"


def tables_read(sql: str, catalog) -> set[str]:
    """The catalog tables a query reads (after the guard accepted it), vector_search included."""
    from hybridq.sql.guard import check_query
    from hybridq.sql.parse import parse_query

    tree = parse_query(sql)
    check_query(tree, catalog, sql)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = set()
    for node in tree.find_all(exp.Table):
        name = catalog.find_table(node.name) if node.name and node.name.lower() not in ctes else None
        if name:
            found.add(name)
    for literal in tree.find_all(exp.Literal):
        if literal.is_string and "." in literal.this:
            name = catalog.find_table(literal.this.split(".", 1)[0])
            if name and isinstance(literal.parent, (exp.Func, exp.Anonymous)):
                found.add(name)
    return found


class Alerts:
    """The standing queries of one open store."""

    def __init__(self, store):
        self.store = store
        self.queries: dict[str, StandingQuery] = {}
        self.lock = threading.RLock()
        self.log: Callable[[str], None] | None = None  # stdout targets print here (watch mode)
        self._catalog_loaded = False
        self._dispatcher: WebhookDispatcher | None = None

    # -- registration ----------------------------------------------------------------------------

    def load_catalog(self, session) -> None:
        """The catalog's alerts; a question becomes its SQL, or a catalog error with the reason."""
        if self._catalog_loaded:
            return
        catalog = session.catalog
        issues = []
        for i, alert in enumerate(catalog.alerts):
            try:
                sql = alert.sql if alert.sql is not None else self._question_sql(session, alert)
                self.queries[alert.name] = StandingQuery(alert.name, sql, list(alert.key), tables_read(sql, catalog),
                                                         list(alert.notify))
            except _Refused as refused:
                issues.append(_issue(catalog, ("alerts", i, "question"),
                                     f"alert '{alert.name}': the question is not answered: {refused}",
                                     "reword the question, or give the alert its sql"))
            except HybridqError as exc:
                issues.append(_issue(catalog, ("alerts", i, "sql" if alert.sql else "question"),
                                     f"alert '{alert.name}': {exc.message}", exc.hint))
        self._catalog_loaded = True
        if issues:
            raise CatalogError(issues, file=catalog.file)
        if any(t.webhook for q in self.queries.values() for t in q.targets):
            self.dispatcher().wake()  # deliveries a previous process left in the outbox

    @staticmethod
    def _question_sql(session, alert: Alert) -> str:
        answer = session.ask(alert.question)
        if getattr(answer, "clarification", None):  # several readings: an alert must mean one thing
            raise _Refused(answer.reason or f"it needs a clarification: {answer.clarification}")
        if answer.refused or not answer.sql:
            raise _Refused(answer.reason or "no SQL was composed")
        return answer.sql

    def subscribe(self, session, sql: str, on_change: Callable[[AlertChange], None], *, key: list[str] | None = None,
                  name: str | None = None) -> Subscription:
        name = name or "subscription_" + hashlib.sha1(json.dumps([sql, key or []]).encode()).hexdigest()[:12]
        query = StandingQuery(name, sql, list(key or []), tables_read(sql, session.catalog), callback=on_change)
        with self.lock:
            self.queries[name] = query
        self.evaluate(session, query)
        return Subscription(self, name)

    def remove(self, name: str) -> None:
        with self.lock:
            self.queries.pop(name, None)

    # -- evaluation ----------------------------------------------------------------------------

    def after_refresh(self, session, report) -> list[AlertChange]:
        """Evaluate the queries that read a table this refresh changed (and those never evaluated here)."""
        self.load_catalog(session)
        touched = {t for t, r in report.tables.items() if r.changed} if report.changed else set()
        due = [q for q in list(self.queries.values()) if (q.tables & touched) or not q.evaluated]
        return [c for q in due if (c := self.evaluate(session, q)) is not None]

    def evaluate(self, session, query: StandingQuery) -> AlertChange | None:
        with self.lock:
            try:
                result = session.sql(query.sql)
            except HybridqError as exc:
                query.last_error = f"evaluation failed: {exc.message}"
                return None
            rows = [_jsonable(r) for r in result.to_arrow().to_pylist()]
            change = self._compare_and_store(query, rows, result.snapshot.refresh_id)
            query.evaluated, query.last_error = True, None
        if change is not None:
            self._emit(session, query, change)
        return change

    def _compare_and_store(self, query: StandingQuery, rows: list[dict], refresh_id) -> AlertChange | None:
        now = dt.datetime.now()
        current = {_row_key(r, query.key): r for r in rows}
        con = self.store.db.cursor()
        try:
            known = con.execute("SELECT fingerprint, changed_at, added, removed FROM _hq.alert_state WHERE alert = ?",
                                [query.name]).fetchall()
            baseline = not known or known[0][0] != query.fingerprint
            _, changed_at, last_added, last_removed = known[0] if known and not baseline else (None, None, 0, 0)
            stored = {} if baseline else {k: json.loads(v) for k, v in con.execute(
                "SELECT key, row_json FROM _hq.alert_rows WHERE alert = ?", [query.name]).fetchall()}
            added = [r for k, r in current.items() if k not in stored]
            removed = [r for k, r in stored.items() if k not in current]
            change = None if baseline or not (added or removed) else AlertChange(query.name, added, removed, now, refresh_id)
            con.execute("BEGIN TRANSACTION")
            try:
                if baseline or added or removed:
                    con.execute("DELETE FROM _hq.alert_rows WHERE alert = ?", [query.name])
                    if current:
                        con.executemany("INSERT INTO _hq.alert_rows VALUES (?, ?, ?)",
                                        [[query.name, k, json.dumps(r, default=str)] for k, r in current.items()])
                if change is not None:
                    changed_at, last_added, last_removed = now, len(added), len(removed)
                con.execute("INSERT OR REPLACE INTO _hq.alert_state VALUES (?, ?, ?, ?, ?, ?)",
                            [query.name, query.fingerprint, now, changed_at, last_added, last_removed])
                if change is not None:
                    for i, target in enumerate(query.targets):
                        if target.webhook:
                            con.execute("INSERT INTO _hq.alert_outbox VALUES (?, ?, ?, ?, ?)",
                                        [f"{change.id}:{i}", query.name, str(i), json.dumps(change.to_dict(), default=str), now])
                    con.execute(
                        "DELETE FROM _hq.alert_outbox WHERE alert = ? AND id NOT IN (SELECT id FROM _hq.alert_outbox "
                        "WHERE alert = ? ORDER BY created_at DESC LIMIT ?)", [query.name, query.name, OUTBOX_LIMIT])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return change
        finally:
            con.close()

    def _emit(self, session, query: StandingQuery, change: AlertChange) -> None:
        problems = []
        if query.callback is not None:
            try:
                query.callback(change)
            except Exception as exc:  # a user's callback must not break the refresh that fed it
                problems.append(f"callback failed: {type(exc).__name__}: {exc}")
        for target in query.targets:
            if target.stdout and self.log is not None:
                self.log(f"{change.summary()} " + json.dumps({"added": change.added, "removed": change.removed},
                                                             default=str))
            elif target.file:
                try:
                    path = Path(target.file)
                    path = path if path.is_absolute() else session.catalog.base_dir / path
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with open(path, "a", encoding="utf-8") as f:
                        f.write(json.dumps(change.to_dict(), default=str) + "\n")
                except OSError as exc:
                    problems.append(f"cannot append to {target.file}: {exc.strerror or exc}")
        if any(t.webhook for t in query.targets):
            self.dispatcher().wake()
        query.last_error = "; ".join(problems) or None

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> list[AlertStatus]:
        """Every standing query of this process, and the catalog's alerts even before they were loaded."""
        con = self.store.db.cursor()
        try:
            state = {r[0]: r for r in con.execute(
                "SELECT alert, evaluated_at, changed_at, added, removed FROM _hq.alert_state").fetchall()}
            counts = dict(con.execute("SELECT alert, count(*) FROM _hq.alert_rows GROUP BY alert").fetchall())
            pending = dict(con.execute("SELECT alert, count(*) FROM _hq.alert_outbox GROUP BY alert").fetchall())
        finally:
            con.close()
        out = []
        failures = self._dispatcher.failures if self._dispatcher else {}
        queries = dict(self.queries)
        for alert in self.store.catalog.alerts:
            if alert.name not in queries:
                queries[alert.name] = StandingQuery(alert.name, alert.sql or f"question: {alert.question}", alert.key,
                                                    _tables_or_none(alert.sql, self.store.catalog), alert.notify)
        for name, q in queries.items():
            _, evaluated, changed, added, removed = state.get(name, (name, None, None, 0, 0))
            error = q.last_error or failures.get(name)
            out.append(AlertStatus(name, q.sql, sorted(q.tables), q.describe_targets(), evaluated, changed,
                                   added or 0, removed or 0, counts.get(name, 0), error, pending.get(name, 0)))
        return out

    # -- delivery --------------------------------------------------------------------------------

    def dispatcher(self) -> "WebhookDispatcher":
        if self._dispatcher is None:
            self._dispatcher = WebhookDispatcher(self)
        return self._dispatcher

    def target(self, alert: str, index: str) -> NotifyTarget | None:
        query = self.queries.get(alert)
        if query is None or not index.isdigit() or int(index) >= len(query.targets):
            return None
        return query.targets[int(index)]

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.close()


class WebhookDispatcher:
    """One thread that POSTs outbox entries, oldest first, retrying with exponential backoff."""

    def __init__(self, alerts: Alerts):
        self.alerts = alerts
        self.failures: dict[str, str] = {}  # alert -> the last delivery problem
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hybridq-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        import httpx

        with httpx.Client(trust_env=False) as client:
            while not self._stop.is_set():
                self._wake.wait(5.0)
                self._wake.clear()
                while not self._stop.is_set() and self._deliver_next(client):
                    pass

    def _deliver_next(self, client) -> bool:
        con = self.alerts.store.db.cursor()
        try:
            rows = con.execute("SELECT id, alert, target, payload FROM _hq.alert_outbox ORDER BY created_at, id "
                               "LIMIT 1").fetchall()
            if not rows:
                return False
            entry_id, alert, index, payload = rows[0]
            target = self.alerts.target(alert, index)
            if target is None and not self.alerts.queries:
                return False  # the alerts are not loaded yet in this process: keep it for later
            if target is not None and target.webhook and self._post(client, alert, target, payload) is None:
                return False  # stopping: the entry stays for the next process
            con.execute("DELETE FROM _hq.alert_outbox WHERE id = ?", [entry_id])
            return True
        finally:
            con.close()

    def _post(self, client, alert: str, target: NotifyTarget, payload: str) -> bool | None:
        """True once delivered, False when given up, None when stopped before either."""
        from hybridq.refresh.sources.http import render

        delay = target.backoff_seconds
        change_id = json.loads(payload)["id"]
        for attempt in range(1, target.max_attempts + 1):
            try:
                headers = {k: render(v, {}) for k, v in target.headers.items()}
                response = client.post(target.webhook, content=payload, timeout=target.timeout_seconds,
                                       headers={"Content-Type": "application/json", "Idempotency-Key": change_id,
                                                **headers})
                if response.status_code < 400:
                    self.failures.pop(alert, None)
                    return True
                problem = f"HTTP {response.status_code}"
            except Exception as exc:  # network errors, a template naming a missing variable
                problem = f"{type(exc).__name__}: {exc}"
            self.failures[alert] = f"webhook {target.webhook}: attempt {attempt} of {target.max_attempts}: {problem}"
            if attempt < target.max_attempts and self._stop.wait(delay):
                return None
            delay = min(delay * 2, 300.0)
        self.failures[alert] = f"webhook {target.webhook}: gave up after {target.max_attempts} attempts: {problem}"
        return False

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)


def _tables_or_none(sql: str | None, catalog) -> set[str]:
    try:
        return tables_read(sql, catalog) if sql else set()
    except HybridqError:
        return set()


class _Refused(Exception):
    pass


def _issue(catalog, path: tuple, message: str, hint: str | None) -> Issue:
    from hybridq.catalog.loader import format_path

    return Issue("error", format_path(path), message, hint=hint, file=catalog.file, line=catalog.line_of(*path))


def _row_key(row: dict, key: list[str]) -> str:
    return json.dumps([row.get(k) for k in key] if key else row, default=str, sort_keys=True)


def _jsonable(row: dict) -> dict:
    """A result row as JSON values (dates as ISO text, decimals as numbers)."""
    return json.loads(json.dumps(row, default=_plain))


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
