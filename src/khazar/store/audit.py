"""The audit log's store adapter: append entries, read them, verify the store's chain.

Every write action of Khazar is recorded in the same transaction as the change it
describes::

    with audited(store) as tx:
        set_alert_state(tx, alert_id, "acknowledged")   # any repository taking a Session
        tx.append("ann", "alerts.ack", target=alert_id, detail={"note": "seen"})

or, for a change that is only the audit entry, ``append(store, actor, action, ...)``.
After the transaction commits, each new entry's ``seq hash mac`` is appended to the head
file next to the store (:attr:`Store.audit_head_path`) and fsync'ed (``mac``: the record's
HMAC under the audit key, a file outside the store's folder, :mod:`khazar.audit.keys`;
the key is loaded before the transaction, so a missing key refuses the write instead of
leaving it unsealed); a PostgreSQL store,
which has no file beside it and may have several servers writing, keeps the head records
in its table ``audit_heads`` instead, and its writers take turns on a database-wide
lock (:data:`AUDIT_LOCK`) from reading the last entry to the commit: the chain stays one.
Writing the head only after the commit means a rolled-back change never leaves a phantom
head line; a crash between commit and head write leaves the entry *unsealed*, which
:func:`verify_store` reports.

Entry times never go backwards. An entry stamped by the clock (no ``ts`` given) that
would fall a little before the chain's last entry (several servers' clocks up to
:data:`CLOCK_SKEW` apart) takes the last entry's time; further back, and any ``ts`` given
by the caller before the last entry, is refused (:class:`~khazar.errors.AuditTimeError`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from khazar.audit.chain import (
    AuditEntry,
    ChainReport,
    HeadRecord,
    Problem,
    ProblemKind,
    head_mac,
    make_entry,
    verify_chain,
)
from khazar.audit.keys import load_key
from khazar.config import audit_key_file
from khazar.errors import AuditError
from khazar.store.backend import Delegating, Session
from khazar.store.db import Store

__all__ = [
    "AuditTransaction",
    "HeadFile",
    "append",
    "append_head_records",
    "audit_key",
    "audited",
    "export_head",
    "last_head",
    "list_entries",
    "read_entries",
    "read_head",
    "verify_store",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the advisory lock key of the audit chain (PostgreSQL: one writer across servers)
AUDIT_LOCK = 0x6B68_0002
_HEAD_LINE = re.compile(r"^(?P<seq>[1-9][0-9]*) (?P<hash>[0-9a-f]{64})"
                        r"(?: (?P<mac>[0-9a-f]{64}))?$")
#: how far behind the chain's last entry the clock may be (servers' clocks apart) before
#: a clock-stamped entry is refused rather than given the last entry's time
CLOCK_SKEW = timedelta(seconds=5)
_COLUMNS = "seq, epoch_us(ts), actor, action, target, detail, prev_hash, hash"

# One writer at a time per store in this process, so head lines land in seq order.
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_inside = threading.local()


def _lock_for(store: Store) -> threading.Lock:
    key = str(store.path.resolve()) if store.path is not None else store.location
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _entry(row: Sequence[Any]) -> AuditEntry:
    seq, ts_us, actor, action, target, detail, prev_hash, digest = row
    ts = _EPOCH + timedelta(microseconds=int(ts_us))
    return AuditEntry(int(seq), ts, actor, action, target, detail, prev_hash, digest)


class AuditTransaction(Delegating):
    """A store transaction that can append audit entries (see :func:`audited`). It is a
    :class:`~khazar.store.backend.Session`: pass it to repositories so their changes commit
    with the entries."""

    def __init__(self, conn: Session, key: bytes | None = None) -> None:
        #: the transaction's session (store-internal)
        self.conn = conn
        #: the audit key the new head records are signed with
        self.key = key
        self.appended: list[AuditEntry] = []
        self._flushed = 0
        self._last: AuditEntry | None = None
        self._loaded = False

    # Session: statements run inside the audited transaction (Delegating) -----------
    def transaction(self) -> AbstractContextManager[Session]:
        raise AuditError("already inside an audited transaction; run the statements on it")

    def cursor(self) -> Session:
        raise AuditError("an audited transaction has one session; run the statements on it")

    def _previous(self) -> AuditEntry | None:
        if not self._loaded:
            rows = self.conn.execute(
                f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchall()  # fetchall: leave no open result on the connection
            self._last = _entry(rows[0]) if rows else None
            self._loaded = True
        return self._last

    def append(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
        *,
        ts: datetime | None = None,
    ) -> AuditEntry:
        """Add one entry to the chain; it is inserted when the block ends (or at
        :meth:`flush`) and visible to others once the transaction commits.

        ``actor`` is the user name (``cli:<os user>`` from the command line, ``system``
        for automatic actions), ``action`` a dotted name such as ``alerts.ack``,
        ``target`` what it acted on, ``detail`` plain JSON values. ``ts`` defaults to now
        (the time the entry is written; an action's own time, e.g. a replay's ``--now``,
        belongs in ``detail``); a ``ts`` before the chain's last entry is refused.
        """
        prev = self._previous()
        if ts is None:
            ts = datetime.now(UTC)
            if prev is not None and prev.ts - CLOCK_SKEW <= ts < prev.ts:
                ts = prev.ts  # clocks a little apart: never backwards, never refused
        entry = make_entry(prev, ts, actor, action, target, detail)
        self._last = entry
        self.appended.append(entry)
        return entry

    def flush(self) -> None:
        """Insert the entries appended since the last flush (one statement for all)."""
        pending = self.appended[self._flushed :]
        if not pending:
            return
        table = pa.table(
            {
                "seq": pa.array([e.seq for e in pending], pa.int64()),
                "ts": pa.array([e.ts for e in pending], pa.timestamp("us", tz="UTC")),
                "actor": pa.array([e.actor for e in pending], pa.string()),
                "action": pa.array([e.action for e in pending], pa.string()),
                "target": pa.array([e.target for e in pending], pa.string()),
                "detail": pa.array([e.detail for e in pending], pa.string()),
                "prev_hash": pa.array([e.prev_hash for e in pending], pa.string()),
                "hash": pa.array([e.hash for e in pending], pa.string()),
            }
        )
        with self.conn.staged("_khazar_audit_pending", table):
            self.conn.execute(
                "INSERT INTO audit_log (seq, ts, actor, action, target, detail, prev_hash, hash) "
                "SELECT seq, ts, actor, action, target, detail, prev_hash, hash "
                "FROM _khazar_audit_pending"
            )
        self._flushed = len(self.appended)


@contextmanager
def audited(store: Store) -> Iterator[AuditTransaction]:
    """A transaction whose audit entries are committed with it, then sealed in the head file.

    Raises :class:`AuditError` if the store is read-only or the head file cannot be
    written (the entries are committed then; ``khazar audit verify`` reports them).
    """
    if store.read_only:
        raise AuditError(f"store {store.location} is open read-only; audit entries need "
                         "write access")
    if getattr(_inside, "active", False):
        raise AuditError(
            "audited() or append() called inside another audited() block; "
            "use that block's tx.append() so the entries commit together"
        )
    head_path = store.audit_head_path
    with _lock_for(store):
        _inside.active = True
        try:
            with store.transaction() as conn:
                conn.lock(AUDIT_LOCK)
                # before any change: a missing key refuses the write, it is never unsealed
                last = last_head(store, conn)
                key = audit_key(store, create=last is None or last.mac is None)
                tx = AuditTransaction(conn, key)
                yield tx
                tx.flush()
        finally:
            _inside.active = False
        if tx.appended:
            records = [HeadRecord(e.seq, e.hash, head_mac(key, e.seq, e.hash))
                       for e in tx.appended]
            if head_path is None:
                _insert_heads(store, records)
            else:
                _append_head(head_path, records)


def append(
    store: Store,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    *,
    ts: datetime | None = None,
) -> AuditEntry:
    """Append one entry in its own transaction and seal it in the head file."""
    with audited(store) as tx:
        return tx.append(actor, action, target, detail, ts=ts)


def audit_key(store: Store, *, create: bool) -> bytes:
    """The audit head key (:func:`~khazar.config.audit_key_file`), refused inside the
    store's folder; created when missing and ``create``."""
    folder = store.path.parent if store.path is not None else None
    return load_key(audit_key_file(), create=create, store_folder=folder)


