"""The backend interface the repositories are written against (DuckDB implementation)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from khazar.store import open_store
from khazar.store.backend import Session
from khazar.store.users import insert_user, select_user


def _count(db: Session) -> int:
    row = db.execute("SELECT count(*) FROM users").fetchone()
    assert row is not None
    return int(row[0])


def test_transaction_rolls_back_everything_on_error(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
            assert insert_user(tx, "ann", "h", "viewer", datetime.now(UTC))
            assert _count(tx) == 1
            raise RuntimeError("boom")
        assert _count(store) == 0
        with store.transaction() as tx:
            insert_user(tx, "ann", "h", "viewer", datetime.now(UTC))
        assert select_user(store, "ann") is not None


def test_staged_arrow_table_is_visible_only_inside_the_block(store_at: Path | str) -> None:
    table = pa.table({"x": pa.array([1, 2, 3], pa.int64())})
    with open_store(store_at) as store:
        with store.staged("_t", table):
            assert store.execute("SELECT sum(x) FROM _t").fetchall() == [(6,)]
        with pytest.raises(Exception, match="_t"):
            store.execute("SELECT sum(x) FROM _t").fetchall()


def test_cursor_is_an_independent_session_for_another_thread(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        insert_user(store, "bob", "h", "admin", datetime.now(UTC))
        seen: list[int] = []
        cur = store.cursor()
        worker = threading.Thread(target=lambda: seen.append(_count(cur)))
        worker.start()
        worker.join()
        assert seen == [1]


def test_backup_copies_every_table(store_at: Path | str, tmp_path: Path,
                                   request: pytest.FixtureRequest) -> None:
    with open_store(store_at) as store:
        insert_user(store, "cy", "h", "viewer", datetime.now(UTC))
        counts = store.table_counts()
        store.backup(tmp_path / "copy.backup")
    copy_at: Path | str = tmp_path / "copy.backup"
    if isinstance(store_at, str):  # a pg_dump archive: restored by pg_restore
        cluster = request.getfixturevalue("pg_cluster")
        copy_at = cluster.create_database("restored")
        cluster.run(str(cluster.bin / "pg_restore"), "--no-owner", f"--dbname={copy_at}",
                    str(tmp_path / "copy.backup"))
    with open_store(copy_at, read_only=True) as copy:
        assert select_user(copy, "cy") is not None
        assert copy.table_counts() == counts



def test_duckdb_draws_no_progress_bar(tmp_path: Path) -> None:
    """DuckDB draws its bar on stdout during a long query, where `khazar detect --format
    json` writes its answer: every connection and cursor the store opens has it off (in a
    process of its own: under pytest's capture DuckDB starts with the bar off)."""
    db = tmp_path / "k.duckdb"
    open_store(db).close()
    script = """if True:
        import sys
        from khazar.store import open_store
        for read_only in (False, True):
            with open_store(sys.argv[1], read_only=read_only) as store:
                for session in (store, store.cursor()):
                    print(session.execute(
                        "SELECT current_setting('enable_progress_bar')").fetchone()[0])
    """
    out = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.split() == ["False"] * 4, out
