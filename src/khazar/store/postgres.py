"""The PostgreSQL (+ PostGIS) implementation of :class:`~khazar.store.backend.Backend`: the
server profile of DESIGN.md C11, for several ``khazar serve`` on one database.

The repositories write one SQL for both databases. What PostgreSQL lacks of the vocabulary
they use (``epoch_us``, ``arg_max``, ``list``, …) the schema gives it as SQL functions and
aggregates (:data:`khazar.store.schema.POSTGRES_VOCABULARY`); what differs in the text is
translated here once per statement: ``?`` parameters become psycopg's ``%s``.

Sessions: every statement borrows a connection from a pool (psycopg 3, autocommit), runs,
and is read to its end before the connection goes back, so a result never pins a
connection. A transaction or a staged table pins one connection to the calling thread for
its block; statements of that thread run on it meanwhile. So the backend is its own
``cursor()``: any thread may use it.
"""

from __future__ import annotations

import decimal
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from khazar.errors import StoreError

__all__ = ["PostgresBackend", "is_postgres_url", "open_postgres", "redact"]

_SCHEMES = ("postgresql://", "postgres://")
_NUMERIC_OID = 1700
_FLOAT4_OID = 700
_FLOAT4_ARRAY_OID = 1021


def is_postgres_url(location: str | Path) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) connection URL."""
    return isinstance(location, str) and location.startswith(_SCHEMES)


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """The repositories' SQL as psycopg takes it: ``?`` → ``%s`` outside quotes and
    comments, ``%`` → ``%%`` everywhere (psycopg reads ``%`` as a placeholder)."""
    out: list[str] = []
    quote = ""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "%":
            out.append("%%")
        elif quote:
            out.append(ch)
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        elif ch == "?":
            out.append("%s")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _plain(value: Any) -> Any:
    """NUMERIC values as Python numbers (DuckDB gives ints and floats there)."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _single(value: float) -> float:
    """A REAL as DuckDB gives it: the float32 value widened (11.199999809265137), not the
    shortest decimal PostgreSQL prints (11.2)."""
    return float(np.float32(value))


def _singles(values: list[float | None]) -> list[float | None]:
    return [None if v is None else _single(v) for v in values]


#: result conversions by column type (PostgreSQL type oid) so both backends answer alike
_CONVERT: dict[int, Any] = {_NUMERIC_OID: _plain, _FLOAT4_OID: _single,
                            _FLOAT4_ARRAY_OID: _singles}


class _Result:
    """A statement's rows, read to the end (the :class:`~khazar.store.backend.Cursor` shape)."""

    __slots__ = ("_i", "_rows", "description")

    def __init__(self, rows: list[tuple[Any, ...]],
                 description: Sequence[tuple[Any, ...]] | None) -> None:
        self._rows = rows
        self._i = 0
        self.description = description

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._i >= len(self._rows):
            return None
        row = self._rows[self._i]
        self._i += 1
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._i:]
        self._i = len(self._rows)
        return rows

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._rows[self._i:self._i + size]
        self._i += len(rows)
        return rows

    def fetchnumpy(self) -> dict[str, Any]:
        """Column name → NumPy array; a column with NULLs is a masked array."""
        names = [d[0] for d in self.description or ()]
        rows = self.fetchall()
        columns: dict[str, Any] = {}
        for j, name in enumerate(names):
            values = [r[j] for r in rows]
            mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
            if mask.any():
                present = [v for v in values if v is not None]
                fill = present[0] if present else 0.0
                data = np.asarray([fill if v is None else v for v in values])
                columns[name] = np.ma.masked_array(data, mask=mask)
            else:
                columns[name] = np.asarray(values) if values else np.asarray([], dtype=float)
        return columns


