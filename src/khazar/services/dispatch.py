"""Dispatch for the API: each available boat's water ETA and intercept course to an
alert's vessel (the patrol package's :func:`~khazar.patrol.plan_dispatch`), and the
intercept route of the boat sent.

The decision time is the target's newest fix (the feed clock), so a replayed or simulated
feed gives the same answer as a live one. A boat's position is its AIS fix when it is less
than an hour older than that, else its base. Positions come from the alert's own picture:
an exercise alert uses exercise positions only, a live alert live ones only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khazar.api.services import require_service
from khazar.config import Settings
from khazar.errors import InputError
from khazar.live.state import ServerState
from khazar.store import Store
from khazar.units import to_utc

__all__ = ["DispatchView", "geography", "plan_for_alert", "route_feature"]

#: boats older than this since their last AIS fix are placed at their base
_BOAT_FIX_MAX_AGE_S = 3600.0


@dataclass(frozen=True, slots=True)
class DispatchView:
    """A dispatch plan for one alert, with what the API shows."""

    alert_id: str
    decided_at: datetime
    plan: Any  # khazar.patrol.DispatchPlan
    busy: dict[str, str]  # boats left out (dispatched / maintenance) -> status

    def to_dict(self) -> dict[str, Any]:
        rec = self.plan.recommended
        m = self.plan.target
        return {
            "alert_id": self.alert_id,
            "decided_at": self.decided_at.isoformat(timespec="seconds"),
            "target": {"lat": m.lat, "lon": m.lon, "speed_kn": round(m.speed_kn, 2),
                       "at": m.at.isoformat(timespec="seconds")},
            "recommended": rec.boat if rec else None,
            "options": [_option(o, rec is not None and o.boat == rec.boat)
                        for o in self.plan.options],
            "unavailable": [{"boat": b, "status": s} for b, s in sorted(self.busy.items())],
        }


def _option(o: Any, recommended: bool) -> dict[str, Any]:
    return {
        "boat": o.boat, "base": o.base, "from": [o.from_lat, o.from_lon],
        "speed_kn": o.speed_kn, "recommended": recommended,
        "eta_s": None if o.eta_s is None else round(o.eta_s, 1),
        "eta_min": None if o.eta_s is None else round(o.eta_s / 60.0, 1),
        "intercept": None if o.intercept_lat is None else [o.intercept_lat, o.intercept_lon],
        "course_deg": None if o.course_deg is None else round(o.course_deg, 1),
        "distance_nm": None if o.distance_m is None else round(o.distance_m / 1852.0, 2),
    }


def geography(state: ServerState) -> Any:
    """The geography (water router) of this server, loaded once."""
    with state.cache_lock:
        geo = state.cache.get("geo")
        if geo is None:
            load = require_service("khazar.geo", "load_geography", "geography (khazar.geo)")
            geo = load(state.settings)
            state.cache["geo"] = geo
    return geo


def plan_for_alert(store: Store, settings: Settings, geo: Any, alert_id: str) -> DispatchView:
    """Options of every available or patrolling boat to intercept ``alert_id``'s vessel
    (or its position when it has no vessel), fastest first."""
    from khazar.domain.fleet import BoatState
    from khazar.patrol import estimate_motion, plan_dispatch
    from khazar.store.fleet import alert_target, fleet_status

    lat, lon, mmsi = alert_target(store, alert_id)
    flag = store.conn.execute("SELECT exercise FROM alerts WHERE id = ?", [alert_id]).fetchone()
    exercise = bool(flag and flag[0])

    def last_positions(vessel: int, limit: int = 20) -> list[tuple[datetime, float, float]]:
        # the alert's own picture: an exercise never moves a live boat, nor the reverse
        rows = store.conn.execute(
            "SELECT ts, lat, lon FROM positions WHERE mmsi = ? AND exercise = ? "
            "ORDER BY ts DESC LIMIT ?", [vessel, exercise, limit]).fetchall()
        return [(to_utc(r[0]), float(r[1]), float(r[2])) for r in reversed(rows)]

    fixes = last_positions(mmsi) if mmsi is not None else []
    if not fixes:
        row = store.conn.execute("SELECT last_ts FROM alerts WHERE id = ?", [alert_id]).fetchone()
        if row is None:
            raise InputError(f"no alert with id {alert_id!r}; list them with GET /api/alerts")
        fixes = [(row[0], lat, lon)]
    now = to_utc(fixes[-1][0])
    motion = estimate_motion(fixes, now)
    boats = {b.name: b for b in settings.fleet}
    cand: list[tuple[str, str, float, float, float]] = []
    busy: dict[str, str] = {}
    for s in fleet_status(store, settings.fleet):
        if s.status not in (BoatState.available, BoatState.on_patrol):
            busy[s.boat] = s.status.value
            continue
        b = boats[s.boat]
        pos = last_positions(b.mmsi, 1)
        fresh = bool(pos) and abs((now - pos[-1][0]).total_seconds()) < _BOAT_FIX_MAX_AGE_S
        lat0, lon0 = (pos[-1][1], pos[-1][2]) if fresh else (b.base_lat, b.base_lon)
        cand.append((b.name, b.base, lat0, lon0, b.max_speed_kn))
    plan = plan_dispatch(motion, cand, geo.router.distance_m,
                         lambda a, b_, c, d: geo.router.route(a, b_, c, d).coords,
                         in_water=geo.router.in_routing_water)
    return DispatchView(alert_id, now, plan, busy)


def route_feature(geo: Any, option: Any, alert_id: str, exercise: bool = False
                  ) -> dict[str, Any]:
    """The boat's water route to its intercept point as a GeoJSON LineString feature."""
    coords = geo.router.route(option.from_lat, option.from_lon,
                              option.intercept_lat, option.intercept_lon).coords
    return {
        "type": "Feature", "id": f"{alert_id}:{option.boat}",
        "geometry": {"type": "LineString",
                     "coordinates": [[round(lo, 6), round(la, 6)] for la, lo in coords]},
        "properties": {"boat": option.boat, "alert_id": alert_id, "exercise": exercise,
                       "eta_min": round(option.eta_s / 60.0, 1),
                       "distance_nm": round(option.distance_m / 1852.0, 2),
                       "course_deg": round(option.course_deg, 1)},
    }
