"""Alert life cycle: new → acknowledged → assigned (to a boat) → resolved (with a reason). Pure.

Each action takes an alert and returns the changed alert and the :class:`Transition` that
records it; an action the state does not allow raises :class:`AlertStateError` naming the
alert, its state and what to do instead. Allowed moves::

    new ──ack──▶ acknowledged ──assign──▶ assigned ──resolve──▶ resolved
                      │                    │  ▲
                      └──────resolve───────┼──┘ (reassign to another boat)
                                           ▼
                                        resolved
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from khazar.domain.alerts import Alert, AlertState, Transition
from khazar.errors import AlertStateError, InputError

__all__ = [
    "ALLOWED",
    "SYSTEM_ACTOR",
    "acknowledge",
    "assign",
    "escalate_due",
    "resolve",
]

SYSTEM_ACTOR = "system"

ALLOWED: dict[AlertState, frozenset[AlertState]] = {
    AlertState.new: frozenset({AlertState.acknowledged}),
    AlertState.acknowledged: frozenset({AlertState.assigned, AlertState.resolved}),
    AlertState.assigned: frozenset({AlertState.assigned, AlertState.resolved}),
    AlertState.resolved: frozenset(),
}

_HINT = {
    AlertState.new: "acknowledge it first (`khazar alerts ack`)",
    AlertState.acknowledged: "assign it to a boat or resolve it",
    AlertState.assigned: "resolve it, or assign it to another boat",
    AlertState.resolved: "it is closed; a repeat of the behaviour opens a new alert",
}


def _check(alert: Alert, to: AlertState, user: str) -> None:
    if not user.strip():
        raise InputError(f"alert {alert.id}: a named user is required to {to.value} an alert")
    if to not in ALLOWED[alert.state]:
        raise AlertStateError(
            f"alert {alert.id} is {alert.state.value}; cannot move it to {to.value}: "
            f"{_HINT[alert.state]}"
        )


def acknowledge(alert: Alert, user: str, now: datetime) -> tuple[Alert, Transition]:
    """The watch officer has seen the alert."""
    _check(alert, AlertState.acknowledged, user)
    changed = dataclasses.replace(alert, state=AlertState.acknowledged, updated_at=now)
    return changed, Transition(alert.id, now, user, alert.state, AlertState.acknowledged)


def assign(
    alert: Alert, user: str, boat: str, now: datetime, boats: Collection[str]
) -> tuple[Alert, Transition]:
    """Send a boat (one of ``boats``, the fleet's names) to the alert."""
    _check(alert, AlertState.assigned, user)
    if boat not in boats:
        known = ", ".join(sorted(boats)) or "none configured"
        raise InputError(f"alert {alert.id}: unknown boat {boat!r}; the fleet is: {known}")
    if alert.state is AlertState.assigned and alert.assigned_boat == boat:
        raise AlertStateError(f"alert {alert.id} is already assigned to {boat}")
    changed = dataclasses.replace(
        alert, state=AlertState.assigned, assigned_boat=boat, updated_at=now
    )
    return changed, Transition(alert.id, now, user, alert.state, AlertState.assigned, boat=boat)


def resolve(alert: Alert, user: str, reason: str, now: datetime) -> tuple[Alert, Transition]:
    """Close the alert with a documented reason (what was found, what was done)."""
    _check(alert, AlertState.resolved, user)
    if len(reason.strip()) < 3:
        raise InputError(
            f"alert {alert.id}: a resolution reason is required (got {reason!r}); "
            f"say what was found, e.g. 'fishing boat, no threat'"
        )
    changed = dataclasses.replace(
        alert, state=AlertState.resolved, resolution=reason.strip(), updated_at=now
    )
    return changed, Transition(
        alert.id,
        now,
        user,
        alert.state,
        AlertState.resolved,
        boat=alert.assigned_boat,
        reason=reason.strip(),
    )


def escalate_due(
    alerts: Sequence[Alert], now: datetime, after: timedelta
) -> list[tuple[Alert, Transition]]:
    """Alerts still ``new`` ``after`` their creation: flag them and raise their level once."""
    out: list[tuple[Alert, Transition]] = []
    for alert in alerts:
        if alert.state is not AlertState.new or alert.escalated:
            continue
        waited = now - alert.created_at
        if waited < after:
            continue
        changed = dataclasses.replace(
            alert, escalated=True, severity=alert.severity.bumped(), updated_at=now
        )
        minutes = waited.total_seconds() / 60.0
        out.append(
            (
                changed,
                Transition(
                    alert.id,
                    now,
                    SYSTEM_ACTOR,
                    AlertState.new,
                    AlertState.new,
                    reason=f"escalated: unacknowledged for {minutes:.0f} min "
                    f"({alert.severity.value} → {changed.severity.value})",
                ),
            )
        )
    return out
