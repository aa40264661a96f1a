"""Users: the CLI, argon2id hashes, authentication, and the audit trail of every change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from khazar.audit import Role
from khazar.cli import app
from khazar.errors import AuthenticationError, AuthError, InputError, PermissionDeniedError
from khazar.services.users import (
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_users,
    set_password,
    set_role,
)
from khazar.store import open_store
from khazar.store.audit import list_entries, verify_store

runner = CliRunner()
PASSWORD = "caspian ferry at dawn"  # (the xkcd passphrase is on the blocklist)
# cheap parameters for library tests; the CLI tests use the real defaults
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class CountingHasher(PasswordHasher):
    """A fast hasher that counts verifications (to check unknown users cost one too)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


def cli(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "k.duckdb"
    with open_store(path) as store:
        add_user(store, "root", PASSWORD + " root", Role.admin, actor="setup", hasher=FAST)
        add_user(store, "ann", PASSWORD, Role.operator, actor="root", hasher=FAST)
    return path


# -- CLI ----------------------------------------------------------------------------------


def test_cli_add_list_disable_enable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "k.duckdb")
    added = cli("users", "add", "Ann", "--role", "admin", "--password-stdin", "--db", db,
                stdin=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "user ann added with role admin (the store's first user)" in added.stdout
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)  # ann's, who acts from now on
    added = cli("users", "add", "bob", "--role", "exercise-director", "--password-stdin",
                "--db", db, "--user", "ann", stdin="another long passphrase\n")  # fmt: skip
    assert added.exit_code == 0, added.output

    listed = cli("users", "list", "--db", db, "--format", "json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(r["username"], r["role"], r["disabled"]) for r in rows] == [
        ("ann", "admin", False),
        ("bob", "exercise_director", False),
    ]
    assert rows[0]["created_at"].endswith("+00:00")

    assert cli("users", "disable", "bob", "--db", db, "--user", "ann").exit_code == 0
    table = cli("users", "list", "--db", db)
    assert "disabled" in table.stdout and "bob" in table.stdout
    assert cli("users", "enable", "bob", "--db", db, "-u", "ann").exit_code == 0
    monkeypatch.setenv("KHAZAR_USER", "ann")  # the name from the environment
    assert cli("users", "role", "bob", "analyst", "--db", db).exit_code == 0
    rows = json.loads(cli("users", "list", "--db", db, "--format", "json").stdout)
    assert rows[1] == rows[1] | {"username": "bob", "role": "analyst", "disabled": False}

    with open_store(db, read_only=True) as store:
        assert authenticate(store, "BOB", "another long passphrase").role is Role.analyst
        actions = [(e.actor, e.action, e.target) for e in list_entries(store)]
        assert verify_store(store).ok
    assert actions == [
        ("ann", "users.add", "ann"),  # the first admin adds itself
        ("ann", "users.add", "bob"),
        ("ann", "users.disable", "bob"),
        ("ann", "users.enable", "bob"),
        ("ann", "users.role", "bob"),
    ]


def test_cli_user_admin_needs_an_authenticated_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the store's first user is added without logging in, and only as an admin;
    then every change is an authenticated admin's (issue 18: no free-text actor)."""
    db = str(tmp_path / "k.duckdb")
    first = cli("users", "add", "ann", "--role", "operator", "--password-stdin", "--db", db,
                stdin=PASSWORD + "\n")  # fmt: skip
    assert isinstance(first.exception, InputError) and "must be an admin" in str(
        first.exception)
    assert cli("users", "add", "root", "--role", "admin", "--password-stdin", "--db", db,
               stdin=PASSWORD + " root\n").exit_code == 0  # fmt: skip
    anonymous = cli("users", "add", "ann", "--role", "operator", "--password-stdin", "--db",
                    db, stdin=PASSWORD + "\n")  # fmt: skip
    assert isinstance(anonymous.exception, AuthenticationError)
    assert "--user" in str(anonymous.exception)
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD + " root")
    assert cli("users", "add", "ann", "--role", "operator", "--password-stdin", "--db", db,
               "--user", "root", stdin=PASSWORD + "\n").exit_code == 0  # fmt: skip
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)  # ann's: an operator
    operator = cli("users", "disable", "root", "--db", db, "--user", "ann")
    assert isinstance(operator.exception, PermissionDeniedError)
    assert "users.manage" in str(operator.exception)
    with open_store(db, read_only=True) as store:
        assert [(e.actor, e.action, e.target) for e in list_entries(store)] == [
            ("root", "users.add", "root"), ("root", "users.add", "ann")]


