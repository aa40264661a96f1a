"""`khazar backup` and `khazar stats`: the copy carries the audit head and verifies on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.users import acting_as
from typer.testing import CliRunner

from khazar.cli import app
from khazar.errors import AuthenticationError, StoreError
from khazar.store import open_store
from khazar.store.audit import append, list_entries, verify_store

runner = CliRunner()


def test_backup_copy_verifies_and_the_backup_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "k.duckdb"
    with open_store(db) as store:
        for i in range(5):
            append(store, "ann", "alerts.ack", f"alert-{i}")
        store.conn.execute("INSERT INTO users VALUES ('ann', 'h', 'operator', false, now())")
    acting_as(monkeypatch, db, "ada", "admin")  # users.add: seq 6
    copy = tmp_path / "copies" / "b.duckdb"
    refused = runner.invoke(app, ["backup", str(copy), "--db", str(db), "--user", "ann"])
    assert isinstance(refused.exception, AuthenticationError)  # ann's hash is not a password
    result = runner.invoke(app, ["backup", str(copy), "--db", str(db), "--user", "ada"])
    assert result.exit_code == 0, result.output
    assert copy.with_name("b.duckdb.audit-head").exists()

    ok = runner.invoke(app, ["audit", "verify", "--db", str(copy)])
    assert ok.exit_code == 0 and "6 entries" in ok.stdout
    stats = json.loads(runner.invoke(app, ["stats", "--db", str(copy), "--format", "json"]).stdout)
    assert stats["tables"]["audit_log"] == 6 and stats["tables"]["users"] == 2

    with open_store(db, read_only=True) as store:
        last = list_entries(store, limit=1)[0]
        assert (last.seq, last.actor, last.action, last.target) == (7, "ada", "backup.run",
                                                                    str(copy))
        assert verify_store(store).ok

    again = runner.invoke(app, ["backup", str(copy), "--db", str(db), "--user", "ada"])
    assert isinstance(again.exception, StoreError) and "already exists" in str(again.exception)
    with open_store(db, read_only=True) as store:
        assert len(list_entries(store)) == 7  # a failed backup is not recorded
