"""`khazar audit verify` on stores tampered with directly in SQL, as an intruder would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from khazar.audit.chain import GENESIS_HASH, compute_hash, head_mac, verify_chain
from khazar.cli import app
from khazar.errors import AuditError
from khazar.store import open_store
from khazar.store.audit import append, audited, read_entries, read_head, verify_store

T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
runner = CliRunner()


def make_log(path: Path, n: int = 8) -> Path:
    """A store with n audit entries (alert acknowledgements, one a minute)."""
    with open_store(path) as store:
        for i in range(n):
            append(store, "ann", "alerts.ack", f"alert-{i}", {"i": i}, ts=T0 + timedelta(minutes=i))
    return path


def sql(path: Path, *statements: str) -> None:
    with open_store(path) as store:
        for s in statements:
            store.conn.execute(s)


def verify(path: Path) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["audit", "verify", "--db", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def problems(report: dict[str, Any]) -> set[tuple[str, int, int]]:
    out = report["problems"]
    return {(p["kind"], p["seq"], p["seq_end"]) for p in out}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_log(tmp_path / "k.duckdb")


def test_clean_log_verifies_with_one_line(db: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [
        "audit log OK: 8 entries, chain and head file agree (last seq 8)"
    ]
    code, report = verify(db)
    assert code == 0 and report["ok"] is True and report["entries"] == 8
    assert report["problems"] == []


def test_head_file_has_one_line_per_entry(db: Path, audit_key: Path) -> None:
    with open_store(db, read_only=True) as store:
        entries = read_entries(store)
        head = read_head(store.audit_head_path)
    assert head is not None and not head.errors
    assert [(r.seq, r.hash) for r in head.records] == [(e.seq, e.hash) for e in entries]
    lines = db.with_name(db.name + ".audit-head").read_text().splitlines()
    mac = head_mac(bytes.fromhex(audit_key.read_text()), 1, entries[0].hash)
    assert lines[0] == f"1 {entries[0].hash} {mac}" and len(lines) == 8


def test_edited_entry(db: Path) -> None:
    sql(db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("edited", 4, 4)}


def test_edited_detail_and_time(db: Path) -> None:
    sql(
        db,
        """UPDATE audit_log SET detail = '{"i":99}' WHERE seq = 2""",
        "UPDATE audit_log SET ts = ts + INTERVAL 1 SECOND WHERE seq = 6",
    )
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("edited", 2, 2), ("edited", 6, 6)}


def test_deleted_entry(db: Path) -> None:
    sql(db, "DELETE FROM audit_log WHERE seq = 3")
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("removed", 3, 3)}


def test_deleted_entry_and_renumbered(db: Path) -> None:
    sql(
        db,
        "DELETE FROM audit_log WHERE seq = 3",
        "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq > 3",
        "DELETE FROM audit_log WHERE seq > 3",
        "INSERT INTO audit_log SELECT seq - 1, ts, actor, action, target, detail, prev_hash, hash "
        "FROM t",
    )
    code, report = verify(db)
    assert code == 5
    found = problems(report)
    # every renumbered entry is recognised as a genuine one in the wrong place
    assert {("moved", s, s) for s in range(3, 8)} <= found
    assert ("truncated", 8, 8) in found


def test_reordered_entries(db: Path) -> None:
    # swap two rows' seq numbers through a free value (the primary key forbids a clash)
    sql(
        db,
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = 1000",
    )
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("moved", 2, 2), ("moved", 5, 5)}
    messages = [p["message"] for p in report["problems"]]
    assert any("written as seq 5" in m for m in messages)


def test_truncated_tail(db: Path) -> None:
    sql(db, "DELETE FROM audit_log WHERE seq >= 6")
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("truncated", 6, 8)}


def test_rewritten_and_rehashed_chain(db: Path) -> None:
    """An intruder edits seq 3 and re-hashes everything after it: only the head file knows."""
    with open_store(db) as store:
        store.conn.execute("UPDATE audit_log SET target = 'alert-x' WHERE seq = 3")
        prev_hash = GENESIS_HASH
        for e in read_entries(store):
            digest = compute_hash(prev_hash, e.seq, e.ts, e.actor, e.action, e.target, e.detail)
            store.conn.execute(
                "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
                [prev_hash, digest, e.seq],
            )
            prev_hash = digest
    # the chain alone is consistent now
    with open_store(db, read_only=True) as store:
        alone = verify_chain(read_entries(store), None).problems
    assert [p.kind for p in alone] == ["head_missing"]
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("rewritten", 3, 8)}


def test_missing_head_file(db: Path) -> None:
    db.with_name(db.name + ".audit-head").unlink()
    result = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 5
    assert "no head file" in result.stdout
    assert "audit log FAILED: 1 problem(s) in 8 entries" in result.stdout


def test_tampered_head_file_is_reported(db: Path) -> None:
    head = db.with_name(db.name + ".audit-head")
    head.write_text(head.read_text() + "garbage line\n")
    code, report = verify(db)
    assert code == 5
    assert {p[0] for p in problems(report)} == {"head_malformed"}


def test_entry_appended_behind_khazars_back_is_unsealed(db: Path) -> None:
    with open_store(db) as store:
        last = read_entries(store)[-1]
        ts = T0 + timedelta(hours=1)
        digest = compute_hash(last.hash, 9, ts, "mallory", "alerts.resolve", "alert-1", "{}")
        store.conn.execute(
            "INSERT INTO audit_log VALUES (9, ?, 'mallory', 'alerts.resolve', 'alert-1', '{}', "
            "?, ?)",
            [ts, last.hash, digest],
        )
    code, report = verify(db)
    assert code == 5
    assert problems(report) == {("unsealed", 9, 9)}


def test_empty_store_without_head_is_ok(tmp_path: Path) -> None:
    open_store(tmp_path / "e.duckdb").close()
    result = runner.invoke(app, ["audit", "verify", "--db", str(tmp_path / "e.duckdb")])
    assert result.exit_code == 0
    assert "audit log OK: 0 entries" in result.stdout


def test_verify_exit_code_through_the_real_command(db: Path) -> None:
    sql(db, "UPDATE audit_log SET action = 'alerts.resolve' WHERE seq = 1")
    khazar = Path(sys.executable).with_name("khazar")  # the installed console script
    proc = subprocess.run(
        [str(khazar), "audit", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 5
    assert "seq 1: content does not match its hash" in proc.stdout


def test_rolled_back_change_leaves_no_entry_and_no_head_line(db: Path) -> None:
    with open_store(db) as store:
        with pytest.raises(RuntimeError), audited(store) as tx:
            tx.append("ann", "alerts.ack", "alert-9")
            raise RuntimeError("the change failed")
        assert verify_store(store).ok
        assert verify_store(store).entries == 8
        entry = append(store, "ann", "alerts.ack", "alert-9")
        assert entry.seq == 9
        assert verify_store(store).ok


def test_entries_of_one_transaction_commit_together(db: Path) -> None:
    with open_store(db) as store:
        with audited(store) as tx:
            a = tx.append("bob", "alerts.assign", "alert-1", {"boat": "P-101"})
            b = tx.append("bob", "dispatch.order", "P-101", {"alert": "alert-1"})
        assert (a.seq, b.seq, b.prev_hash) == (9, 10, a.hash)
        assert verify_store(store).ok
        with pytest.raises(AuditError, match="inside another audited"), audited(store) as tx:
            append(store, "bob", "alerts.note", "alert-1")


def test_read_only_store_refuses_to_append(db: Path) -> None:
    with open_store(db, read_only=True) as store, pytest.raises(AuditError, match="read-only"):
        append(store, "ann", "alerts.ack")


def test_audit_show_lists_and_filters(db: Path) -> None:
    with open_store(db) as store:
        append(store, "bob", "plan.write", "shift-1", {"boats": 12}, ts=T0 + timedelta(hours=2))
    show = ["audit", "show", "--db", str(db), "--format", "json"]
    result = runner.invoke(app, [*show, "--action", "alerts", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["seq"] for r in rows] == [6, 7, 8]
    assert rows[0]["detail"] == {"i": 5} and rows[0]["actor"] == "ann"
    result = runner.invoke(app, [*show, "--since", "2026-05-01T07:00"])
    assert [r["action"] for r in json.loads(result.stdout)] == ["plan.write"]
    table = runner.invoke(app, ["audit", "show", "--db", str(db), "--actor", "bob"])
    assert table.exit_code == 0 and "plan.write" in table.stdout


# -- any single SQL mutation of any one entry is caught -----------------------------

_MUTATIONS = {
    "actor": "UPDATE audit_log SET actor = actor || 'x' WHERE seq = {s}",
    "action": "UPDATE audit_log SET action = 'users.add' WHERE seq = {s}",
    "target": "UPDATE audit_log SET target = NULL WHERE seq = {s}",
    "detail": """UPDATE audit_log SET detail = '{{"i": {s}}}' WHERE seq = {s}""",
    "ts": "UPDATE audit_log SET ts = ts - INTERVAL 1 MICROSECOND WHERE seq = {s}",
    "hash": "UPDATE audit_log SET hash = md5(hash) || md5(hash) WHERE seq = {s}",
    "prev_hash": "UPDATE audit_log SET prev_hash = repeat('f', 64) WHERE seq = {s}",
    "delete": "DELETE FROM audit_log WHERE seq = {s}",
    "truncate": "DELETE FROM audit_log WHERE seq >= {s}",
    "seq": "UPDATE audit_log SET seq = 100 + seq WHERE seq = {s}",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_log(tmp_path_factory.mktemp("template") / "k.duckdb", n=6)


@pytest.mark.parametrize("seq", [1, 3, 6])  # first, inside, last
@pytest.mark.parametrize("mutation", sorted(_MUTATIONS))
def test_any_sql_mutation_of_one_entry_is_detected(
    template: Path, tmp_path: Path, seq: int, mutation: str
) -> None:
    """Every mutation at the chain's edges and inside: a problem names the entry's seq."""
    path = tmp_path / "k.duckdb"
    shutil.copyfile(template, path)
    shutil.copyfile(template.with_name("k.duckdb.audit-head"), tmp_path / "k.duckdb.audit-head")
    with open_store(path) as store:
        store.conn.execute(_MUTATIONS[mutation].format(s=seq))
        report = verify_store(store)
    assert not report.ok
    assert any(
        p.seq <= seq <= (p.seq_end if p.seq_end is not None else p.seq) for p in report.problems
    ), (mutation, seq, report.problems)


def test_verify_against_a_head_copy_kept_elsewhere(db: Path, tmp_path: Path) -> None:
    """An intruder who rewrites the chain and the local head file is caught by an off-host copy."""
    offsite = tmp_path / "offsite.audit-head"
    shutil.copyfile(db.with_name(db.name + ".audit-head"), offsite)
    head = read_head(offsite)
    assert head is not None
    with open_store(db) as store:
        store.conn.execute("DELETE FROM audit_log WHERE seq = 8")
    local = db.with_name(db.name + ".audit-head")
    local.write_text("".join(r.line() for r in head.records[:7]))  # its keyed lines
    code, _ = verify(db)
    assert code == 0  # consistent with the local head...
    result = runner.invoke(
        app, ["audit", "verify", "--db", str(db), "--head", str(offsite), "--format", "json"]
    )
    assert result.exit_code == 5  # ...but not with the copy kept elsewhere
    assert problems(json.loads(result.stdout)) == {("truncated", 8, 8)}


def test_head_write_failure_is_reported_and_leaves_the_entry_unsealed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with open_store(db) as store:
        monkeypatch.setattr("khazar.store.audit.os.fsync", broken_fsync)
        with pytest.raises(AuditError, match=r"seq 9\.\.9 are committed but the head file"):
            append(store, "ann", "alerts.ack", "alert-9")
        monkeypatch.undo()
        # the line reached the page cache but its durability is unknown: drop it, as a crash would
        lines = store.audit_head_path.read_text().splitlines()
        store.audit_head_path.write_text("\n".join(lines[:8]) + "\n")
        report = verify_store(store)
    assert [(p.kind, p.seq) for p in report.problems] == [("unsealed", 9)]
