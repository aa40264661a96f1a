"""Moving a whole store to another database: ``khazar migrate`` (DuckDB ↔ PostgreSQL).

Every table of the schema is copied into an empty target in one transaction (a crash leaves
the target as empty as it was), batch by batch through :meth:`Session.staged` (``COPY`` on
PostgreSQL), so memory stays bounded on a store of millions of positions. The source is read
in one snapshot (PostgreSQL: a ``REPEATABLE READ`` read-only transaction with a server-side
cursor; DuckDB: a file opened read-only, which no one else writes meanwhile).

What a database generates is not copied but generated again: PostgreSQL's ``rowid``
identity columns and positions' PostGIS ``geom``. Rows go in in the source's insertion
order (``rowid``), so the target numbers positions, detections and static reports in the
same order and the live runtime's watermarks keep their meaning.

The audit chain travels with its head: the head file next to a DuckDB store becomes rows of
PostgreSQL's ``audit_heads`` and back, so ``khazar audit verify`` passes on the target. Row
counts and the audit head are compared inside the target's transaction: on a difference it
rolls back. After the commit the migration itself is recorded in the target's audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from khazar.audit.chain import AuditEntry, HeadRecord
from khazar.errors import KhazarError, StoreError
from khazar.store.audit import AUDIT_LOCK, append, append_head_records, read_head
from khazar.store.backend import DuckDBBackend, Session
from khazar.store.db import Store
from khazar.store.postgres import PostgresBackend

__all__ = ["AuditHead", "Column", "TableCount", "TransferReport", "migrate_store", "snapshot",
           "table_batches", "table_columns"]

#: rows per batch: about 10 MB of positions in Arrow, a few times that as Python rows
BATCH_ROWS = 50_000
#: each store's own: its schema version, and the coordination state of several servers on
#: one PostgreSQL database (khazar.store.coordination: the detection lease, the outbox of
#: live notifications), which means nothing in another database
_NOT_COPIED = frozenset({"meta", "live_leader", "live_outbox"})
#: PostgreSQL's table of audit head records; a DuckDB store keeps them in a file instead
_HEADS = "audit_heads"
_STAGED = "_khazar_transfer"
_ORD = "_khazar_ord"

_ARROW: dict[str, pa.DataType] = {
    "bigint": pa.int64(), "integer": pa.int32(), "smallint": pa.int16(),
    "tinyint": pa.int8(), "ubigint": pa.uint64(), "double": pa.float64(),
    "double precision": pa.float64(), "float": pa.float32(), "real": pa.float32(),
    "boolean": pa.bool_(), "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "varchar": pa.string(), "character varying": pa.string(), "text": pa.string(),
    "json": pa.string(),
    # PostgreSQL's rendering of DuckDB's UBIGINT (schema: NUMERIC(20,0))
    "numeric": pa.uint64(),
}


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The last record of a store's audit head (its file, or table ``audit_heads``) and
    how many records it has."""

    seq: int
    hash: str
    records: int


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's rows in the source and the target (None: no such table there)."""

    table: str
    source: int | None
    target: int | None

    @property
    def copied(self) -> bool:
        """False for what each store keeps of its own (schema version, server coordination)."""
        return self.table not in _NOT_COPIED

    @property
    def ok(self) -> bool:
        if not self.copied:
            return True
        return (self.source or 0) == (self.target or 0)


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What ``khazar migrate`` did: counts and audit heads of both sides after the copy."""

    source: str
    target: str
    tables: tuple[TableCount, ...]
    source_head: AuditHead | None
    target_head: AuditHead | None
    seconds: float
    #: False when a difference was found and the copy rolled back
    committed: bool
    #: the migration's own entry in the target's audit log (after the copy)
    recorded: AuditEntry | None = None

    @property
    def rows(self) -> int:
        """Rows copied (the source's rows of every copied table)."""
        return sum(t.source or 0 for t in self.tables
                   if t.table not in _NOT_COPIED and t.table != _HEADS)

    @property
    def ok(self) -> bool:
        return (self.committed and all(t.ok for t in self.tables)
                and self.source_head == self.target_head)

    def as_dict(self) -> dict[str, Any]:
        def head(h: AuditHead | None) -> dict[str, Any] | None:
            return None if h is None else {"seq": h.seq, "hash": h.hash, "records": h.records}

        return {
            "ok": self.ok, "committed": self.committed, "source": self.source,
            "target": self.target, "seconds": round(self.seconds, 2), "rows": self.rows,
            "tables": [{"table": t.table, "source": t.source, "target": t.target, "ok": t.ok}
                       for t in self.tables],
            "source_head": head(self.source_head), "target_head": head(self.target_head),
            "recorded_seq": self.recorded.seq if self.recorded else None,
        }


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # lower case, as information_schema names it
    generated: bool

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self.type]


