"""Alert actions against the store: each change, its transition row and its audit entry
commit together (:func:`khazar.store.audit.audited`). Thin: the decisions are in
:mod:`khazar.alerts.rules` and :mod:`khazar.alerts.lifecycle`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from khazar.alerts import lifecycle
from khazar.alerts.handover import Handover, handover_summary
from khazar.alerts.rules import RuleContext, alerts_for_events
from khazar.audit.chain import iso_utc
from khazar.config import Settings
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Note, Transition
from khazar.errors import InputError
from khazar.store import Store
from khazar.store import alerts as repo
from khazar.store.audit import AuditTransaction, audited

__all__ = [
    "UpdateResult",
    "acknowledge_alert",
    "add_note",
    "assign_alert",
    "assign_in",
    "escalate_alerts",
    "handover",
    "resolve_alert",
    "update_alerts",
]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    new: tuple[Alert, ...]
    updated: tuple[Alert, ...]
    escalated: tuple[Alert, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "escalated": len(self.escalated),
            "new_ids": [a.id for a in self.new],
        }


def _audit_alert(
    tx: AuditTransaction, actor: str, action: str, alert: Alert, ts: datetime, **extra: object
) -> None:
    detail: dict[str, object] = {
        "state": alert.state.value,
        "severity": alert.severity.value,
        "score": round(alert.score, 1),
        "event_count": alert.event_count,
        "at": iso_utc(ts),  # the action's time (a replay's --now); the entry's is the clock
    }
    detail.update(extra)
    tx.append(actor, action, target=alert.id, detail=detail)


def update_alerts(
    store: Store,
    ctx: RuleContext,
    events: Sequence[Event],
    now: datetime,
    exercise_event_ids: Collection[str] = (),
    escalate_after: timedelta | None = None,
) -> UpdateResult:
    """Run the rules over ``events`` against the stored alerts and save the upserts.

    New alerts get a ``None → new`` transition by ``system``; merged ones an audit entry
    ``alerts.update``. With ``escalate_after`` set, due escalations are applied too.
    """
    with audited(store) as tx:
        # read inside the audited transaction: with several servers on one database, an
        # officer's acknowledgement on another server commits before or after, never between
        existing = repo.list_alerts(tx)
        known = {a.id for a in existing}
        upserts = alerts_for_events(
            events, ctx, existing, now=now, exercise_event_ids=exercise_event_ids
        )
        new = tuple(a for a in upserts if a.id not in known)
        updated = tuple(a for a in upserts if a.id in known)
        repo.upsert_alerts(tx, upserts)
        repo.insert_transitions(
            tx,
            [Transition(a.id, now, lifecycle.SYSTEM_ACTOR, None, AlertState.new) for a in new],
        )
        for alert in new:
            _audit_alert(tx, lifecycle.SYSTEM_ACTOR, "alerts.raise", alert, now, rule=alert.rule)
        for alert in updated:
            _audit_alert(tx, lifecycle.SYSTEM_ACTOR, "alerts.update", alert, now)
    escalated: tuple[Alert, ...] = ()
    if escalate_after is not None:
        escalated = escalate_alerts(store, now, escalate_after)
    return UpdateResult(new, updated, escalated)


def escalate_alerts(store: Store, now: datetime, after: timedelta) -> tuple[Alert, ...]:
    """Escalate every alert left unacknowledged ``after`` its creation; return them."""
    due = lifecycle.escalate_due(repo.list_alerts(store, [AlertState.new]), now, after)
    if not due:
        return ()
    with audited(store) as tx:
        repo.upsert_alerts(tx, [a for a, _ in due])
        repo.insert_transitions(tx, [t for _, t in due])
        for alert, t in due:
            _audit_alert(tx, t.actor, "alerts.escalate", alert, now, reason=t.reason)
    return tuple(a for a, _ in due)


def _apply(store: Store, alert: Alert, transition: Transition, action: str) -> Alert:
    with audited(store) as tx:
        _save_step(tx, alert, transition)
        extra: dict[str, object] = {
            "from": transition.from_state.value if transition.from_state else None
        }
        if transition.boat:
            extra["boat"] = transition.boat
        if transition.reason:
            extra["reason"] = transition.reason
        _audit_alert(tx, transition.actor, action, alert, transition.ts, **extra)
    return alert


def _save_step(tx: AuditTransaction, alert: Alert, transition: Transition) -> None:
    repo.upsert_alerts(tx, [alert])
    repo.insert_transitions(tx, [transition])


def acknowledge_alert(store: Store, alert_id: str, user: str, now: datetime) -> Alert:
    """new → acknowledged by ``user``."""
    alert, t = lifecycle.acknowledge(repo.get_alert(store, alert_id), user, now)
    return _apply(store, alert, t, "alerts.ack")


def assign_alert(
    store: Store, settings: Settings, alert_id: str, user: str, boat: str, now: datetime
) -> Alert:
    """acknowledged/assigned → assigned to ``boat`` (a fleet boat name) by ``user``."""
    boats = [b.name for b in settings.fleet]
    alert, t = lifecycle.assign(repo.get_alert(store, alert_id), user, boat, now, boats)
    return _apply(store, alert, t, "alerts.assign")


def assign_in(
    tx: AuditTransaction, settings: Settings, alert_id: str, user: str, boat: str, now: datetime
) -> Alert:
    """The assignment of :func:`assign_alert` written in the caller's audited transaction,
    with no audit entry of its own: the caller records the one entry that says why (a
    dispatch order records ``dispatch.order`` with the boat and its ETA)."""
    boats = [b.name for b in settings.fleet]
    alert, t = lifecycle.assign(repo.get_alert(tx, alert_id), user, boat, now, boats)
    _save_step(tx, alert, t)
    return alert


def resolve_alert(store: Store, alert_id: str, user: str, reason: str, now: datetime) -> Alert:
    """acknowledged/assigned → resolved with ``reason`` by ``user``."""
    alert, t = lifecycle.resolve(repo.get_alert(store, alert_id), user, reason, now)
    return _apply(store, alert, t, "alerts.resolve")


def add_note(store: Store, alert_id: str, user: str, text: str, now: datetime) -> Note:
    """A free-text note on an alert in any state."""
    alert = repo.get_alert(store, alert_id)
    if not user.strip():
        raise InputError(f"alert {alert.id}: a named user is required to add a note")
    if not text.strip():
        raise InputError(f"alert {alert.id}: the note is empty; give its text")
    note = Note(alert.id, now, user, text.strip())
    with audited(store) as tx:
        repo.insert_note(tx, note)
        tx.append(user, "alerts.note", target=alert.id,
                  detail={"text": note.text, "at": iso_utc(now)})
    return note


def handover(
    store: Store, settings: Settings, since: datetime, now: datetime, include_exercise: bool
) -> Handover:
    """The shift handover at ``now``: open alerts, changes, notes and boats assigned since
    ``since``, and the alerts overdue for escalation. It only reads: escalating is the
    server's job (live detection) or an explicit, audited ``khazar alerts escalate``."""
    return handover_summary(
        repo.list_alerts(store),
        repo.list_transitions(store, since=since),
        repo.list_notes(store, since=since),
        since=since,
        now=now,
        include_exercise=include_exercise,
        escalate_after=timedelta(minutes=settings.alerts.escalate_after_min),
    )
