"""Restoring a backup written by :meth:`Store.backup` (``khazar backup``) into a new store.

A DuckDB backup is a store file (with its audit head file beside it): it is copied to a new
file. A PostgreSQL backup is a ``pg_dump`` archive in its custom format: ``pg_restore``
loads it, in one transaction, into an empty database (``createdb``), whose ``audit_heads``
table brings the audit head along. Either way the restored audit log is verified and the
restore recorded in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from khazar.audit.chain import ChainReport, ProblemKind
from khazar.errors import AuditError, InputError, StoreError
from khazar.store.audit import append, verify_store
from khazar.store.db import Store, open_store
from khazar.store.files import make_private, private_umask
from khazar.store.postgres import is_postgres_url, open_postgres, redact

__all__ = ["RestoreResult", "backup_kind", "restore_backup"]

_PG_MAGIC = b"PGDMP"
_DUCKDB_MAGIC = b"DUCK"  # at byte 8 of a DuckDB database file


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """The restored store: where, how many rows in how many tables, its audit log."""

    location: str
    rows: int
    tables: int
    entries: int
    last_seq: int


def backup_kind(path: Path) -> str:
    """``duckdb`` or ``pg_dump`` from the file's first bytes; :class:`InputError` for
    anything else."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise InputError(f"backup {path} does not exist") from None
    if head.startswith(_PG_MAGIC):
        return "pg_dump"
    if head[8:12] == _DUCKDB_MAGIC:
        return "duckdb"
    raise InputError(f"{path} is neither a DuckDB store nor a pg_dump archive; give a file "
                     "written by `khazar backup`")


def restore_backup(backup: Path, target: str | Path, *,
                   actor: str | Callable[[Store], str]) -> RestoreResult:
    """Restore ``backup`` into ``target`` (a new DuckDB file, or the URL of an empty
    PostgreSQL database), verify its audit log and record the restore in it.

    ``actor`` is who restores, or a callable that establishes it from the restored store
    (its users table: the command line authenticates the user there); when it raises, a
    restored DuckDB file is removed again and nothing is recorded."""
    kind = backup_kind(backup)
    to_postgres = is_postgres_url(str(target))
    if kind == "duckdb" and to_postgres:
        raise InputError(f"{backup} is a DuckDB store: restore it into a new file "
                         "(--db NEW.duckdb), then `khazar migrate --from NEW.duckdb --to URL`")
    if kind == "pg_dump" and not to_postgres:
        raise InputError(f"{backup} is a pg_dump archive: restore it into an empty PostgreSQL "
                         "database (--db postgresql://…); `khazar migrate` copies that into "
                         "a DuckDB file if one is needed")
    if to_postgres:
        url = str(target)
        _pg_restore(backup, url)
        location: str | Path = url
    else:
        location = Path(target)
        _copy_duckdb(backup, location)
    if callable(actor):
        try:
            with open_store(location) as store:
                actor = actor(store)
        except BaseException:
            if isinstance(location, Path):
                for path in (location, location.with_name(location.name + ".audit-head"),
                             location.with_name(location.name + ".wal")):
                    path.unlink(missing_ok=True)
            raise
    with open_store(location) as store:
        report = verify_store(store)
        # a backup from before keyed heads: its bare records are vouched for by the
        # restore's own keyed record (the chain is otherwise intact); anything else stops
        if report.problems and all(p.kind is ProblemKind.unkeyed for p in report.problems):
            report = ChainReport(report.entries, report.last_seq, report.head_records)
        if not report.ok:
            first = report.problems[0].message if report.problems else "see the report"
            raise AuditError(f"{backup} was restored into {store.location} but its audit log "
                             f"does not verify ({len(report.problems)} problem(s), first: "
                             f"{first}); run `khazar audit verify --db {store.location}`")
        assert isinstance(actor, str)
        entry = append(store, actor, "store.restore", target=store.location,
                       detail={"backup": str(backup), "kind": kind})
        counts = store.table_counts()
        return RestoreResult(store.location, sum(counts.values()), len(counts),
                             report.entries + 1, entry.seq)


def _copy_duckdb(backup: Path, dest: Path) -> None:
    head = backup.with_name(backup.name + ".audit-head")
    dest_head = dest.with_name(dest.name + ".audit-head")
    for path in (dest, dest_head, dest.with_name(dest.name + ".wal")):
        if path.exists():
            raise StoreError(f"{path} already exists; restore into a new file name (nothing "
                             "was overwritten)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".restoring")
    private_umask()
    shutil.copyfile(backup, partial)
    make_private(partial)
    os.replace(partial, dest)  # the store appears whole or not at all
    if head.exists():
        shutil.copyfile(head, dest_head)
        make_private(dest_head)


def _pg_restore(backup: Path, url: str) -> None:
    exe = shutil.which("pg_restore")
    if exe is None:
        raise StoreError("pg_restore is not installed; run the project's set-up "
                         "(scripts/setup.sh installs postgresql-client)")
    backend = open_postgres(url, min_size=1, max_size=1)
    try:
        tables = [name for (name,) in backend.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name <> 'spatial_ref_sys' ORDER BY table_name"
        ).fetchall()]
    finally:
        backend.close()
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise StoreError(f"database {redact(url)} is not empty (tables {shown}); pg_restore "
                         "needs an empty database: createdb a new one and give its URL")
    done = subprocess.run(
        [exe, "--no-owner", "--no-privileges", "--no-comments", "--exit-on-error",
         "--single-transaction", f"--dbname={url}", str(backup)],
        capture_output=True, text=True, check=False)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        raise StoreError(f"pg_restore of {backup} into {redact(url)} failed, nothing was "
                         f"restored: {why[-1] if why else done.returncode}")