def test_cli_interactive_prompt_hides_and_confirms(tmp_path: Path) -> None:
    db = str(tmp_path / "k.duckdb")
    result = cli("users", "add", "cat", "--role", "admin", "--db", db,
                 stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    mismatch = cli("users", "add", "dan", "--role", "viewer", "--db", db, "--user", "cat",
                   stdin=f"{PASSWORD}\n{PASSWORD}x\n")  # fmt: skip
    assert mismatch.exit_code != 0
    assert "do not match" in mismatch.output
    with open_store(db, read_only=True) as store:
        assert [u.username for u in list_users(store)] == ["cat"]


def test_cli_passwd_changes_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    db = str(tmp_path / "k.duckdb")
    cli("users", "add", "ann", "--role", "admin", "--password-stdin", "--db", db,
        stdin=PASSWORD + "\n")  # fmt: skip
    password_file = tmp_path / "ann.pw"
    password_file.write_text(PASSWORD + "\n")
    result = cli("users", "passwd", "ann", "--password-stdin", "--db", db, "--user", "ann",
                 "--password-file", str(password_file),
                 stdin="a brand new passphrase\r\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    with open_store(db, read_only=True) as store:
        assert authenticate(store, "ann", "a brand new passphrase").username == "ann"
        with pytest.raises(AuthenticationError):
            authenticate(store, "ann", PASSWORD)


def test_cli_rejects_weak_password_and_bad_role(tmp_path: Path) -> None:
    db = str(tmp_path / "k.duckdb")
    weak = cli("users", "add", "ann", "--role", "admin", "--password-stdin", "--db", db,
               stdin="short\n")  # fmt: skip
    assert isinstance(weak.exception, InputError)
    assert "has 5 characters; at least 12" in str(weak.exception)
    assert "short" not in str(weak.exception).replace("shortest", "")
    role = cli("users", "add", "ann", "--role", "captain", "--password-stdin", "--db", db,
               stdin=PASSWORD + "\n")  # fmt: skip
    assert isinstance(role.exception, InputError)
    assert "unknown role 'captain'" in str(role.exception)
    empty = cli("users", "add", "ann", "--role", "admin", "--password-stdin", "--db", db, stdin="")
    assert isinstance(empty.exception, InputError)


def test_password_never_reaches_the_store_or_the_log(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    cli("users", "add", "ann", "--role", "admin", "--password-stdin", "--db", str(db),
        stdin=PASSWORD + "\n")  # fmt: skip
    with open_store(db) as store:
        row = store.conn.execute("SELECT password_hash FROM users").fetchone()
        assert row is not None and row[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        store.conn.execute("CHECKPOINT")
    for path in (db, db.with_name(db.name + ".audit-head")):
        assert PASSWORD.encode() not in path.read_bytes()


# -- library ------------------------------------------------------------------------------


def test_authenticate_ok_bad_unknown_disabled(db: Path) -> None:
    hasher = CountingHasher()
    with open_store(db) as store:
        user = authenticate(store, " Ann ", PASSWORD, hasher=hasher)
        assert (user.username, user.role, user.disabled) == ("ann", Role.operator, False)
        with pytest.raises(AuthenticationError) as bad:
            authenticate(store, "ann", PASSWORD + "!", hasher=hasher)
        before = hasher.verifications
        with pytest.raises(AuthenticationError) as unknown:
            authenticate(store, "zed", PASSWORD, hasher=hasher)
        # an unknown user costs a verification too, and fails with the same words
        assert hasher.verifications == before + 1
        assert str(bad.value).replace("'ann'", "X") == str(unknown.value).replace("'zed'", "X")
        assert "unknown user name or wrong password" in str(unknown.value)
        with pytest.raises(AuthenticationError):
            authenticate(store, "x'; DROP TABLE users; --", PASSWORD, hasher=hasher)
        disable_user(store, "ann", actor="root")
        with pytest.raises(AuthenticationError, match="'ann' is disabled"):
            authenticate(store, "ann", PASSWORD, hasher=hasher)
        enable_user(store, "ann", actor="root")
        assert authenticate(store, "ann", PASSWORD, hasher=hasher).username == "ann"


def test_outdated_hash_is_rehashed_at_login(db: Path) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with open_store(db) as store:
        old = store.conn.execute(
            "SELECT password_hash FROM users WHERE username = 'ann'"
        ).fetchone()
        authenticate(store, "ann", PASSWORD, hasher=stronger)
        new = store.conn.execute(
            "SELECT password_hash FROM users WHERE username = 'ann'"
        ).fetchone()
        assert old is not None and new is not None
        assert "m=1024,t=1" in old[0] and "m=2048,t=2" in new[0]
        assert list_entries(store, limit=1)[0].action == "users.rehash"
        authenticate(store, "ann", PASSWORD, hasher=stronger)
        assert list_entries(store, limit=1)[0].action == "users.rehash"  # only once
        assert len(list_entries(store, action="users.rehash")) == 1
        assert verify_store(store).ok


def test_corrupt_stored_hash_fails_cleanly(db: Path) -> None:
    with open_store(db) as store:
        store.conn.execute("UPDATE users SET password_hash = 'nonsense' WHERE username = 'ann'")
        with pytest.raises(AuthenticationError, match="unknown user name or wrong password"):
            authenticate(store, "ann", PASSWORD, hasher=FAST)


def test_user_changes_are_audited_without_secrets(db: Path) -> None:
    with open_store(db) as store:
        set_password(store, "ann", "yet another passphrase", actor="root", hasher=FAST)
        set_role(store, "ann", "planner", actor="root")
        entries = list_entries(store)
        assert [(e.actor, e.action, e.target) for e in entries] == [
            ("setup", "users.add", "root"),
            ("root", "users.add", "ann"),
            ("root", "users.passwd", "ann"),
            ("root", "users.role", "ann"),
        ]
        assert entries[3].detail_dict() == {"from": "operator", "to": "planner"}
        assert all("passphrase" not in (e.detail or "") for e in entries)
        assert verify_store(store).ok


def test_last_enabled_admin_is_kept(db: Path) -> None:
    with open_store(db) as store:
        with pytest.raises(InputError, match="last enabled admin"):
            disable_user(store, "root", actor="root")
        with pytest.raises(InputError, match="last enabled admin"):
            set_role(store, "root", Role.viewer, actor="root")
        add_user(store, "root2", PASSWORD, Role.admin, actor="root", hasher=FAST)
        assert disable_user(store, "root", actor="root2").disabled


def test_names_and_duplicates(db: Path) -> None:
    with open_store(db) as store:
        with pytest.raises(InputError, match="already exists"):
            add_user(store, "ANN", PASSWORD, Role.viewer, actor="root", hasher=FAST)
        for bad in ("a", "1abc", "has space", "x" * 40, "ünï"):
            with pytest.raises(InputError, match="not valid"):
                add_user(store, bad, PASSWORD, Role.viewer, actor="root", hasher=FAST)
        with pytest.raises(InputError, match="no user 'nobody'"):
            disable_user(store, "nobody", actor="root")
        assert get_user(store, "nobody") is None
        # failed attempts leave no audit entries behind
        assert len(list_entries(store)) == 2


def test_password_policy(db: Path) -> None:
    with open_store(db) as store:
        cases = {
            "x" * 11: "at least 12",
            " " * 20: "only white space",
            "  Carol-Smith ": "is the user name",
            "y" * 1025: "at most 1024",
            "x" * 12: "fewer than 5 different characters",
            "password1234": "too common",
        }
        for password, message in cases.items():
            with pytest.raises(InputError, match=message):
                add_user(store, "carol-smith", password, Role.viewer, actor="root", hasher=FAST)
        add_user(store, "carol-smith", "sail at noon", Role.viewer, actor="root", hasher=FAST)


def test_unknown_role_in_store_is_reported(db: Path) -> None:
    with open_store(db) as store:
        store.conn.execute("UPDATE users SET role = 'captain' WHERE username = 'ann'")
        with pytest.raises(AuthError, match="unknown role 'captain'"):
            list_users(store)
