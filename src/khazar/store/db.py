"""Opening the store: locking, schema versions, backups.

The store is a :class:`~khazar.store.backend.Backend` at the schema version
:data:`SCHEMA_VERSION`: an embedded DuckDB file (the default), or a PostgreSQL database
named by a ``postgresql://`` URL (the server profile, :mod:`khazar.store.postgres`).
DuckDB lets a single process open a file for writing. When another process holds it,
opening fails with :class:`~khazar.errors.StoreLockedError` naming that process. Any
number of processes open one PostgreSQL database; they take turns where it matters
(:meth:`~khazar.store.backend.Session.lock`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from khazar.errors import SchemaVersionError, StoreError
from khazar.store.backend import Backend, Delegating, Session, open_duckdb
from khazar.store.files import make_private, private_umask
from khazar.store.postgres import is_postgres_url, open_postgres, redact
from khazar.store.schema import MIGRATIONS, SCHEMA_VERSION, statements

__all__ = ["Store", "open_store"]


class Store(Delegating):
    """A handle on the store. Outside :mod:`khazar.store` it is opaque: pass it to the
    repositories. It is itself a :class:`~khazar.store.backend.Session` (statements run on
    the backend's main connection), so a repository function takes a ``Session``: the Store,
    or the session of a transaction (``with store.transaction() as tx``)."""

    def __init__(self, path: Path | None, backend: Backend, read_only: bool,
                 location: str | None = None) -> None:
        #: the DuckDB file; None for a PostgreSQL database
        self.path = path
        #: what to call the store in messages: the file, or the URL without its password
        self.location = location or str(path)
        self.read_only = read_only
        #: the backend's main session; store-internal (repositories), never read outside
        self.conn: Backend = backend

    @property
    def dialect(self) -> str:
        """``duckdb`` or ``postgresql``."""
        return self.conn.dialect

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

    # Session (execute, executemany, staged: Delegating) ---------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """All or nothing: a crash inside leaves the store as it was before."""
        with self.conn.transaction() as tx:
            yield tx

    def cursor(self) -> Session:
        """An independent session for another thread (the API's request threads)."""
        return self.conn.cursor()

    # the store as a whole --------------------------------------------------
    @property
    def schema_version(self) -> int:
        return _read_version(self.conn)

    @property
    def audit_head_path(self) -> Path | None:
        """The append-only file, next to the store, that keeps the audit chain's head
        (None for PostgreSQL, which keeps it in its table ``audit_heads``)."""
        if self.path is None:
            return None
        return self.path.with_name(self.path.name + ".audit-head")

    def table_counts(self) -> dict[str, int]:
        """Rows of every table of the store's schema (PostGIS's own tables aside)."""
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' "
            "ORDER BY table_name"
        ).fetchall()
        counts: dict[str, int] = {}
        for (name,) in rows:
            result = self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            counts[name] = int(result[0]) if result else 0
        return counts

    def backup(self, dest: Path) -> Path:
        """Write a consistent copy of the store (and its audit head file) to ``dest``: a
        DuckDB file, or for PostgreSQL a ``pg_dump`` archive (``pg_restore`` reads it)."""
        if dest.exists():
            raise StoreError(f"backup target {dest} already exists; choose a new file name")
        dest.parent.mkdir(parents=True, exist_ok=True)
        private_umask()  # the backup holds what the store holds: 0600 (khazar.store.files)
        self.conn.backup(dest)
        make_private(dest)
        head = self.audit_head_path
        if head is not None and head.exists():
            copy = dest.with_name(dest.name + ".audit-head")
            shutil.copyfile(head, copy)
            make_private(copy)
        return dest


def _read_version(db: Session) -> int:
    has_meta = db.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' "
        "AND table_schema = current_schema()"
    ).fetchone()
    if not has_meta or has_meta[0] == 0:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


#: the advisory lock key under which one process at a time migrates a shared database
_MIGRATE_LOCK = 0x6B68_0001


def _migrate(db: Session, path: str) -> None:
    version = _read_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"store {path} has schema version {version}, newer than this Khazar "
            f"({SCHEMA_VERSION}); upgrade Khazar or open a backup made by this version"
        )
    if version == SCHEMA_VERSION:
        return
    try:
        with db.transaction() as tx:
            tx.lock(_MIGRATE_LOCK)  # another server may be migrating the same database
            version = _read_version(tx)
            for migration in MIGRATIONS[version:]:
                for sql in statements(migration, tx.dialect):
                    tx.execute(sql)
            tx.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(SCHEMA_VERSION)]
            )
    except Exception as exc:  # any backend's failure: rolled back, reported with the versions
        raise StoreError(
            f"could not migrate store {path} from schema {version} to {SCHEMA_VERSION}: {exc}"
        ) from exc


def open_store(path: Path | str, read_only: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at ``path``: a DuckDB file, or a
    ``postgresql://`` URL."""
    if isinstance(path, str) and is_postgres_url(path):
        return _open_postgres(path, read_only)
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"store {path} does not exist; ingest something first")
    private_umask()  # the file, its WAL and what is written beside it: 0600
    backend = open_duckdb(path, read_only)
    if not read_only:
        for own in (path, path.with_name(path.name + ".wal"),
                    path.with_name(path.name + ".audit-head")):
            make_private(own)
    _check_version(backend, str(path), read_only)
    return Store(path, backend, read_only)


def _open_postgres(url: str, read_only: bool) -> Store:
    backend = open_postgres(url)
    location = redact(url)
    _check_version(backend, location, read_only)
    return Store(None, backend, read_only, location=location)


def _check_version(backend: Backend, path: str, read_only: bool) -> None:
    """Migrate a writable store forward; refuse a read-only one at another version."""
    try:
        if read_only:
            version = _read_version(backend)
            if version != SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"store {path} has schema version {version}, this Khazar needs "
                    f"{SCHEMA_VERSION}; open it once read-write to migrate it"
                )
        else:
            _migrate(backend, path)
    except BaseException:
        backend.close()
        raise