def last_head(store: Store, session: Session | None = None) -> HeadRecord | None:
    """The newest head record of ``store`` (its head file's last line, or the newest row
    of ``audit_heads``), None when there is none."""
    path = store.audit_head_path
    if path is None:
        db = session if session is not None else store
        rows = db.execute(
            "SELECT seq, hash, mac FROM audit_heads ORDER BY seq DESC LIMIT 1").fetchall()
        if not rows:
            return None
        seq, digest, mac = rows[0]
        return HeadRecord(int(seq), str(digest), None if mac is None else str(mac))
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 4096))
            tail = f.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditError(f"cannot read audit head file {path}: {exc.strerror or exc}") from exc
    for line in reversed(tail.split(b"\n")):
        match = _HEAD_LINE.match(line.decode("ascii", errors="replace"))
        if match is not None:
            return HeadRecord(int(match.group("seq")), match.group("hash"), match.group("mac"))
    return None


def _insert_heads(store: Store, records: Sequence[HeadRecord]) -> None:
    store.executemany("INSERT INTO audit_heads (seq, hash, mac) VALUES (?, ?, ?)",
                      [(r.seq, r.hash, r.mac) for r in records])


def append_head_records(path: Path, records: Sequence[HeadRecord]) -> None:
    """Append ``seq hash`` lines to the head file at ``path`` and fsync them (a store's
    head carried over by ``khazar migrate``)."""
    _append_head(path, records)


def _append_head(path: Path, entries: Sequence[HeadRecord]) -> None:
    data = "".join(e.line() for e in entries).encode("ascii")
    created = not path.exists()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        seqs = f"{entries[0].seq}..{entries[-1].seq}"
        raise AuditError(
            f"audit entries seq {seqs} are committed but the head file {path} could not be "
            f"written ({exc.strerror or exc}); fix the file's permissions or disk, then run "
            f"`khazar audit verify`"
        ) from exc


