"""Dispatch a boat to an alert, the intercept routes sent, and the fleet's status.

``GET /api/alerts/{id}/dispatch`` lists each boat's water ETA (fastest first, the
recommendation flagged); ``POST`` with ``{boat}`` assigns the alert to that boat (the
alerts life cycle), marks the boat dispatched and answers the intercept route, audited
once as ``dispatch.order`` with the ETA at the time of the order (exercise score sheets
use it). The use cases are :mod:`khazar.services.dispatch` and :mod:`khazar.services.fleet`,
shared with ``khazar dispatch`` and ``khazar fleet``; this module is HTTP only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, Reader, StateDep, authorize
from khazar.api.services import geography
from khazar.audit import Action
from khazar.domain.fleet import BoatState
from khazar.errors import InputError, NotFoundError
from khazar.interop.features import alert_feature
from khazar.services import fleet as fleet_service
from khazar.services.dispatch import dispatch_alert, plan_for_alert, route_feature
from khazar.store import Store

__all__ = ["router"]

router = APIRouter(tags=["fleet"])

_ROUTES = "dispatch_routes"


class DispatchRequest(BaseModel):
    boat: str = Field(min_length=1, max_length=64, description="fleet boat name, e.g. SBS-03")


class StatusRequest(BaseModel):
    status: str = Field(description="available, on_patrol, dispatched or maintenance")
    detail: str | None = Field(default=None, max_length=500)


def _known_alert(store: Store, alert_id: str) -> None:
    from khazar.store.alerts import get_alert

    try:
        get_alert(store, alert_id)
    except InputError as exc:
        raise NotFoundError(str(exc)) from None


@router.get("/alerts/{alert_id}/dispatch", summary="Boats' water ETAs to an alert's vessel")
def dispatch_options(alert_id: str, who: Reader, state: StateDep) -> dict[str, Any]:
    """Every available or patrolling boat's intercept: ETA over water, course, distance;
    fastest first, the recommended one flagged; busy boats listed apart
    (:func:`khazar.services.dispatch.plan_for_alert`, as ``khazar dispatch --alert``)."""
    router = geography(state).router
    with state.locked() as store:
        _known_alert(store, alert_id)
        view = plan_for_alert(store, state.settings, router, alert_id)
    return view.to_dict()


@router.post("/alerts/{alert_id}/dispatch", summary="Send a boat to an alert")
def dispatch(
    alert_id: str,
    body: DispatchRequest,
    who: Annotated[Principal, Depends(authorize(Action.dispatch_order))],
    state: StateDep,
) -> dict[str, Any]:
    """Assign the alert to ``boat``, mark the boat dispatched and answer its intercept
    route (409 when the boat is busy or cannot catch the target); one audited
    ``dispatch.order`` (:func:`khazar.services.dispatch.dispatch_alert`)."""
    router = geography(state).router
    with state.locked() as store:
        _known_alert(store, alert_id)
        order = dispatch_alert(store, state.settings, router, alert_id, body.boat,
                               who.username, datetime.now(UTC))
    feat = route_feature(router, order.option, alert_id, exercise=order.alert.exercise)
    with state.cache_lock:
        state.cache.setdefault(_ROUTES, {})[alert_id] = feat
    state.hub.publish("alert", alert_feature(order.alert))
    state.hub.publish("fleet", {"boat": order.option.boat, "status": BoatState.dispatched.value})
    eta_s = order.option.eta_s or 0.0
    return {"alert": alert_feature(order.alert), "route": feat,
            "eta_min": round(eta_s / 60.0, 1)}


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
    ``fleet.status`` by :func:`khazar.services.fleet.set_status`, as ``khazar fleet
    --set``). A boat made available again loses its drawn intercept route."""
    status = fleet_service.parse_status(body.status)
    now = datetime.now(UTC)
    with state.locked() as store:
        fleet_service.set_status(store, state.settings.fleet, boat, status, body.detail,
                                 who.username, now)
    if status is not BoatState.dispatched:
        with state.cache_lock:
            routes = state.cache.get(_ROUTES, {})
            for key in [k for k, f in routes.items() if f["properties"]["boat"] == boat]:
                del routes[key]
    state.hub.publish("fleet", {"boat": boat, "status": status.value})
    return {"boat": boat, "status": status.value, "detail": body.detail,
            "updated_at": now.isoformat(timespec="seconds")}
