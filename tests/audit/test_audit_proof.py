"""Issue 18, points 3 and 5: an audit trail that proves itself. Each test failed before the
fix: the CLI wrote entries under any name and date when no server held the store, and
whoever could write the store's folder could cut the tail or re-hash the whole chain and
rewrite the head without `khazar audit verify` noticing.

Both backends (``store_at``): DuckDB keeps the head in a file next to the store,
PostgreSQL in its table ``audit_heads``."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.api.errors import http_status
from khazar.audit.chain import AuditEntry, head_mac, make_entry
from khazar.cli import app
from khazar.errors import (
    AuditError,
    AuditTimeError,
    AuthenticationError,
    PermissionDeniedError,
)
from khazar.services.alerts import acknowledge_alert
from khazar.services.users import disable_user
from khazar.store import Store, open_store
from khazar.store import alerts as repo
from khazar.store.audit import append, read_entries, verify_store

runner = CliRunner()
T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


def _alert(store: Store, alert_id: str) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO alerts (id, rule, type, severity, score, state, mmsi, lat, lon, "
            "first_ts, last_ts, event_ids, event_count, summary, created_at, updated_at) "
            "VALUES (?, 'r', 'loitering', 'high', 0.9, 'new', NULL, 40.0, 50.2, ?, ?, '[]', "
            "1, 'loitering over SD pipeline', ?, ?)", [alert_id, T0, T0, T0, T0])


@pytest.fixture
def db(store_at: Path | str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store with an admin, an operator, a viewer and two new alerts; no credentials in
    the environment (each test gives what it means to)."""
    add_users(store_at, ("p_admin", "admin"), ("omar", "operator"), ("vera", "viewer"))
    with open_store(store_at) as store:
        _alert(store, "A0000000000000001")
        _alert(store, "A0000000000000002")
    for name in ("KHAZAR_USER", "KHAZAR_PASSWORD", "KHAZAR_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    return str(store_at)


def _entries(db: str) -> list[AuditEntry]:
    with open_store(db, read_only=True) as store:
        return read_entries(store)


def _verify(db: str, *copies: Path) -> tuple[int, dict[str, Any]]:
    args = ["audit", "verify", "--db", db, "--format", "json"]
    for copy in copies:
        args += ["--head", str(copy)]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def _kinds(report: dict[str, Any]) -> set[tuple[str, int]]:
    return {(p["kind"], p["seq"]) for p in report["problems"]}


# -- point 3: every CLI write is authenticated -------------------------------------------
def test_a_cli_write_without_credentials_is_refused_and_writes_nothing(db: str) -> None:
    before = _entries(db)
    nobody = runner.invoke(app, ["alerts", "ack", "A0000000000000001", "--db", db])
    assert isinstance(nobody.exception, AuthenticationError)
    assert "--user" in str(nobody.exception)
    # the finding: --user p_admin and no password recorded p_admin
    no_password = runner.invoke(app, ["alerts", "ack", "A0000000000000001", "--db", db,
                                      "--user", "p_admin"])
    assert isinstance(no_password.exception, AuthenticationError)
    assert "KHAZAR_PASSWORD" in str(no_password.exception)
    for command in (["alerts", "note", "A0000000000000001", "--text", "x"],
                    ["alerts", "resolve", "A0000000000000001", "--reason", "x"],
                    ["fleet", "--set", "SBS-01", "--status", "maintenance"],
                    ["users", "disable", "omar"], ["backup", "/nonexistent/b.duckdb"]):
        result = runner.invoke(app, [*command, "--db", db])
        assert isinstance(result.exception, AuthenticationError), (command, result.output)
    assert _entries(db) == before
    with open_store(db, read_only=True) as store:
        assert repo.get_alert(store, "A0000000000000001").state.value == "new"


@pytest.mark.parametrize(("user", "password", "error", "words"), [
    ("nosuchuser", PASSWORD, AuthenticationError, "unknown user name or wrong password"),
    ("p_admin", PASSWORD + "!", AuthenticationError, "unknown user name or wrong password"),
    ("vera", PASSWORD, PermissionDeniedError, "may not alerts.ack"),
])
def test_unknown_user_wrong_password_and_a_role_without_the_right_are_refused(
    db: str, monkeypatch: pytest.MonkeyPatch, user: str, password: str,
    error: type[Exception], words: str,
) -> None:
    before = _entries(db)
    monkeypatch.setenv("KHAZAR_PASSWORD", password)
    result = runner.invoke(app, ["alerts", "ack", "A0000000000000001", "--db", db,
                                 "--user", user])
    assert isinstance(result.exception, error), result.output
    assert words in str(result.exception)
    assert _entries(db) == before


def test_a_disabled_user_is_refused_even_with_the_right_password(
    db: str, tmp_path: Path
) -> None:
    with open_store(db) as store:
        disable_user(store, "omar", actor="p_admin")
    before = _entries(db)
    password_file = tmp_path / "omar.pw"
    password_file.write_text(PASSWORD + "\n")
    result = runner.invoke(app, ["alerts", "ack", "A0000000000000001", "--db", db,
                                 "--user", "omar", "--password-file", str(password_file)])
    assert isinstance(result.exception, AuthenticationError)
    assert "disabled" in str(result.exception)
    assert _entries(db) == before


def test_the_authenticated_user_is_the_actor(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    result = runner.invoke(app, ["alerts", "ack", "A0000000000000001", "--db", db,
                                 "--user", " OMAR "])
    assert result.exit_code == 0, result.output
    last = _entries(db)[-1]
    assert (last.actor, last.action, last.target) == ("omar", "alerts.ack", "A0000000000000001")


def test_the_real_command_exits_4_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    add_users(db, ("p_admin", "admin"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHAZAR_PASSWORD")}
    env["KHAZAR_AUDIT__KEY_FILE"] = os.environ["KHAZAR_AUDIT__KEY_FILE"]
    done = subprocess.run(
        [sys.executable, "-c", "from khazar.cli import main; main()", "alerts", "ack",
         "A1", "--db", str(db), "--user", "p_admin"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == AuthenticationError.exit_code == 4
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: `alerts.ack` needs p_admin's password: set KHAZAR_PASSWORD or "
        "KHAZAR_PASSWORD_FILE, or give --password-file (no terminal to prompt on)"]


# -- point 3: entry times never go backwards ---------------------------------------------
def test_a_time_before_the_last_entry_is_refused(db: str) -> None:
    with open_store(db) as store:
        last = read_entries(store)[-1]
        with pytest.raises(AuditTimeError, match="never go backwards"):
            append(store, "p_admin", "backup.run", ts=last.ts - timedelta(seconds=1))
        append(store, "p_admin", "backup.run", ts=last.ts)  # the same instant is not back
        assert verify_store(store).ok
    assert http_status(AuditTimeError("x")) == 409


def test_resolve_with_an_old_now_is_dated_by_the_clock_its_time_in_the_detail(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: `resolve --now 2026-01-01` recorded an entry dated before the previous
    one. The entry is dated when it is written; the replayed time is its detail's ``at``."""
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    for args in (["ack", "A0000000000000001"],
                 ["resolve", "A0000000000000001", "--reason", "boarded"]):
        result = runner.invoke(app, ["alerts", *args, "--db", db, "--user", "omar",
                                     "--now", "2026-01-01T00:00:00Z"])
        assert result.exit_code == 0, result.output
    entries = _entries(db)
    assert all(a.ts <= b.ts for a, b in itertools.pairwise(entries))
    resolved = entries[-1]
    assert resolved.action == "alerts.resolve"
    assert resolved.detail_dict()["at"] == "2026-01-01T00:00:00.000000+00:00"
    assert resolved.ts > datetime(2026, 1, 2, tzinfo=UTC)


def test_a_clock_set_back_refuses_the_write_with_a_clear_error(db: str,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """The chain's last entry lies an hour ahead of this host's clock (a clock stepped
    back, or another server's): a CLI write is refused, nothing changes."""
    with open_store(db) as store:
        append(store, "system", "clock.check", ts=datetime.now(UTC) + timedelta(hours=1))
    before = _entries(db)
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    result = runner.invoke(app, ["alerts", "ack", "A0000000000000002", "--db", db,
                                 "--user", "omar"])
    assert isinstance(result.exception, AuditTimeError)
    assert "before the chain's last entry" in str(result.exception)
    assert _entries(db) == before
    with open_store(db) as store:
        assert repo.get_alert(store, "A0000000000000002").state.value == "new"
        with pytest.raises(AuditTimeError):  # the service path alike (the API's: 409)
            acknowledge_alert(store, "A0000000000000002", "omar", datetime.now(UTC))


# -- point 5: keyed heads and copies kept off the host -----------------------------------
def _export(db: str, out: Path) -> None:
    result = runner.invoke(app, ["audit", "export-head", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output


def _rewrite(db: str, entries: list[AuditEntry], key: bytes | None) -> None:
    """Replace the whole chain by ``entries`` and its head by their records, with macs
    under ``key`` (None: the intruder has no key and writes bare lines)."""
    def line(e: AuditEntry) -> tuple[int, str, str | None]:
        return e.seq, e.hash, head_mac(key, e.seq, e.hash) if key else None

    with open_store(db) as store:
        with store.transaction() as tx:
            tx.execute("DELETE FROM audit_log")
            for e in entries:
                tx.execute("INSERT INTO audit_log (seq, ts, actor, action, target, detail, "
                           "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [e.seq, e.ts, e.actor, e.action, e.target, e.detail, e.prev_hash,
                            e.hash])
            if store.audit_head_path is None:
                tx.execute("DELETE FROM audit_heads")
                for seq, digest, mac in map(line, entries):
                    tx.execute("INSERT INTO audit_heads (seq, hash, mac) VALUES (?, ?, ?)",
                               [seq, digest, mac])
        path = store.audit_head_path
    if path is not None:
        path.write_text("".join(f"{s} {h}" + (f" {m}" if m else "") + "\n"
                                for s, h, m in map(line, entries)))


def _rehashed(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The chain with the first entry's actor changed and every hash made again."""
    out: list[AuditEntry] = []
    for e in entries:
        actor = "mallory" if e.seq == 1 else e.actor
        out.append(make_entry(out[-1] if out else None, e.ts, actor, e.action, e.target,
                              e.detail_dict()))
    return out


def test_an_intact_chain_passes_against_its_exported_head(db: str, tmp_path: Path,
                                                          audit_key: Path) -> None:
    copy = tmp_path / "offsite" / "head"
    copy.parent.mkdir()
    _export(db, copy)
    with open_store(db) as store:
        append(store, "p_admin", "backup.run")  # entries after the export are fine
    code, report = _verify(db, copy)
    assert code == 0 and report["ok"], report
    [line] = copy.read_text().splitlines()
    seq, digest, mac = line.split()
    assert mac == head_mac(bytes.fromhex(audit_key.read_text()), int(seq), digest)
    assert stat.S_IMODE(audit_key.stat().st_mode) == 0o600


def test_a_truncated_chain_fails_against_the_exported_head(db: str, tmp_path: Path) -> None:
    """Deleting the last entry and its head record passes the store's own head; the copy
    exported before finds it."""
    copy = tmp_path / "head.copy"
    _export(db, copy)
    entries = _entries(db)
    last = entries[-1].seq
    with open_store(db) as store:
        with store.transaction() as tx:
            tx.execute("DELETE FROM audit_log WHERE seq = ?", [last])
            if store.audit_head_path is None:
                tx.execute("DELETE FROM audit_heads WHERE seq = ?", [last])
        path = store.audit_head_path
    if path is not None:
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:-1]))
    code, _report = _verify(db)
    assert code == 0  # consistent with what is left in the store's folder...
    code, report = _verify(db, copy)
    assert code == AuditError.exit_code  # ...not with the copy kept off the host
    assert _kinds(report) == {("truncated", last)}


def test_a_rehashed_chain_fails_without_the_key_and_against_the_exported_head(
    db: str, tmp_path: Path, audit_key: Path
) -> None:
    copy = tmp_path / "head.copy"
    _export(db, copy)
    forged = _rehashed(_entries(db))
    _rewrite(db, forged, None)  # no key: bare head lines
    code, report = _verify(db)
    assert code == AuditError.exit_code
    assert {k for k, _ in _kinds(report)} == {"unkeyed"}
    _rewrite(db, forged, os.urandom(32))  # a key of the intruder's own
    code, report = _verify(db)
    assert code == AuditError.exit_code and {k for k, _ in _kinds(report)} == {"forged"}
    # someone who could read the key too: the store's head agrees, the copy does not
    _rewrite(db, forged, bytes.fromhex(audit_key.read_text()))
    assert _verify(db)[0] == 0
    code, report = _verify(db, copy)
    assert code == AuditError.exit_code
    assert _kinds(report) == {("rewritten", len(forged))}


def test_export_refuses_a_log_that_does_not_verify(db: str, tmp_path: Path) -> None:
    _rewrite(db, _rehashed(_entries(db)), None)
    result = runner.invoke(app, ["audit", "export-head", "--db", db, "--out",
                                 str(tmp_path / "c")])
    assert isinstance(result.exception, AuditError) and "nothing exported" in str(
        result.exception)
    assert not (tmp_path / "c").exists()


# -- the key: outside the store's folder, needed once used -------------------------------
def test_the_key_is_refused_inside_the_store_folder_and_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store" / "k.duckdb"
    db.parent.mkdir()
    monkeypatch.setenv("KHAZAR_AUDIT__KEY_FILE", str(db.parent / "audit.key"))
    with open_store(db) as store, pytest.raises(AuditError, match="inside the store's folder"):
        append(store, "p_admin", "backup.run")
    key = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv("KHAZAR_AUDIT__KEY_FILE", str(key))
    with open_store(db) as store:
        append(store, "p_admin", "backup.run")  # first use: created
        assert read_entries(store)[-1].seq == 1
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.rename(tmp_path / "keys" / "elsewhere")
    with open_store(db) as store:
        with pytest.raises(AuditError, match="missing, but the audit head records were "
                                             "sealed with a key"):
            append(store, "p_admin", "backup.run")
        assert len(read_entries(store)) == 1  # refused before any change
    result = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert isinstance(result.exception, AuditError) and "restore the key" in str(
        result.exception)


# -- API tokens an admin issued ------------------------------------------------------------
def test_an_issued_token_acts_as_its_user_until_revoked(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    refused = runner.invoke(app, ["users", "tokens", "issue", "omar", "--db", db,
                                 "--user", "omar"])  # an operator may not
    assert isinstance(refused.exception, PermissionDeniedError)
    issued = runner.invoke(app, ["users", "tokens", "issue", "omar", "--db", db,
                                 "--user", "p_admin"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.startswith("khz_")
    monkeypatch.delenv("KHAZAR_PASSWORD")
    monkeypatch.setenv("KHAZAR_TOKEN", token)
    ack = ["alerts", "ack", "A0000000000000001", "--db", db]
    result = runner.invoke(app, ack)
    assert result.exit_code == 0, result.output
    assert (_entries(db)[-1].actor, _entries(db)[-1].action) == ("omar", "alerts.ack")
    before = _entries(db)
    other = ["alerts", "ack", "A0000000000000002", "--db", db]
    mismatch = runner.invoke(app, [*other, "--user", "vera"])
    assert isinstance(mismatch.exception, AuthenticationError)
    assert "omar's token" in str(mismatch.exception)
    monkeypatch.setenv("KHAZAR_TOKEN", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    wrong = runner.invoke(app, other)
    assert isinstance(wrong.exception, AuthenticationError)
    assert _entries(db) == before
    token_id = token.split("_")[1]
    listed = json.loads(runner.invoke(app, ["users", "tokens", "list", "--db", db,
                                            "--format", "json"]).stdout)
    assert [(t["id"], t["username"], t["created_by"]) for t in listed] == [
        (token_id, "omar", "p_admin")]
    assert token.split("_", 2)[2] not in json.dumps(listed)
    monkeypatch.setenv("KHAZAR_TOKEN", token)
    with open_store(db) as store:
        disable_user(store, "omar", actor="p_admin")
    disabled = runner.invoke(app, other)
    assert isinstance(disabled.exception, AuthenticationError) and "disabled" in str(
        disabled.exception)
    monkeypatch.delenv("KHAZAR_TOKEN")
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    revoked = runner.invoke(app, ["users", "tokens", "revoke", token_id, "--db", db,
                                  "--user", "p_admin"])
    assert revoked.exit_code == 0, revoked.output
    monkeypatch.delenv("KHAZAR_PASSWORD")
    monkeypatch.setenv("KHAZAR_TOKEN", token)
    after = runner.invoke(app, other)
    assert isinstance(after.exception, AuthenticationError) and "revoked" in str(
        after.exception)
    last = _entries(db)[-1]
    assert (last.actor, last.action, last.target) == ("p_admin", "users.token.revoke", "omar")


def test_a_backup_from_before_keyed_heads_restores_and_is_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Head lines without a mac (written before this version): `verify` says `unkeyed`,
    and restoring such a backup seals it (the restore's keyed record vouches for them)."""
    old = tmp_path / "old" / "k.duckdb"
    old.parent.mkdir()
    add_users(old, ("p_admin", "admin"))
    head = old.with_name("k.duckdb.audit-head")
    head.write_text("".join(" ".join(line.split()[:2]) + "\n"
                            for line in head.read_text().splitlines()))
    code, report = _verify(str(old))
    assert code == AuditError.exit_code and {k for k, _ in _kinds(report)} == {"unkeyed"}
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    new = tmp_path / "new.duckdb"
    result = runner.invoke(app, ["restore", str(old), "--db", str(new), "--user", "p_admin"])
    assert result.exit_code == 0, result.output
    assert _verify(str(new))[0] == 0
    wrong = runner.invoke(app, ["restore", str(old), "--db", str(tmp_path / "x.duckdb"),
                                "--user", "nosuchuser"])
    assert isinstance(wrong.exception, AuthenticationError)
    assert not (tmp_path / "x.duckdb").exists()  # a refused restore leaves nothing
