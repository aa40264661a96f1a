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
from khazar.api.services import geography, place_names
from khazar.audit import Action
from khazar.domain.alerts import Alert
from khazar.errors import InputError, NotFoundError
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
    lock (404 for an unknown id), then publish the changed alert on the live stream, as
    ``GET /api/alerts`` lists it (title, names, escalation, incident)."""
    from khazar.services.triage import alert_features

    names = place_names(state)
    with state.locked() as store:
        _load(store, alert_id)
        changed = step(store, datetime.now(UTC))
        out = alert_features(store, state.settings, names, [changed])[0]
    state.hub.publish("alert", out)
    return out


@router.get("/alerts/{alert_id}", summary="One alert in detail: vessel, events, history, notes")
def get_one(
    alert_id: str,
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    """The alert as ``GET /api/alerts`` lists it (``title``, ``title_az``, ``vessel_name``,
    ``asset_name``, ``escalated``, ``escalated_at``, ``incident_id``, ``incident_size``),
    plus:

    - ``vessel``: {mmsi, name, imo, callsign, flag (from the MMSI's MID), ship_type (text),
      ship_type_code, length_m} (null without an MMSI); ``other_vessel`` likewise for a pair;
    - ``assets``: [{id, name, kind}];
    - ``events``: [{id, type, start, end, lat, lon, zone_id, zone_name, asset_id,
      asset_name}], oldest first;
    - ``history``: the state transitions [{ts, actor, from, to, boat, reason}], oldest
      first (an escalation is a transition new → new with its reason);
    - ``notes``: [{ts, author, text}], oldest first;
    - ``incident``: {id, size, alerts: [{id, title, title_az, severity, state}]};
    - ``recommended``: the boat ``POST /api/alerts/{id}/dispatch`` would send, {boat,
      eta_min, intercept: {lat, lon, extrapolated_min, capped, cap_min}}, or null when no
      boat is available (or the alert is resolved).

    ``transitions`` repeats ``history`` in the older shape (with ``alert_id``)."""
    from khazar.errors import Unavailable
    from khazar.services.triage import alert_detail
    from khazar.store.alerts import list_transitions

    names = place_names(state)
    try:
        sea_router = geography(state).router
    except Unavailable:
        sea_router = None
    with state.locked() as store:
        _load(store, alert_id)
        out = alert_detail(store, state.settings, names, alert_id, sea_router)
        transitions = list_transitions(store, alert_id=alert_id)
    out["properties"]["transitions"] = [t.to_dict() for t in transitions]
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
    """Summarises, changing nothing: open alerts by severity, unacknowledged, escalated and
    overdue ones, changes, boats assigned (as ``khazar handover`` does)."""
    from khazar.services.alerts import handover as shift_handover

    start = parse_datetime(since)
    if start is None or start.start is None or start.start != start.end:
        raise InputError(f"since {since!r} must be one ISO 8601 instant, e.g. 2026-11-20T08:00Z")
    now = datetime.now(UTC)
    with state.locked() as store:
        summary = shift_handover(store, state.settings, start.start, now, exercise)
    return summary.to_dict()
