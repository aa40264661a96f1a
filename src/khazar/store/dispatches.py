"""Repository over the table ``dispatch_routes``: the intercept route of each dispatch
order, written in the order's audited transaction (:func:`khazar.store.audit.audited`),
read back for the console after a reload or a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khazar.domain.fleet import BoatState
from khazar.store.access import Db, reading, writing
from khazar.units import to_utc

__all__ = ["StoredRoute", "insert_route", "list_routes"]


@dataclass(frozen=True, slots=True)
class StoredRoute:
    """One dispatch order's route: ``coords`` are (lon, lat) pairs (GeoJSON order)."""

    alert_id: str
    boat: str
    created_at: datetime
    actor: str
    exercise: bool
    decided_at: datetime
    eta_s: float
    distance_m: float
    course_deg: float | None
    intercept_lat: float
    intercept_lon: float
    extrapolated_s: float | None
    capped: bool
    cap_s: float | None
    coords: tuple[tuple[float, float], ...]


_COLUMNS = ("alert_id, boat, created_at, actor, exercise, decided_at, eta_s, distance_m, "
            "course_deg, intercept_lat, intercept_lon, extrapolated_s, capped, cap_s, route")


def insert_route(db: Db, route: StoredRoute) -> None:
    """Store one order's route (in the caller's transaction when given one)."""
    with writing(db) as conn:
        conn.execute(
            f"INSERT INTO dispatch_routes ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [route.alert_id, route.boat, route.created_at, route.actor, route.exercise,
             route.decided_at, route.eta_s, route.distance_m, route.course_deg,
             route.intercept_lat, route.intercept_lon, route.extrapolated_s, route.capped,
             route.cap_s,
             json.dumps({"type": "LineString", "coordinates": [list(c) for c in route.coords]})],
        )


def _route(row: Any) -> StoredRoute:
    (aid, boat, created, actor, ex, decided, eta, dist, course, ilat, ilon, extra, capped,
     cap, geom) = row
    coords = tuple((float(c[0]), float(c[1])) for c in json.loads(geom)["coordinates"])
    return StoredRoute(aid, boat, to_utc(created), actor, bool(ex), to_utc(decided),
                       float(eta), float(dist), None if course is None else float(course),
                       float(ilat), float(ilon), None if extra is None else float(extra),
                       bool(capped), None if cap is None else float(cap), coords)


def list_routes(db: Db, active_only: bool = True) -> list[StoredRoute]:
    """Stored routes, newest first. ``active_only``: the newest route of each alert whose
    boat is still dispatched to that alert (``boat_status``: dispatched, detail = the
    alert id); a boat made available again, or sent elsewhere since, drops out."""
    if not active_only:
        sql = f"SELECT {_COLUMNS} FROM dispatch_routes ORDER BY created_at DESC, alert_id"
        return [_route(r) for r in reading(db).execute(sql).fetchall()]
    cols = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
    sql = f"""
        SELECT {cols} FROM (
            SELECT *, row_number() OVER (PARTITION BY alert_id
                                         ORDER BY created_at DESC, boat) AS n
            FROM dispatch_routes) r
        JOIN boat_status b ON b.boat = r.boat AND b.status = ? AND b.detail = r.alert_id
        WHERE r.n = 1
        ORDER BY r.created_at DESC, r.alert_id
    """
    return [_route(r) for r in
            reading(db).execute(sql, [BoatState.dispatched.value]).fetchall()]
