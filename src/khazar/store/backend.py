"""The database backend the repositories are written against, and its DuckDB implementation.

Repositories in :mod:`khazar.store` speak SQL through a :class:`Session`: ``execute`` (with
``?`` parameters) returning a DB-API style :class:`Cursor`, ``executemany``, ``staged`` (an
Arrow table visible to SQL under a name, for bulk inserts and anti-joins), ``transaction``
and ``cursor`` (an independent session for another thread). A :class:`Backend` is the
session of an open database plus what only the database itself can do (close, backup).

A second database (PostgreSQL) is one more implementation of these two protocols: its
``staged`` is a temporary table filled by ``COPY``; ``fetchnumpy`` builds the arrays from
the rows. Nothing outside :mod:`khazar.store` sees a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from khazar.errors import StoreError, StoreLockedError

__all__ = ["Backend", "Cursor", "Delegating", "DuckDBBackend", "Session", "open_duckdb"]

_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


class Cursor(Protocol):
    """The result of one statement (DB-API 2 shape, plus columnar NumPy)."""

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]: ...

    def fetchnumpy(self) -> dict[str, Any]:
        """Column name → NumPy array (masked where NULL)."""
        ...

    @property
    def description(self) -> Sequence[tuple[Any, ...]] | None: ...


class Session(Protocol):
    """One connection's worth of SQL: what the repositories need and nothing more."""

    @property
    def dialect(self) -> str:
        """``duckdb`` or ``postgresql``: for the few statements whose text differs."""
        ...

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...

    def staged(self, name: str, table: pa.Table) -> AbstractContextManager[None]:
        """``table`` readable by SQL as ``name`` inside the block (bulk insert source).
        Fetch results of statements reading it completely (``fetchall``) inside the block."""
        ...

    def transaction(self) -> AbstractContextManager[Session]:
        """All or nothing: an exception (or a crash) inside leaves the database as before."""
        ...

    def cursor(self) -> Session:
        """An independent session on the same database, for use by another thread."""
        ...

    def lock(self, key: int) -> None:
        """Inside a transaction: hold the database-wide lock ``key`` until it ends, so
        writers in other processes (several servers on one database) take turns."""
        ...


class Backend(Session, Protocol):
    """An open database: a :class:`Session` plus closing and backing up."""

    def close(self) -> None: ...

    def backup(self, dest: Path) -> None:
        """Write a consistent copy of the whole database to ``dest`` (a new file)."""
        ...


class Delegating:
    """The statements of a :class:`Session` run on ``self.conn``, another session: for the
    handles that wrap one (the :class:`~khazar.store.Store` over its backend, an audited
    transaction over its transaction). Each wrapper says itself what ``transaction`` and
    ``cursor`` mean for it."""

    conn: Session

    @property
    def dialect(self) -> str:
        return self.conn.dialect

    def lock(self, key: int) -> None:
        self.conn.lock(key)

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.conn.executemany(sql, rows)

    def staged(self, name: str, table: pa.Table) -> AbstractContextManager[None]:
        return self.conn.staged(name, table)


class _DuckDBSession:
    """A :class:`Session` over one DuckDB connection (or a cursor of it)."""

    __slots__ = ("_conn",)
    dialect = "duckdb"

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn
        # no progress bar (a setting of each connection and cursor): DuckDB draws it on
        # stdout during a long query, where a command's JSON or CSV goes
        conn.execute("SET enable_progress_bar = false")

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Cursor:
        # A DuckDB connection is its own cursor: no wrapper object per statement, so the
        # interface costs nothing on the ingest and live paths.
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self._conn.executemany(sql, rows)

    @contextmanager
    def staged(self, name: str, table: pa.Table) -> Iterator[None]:
        # register() refuses while a statement's result is unread (DuckDB 2): run it to
        # its end first. register() is a zero-copy view on the Arrow buffers, not a copy.
        self._conn.complete()
        self._conn.register(name, table)
        try:
            yield
        finally:
            self._conn.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        self._conn.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def cursor(self) -> Session:
        return _DuckDBSession(self._conn.cursor())

    def lock(self, key: int) -> None:
        """Nothing to do: one process holds a DuckDB file for writing."""

    def arrow_batches(self, sql: str, rows: int) -> pa.RecordBatchReader:
        """The result of ``sql`` streamed as Arrow batches of at most ``rows`` rows: memory
        stays bounded on a table of millions (``khazar migrate``). A scan without ORDER BY
        comes in insertion (``rowid``) order, DuckDB's ``preserve_insertion_order``."""
        self._conn.complete()
        return self._conn.sql(sql).to_arrow_reader(rows)


class DuckDBBackend(_DuckDBSession):
    """The embedded DuckDB database file at ``path``."""

    __slots__ = ("path",)

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection) -> None:
        super().__init__(conn)
        self.path = path

    def close(self) -> None:
        self._conn.close()

    def backup(self, dest: Path) -> None:
        self._conn.execute("CHECKPOINT")
        alias = "khazar_backup"
        target = str(dest).replace("'", "''")
        self._conn.execute(f"ATTACH '{target}' AS {alias}")
        try:
            row = self._conn.execute("SELECT current_database()").fetchone()
            assert row is not None
            self._conn.execute(f'COPY FROM DATABASE "{row[0]}" TO {alias}')
        finally:
            self._conn.execute(f"DETACH {alias}")


def _holder_description(message: str) -> str | None:
    match = _LOCK_RE.search(message)
    if not match:
        return None
    pid = match.group("pid")
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        cmd = match.group("exe")
    return f"PID {pid} ({cmd})"


def open_duckdb(path: Path, read_only: bool) -> DuckDBBackend:
    """Open the DuckDB file at ``path``; :class:`StoreLockedError` naming the process that
    holds it when another process has it open for writing."""
    try:
        conn = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            raise StoreLockedError(str(path), _holder_description(msg)) from exc
        raise StoreError(f"cannot open store {path}: {msg}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    return DuckDBBackend(path, conn)

