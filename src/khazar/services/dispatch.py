"""Dispatch: each available boat's water ETA and intercept course to a target (the patrol
package's :func:`~khazar.patrol.dispatch.plan_dispatch`), the recommendation, and the
order that sends a boat to an alert. One rule, used by ``khazar dispatch`` and the API:

- The decision time is the target's newest fix (the picture time), so a replayed or
  simulated feed gives the same answer as a live one, whenever it is asked.
- A boat is at its latest AIS fix at or before the decision time when that fix is less
  than ``settings.dispatch.boat_fix_max_age_s`` older than it, else at its base.
- Positions come from the target's own picture: an exercise alert is planned on exercise
  positions only, a live one on live positions only.
- Boats dispatched or in maintenance are left out; the fastest intercept is recommended.
- The target's fitted course is followed at most ``settings.dispatch.max_extrapolation_min``
  past its last fix (to the decision time and on to the intercept point); an intercept
  point where the cap held the target says ``capped``.
- A pre-alert (``anchor_down``, issue 21) is planned to the point where the ship's
  projected track meets the line, as it stood at the ship's newest fix: the boat that gets
  there first is recommended, with how many minutes before the ship it arrives.
- An order stores its route (table ``dispatch_routes``) in its audited transaction, so the
  console draws it again after a reload or a restart (:func:`dispatch_routes`).

The water router is given by the caller (the server keeps one loaded; the CLI loads it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from khazar.audit import Action
from khazar.config import Settings
from khazar.domain.alerts import Alert
from khazar.domain.fleet import BoatState
from khazar.errors import InputError, StateConflictError
from khazar.geo.routing import SeaRouter
from khazar.patrol.dispatch import BoatOption, DispatchPlan, estimate_motion, plan_dispatch
from khazar.services.alerts import assign_in
from khazar.store import Store
from khazar.store.alerts import get_alert
from khazar.store.audit import audited
from khazar.store.dispatches import StoredRoute, insert_route, list_routes
from khazar.store.fleet import boat_fixes, fleet_status, last_positions, set_boat_status

__all__ = [
    "DispatchOrder",
    "DispatchView",
    "dispatch_alert",
    "dispatch_routes",
    "intercept_summary",
    "plan_for_alert",
    "plan_for_fixes",
    "stored_route_feature",
]

#: fixes of the target fitted for its course and speed
_TARGET_FIXES = 20


@dataclass(frozen=True, slots=True)
class DispatchView:
    """A dispatch plan for one target at ``decided_at`` (UTC), with what is shown."""

    target_id: str  # the alert id, or what the target was given as (mmsi, position)
    decided_at: datetime
    exercise: bool  # planned on the exercise picture
    plan: DispatchPlan
    busy: dict[str, str]  # boats left out (dispatched / maintenance) -> status
    #: a pre-alert's expected time of the ship at the line (the plan's target is that point)
    impact_at: datetime | None = None

    def _ahead_min(self, o: BoatOption) -> float | None:
        """Minutes the boat is at the line before the ship (negative: after it)."""
        if self.impact_at is None or o.eta_s is None:
            return None
        left = (self.impact_at - self.decided_at).total_seconds()
        return round((left - o.eta_s) / 60.0, 1)

    def option(self, boat: str) -> BoatOption | None:
        return next((o for o in self.plan.options if o.boat == boat), None)

    def recommended(self) -> dict[str, Any] | None:
        """The boat this plan would send, as the alert detail shows it: ``boat``,
        ``eta_min`` and ``intercept`` (:func:`intercept_summary`); None when no boat can."""
        rec = self.plan.recommended
        if rec is None or rec.eta_s is None:
            return None
        out = {"boat": rec.boat, "eta_min": round(rec.eta_s / 60.0, 1),
               "intercept": intercept_summary(rec, self.plan.target.cap_s)}
        if self.impact_at is not None:
            out["impact_at"] = self.impact_at.isoformat(timespec="seconds")
            out["before_ship_min"] = self._ahead_min(rec)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The plan as the API answers it and ``khazar dispatch --format json`` prints it."""
        rec = self.plan.recommended
        m = self.plan.target
        return {
            "alert_id": self.target_id,
            "decided_at": self.decided_at.isoformat(timespec="seconds"),
            "exercise": self.exercise,
            "target": {"lat": m.lat, "lon": m.lon, "speed_kn": round(m.speed_kn, 2),
                       "at": m.at.isoformat(timespec="seconds")},
            "recommended": rec.boat if rec else None,
            "max_extrapolation_min": _minutes(m.cap_s),
            "impact_at": (self.impact_at.isoformat(timespec="seconds")
                          if self.impact_at else None),
            "options": [_option(o, rec is not None and o.boat == rec.boat, m.cap_s)
                        | ({"before_ship_min": self._ahead_min(o)} if self.impact_at else {})
                        for o in self.plan.options],
            "unavailable": [{"boat": b, "status": s} for b, s in sorted(self.busy.items())],
        }