class _Mismatch(Exception):
    """The copy does not equal the source: roll the target's transaction back."""


# what each store holds ----------------------------------------------------------------
def table_columns(db: Session) -> dict[str, list[Column]]:
    """Table → its columns, in order, for every base table of the store's schema."""
    tables = {name for (name,) in db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
    ).fetchall()}
    rows = db.execute(
        "SELECT table_name, column_name, lower(data_type), is_generated, is_identity "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[Column]] = {name: [] for name in tables}
    for table, column, dtype, generated, identity in rows:
        if table in out:
            out[table].append(Column(column, dtype, generated == "ALWAYS" or identity == "YES"))
    return out


def _count(db: Session, table: str) -> int:
    row = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0


def _heads(store: Store, db: Session) -> list[HeadRecord]:
    """The audit head records: the file next to a DuckDB store, or ``audit_heads``."""
    path = store.audit_head_path
    if path is not None:
        head = read_head(path)
        return list(head.records) if head is not None else []
    rows = db.execute(f"SELECT seq, hash, mac FROM {_HEADS} ORDER BY seq").fetchall()
    return [HeadRecord(int(s), str(h), None if m is None else str(m)) for s, h, m in rows]


def _last_head(records: Sequence[HeadRecord]) -> AuditHead | None:
    return AuditHead(records[-1].seq, records[-1].hash, len(records)) if records else None


def _check_empty(target: Store, db: Session, tables: Sequence[str]) -> None:
    """:class:`StoreError` naming what a target already holds: a migration only fills an
    empty (or freshly created) store."""
    held = [f"{t} has {n:,} row{'s' if n != 1 else ''}" for t in sorted(tables)
            if t not in _NOT_COPIED and (n := _count(db, t))]
    path = target.audit_head_path
    if path is not None and path.exists() and path.stat().st_size:
        held.append(f"its audit head file {path.name} is not empty")
    if held:
        raise StoreError(f"target {target.location} is not empty ({'; '.join(held)}); "
                         "migrate into a new DuckDB file or an empty database "
                         "(createdb), nothing was copied")


# reading the source in batches --------------------------------------------------------
@contextmanager
def snapshot(store: Store) -> Iterator[Any]:
    """One consistent view of the source for the whole copy. PostgreSQL: a read-only
    ``REPEATABLE READ`` transaction on a pinned connection (yielded, for server-side
    cursors); the store's own statements in this thread run on it too."""
    backend = store.conn
    if not isinstance(backend, PostgresBackend):
        yield None
        return
    with backend.pinned() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


def _select(table: str, columns: Sequence[Column], ordered: bool, where: str = "") -> str:
    # JSON as its text: psycopg would parse it, DuckDB's Arrow marks it as an extension
    cols = ", ".join(f'CAST("{c.name}" AS VARCHAR)' if c.type == "json" else f'"{c.name}"'
                     for c in columns)
    return (f'SELECT {cols} FROM "{table}"' + (f" WHERE {where}" if where else "")
            + (" ORDER BY rowid" if ordered else ""))