def _arrow_to_pg(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return "SMALLINT"
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return "INTEGER"
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return "BIGINT"
    if pa.types.is_uint64(t):
        return "NUMERIC(20,0)"
    if pa.types.is_float32(t):
        return "REAL"
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "TEXT"
    if pa.types.is_null(t):
        return "TEXT"
    raise StoreError(f"no PostgreSQL column type for Arrow type {t}")


class PostgresBackend:
    """A PostgreSQL database reached through a pool of connections."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool
        self._local = threading.local()

    # connections ----------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Any]:
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def pinned(self) -> Iterator[Any]:
        """One connection for this thread's statements inside the block."""
        if getattr(self._local, "conn", None) is not None:
            yield self._local.conn
            return
        with self._pool.connection() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def dedicated(self) -> Any:
        """A connection of its own, outside the pool (autocommit, UTC): for LISTEN and for
        a session-level advisory lock that must live exactly as long as it does."""
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    # Session --------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[object] | None = None) -> _Result:
        with self._connection() as conn, conn.cursor() as cur:
            if params is None:  # no placeholders parsed: the text goes as it is
                cur.execute(sql)
            else:
                cur.execute(translate(sql), list(params))
            return self._read(cur)

    @staticmethod
    def _read(cur: Any) -> _Result:
        if cur.description is None:  # a change: its row count, as DuckDB answers one
            return _Result([(cur.rowcount,)], [("Count", 20, None, None, None, None, None)])
        rows = cur.fetchall()
        convert = {i: _CONVERT[d.type_code] for i, d in enumerate(cur.description)
                   if d.type_code in _CONVERT}
        if convert and rows:
            rows = [tuple(convert[i](v) if i in convert and v is not None else v
                          for i, v in enumerate(r)) for r in rows]
        description = [(d.name, d.type_code, None, None, None, None, None)
                       for d in cur.description]
        return _Result(rows, description)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(translate(sql), [list(r) for r in rows])

    @contextmanager
    def staged(self, name: str, table: pa.Table) -> Iterator[None]:
        """``table`` as a temporary table filled by ``COPY``, dropped after the block."""
        cols = ", ".join(f'"{f.name}" {_arrow_to_pg(f.type)}' for f in table.schema)
        with self.pinned() as conn:
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            conn.execute(f'CREATE TEMP TABLE "{name}" ({cols})')
            try:
                names = ", ".join(f'"{c}"' for c in table.column_names)
                with conn.cursor() as cur, cur.copy(
                        f'COPY "{name}" ({names}) FROM STDIN WITH (FORMAT csv)') as copy:
                    copy.write(_csv(table))
                yield
            finally:
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')

    @contextmanager
    def transaction(self) -> Iterator[PostgresBackend]:
        with self.pinned() as conn, conn.transaction():
            yield self

    def cursor(self) -> PostgresBackend:
        return self

    def lock(self, key: int) -> None:
        """Hold the database-wide advisory lock ``key`` until this transaction ends (one
        writer at a time across servers: the audit chain, position sequence numbers)."""
        if getattr(self._local, "conn", None) is None:
            raise StoreError("an advisory lock is only held inside a transaction")
        self.execute("SELECT pg_advisory_xact_lock(?)", [key])

    # Backend --------------------------------------------------------------------------
    def close(self) -> None:
        self._pool.close()

    def backup(self, dest: Path) -> None:
        """``pg_dump`` of the database in its custom format (restore with ``pg_restore``)."""
        import shutil
        import subprocess

        exe = shutil.which("pg_dump")
        if exe is None:
            raise StoreError("pg_dump is not installed; run the project's set-up "
                             "(scripts/setup.sh installs postgresql-client)")
        done = subprocess.run([exe, "--format=custom", "--no-owner", f"--file={dest}",
                               f"--dbname={self.url}"], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            dest.unlink(missing_ok=True)
            raise StoreError(f"pg_dump of {redact(self.url)} failed: "
                             f"{done.stderr.strip() or done.returncode}")


def _csv(table: pa.Table) -> memoryview:
    """``table`` as CSV in PostgreSQL's reading of it, written by Arrow's C++ writer (a
    Python value per cell would cost ~10x): NULL is an empty unquoted field, an empty string
    is ``""``, times are ISO 8601 with ``Z``."""
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
    return buf.getbuffer()


def open_postgres(url: str, min_size: int = 1, max_size: int = 8) -> PostgresBackend:
    """Connect to the PostgreSQL database at ``url``: :class:`StoreError` (password
    redacted) when it cannot be reached."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError as exc:  # an install without the server profile's packages
        raise StoreError("the PostgreSQL backend needs psycopg and psycopg-pool; "
                         "run the project's set-up") from exc

    def configure(conn: Any) -> None:
        conn.autocommit = True
        conn.execute("SET TIME ZONE 'UTC'")

    try:  # one direct attempt first: fast, and its error says why in one line (refused,
        # bad password, no such database, a malformed URL) without the pool's retry warnings
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as direct:
        raise StoreError(f"cannot connect to {redact(url)}: "
                         f"{str(direct).strip().splitlines()[0]}") from None
    pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                          configure=configure, kwargs={"cursor_factory": psycopg.ClientCursor},
                          name="khazar")
    try:
        pool.open(wait=True, timeout=10)
    except Exception as exc:  # PoolTimeout, OperationalError: the server is not there
        pool.close()
        try:  # one direct attempt: its error says why (refused, bad password, no database)
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as direct:
            raise StoreError(f"cannot connect to {redact(url)}: "
                             f"{str(direct).strip().splitlines()[0]}") from exc
        raise StoreError(f"cannot connect to {redact(url)}: {exc}") from exc
    return PostgresBackend(url, pool)
