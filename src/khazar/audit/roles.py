"""Roles and the permission model: which role may do which action.

Every write (and every sensitive read) the API or the CLI performs names one
:class:`Action`; :func:`require` raises :class:`~khazar.errors.PermissionDeniedError`
when the user's role does not grant it. The model is an explicit table, not a
hierarchy, so that reading :data:`PERMISSIONS` answers "who may do X":

=================== ==================================================================
role                 actions (besides everything ``viewer`` has)
=================== ==================================================================
viewer               picture.read (vessels, tracks, events, alerts, assets, zones, patrols)
analyst              history.search, trace.run, evidence.export, report.generate,
                     data.export, alerts.note, audit.read
operator             alerts.ack, alerts.assign, alerts.resolve, alerts.note, dispatch.order,
                     fleet.status, handover.write, data.export
planner              plan.write, fleet.status, report.generate, data.export
exercise_director    exercise.run, exercise.score, report.generate
admin                every action, including users.manage, registry.write, ingest.run,
                     audit.read, audit.verify, backup.run
=================== ==================================================================

Actions are dotted ``area.verb`` names; the same names are used as the ``action`` of
audit-log entries for the corresponding writes.
"""

from __future__ import annotations

import enum
from typing import Protocol

from khazar.errors import InputError, PermissionDeniedError

__all__ = [
    "PERMISSIONS",
    "Action",
    "Role",
    "can",
    "parse_role",
    "require",
    "roles_allowed",
]


class Role(enum.StrEnum):
    """A user's role (DESIGN C8). The value is what the store and the CLI use."""

    viewer = "viewer"
    analyst = "analyst"
    operator = "operator"
    planner = "planner"
    exercise_director = "exercise_director"
    admin = "admin"


class Action(enum.StrEnum):
    """Everything a user can be allowed to do. ``area.verb``; stable names."""

    picture_read = "picture.read"  # the live picture and stored data, read-only
    history_search = "history.search"  # history, replay, event search
    trace_run = "trace.run"  # fault back-tracing
    evidence_export = "evidence.export"  # evidence packs (HTML + KML)
    report_generate = "report.generate"  # HTML report and Charter scorecard
    data_export = "data.export"  # GeoJSON/KML/GPX/CoT/NMEA exports
    alerts_ack = "alerts.ack"
    alerts_assign = "alerts.assign"  # assign an alert to a boat
    alerts_resolve = "alerts.resolve"
    alerts_note = "alerts.note"
    dispatch_order = "dispatch.order"  # send a boat to an alert
    fleet_status = "fleet.status"  # a boat's availability
    handover_write = "handover.write"  # shift handover summary
    plan_write = "plan.write"  # patrol plans
    exercise_run = "exercise.run"  # start / stop red-team scenarios
    exercise_score = "exercise.score"  # score sheets
    registry_write = "registry.write"  # vessel registry, assets, zones
    ingest_run = "ingest.run"  # feeds and file ingest
    users_manage = "users.manage"  # add / disable / enable users, reset passwords
    audit_read = "audit.read"
    audit_verify = "audit.verify"
    backup_run = "backup.run"


_VIEWER = frozenset({Action.picture_read})

#: role -> the actions it grants. ``admin`` holds every action.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.viewer: _VIEWER,
    Role.analyst: _VIEWER
    | {
        Action.history_search,
        Action.trace_run,
        Action.evidence_export,
        Action.report_generate,
        Action.data_export,
        Action.alerts_note,
        Action.audit_read,
    },
    Role.operator: _VIEWER
    | {
        Action.alerts_ack,
        Action.alerts_assign,
        Action.alerts_resolve,
        Action.alerts_note,
        Action.dispatch_order,
        Action.fleet_status,
        Action.handover_write,
        Action.data_export,
    },
    Role.planner: _VIEWER
    | {Action.plan_write, Action.fleet_status, Action.report_generate, Action.data_export},
    Role.exercise_director: _VIEWER
    | {Action.exercise_run, Action.exercise_score, Action.report_generate},
    Role.admin: frozenset(Action),
}


class HasRole(Protocol):
    """Anything with a role and a disabled flag (a :class:`~khazar.services.users.User`)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def disabled(self) -> bool: ...


def parse_role(value: str) -> Role:
    """The :class:`Role` named ``value`` (``exercise-director`` is accepted too)."""
    try:
        return Role(value.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {value!r}; choose one of: {names}") from None


def _action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        # A typo in calling code, not a user's doing: fail loudly.
        raise ValueError(f"unknown action {action!r}; see khazar.audit.roles.Action") from None


def can(role: Role, action: Action | str) -> bool:
    """Whether ``role`` grants ``action`` (an unknown action name is a ValueError)."""
    return _action(action) in PERMISSIONS[role]


def roles_allowed(action: Action | str) -> tuple[Role, ...]:
    """The roles that grant ``action``, in declaration order."""
    act = _action(action)
    return tuple(role for role in Role if act in PERMISSIONS[role])


def require(user: HasRole, action: Action | str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` is enabled and may do ``action``."""
    act = _action(action)
    if user.disabled:
        raise PermissionDeniedError(
            f"user {user.username!r} is disabled and may not {act.value}; "
            f"ask an administrator to enable the account"
        )
    if act not in PERMISSIONS[user.role]:
        allowed = ", ".join(r.value for r in roles_allowed(act))
        raise PermissionDeniedError(
            f"user {user.username!r} (role {user.role.value}) may not {act.value}; "
            f"it needs one of the roles: {allowed}"
        )