def table_batches(store: Store, pinned: Any, table: str, columns: Sequence[Column],
                  has_rowid: bool, rows: int, where: str = "") -> Iterator[pa.Table]:
    """The table's rows (those matching the SQL condition ``where``, written by the caller,
    never from input) as Arrow tables of at most ``rows`` rows, in insertion order.
    ``pinned``: what :func:`snapshot` yielded."""
    schema = pa.schema([(c.name, c.arrow) for c in columns])
    backend = store.conn
    if isinstance(backend, DuckDBBackend):
        # a plain scan streams in rowid order; ORDER BY rowid would sort it all in memory
        reader = backend.arrow_batches(_select(table, columns, False, where), rows)
        for batch in reader:
            if batch.num_rows:
                yield pa.Table.from_batches([batch]).cast(schema)
        return
    if pinned is None:
        raise StoreError(f"cannot read {store.location} ({store.dialect}) for a migration")
    with pinned.cursor(name=f"khazar_transfer_{table}") as cur:
        cur.itersize = rows
        cur.execute(_select(table, columns, has_rowid, where))
        while chunk := cur.fetchmany(rows):
            arrays = []
            for j, col in enumerate(columns):
                values = [r[j] for r in chunk]
                if col.type == "numeric":
                    values = [int(v) if isinstance(v, Decimal) else v for v in values]
                arrays.append(pa.array(values, col.arrow))
            yield pa.Table.from_arrays(arrays, schema=schema)


# writing the target -------------------------------------------------------------------
def _insert(tx: Session, table: str, source_cols: Sequence[Column],
            target_cols: dict[str, Column], batch: pa.Table, first: int) -> None:
    order = pa.array(range(first, first + batch.num_rows), pa.int64())
    staged = batch.append_column(_ORD, order)
    names = ", ".join(f'"{c.name}"' for c in source_cols)
    values = ", ".join(
        f'CAST("{c.name}" AS JSON)' if target_cols[c.name].type == "json" else f'"{c.name}"'
        for c in source_cols)
    with tx.staged(_STAGED, staged):
        tx.execute(f'INSERT INTO "{table}" ({names}) SELECT {values} FROM "{_STAGED}" '
                   f'ORDER BY "{_ORD}"').fetchall()


def _insert_heads(tx: Session, records: Sequence[HeadRecord]) -> None:
    if not records:
        return
    table = pa.table({"seq": pa.array([r.seq for r in records], pa.int64()),
                      "hash": pa.array([r.hash for r in records], pa.string()),
                      "mac": pa.array([r.mac for r in records], pa.string())})
    with tx.staged(_STAGED, table):
        tx.execute(f'INSERT INTO {_HEADS} (seq, hash, mac) SELECT seq, hash, mac '
                   f'FROM "{_STAGED}" ORDER BY seq').fetchall()


def _plan(source: dict[str, list[Column]], target: dict[str, list[Column]],
          source_counts: dict[str, int]) -> list[str]:
    """The tables to copy; :class:`StoreError` when the two schemas cannot take each
    other's rows (a table or column the target lacks)."""
    tables: list[str] = []
    for name in sorted(source):
        if name in _NOT_COPIED or (name == _HEADS and name not in target):
            continue
        if name not in target:
            if source_counts.get(name):
                raise StoreError(f"table {name} ({source_counts[name]:,} rows) has no "
                                 "counterpart in the target's schema; nothing was copied")
            continue
        theirs = {c.name for c in source[name] if not c.generated}
        ours = {c.name for c in target[name] if not c.generated}
        if theirs != ours:
            raise StoreError(
                f"table {name} differs between the stores (source only: "
                f"{sorted(theirs - ours) or '-'}, target only: {sorted(ours - theirs) or '-'}); "
                "open both with this Khazar read-write once to bring them to its schema")
        tables.append(name)
    return tables


