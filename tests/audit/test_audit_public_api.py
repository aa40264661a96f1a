"""The public surfaces the API and console rely on: the audit core (pure), its store adapter
and the users use case. Guarded so that a rename shows here first."""

from __future__ import annotations

import inspect

import khazar.audit as audit
import khazar.services.users as users
import khazar.store.audit as audit_store

EXPECTED_CORE = {
    "GENESIS_HASH", "MIN_PASSWORD_LENGTH", "PERMISSIONS", "Action", "AuditEntry",
    "ChainReport", "HeadRecord", "Problem", "ProblemKind", "Role", "can",
    "check_password_policy", "parse_role", "require", "roles_allowed", "verify_chain",
}  # fmt: skip
EXPECTED_STORE = {
    "AuditTransaction", "HeadFile", "append", "append_head_records", "audit_key", "audited",
    "export_head", "last_head", "list_entries",
    "read_entries", "read_head", "verify_store",
}  # fmt: skip
EXPECTED_USERS = {
    "Locked", "Runner", "User", "add_user", "add_user_with","authenticate", "authenticate_with",
    "change_own_password", "disable_user", "enable_user", "get_user", "list_users",
    "normalise_username", "set_password", "set_password_with", "set_role",
}  # fmt: skip


def test_exported_names() -> None:
    for module, expected in ((audit, EXPECTED_CORE), (audit_store, EXPECTED_STORE),
                             (users, EXPECTED_USERS)):
        assert set(module.__all__) == expected, module.__name__
        for name in expected:
            assert getattr(module, name) is not None


def test_signatures_the_api_uses() -> None:
    assert list(inspect.signature(users.authenticate).parameters) == [
        "store", "username", "password", "hasher",
    ]  # fmt: skip
    assert list(inspect.signature(audit_store.append).parameters) == [
        "store", "actor", "action", "target", "detail", "ts",
    ]  # fmt: skip
    assert list(inspect.signature(audit.require).parameters) == ["user", "action"]