@dataclass(frozen=True, slots=True)
class DispatchOrder:
    """A boat sent to an alert: the alert as assigned, the option taken and the plan."""

    alert: Alert
    option: BoatOption
    view: DispatchView
    route: StoredRoute


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def intercept_summary(o: BoatOption, cap_s: float | None) -> dict[str, Any] | None:
    """Where ``o`` meets the target: ``lat``, ``lon``, ``extrapolated_min`` (how far past
    the target's last fix its course was followed), ``capped`` (held by the cap) and
    ``cap_min``; None when the boat cannot catch it."""
    if o.intercept_lat is None or o.intercept_lon is None:
        return None
    return {"lat": round(o.intercept_lat, 6), "lon": round(o.intercept_lon, 6),
            "extrapolated_min": _minutes(o.extrapolated_s), "capped": o.capped,
            "cap_min": _minutes(cap_s)}


def _option(o: BoatOption, recommended: bool, cap_s: float | None = None) -> dict[str, Any]:
    return {
        "boat": o.boat, "base": o.base, "from": [o.from_lat, o.from_lon],
        "speed_kn": o.speed_kn, "recommended": recommended,
        "eta_s": None if o.eta_s is None else round(o.eta_s, 1),
        "eta_min": None if o.eta_s is None else round(o.eta_s / 60.0, 1),
        "intercept": None if o.intercept_lat is None else [o.intercept_lat, o.intercept_lon],
        "course_deg": None if o.course_deg is None else round(o.course_deg, 1),
        "distance_nm": None if o.distance_m is None else round(o.distance_m / 1852.0, 2),
        "capped": o.capped, "extrapolated_min": _minutes(o.extrapolated_s),
        "cap_min": _minutes(cap_s),
    }


def plan_for_fixes(
    store: Store, settings: Settings, router: SeaRouter, target_id: str,
    fixes: Sequence[tuple[datetime, float, float]], exercise: bool = False,
    decided_at: datetime | None = None,
) -> DispatchView:
    """Every available or patrolling boat's intercept of a target seen at ``fixes``
    ((UTC time, lat, lon), oldest first) in the live or exercise picture, fastest first.

    ``decided_at`` defaults to the newest fix (the picture time)."""
    if not fixes:
        raise InputError(f"target {target_id}: no position to dispatch to")
    now = decided_at if decided_at is not None else fixes[-1][0]
    motion = estimate_motion(fixes, now,
                             max_extrapolate_s=settings.dispatch.max_extrapolation_min * 60.0)
    boats = {b.name: b for b in settings.fleet}
    max_age = timedelta(seconds=settings.dispatch.boat_fix_max_age_s)
    seen = boat_fixes(store, [b.mmsi for b in settings.fleet], exercise=exercise, until=now)
    cand: list[tuple[str, str, float, float, float]] = []
    busy: dict[str, str] = {}
    for s in fleet_status(store, settings.fleet):
        if s.status not in (BoatState.available, BoatState.on_patrol):
            busy[s.boat] = s.status.value
            continue
        b = boats[s.boat]
        fix = seen.get(b.mmsi)
        fresh = fix is not None and now - fix.ts < max_age
        lat0, lon0 = (fix.lat, fix.lon) if fix is not None and fresh else (b.base_lat, b.base_lon)
        cand.append((b.name, b.base, lat0, lon0, b.max_speed_kn))
    plan = plan_dispatch(motion, cand, router.distance_m,
                         lambda a, b_, c, d: router.route(a, b_, c, d).coords,
                         in_water=router.in_routing_water)
    return DispatchView(target_id, now, exercise, plan, busy)


def plan_for_alert(
    store: Store, settings: Settings, router: SeaRouter, alert_id: str,
    decided_at: datetime | None = None,
) -> DispatchView:
    """Options of every available or patrolling boat to intercept ``alert_id``'s vessel
    (or its position at its last event when it names no vessel), fastest first. With
    ``decided_at`` (UTC), as the picture stood then: no fix newer than it is used.

    :class:`InputError` when there is no such alert."""
    alert = get_alert(store, alert_id)
    fixes: list[tuple[datetime, float, float]] = []
    if alert.type == "anchor_down":
        pre = _plan_to_the_line(store, settings, router, alert, decided_at)
        if pre is not None:
            return pre
    if alert.mmsi is not None:
        fixes = last_positions(store, alert.mmsi, _TARGET_FIXES, exercise=alert.exercise,
                               until=decided_at)
    if not fixes:
        fixes = [(alert.last_ts, alert.lat, alert.lon)]
    return plan_for_fixes(store, settings, router, alert.id, fixes, alert.exercise, decided_at)


def _plan_to_the_line(
    store: Store, settings: Settings, router: SeaRouter, alert: Alert,
    decided_at: datetime | None,
) -> DispatchView | None:
    """A pre-alert's plan: every boat to the point where the ship will meet the line."""
    from khazar.services.triage import prealert_impacts

    impact = prealert_impacts(store, [alert]).get(alert.id)
    if impact is None:
        return None
    lon, lat = impact["track"][1]
    seen = (last_positions(store, alert.mmsi, 1, exercise=alert.exercise, until=decided_at)
            if alert.mmsi is not None else [])
    now = decided_at or (seen[-1][0] if seen else alert.last_ts)
    view = plan_for_fixes(store, settings, router, alert.id, [(now, float(lat), float(lon))],
                          alert.exercise, now)
    return dataclasses.replace(view, impact_at=datetime.fromisoformat(impact["impact_at"]))