def migrate_store(source: Store, target: Store, *, actor: str,
                  batch_rows: int = BATCH_ROWS,
                  progress: Callable[[str, int], None] | None = None) -> TransferReport:
    """Copy every table of ``source`` into the empty store ``target`` (one transaction),
    carry the audit head over and record the migration in the target's audit log.

    ``progress(table, rows)`` is called after each table. Returns the comparison of both
    stores; when it finds a difference the copy is rolled back (``committed`` False) and
    nothing is recorded. :class:`StoreError` when the target is not empty or the schemas
    differ."""
    if target.read_only:
        raise StoreError(f"target {target.location} is open read-only")
    started = time.perf_counter()
    target_columns = table_columns(target)
    _check_empty(target, target, list(target_columns))
    with snapshot(source) as pinned:
        source_columns = table_columns(source)
        source_counts = {t: _count(source, t) for t in source_columns}
        source_heads = _heads(source, source)
        tables = _plan(source_columns, target_columns, source_counts)
        try:
            with target.transaction() as tx:
                tx.lock(AUDIT_LOCK)  # no server appends to the target's chain meanwhile
                _check_empty(target, tx, list(target_columns))
                for table in tables:
                    cols = [c for c in source_columns[table] if not c.generated]
                    by_name = {c.name: c for c in target_columns[table]}
                    has_rowid = any(c.name == "rowid" for c in source_columns[table])
                    copied = 0
                    for batch in table_batches(source, pinned, table, cols, has_rowid, batch_rows):
                        _insert(tx, table, cols, by_name, batch, copied)
                        copied += batch.num_rows
                    if progress is not None:
                        progress(table, copied)
                if target.audit_head_path is None and _HEADS not in source_columns:
                    _insert_heads(tx, source_heads)
                # the head file is written after the commit: count what will go in it
                pending = len(source_heads) if target.audit_head_path is not None else None
                counts = _compare(source_columns, target_columns, source_counts,
                                  source_heads, tx, target, pending)
                if not all(c.ok for c in counts):
                    raise _Mismatch
        except _Mismatch:
            return TransferReport(source.location, target.location, tuple(counts),
                                  _last_head(source_heads), None,
                                  time.perf_counter() - started, committed=False)
        except KhazarError:
            raise
        except Exception as exc:  # the database's own error: rolled back, said in one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"migration into {target.location} failed and was rolled back "
                             f"(nothing was copied): {first}") from exc
    path = target.audit_head_path
    if path is not None and source_heads:
        append_head_records(path, source_heads)
    # the comparison printed is of the committed target, read again
    counts = _compare(source_columns, target_columns, source_counts, source_heads, target,
                      target)
    target_head = _last_head(_heads(target, target))
    report = TransferReport(source.location, target.location, tuple(counts),
                            _last_head(source_heads), target_head,
                            time.perf_counter() - started, committed=True)
    if not report.ok:
        return report
    entry = append(target, actor, "store.migrate", target=target.location,
                   detail={"from": source.location, "from_dialect": source.dialect,
                           "rows": report.rows, "tables": len(tables),
                           "audit_seq": target_head.seq if target_head else 0})
    return TransferReport(report.source, report.target, report.tables, report.source_head,
                          report.target_head, time.perf_counter() - started, True, entry)


def _compare(source_columns: dict[str, list[Column]],
             target_columns: dict[str, list[Column]], source_counts: dict[str, int],
             source_heads: Sequence[HeadRecord], db: Session, target: Store,
             pending_heads: int | None = None) -> list[TableCount]:
    """Every table of either store with its rows on each side; the audit head records of
    a store that keeps them in a file count as its ``audit_heads`` (``pending_heads``: the
    records about to be written to the target's file)."""

    def file_heads() -> int:
        if pending_heads is not None:
            return pending_heads
        head = read_head(target.audit_head_path) if target.audit_head_path else None
        return len(head.records) if head is not None else 0

    out: list[TableCount] = []
    for name in sorted(set(source_columns) | set(target_columns) | {_HEADS}):
        theirs = source_counts.get(name) if name in source_columns else None
        ours = _count(db, name) if name in target_columns else None
        if name == _HEADS:
            theirs = len(source_heads) if theirs is None else theirs
            ours = file_heads() if ours is None else ours
        out.append(TableCount(name, theirs, ours))
    return out
