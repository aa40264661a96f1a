"""Alert actions: acknowledge, assign to a boat, resolve, add a note. Each one is a
life-cycle step of :mod:`khazar.alerts.lifecycle`, stored and audited in one transaction,
then published on the live stream. And the shift handover summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, Reader, StateDep, authorize
from khazar.api.features import parse_datetime
from khazar.audit import Action
from khazar.domain.alerts import Alert
from khazar.errors import InputError, NotFoundError
from khazar.interop.features import alert_feature
from khazar.live.state import ServerState
from khazar.store import Store

__all__ = ["router"]

router = APIRouter(tags=["alerts"])


class AssignRequest(BaseModel):
    boat: str = Field(min_length=1, max_length=64, description="fleet boat name, e.g. SBS-03")


class ResolveRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, description="what was found and done")


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


def _load(store: Store, alert_id: str) -> Alert:
    from khazar.store.alerts import get_alert

    try:
        return get_alert(store, alert_id)
    except InputError as exc:
        raise NotFoundError(str(exc)) from None


def _act(state: ServerState, alert_id: str, step: Callable[[Any, datetime], Any]) -> dict[str, Any]:
    """Run one audited life-cycle step of :mod:`khazar.services.alerts` under the store
    lock (404 for an unknown id), then publish the changed alert on the live stream."""
    with state.locked() as store:
        _load(store, alert_id)
        changed = step(store, datetime.now(UTC))
    out = alert_feature(changed)
    state.hub.publish("alert", out)
    return out


@router.get("/alerts/{alert_id}", summary="One alert with its transitions and notes")
def get_one(
    alert_id: str,
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    from khazar.store.alerts import list_notes, list_transitions

    with state.locked() as store:
        alert = _load(store, alert_id)
        transitions = list_transitions(store, alert_id=alert_id)
        notes = list_notes(store, alert_id=alert_id)
    out = alert_feature(alert)
    out["properties"]["transitions"] = [t.to_dict() for t in transitions]
    out["properties"]["notes"] = [n.to_dict() for n in notes]
    return out


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge a new alert")
def acknowledge(
    alert_id: str,
    who: Annotated[Principal, Depends(authorize(Action.alerts_ack))],
    state: StateDep,
) -> dict[str, Any]:
    """new → acknowledged (audited ``alerts.ack``)."""
    from khazar.services.alerts import acknowledge_alert

    return _act(state, alert_id, lambda store, now: acknowledge_alert(
        store, alert_id, who.username, now))


@router.post("/alerts/{alert_id}/assign", summary="Assign an alert to a patrol boat")
def assign(
    alert_id: str,
    body: AssignRequest,
    who: Annotated[Principal, Depends(authorize(Action.alerts_assign))],
    state: StateDep,
) -> dict[str, Any]:
    """acknowledged/assigned → assigned to a fleet boat (audited ``alerts.assign``)."""
    from khazar.services.alerts import assign_alert

    return _act(state, alert_id, lambda store, now: assign_alert(
        store, state.settings, alert_id, who.username, body.boat, now))


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert with a reason")
def resolve(
    alert_id: str,
    body: ResolveRequest,
    who: Annotated[Principal, Depends(authorize(Action.alerts_resolve))],
    state: StateDep,
) -> dict[str, Any]:
    """acknowledged/assigned → resolved with a documented reason (``alerts.resolve``)."""
    from khazar.services.alerts import resolve_alert

    return _act(state, alert_id, lambda store, now: resolve_alert(
        store, alert_id, who.username, body.reason, now))


@router.post("/alerts/{alert_id}/notes", summary="Add a note to an alert")
def add_note(
    alert_id: str,
    body: NoteRequest,
    who: Annotated[Principal, Depends(authorize(Action.alerts_note))],
    state: StateDep,
) -> dict[str, Any]:
    """A free-text note in any state (audited ``alerts.note``)."""
    from khazar.services.alerts import add_note as service_add_note

    with state.locked() as store:
        _load(store, alert_id)
        note = service_add_note(store, alert_id, who.username, body.text, datetime.now(UTC))
    out = {"alert_id": alert_id, "ts": note.ts.isoformat(), "author": note.author,
           "text": note.text}
    state.hub.publish("note", out)
    return out


@router.get("/handover", summary="Shift handover: open alerts, changes since a time")
def handover(
    who: Annotated[Principal, Depends(authorize(Action.handover_write))],
    state: StateDep,
    since: Annotated[str, Query(description="start of the shift, ISO 8601 (UTC if no offset)")],
    exercise: Annotated[bool, Query(description="include exercise alerts")] = False,
) -> dict[str, Any]:
    """Escalates overdue alerts first (as ``khazar handover`` does), then summarises: open
    alerts by severity, unacknowledged and escalated ones, changes, boats assigned."""
    from khazar.services.alerts import handover as shift_handover

    start = parse_datetime(since)
    if start is None or start.start is None or start.start != start.end:
        raise InputError(f"since {since!r} must be one ISO 8601 instant, e.g. 2026-11-20T08:00Z")
    now = datetime.now(UTC)
    with state.locked() as store:
        summary = shift_handover(store, state.settings, start.start, now, exercise)
    return summary.to_dict()
