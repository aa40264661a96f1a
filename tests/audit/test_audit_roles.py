"""The permission model: who may do what, and require() refusing the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from khazar.audit import PERMISSIONS, Action, Role, can, parse_role, require, roles_allowed
from khazar.cli import app
from khazar.errors import InputError, PermissionDeniedError
from khazar.services.users import User

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def user(role: Role, disabled: bool = False) -> User:
    return User(f"u-{role.value}", role, disabled, T0)


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (Role.viewer, ["picture.read"], ["alerts.ack", "plan.write", "users.manage"]),
        (
            Role.analyst,
            ["trace.run", "evidence.export", "audit.read"],
            ["alerts.ack", "plan.write"],
        ),
        (Role.operator, ["alerts.ack", "alerts.assign", "dispatch.order"], ["plan.write"]),
        (Role.planner, ["plan.write", "fleet.status"], ["alerts.ack", "exercise.run"]),
        (Role.exercise_director, ["exercise.run", "exercise.score"], ["alerts.ack", "plan.write"]),
        (Role.admin, [a.value for a in Action], []),
    ],
)
def test_role_table(role: Role, allowed: list[str], denied: list[str]) -> None:
    for action in allowed:
        require(user(role), action)
        assert can(role, action)
    for action in denied:
        assert not can(role, action)
        with pytest.raises(PermissionDeniedError) as exc:
            require(user(role), action)
        message = str(exc.value)
        assert f"role {role.value}" in message and action in message and "admin" in message


def test_only_admin_manages_users_and_runs_backups() -> None:
    assert roles_allowed(Action.users_manage) == (Role.admin,)
    assert roles_allowed("backup.run") == (Role.admin,)
    assert roles_allowed("alerts.note") == (Role.analyst, Role.operator, Role.admin)


@given(role=st.sampled_from(Role), action=st.sampled_from(Action))
def test_every_role_reads_the_picture_and_admin_can_do_all(role: Role, action: Action) -> None:
    assert can(role, Action.picture_read)
    assert PERMISSIONS[role] <= PERMISSIONS[Role.admin]
    assert can(Role.admin, action)
    with pytest.raises(PermissionDeniedError, match="disabled"):
        require(user(role, disabled=True), action)


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"unknown action 'alerts\.ackk'"):
        require(user(Role.admin), "alerts.ackk")


def test_parse_role() -> None:
    assert parse_role("Exercise-Director") is Role.exercise_director
    assert parse_role(" admin ") is Role.admin
    with pytest.raises(InputError, match="choose one of: viewer, analyst"):
        parse_role("captain")


def test_cli_prints_the_permission_model() -> None:
    result = CliRunner().invoke(app, ["users", "roles", "--format", "json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)
    assert list(model) == [r.value for r in Role]
    assert model["viewer"] == ["picture.read"]
    assert len(model["admin"]) == len(Action)
    assert "plan.write" in model["planner"] and "plan.write" not in model["operator"]
    table = CliRunner().invoke(app, ["users", "roles"])
    assert "every action" in table.stdout
