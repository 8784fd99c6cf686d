"""PostgreSQL logical replication: the streaming protocol and the pgoutput message format.

psycopg runs START_REPLICATION on a replication connection and leaves the stream (COPY BOTH) to
libpq: this module reads it with `get_copy_data`, decodes pgoutput (protocol version 1) into
committed transactions, and sends the standby status updates that confirm what was applied.
Values arrive in PostgreSQL's text output, the same form a text-mode query returns.
"""

from __future__ import annotations

import datetime as dt
import select
import struct
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import pq

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
UNCHANGED = object()  # an unchanged TOASTed value: not sent, read from the table when needed


def lsn_int(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _pg_time(micros: int) -> dt.datetime:
    return PG_EPOCH + dt.timedelta(microseconds=micros)


@dataclass
class Change:
    op: str  # insert, update, delete
    relation: int
    new: dict | None  # column -> text (None: NULL, UNCHANGED: not sent)
    old: dict | None  # the old key (or whole row) of an update or delete, when sent


@dataclass
class Transaction:
    end_lsn: int
    committed_at: dt.datetime
    changes: list[Change] = field(default_factory=list)
    truncated: bool = False


@dataclass
class Relation:
    namespace: str
    name: str
    columns: list[str]
    key: list[str]


class Decoder:
    """pgoutput messages in, committed transactions out (in commit order)."""

    def __init__(self):
        self.relations: dict[int, Relation] = {}
        self.current: Transaction | None = None

    def feed(self, message: bytes) -> Transaction | None:
        kind = message[:1]
        body = memoryview(message)[1:]
        if kind == b"B":
            final_lsn, ts, _xid = struct.unpack_from("!QqI", body)
            self.current = Transaction(final_lsn, _pg_time(ts))
        elif kind == b"C":
            _flags, _commit_lsn, end_lsn, ts = struct.unpack_from("!bQQq", body)
            done, self.current = self.current, None
            if done is not None:
                done.end_lsn, done.committed_at = end_lsn, _pg_time(ts)
            return done
        elif kind == b"R":
            self._relation(body)
        elif kind in (b"I", b"U", b"D") and self.current is not None:
            self.current.changes.append(self._change(kind, body))
        elif kind == b"T" and self.current is not None:
            self.current.truncated = True
        return None  # Origin, Type and other messages carry nothing to apply

    def _relation(self, body: memoryview) -> None:
        (relid,) = struct.unpack_from("!I", body)
        pos = 4
        namespace, pos = _cstring(body, pos)
        name, pos = _cstring(body, pos)
        pos += 1  # replica identity setting
        (ncols,) = struct.unpack_from("!h", body, pos)
        pos += 2
        columns, key = [], []
        for _ in range(ncols):
            flags = body[pos]
            column, pos = _cstring(body, pos + 1)
            pos += 8  # type oid, type modifier
            columns.append(column)
            if flags & 1:
                key.append(column)
        self.relations[relid] = Relation(namespace, name, columns, key)

    def _change(self, kind: bytes, body: memoryview) -> Change:
        (relid,) = struct.unpack_from("!I", body)
        columns = self.relations[relid].columns
        pos = 4
        old = None
        if kind in (b"U", b"D") and body[pos:pos + 1] in (b"K", b"O"):
            old, pos = _tuple(body, pos + 1, columns)
        if kind == b"D":
            return Change("delete", relid, None, old)
        new, pos = _tuple(body, pos + 1, columns)  # skip the 'N'
        return Change("insert" if kind == b"I" else "update", relid, new, old)


def _cstring(body: memoryview, pos: int) -> tuple[str, int]:
    end = bytes(body[pos:]).index(b"\0") + pos
    return bytes(body[pos:end]).decode(), end + 1


def _tuple(body: memoryview, pos: int, columns: list[str]) -> tuple[dict, int]:
    (ncols,) = struct.unpack_from("!h", body, pos)
    pos += 2
    values = {}
    for i in range(ncols):
        kind = body[pos:pos + 1]
        pos += 1
        if kind == b"n":
            value = None
        elif kind == b"u":
            value = UNCHANGED
        else:
            (length,) = struct.unpack_from("!i", body, pos)
            pos += 4
            value = bytes(body[pos:pos + length]).decode()
            pos += length
        values[columns[i]] = value
    return values, pos


class ReplicationStream:
    """One START_REPLICATION stream: committed transactions as they arrive; confirms what was applied."""

    def __init__(self, conn: psycopg.Connection, slot: str, publication: str, start_lsn: int):
        self.conn = conn
        self.pgconn = conn.pgconn
        self.decoder = Decoder()
        self.server_lsn = start_lsn  # how far the server has sent (its WAL end)
        self.received_lsn = start_lsn
        self.confirmed_lsn = start_lsn
        self._last_status = 0.0
        command = (f"START_REPLICATION SLOT {slot} LOGICAL {lsn_text(start_lsn)} "
                   f"(proto_version '1', publication_names '{publication}')")
        self.pgconn.send_query(command.encode())
        result = self.pgconn.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_BOTH:
            message = result.error_message.decode(errors="replace").strip() if result is not None else ""
            raise psycopg.OperationalError(f"START_REPLICATION failed: {message or 'no result'}")
        self.pgconn.nonblocking = 1

    def poll(self, timeout: float) -> list[Transaction]:
        """The transactions committed in what arrives within `timeout` seconds (returns as soon as
        something has arrived and nothing more is waiting)."""
        done: list[Transaction] = []
        deadline = time.monotonic() + timeout
        while True:
            got = self._read_available(done)
            if got and self.decoder.current is None:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            select.select([self.pgconn.socket], [], [], min(remaining, 1.0))
            self.pgconn.consume_input()
        self._status_if_due()
        return done

    def catch_up(self, target_lsn: int, timeout: float) -> list[Transaction]:
        """Every transaction committed before `target_lsn` (a position read from the server)."""
        done: list[Transaction] = []
        deadline = time.monotonic() + timeout
        asked = 0.0
        while self.server_lsn < target_lsn or self.decoder.current is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replication stream did not reach {lsn_text(target_lsn)} within {timeout:.0f}s")
            if time.monotonic() - asked > 0.05:
                self.send_status(reply=True)  # the server answers with its position
                asked = time.monotonic()
            done += self.poll(0.05)
        return done

    def _read_available(self, done: list[Transaction]) -> bool:
        got = False
        while True:
            n, data = self.pgconn.get_copy_data(1)
            if n == 0:
                return got
            if n < 0:
                result = self.pgconn.get_result()
                message = result.error_message.decode(errors="replace").strip() if result is not None else ""
                raise psycopg.OperationalError(f"the replication stream ended: {message or 'closed by the server'}")
            got = True
            data = bytes(data)
            if data[:1] == b"w":
                _start, wal_end, _sent = struct.unpack_from("!QQq", data, 1)
                self.server_lsn = max(self.server_lsn, wal_end)
                txn = self.decoder.feed(data[25:])
                if txn is not None:
                    self.received_lsn = max(self.received_lsn, txn.end_lsn)
                    done.append(txn)
            elif data[:1] == b"k":
                wal_end, _sent, reply = struct.unpack_from("!Qqb", data, 1)
                self.server_lsn = max(self.server_lsn, wal_end)
                if reply:
                    self.send_status()

    def confirm(self, lsn: int) -> None:
        """Tell the server everything up to `lsn` is applied: it may recycle that WAL."""
        if lsn > self.confirmed_lsn:
            self.confirmed_lsn = lsn
            self.send_status()

    def send_status(self, reply: bool = False) -> None:
        now = int((dt.datetime.now(dt.timezone.utc) - PG_EPOCH).total_seconds() * 1_000_000)
        lsn = self.confirmed_lsn
        self.pgconn.put_copy_data(struct.pack("!cQQQqb", b"r", lsn, lsn, lsn, now, 1 if reply else 0))
        self.pgconn.flush()
        self._last_status = time.monotonic()

    def _status_if_due(self) -> None:
        if time.monotonic() - self._last_status > 10.0:
            self.send_status()

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass
