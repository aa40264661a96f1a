"""The store's files are private to their owner (issue 18, point 6): the DuckDB file, its
WAL and audit head, backups of both backends, restored copies and exports are created 0600
whatever the umask the process started with; a store left readable by others is narrowed
when opened for writing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ingest.helpers import DATA, cli

from khazar.store import open_store
from khazar.store.audit import append
from khazar.store.restore import restore_backup


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask (022: files readable by everyone), as a shell gives it."""
    was = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(was)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_its_wal_and_its_audit_head_are_private(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with open_store(db) as store:
        append(store, "admin", "test.write", detail={"n": 1})
        wal = db.with_name(db.name + ".wal")
        assert wal.exists()  # the write is in the WAL until a checkpoint
        assert mode(wal) == 0o600
    assert mode(db) == 0o600
    assert mode(db.with_name(db.name + ".audit-head")) == 0o600


def test_a_store_readable_by_others_is_narrowed_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    open_store(db).close()
    db.chmod(0o644)
    open_store(db, read_only=True).close()
    assert mode(db) == 0o644  # a reader changes nothing
    open_store(db).close()
    assert mode(db) == 0o600


def test_backups_and_restored_copies_are_private(store_at: Path | str, tmp_path: Path) -> None:
    with open_store(store_at) as store:
        append(store, "admin", "test.write", detail={"n": 1})
        backup = store.backup(tmp_path / "backups" / "b.bak")
    assert mode(backup) == 0o600
    head = backup.with_name(backup.name + ".audit-head")
    if isinstance(store_at, Path):
        assert mode(head) == 0o600
        restored = tmp_path / "restored.duckdb"
        restore_backup(backup, restored, actor="admin")
        assert mode(restored) == 0o600
        assert mode(restored.with_name(restored.name + ".audit-head")) == 0o600


def test_exports_are_private(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    cli("ingest", str(DATA / "libais" / "tagblock.nmea"), "--db", str(db))
    os.umask(0o022)  # as a new process would start
    out = tmp_path / "positions.csv"
    cli("export", "positions", "--db", str(db), "--format", "csv", "--out", str(out))
    assert out.stat().st_size > 0 and mode(out) == 0o600
    out.chmod(0o644)  # an export over an older file narrows it
    cli("export", "positions", "--db", str(db), "--format", "csv", "--out", str(out))
    assert mode(out) == 0o600
