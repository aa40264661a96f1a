from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from khazar.errors import SchemaVersionError, StoreLockedError
from khazar.store import SCHEMA_VERSION, open_store


def test_new_store_has_current_schema(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert {"positions", "raw_sentences", "users", "audit_log"} <= set(store.table_counts())


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    with open_store(path) as store:
        store.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="999"):
        open_store(path)


def test_locked_store_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    with open_store(path):
        code = f"from khazar.store import open_store; open_store({str(path)!r})"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "locked by PID" in proc.stderr


def test_lock_error_type(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import time; from khazar.store import open_store; "
         f"s = open_store({str(path)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=str(holder.pid)):
            open_store(path)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    with open_store(path) as store:
        store.conn.execute(
            "INSERT INTO users VALUES ('ann', 'x', 'admin', false, now())"
        )
        store.backup(tmp_path / "copy.duckdb")
        original = store.table_counts()
    with open_store(tmp_path / "copy.duckdb", read_only=True) as copy:
        assert copy.table_counts() == original