@dataclass(frozen=True, slots=True)
class HeadFile:
    """The parsed head file: its records, and a problem for each malformed line."""

    path: Path
    records: tuple[HeadRecord, ...]
    errors: tuple[Problem, ...]


def read_head(path: Path) -> HeadFile | None:
    """Parse the head file at ``path`` (None when it does not exist)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditError(f"cannot read audit head file {path}: {exc.strerror or exc}") from exc
    records: list[HeadRecord] = []
    errors: list[Problem] = []
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        match = _HEAD_LINE.match(line.decode("ascii", errors="replace"))
        if match is None:
            shown = line[:80].decode("ascii", errors="replace")
            errors.append(
                Problem(
                    ProblemKind.head_malformed,
                    records[-1].seq + 1 if records else 0,
                    f"head file {path.name} line {number}: {shown!r} is not 'seq hash'",
                )
            )
            continue
        records.append(HeadRecord(int(match.group("seq")), match.group("hash"),
                                  match.group("mac")))
    return HeadFile(path, tuple(records), tuple(errors))


def _head_table(store: Store) -> HeadFile | None:
    """A PostgreSQL store's head records (table ``audit_heads``)."""
    rows = store.execute("SELECT seq, hash, mac FROM audit_heads ORDER BY seq").fetchall()
    if not rows:
        return None
    return HeadFile(Path("audit_heads"),
                    tuple(HeadRecord(int(s), str(h), None if m is None else str(m))
                          for s, h, m in rows), ())


def read_entries(store: Store) -> list[AuditEntry]:
    """Every entry of the audit log, by seq."""
    rows = store.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq").fetchall()
    return [_entry(row) for row in rows]


def list_entries(
    store: Store,
    *,
    limit: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
) -> list[AuditEntry]:
    """The latest ``limit`` entries matching every filter given, oldest first.

    ``action`` matches exactly or as a prefix ending in a dot (``alerts`` finds ``alerts.ack``).
    """
    where: list[str] = []
    params: list[Any] = []
    if actor is not None:
        where.append("actor = ?")
        params.append(actor)
    if action is not None:
        where.append("(action = ? OR starts_with(action, ?))")
        params.extend([action, action.rstrip(".") + "."])
    if target is not None:
        where.append("target = ?")
        params.append(target)
    if since is not None:
        if since.tzinfo is None:
            raise AuditError(f"since={since.isoformat()} has no time zone; give a UTC time")
        where.append("ts >= ?")
        params.append(since)
    sql = f"SELECT {_COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = store.execute(sql, params).fetchall()
    return [_entry(row) for row in reversed(rows)]


def verify_store(store: Store, head_path: Path | None = None,
                 copies: Sequence[Path] = ()) -> ChainReport:
    """Recompute the store's chain and check it against its head (the file next to the
    store, or PostgreSQL's ``audit_heads``; ``head_path`` replaces it), each record's mac
    against the audit key, and against ``copies``: heads kept elsewhere (``khazar audit
    export-head`` files, a backup's head file), which find a tail cut off together with its
    head lines and a chain re-hashed by someone holding the key.

    :class:`AuditError` when records carry macs but the key is missing; without a key and
    without a keyed record (a store from before keyed heads) the macs are not checked.
    """
    path = head_path or store.audit_head_path
    head = read_head(path) if path is not None else _head_table(store)
    copied: list[tuple[str, Sequence[HeadRecord], Sequence[Problem]]] = []
    for copy in copies:
        parsed = read_head(copy)
        if parsed is None:
            raise AuditError(f"head copy {copy} does not exist; give the file written by "
                             f"`khazar audit export-head`")
        copied.append((f"head copy {copy.name}", parsed.records, parsed.errors))
    keyed = any(r.mac for r in (head.records if head else ())) or any(
        r.mac for _label, records, _errors in copied for r in records)
    key: bytes | None = None
    if keyed or audit_key_file().exists():
        key = audit_key(store, create=False)
    entries = read_entries(store)
    if head is None:
        return verify_chain(entries, None, key=key, copies=copied)
    return verify_chain(entries, head.records, head.errors, key=key, copies=copied)


def export_head(store: Store) -> HeadRecord:
    """The keyed head record of the store's last entry, to keep off the host (``khazar
    audit export-head``). Refused (:class:`AuditError`) when the log does not verify, so
    an export never vouches for a chain already tampered with, or when it is empty."""
    report = verify_store(store)
    if not report.ok:
        first = report.problems[0]
        raise AuditError(f"the audit log of {store.location} does not verify "
                         f"({len(report.problems)} problem(s), first: {first.message}); "
                         f"nothing exported: run `khazar audit verify` and investigate")
    rows = store.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    if not rows:
        raise AuditError(f"the audit log of {store.location} is empty: nothing to export yet")
    seq, digest = int(rows[0][0]), str(rows[0][1])
    key = audit_key(store, create=False)
    return HeadRecord(seq, digest, head_mac(key, seq, digest))
