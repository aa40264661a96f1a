"""Dispatch a boat to an alert, the intercept routes sent, and the fleet's status.

``GET /api/alerts/{id}/dispatch`` lists each boat's water ETA (fastest first, the
recommendation flagged); ``POST`` with ``{boat}`` assigns the alert to that boat (the
alerts life cycle), marks the boat dispatched, stores its intercept route and answers it,
audited once as ``dispatch.order`` with the ETA at the time of the order (exercise score
sheets use it). ``GET /api/dispatches`` answers the stored routes, so they survive a
reload and a restart. The use cases are :mod:`khazar.services.dispatch` and
:mod:`khazar.services.fleet`, shared with ``khazar dispatch`` and ``khazar fleet``; this
module is HTTP only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, Reader, StateDep, authorize
from khazar.api.services import geography, place_names
from khazar.audit import Action
from khazar.domain.fleet import BoatState
from khazar.errors import InputError, NotFoundError
from khazar.services import fleet as fleet_service
from khazar.services.dispatch import (
    dispatch_alert,
    dispatch_routes,
    plan_for_alert,
    stored_route_feature,
)
from khazar.services.triage import alert_features
from khazar.store import Store

__all__ = ["router"]

router = APIRouter(tags=["fleet"])

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
    (:func:`khazar.services.dispatch.plan_for_alert`, as ``khazar dispatch --alert``).

    The target's course is followed at most ``max_extrapolation_min`` (setting
    ``dispatch.max_extrapolation_min``) past its last fix; each option says how far it was
    followed to its intercept point (``extrapolated_min``) and ``capped: true`` when the cap
    held the target there."""
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
    """Assign the alert to ``boat``, mark the boat dispatched, store its intercept route
    and answer ``{alert, route, eta_min}`` (409 when the boat is busy or cannot catch the
    target); one audited ``dispatch.order``, in the same transaction as the stored route
    (:func:`khazar.services.dispatch.dispatch_alert`). ``route`` is the feature
    ``GET /api/dispatches`` answers for it later."""
    router = geography(state).router
    names = place_names(state)
    with state.locked() as store:
        _known_alert(store, alert_id)
        order = dispatch_alert(store, state.settings, router, alert_id, body.boat,
                               who.username, datetime.now(UTC))
        shown = alert_features(store, state.settings, names, [order.alert])[0]
    feat = stored_route_feature(order.route)
    state.hub.publish("alert", shown)
    state.hub.publish("fleet", {"boat": order.option.boat, "status": BoatState.dispatched.value})
    eta_s = order.option.eta_s or 0.0
    return {"alert": shown, "route": feat,
            "eta_min": round(eta_s / 60.0, 1)}


@router.get("/dispatches", summary="Intercept routes of the boats sent (stored)")
def dispatches(
    who: Reader,
    state: StateDep,
    all: Annotated[bool, Query(description="every stored route, not only the active ones")]
    = False,
) -> dict[str, Any]:
    """The stored intercept routes (table ``dispatch_routes``, written with each audited
    ``dispatch.order``, by the console and by ``khazar dispatch --assign``), newest first:
    a FeatureCollection of LineStrings (lon, lat) with ``boat``, ``alert_id``,
    ``intercept`` {lat, lon, extrapolated_min, capped, cap_min}, ``eta_min``,
    ``distance_nm``, ``course_deg``, ``decided_at``, ``created_at``, ``by`` and
    ``exercise``. By default the active ones: the newest route of each alert whose boat is
    still dispatched to it (a boat made available again drops its route); ``all=true``:
    every route ever stored. They survive a reload and a server restart."""
    with state.locked() as store:
        feats = dispatch_routes(store, active_only=not all)
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
    --set``). A boat no longer dispatched drops out of ``GET /api/dispatches`` (its route
    stays stored: ``?all=true``)."""
    status = fleet_service.parse_status(body.status)
    now = datetime.now(UTC)
    with state.locked() as store:
        fleet_service.set_status(store, state.settings.fleet, boat, status, body.detail,
                                 who.username, now)
    state.hub.publish("fleet", {"boat": boat, "status": status.value})
    return {"boat": boat, "status": status.value, "detail": body.detail,
            "updated_at": now.isoformat(timespec="seconds")}
