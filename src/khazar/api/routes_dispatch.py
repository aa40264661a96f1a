"""Dispatch a boat to an alert, the intercept routes sent, and the fleet's status.

``GET /api/alerts/{id}/dispatch`` lists each boat's water ETA (fastest first, the
recommendation flagged); ``POST`` with ``{boat}`` assigns the alert to that boat (the
alerts life cycle), marks the boat dispatched and answers the intercept route. Both
writes are audited (``alerts.assign`` by the alerts service, ``dispatch.order`` here with
the ETA at the time of the order, which exercise score sheets use).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, Reader, StateDep, authorize
from khazar.audit import Action
from khazar.errors import InputError, NotFoundError, StateConflictError
from khazar.interop.features import alert_feature
from khazar.services.dispatch import geography, plan_for_alert, route_feature
from khazar.store.audit import append as audit_append

__all__ = ["router"]

router = APIRouter(tags=["fleet"])

_ROUTES = "dispatch_routes"


class DispatchRequest(BaseModel):
    boat: str = Field(min_length=1, max_length=64, description="fleet boat name, e.g. SBS-03")


class StatusRequest(BaseModel):
    status: str = Field(description="available, on_patrol, dispatched or maintenance")
    detail: str | None = Field(default=None, max_length=500)


def _known_alert(conn: Any, alert_id: str) -> Any:
    from khazar.store.alerts import get_alert

    try:
        return get_alert(conn, alert_id)
    except InputError as exc:
        raise NotFoundError(str(exc)) from None


@router.get("/alerts/{alert_id}/dispatch", summary="Boats' water ETAs to an alert's vessel")
def dispatch_options(alert_id: str, who: Reader, state: StateDep) -> dict[str, Any]:
    """Every available or patrolling boat's intercept: ETA over water, course, distance;
    fastest first, the recommended one flagged; busy boats listed apart."""
    geo = geography(state)
    with state.locked() as store:
        _known_alert(store.conn, alert_id)
        view = plan_for_alert(store, state.settings, geo, alert_id)
    return view.to_dict()


@router.post("/alerts/{alert_id}/dispatch", summary="Send a boat to an alert")
def dispatch(
    alert_id: str,
    body: DispatchRequest,
    who: Annotated[Principal, Depends(authorize(Action.dispatch_order))],
    state: StateDep,
) -> dict[str, Any]:
    """Assign the alert to ``boat``, mark the boat dispatched and answer its intercept
    route (409 when the boat is busy or cannot catch the target)."""
    from khazar.domain.fleet import BoatState
    from khazar.services.alerts import assign_alert
    from khazar.store.fleet import set_boat_status

    geo = geography(state)
    now = datetime.now(UTC)
    with state.locked() as store:
        _known_alert(store.conn, alert_id)
        view = plan_for_alert(store, state.settings, geo, alert_id)
        if body.boat in view.busy:
            raise StateConflictError(
                f"boat {body.boat} is {view.busy[body.boat]}; choose an available one or set "
                f"its status with POST /api/fleet/{body.boat}/status")
        option = next((o for o in view.plan.options if o.boat == body.boat), None)
        if option is None:
            names = ", ".join(b.name for b in state.settings.fleet)
            raise InputError(f"unknown boat {body.boat!r}; the fleet is {names}")
        if option.eta_s is None:
            raise StateConflictError(
                f"boat {body.boat} cannot catch the target (too slow); choose another")
        changed = assign_alert(store, state.settings, alert_id, who.username, body.boat, now)
        set_boat_status(store, state.settings.fleet, body.boat, BoatState.dispatched,
                        alert_id, now)
        audit_append(store, who.username, Action.dispatch_order.value, target=alert_id,
                     detail={"boat": body.boat, "eta_s": round(option.eta_s, 1),
                             "distance_m": round(option.distance_m or 0.0, 1),
                             "decided_at": view.decided_at.isoformat(),
                             "recommended": view.plan.recommended.boat
                             if view.plan.recommended else None}, ts=now)
    feat = route_feature(geo, option, alert_id, exercise=bool(changed.exercise))
    with state.cache_lock:
        state.cache.setdefault(_ROUTES, {})[alert_id] = feat
    state.hub.publish("alert", alert_feature(changed))
    state.hub.publish("fleet", {"boat": body.boat, "status": BoatState.dispatched.value})
    return {"alert": alert_feature(changed), "route": feat,
            "eta_min": round(option.eta_s / 60.0, 1)}


@router.get("/dispatches", summary="Intercept routes of the boats sent")
def dispatches(who: Reader, state: StateDep) -> dict[str, Any]:
    """The intercept route of each dispatch since the server started, newest per alert."""
    with state.cache_lock:
        feats = list(state.cache.get(_ROUTES, {}).values())
    return {"type": "FeatureCollection", "features": feats, "numberReturned": len(feats)}


@router.post("/fleet/{boat}/status", summary="Set a boat's status")
def set_status(
    boat: str,
    body: StatusRequest,
    who: Annotated[Principal, Depends(authorize(Action.fleet_status))],
    state: StateDep,
) -> dict[str, Any]:
    """available / on_patrol / dispatched / maintenance, with an optional note (audited
    ``fleet.status``). A boat made available again loses its drawn intercept route."""
    from khazar.domain.fleet import BoatState
    from khazar.store.fleet import set_boat_status

    try:
        status = BoatState(body.status)
    except ValueError:
        raise InputError(f"unknown boat status {body.status!r}; use one of "
                         f"{', '.join(s.value for s in BoatState)}") from None
    now = datetime.now(UTC)
    with state.locked() as store:
        set_boat_status(store, state.settings.fleet, boat, status, body.detail, now)
        audit_append(store, who.username, Action.fleet_status.value, target=boat,
                     detail={"status": status.value, "detail": body.detail}, ts=now)
    if status is not BoatState.dispatched:
        with state.cache_lock:
            routes = state.cache.get(_ROUTES, {})
            for key in [k for k, f in routes.items() if f["properties"]["boat"] == boat]:
                del routes[key]
    state.hub.publish("fleet", {"boat": boat, "status": status.value})
    return {"boat": boat, "status": status.value, "detail": body.detail,
            "updated_at": now.isoformat(timespec="seconds")}
