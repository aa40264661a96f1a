"""Opening the embedded DuckDB store: locking, schema versions, backups.

DuckDB lets a single process open a file for writing. When another process holds it,
opening fails with :class:`~khazar.errors.StoreLockedError` naming that process.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import duckdb

from khazar.errors import SchemaVersionError, StoreError, StoreLockedError
from khazar.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Store", "open_store"]

_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


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


class Store:
    """A handle on the store: a DuckDB connection with the schema at :data:`SCHEMA_VERSION`."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only

    # context manager -------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: a crash inside leaves the store as it was before."""
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return _read_version(self.conn)

    @property
    def audit_head_path(self) -> Path:
        """The append-only file, next to the store, that keeps the audit chain's head."""
        return self.path.with_name(self.path.name + ".audit-head")

    def table_counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name"
        ).fetchall()
        counts: dict[str, int] = {}
        for (name,) in rows:
            result = self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            counts[name] = int(result[0]) if result else 0
        return counts

    def backup(self, dest: Path) -> Path:
        """Write a consistent copy of the store (and its audit head file) to ``dest``."""
        if dest.exists():
            raise StoreError(f"backup target {dest} already exists; choose a new file name")
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.conn.execute("CHECKPOINT")
        alias = "khazar_backup"
        self.conn.execute(f"ATTACH '{_sql_str(dest)}' AS {alias}")
        try:
            self.conn.execute(f"COPY FROM DATABASE {_current_db(self.conn)} TO {alias}")
        finally:
            self.conn.execute(f"DETACH {alias}")
        head = self.audit_head_path
        if head.exists():
            shutil.copyfile(head, dest.with_name(dest.name + ".audit-head"))
        return dest


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _current_db(conn: duckdb.DuckDBPyConnection) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return f'"{row[0]}"'


def _read_version(conn: duckdb.DuckDBPyConnection) -> int:
    has_meta = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not has_meta or has_meta[0] == 0:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _migrate(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _read_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"store {path} has schema version {version}, newer than this Khazar "
            f"({SCHEMA_VERSION}); upgrade Khazar or open a backup made by this version"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN TRANSACTION")
    try:
        for statements in MIGRATIONS[version:]:
            for sql in statements:
                conn.execute(sql)
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        conn.execute("ROLLBACK")
        raise StoreError(
            f"could not migrate store {path} from schema {version} to {SCHEMA_VERSION}: {exc}"
        ) from exc


def open_store(path: Path | str, read_only: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at ``path``."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"store {path} does not exist; ingest something first")
    try:
        conn = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            raise StoreLockedError(str(path), _holder_description(msg)) from exc
        raise StoreError(f"cannot open store {path}: {msg}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    try:
        if read_only:
            version = _read_version(conn)
            if version != SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"store {path} has schema version {version}, this Khazar needs "
                    f"{SCHEMA_VERSION}; open it once read-write to migrate it"
                )
        else:
            _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return Store(path, conn, read_only)
