"""The public surface of khazar.audit that the API and console rely on: guarded."""

from __future__ import annotations

import inspect

import khazar.audit as audit

EXPECTED = {
    "GENESIS_HASH", "MIN_PASSWORD_LENGTH", "PERMISSIONS", "Action", "AuditEntry",
    "AuditTransaction", "ChainReport", "HeadRecord", "Problem", "ProblemKind", "Role", "User",
    "add_user", "append", "audited", "authenticate", "can", "check_password_policy",
    "disable_user", "enable_user", "get_user", "list_entries", "list_users", "parse_role",
    "read_entries", "read_head", "require", "roles_allowed", "set_password", "set_role",
    "verify_chain", "verify_store",
}  # fmt: skip


def test_exported_names() -> None:
    assert set(audit.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(audit, name) is not None


def test_signatures_the_api_uses() -> None:
    assert list(inspect.signature(audit.authenticate).parameters) == [
        "store", "username", "password", "hasher",
    ]  # fmt: skip
    assert list(inspect.signature(audit.append).parameters) == [
        "store", "actor", "action", "target", "detail", "ts",
    ]  # fmt: skip
    assert list(inspect.signature(audit.require).parameters) == ["user", "action"]