def dispatch_alert(
    store: Store, settings: Settings, router: SeaRouter, alert_id: str, boat: str | None,
    user: str, now: datetime, decided_at: datetime | None = None,
) -> DispatchOrder:
    """Send ``boat`` (None: the recommended one) to ``alert_id`` by ``user`` at ``now``
    (UTC): in one transaction, the alert is assigned to it (the alerts life cycle), the
    boat is marked dispatched, its intercept route is stored (``dispatch_routes``), and
    one audit entry ``dispatch.order`` records the boat, its ETA at the order (s), the
    intercept point (capped or not), the recommendation and the decision time.

    :class:`StateConflictError` when the boat is busy or cannot catch the target."""
    if not user.strip():
        raise InputError(f"alert {alert_id}: a named user is required to dispatch a boat")
    view = plan_for_alert(store, settings, router, alert_id, decided_at)
    rec = view.plan.recommended
    if boat is None:
        if rec is None:
            raise StateConflictError(
                f"alert {alert_id}: no available boat can catch the target "
                f"(unavailable: {', '.join(sorted(view.busy)) or 'none'})")
        boat = rec.boat
    if boat in view.busy:
        raise StateConflictError(
            f"boat {boat} is {view.busy[boat]}; choose an available one or set its status "
            f"(`khazar fleet --set {boat} --status available`)")
    option = view.option(boat)
    if option is None:
        names = ", ".join(b.name for b in settings.fleet)
        raise InputError(f"unknown boat {boat!r}; the fleet is {names}")
    if option.eta_s is None or option.intercept_lat is None or option.intercept_lon is None:
        raise StateConflictError(f"boat {boat} cannot catch the target (too slow); "
                                 f"choose another")
    coords = router.route(option.from_lat, option.from_lon,
                          option.intercept_lat, option.intercept_lon).coords
    route = StoredRoute(
        alert_id=view.target_id, boat=boat, created_at=now, actor=user,
        exercise=view.exercise, decided_at=view.decided_at, eta_s=option.eta_s,
        distance_m=option.distance_m or 0.0, course_deg=option.course_deg,
        intercept_lat=option.intercept_lat, intercept_lon=option.intercept_lon,
        extrapolated_s=option.extrapolated_s, capped=option.capped,
        cap_s=view.plan.target.cap_s,
        coords=tuple((round(lo, 6), round(la, 6)) for la, lo in coords),
    )
    with audited(store) as tx:
        alert = assign_in(tx, settings, alert_id, user, boat, now)
        set_boat_status(tx, settings.fleet, boat, BoatState.dispatched, alert_id, now)
        insert_route(tx, route)
        tx.append(user, Action.dispatch_order.value, target=alert_id, detail={
            "boat": boat, "eta_s": round(option.eta_s, 1),
            "distance_m": round(option.distance_m or 0.0, 1),
            "decided_at": view.decided_at.isoformat(),
            "recommended": rec.boat if rec else None,
            "intercept": intercept_summary(option, view.plan.target.cap_s),
            "route_points": len(route.coords),
            "at": now.isoformat(),  # the order's time (a replay's --now); the entry's: the clock
        })
    return DispatchOrder(alert, option, view, route)


def stored_route_feature(route: StoredRoute) -> dict[str, Any]:
    """A stored dispatch route as a GeoJSON LineString feature: ``boat``, ``alert_id``,
    ``intercept`` (lat, lon, extrapolated_min, capped, cap_min), ``eta_min``,
    ``distance_nm``, ``course_deg``, ``created_at``, ``by`` and ``exercise``."""
    return {
        "type": "Feature", "id": f"{route.alert_id}:{route.boat}",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in route.coords]},
        "properties": {
            "boat": route.boat, "alert_id": route.alert_id, "exercise": route.exercise,
            "eta_min": round(route.eta_s / 60.0, 1),
            "distance_nm": round(route.distance_m / 1852.0, 2),
            "course_deg": None if route.course_deg is None else round(route.course_deg, 1),
            "intercept": {"lat": round(route.intercept_lat, 6),
                          "lon": round(route.intercept_lon, 6),
                          "extrapolated_min": _minutes(route.extrapolated_s),
                          "capped": route.capped, "cap_min": _minutes(route.cap_s)},
            "decided_at": route.decided_at.isoformat(timespec="seconds"),
            "created_at": route.created_at.isoformat(timespec="seconds"),
            "by": route.actor,
        },
    }


def dispatch_routes(store: Store, active_only: bool = True) -> list[dict[str, Any]]:
    """The stored routes as features (:func:`stored_route_feature`), newest first; with
    ``active_only``, the newest of each alert whose boat is still dispatched to it."""
    return [stored_route_feature(r) for r in list_routes(store, active_only)]
