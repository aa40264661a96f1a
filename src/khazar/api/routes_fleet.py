"""The own fleet (status, position), patrol routes and each boat's deviation from them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from khazar.api.auth import Reader, StateDep
from khazar.api.features import parse_datetime
from khazar.domain.picture import Interval
from khazar.errors import InputError
from khazar.interop.features import feature, feature_collection, point
from khazar.patrol.deviation import (
    Deviation,
    DeviationStatus,
    PlannedRoute,
    deviation,
    on_shift,
    track_offsets_m,
)
from khazar.store.fleet import boat_fixes, fleet_status, positions_between
from khazar.store.queries import picture_time
from khazar.units import M_PER_NM, deg_decimal_minutes

__all__ = ["load_plan", "router"]

router = APIRouter(tags=["fleet"])


@router.get("/fleet", summary="Own patrol boats: status, base and latest position")
def fleet(
    request: Request,
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    """Each configured boat with its status (:func:`khazar.store.fleet.fleet_status`:
    ``available`` until one is recorded) and its latest AIS position (its base when it has
    never been heard)."""
    boats = state.settings.fleet
    with state.locked() as store:
        statuses = {s.boat: (s.status.value, s.detail, s.updated_at)
                    for s in fleet_status(store, boats)}
        seen = boat_fixes(store, [b.mmsi for b in boats])
    feats = []
    for b in boats:
        row = seen.get(b.mmsi)
        lat, lon = (row.lat, row.lon) if row else (b.base_lat, b.base_lon)
        status, detail, updated = statuses.get(b.name, ("unknown", None, None))
        feats.append({
            "type": "Feature", "id": b.name, "geometry": point(lat, lon),
            "properties": {
                "name": b.name, "mmsi": b.mmsi, "base": b.base, "status": status,
                "detail": detail,
                "status_updated": updated.isoformat(timespec="seconds") if updated else None,
                "cruise_speed_kn": b.cruise_speed_kn, "max_speed_kn": b.max_speed_kn,
                "endurance_h": b.endurance_h,
                "last_seen": row.ts.isoformat(timespec="seconds") if row else None,
                "sog_kn": row.sog_kn if row else None, "cog_deg": row.cog_deg if row else None,
                "position_source": "ais" if row else "base",
                "lat_dm": deg_decimal_minutes(lat, is_lat=True),
                "lon_dm": deg_decimal_minutes(lon, is_lat=False),
            },
        })
    return feature_collection(feats, len(feats), str(request.url))


@router.get("/patrols", summary="Patrol routes of the current plan")
def patrols(request: Request, who: Reader, state: StateDep) -> dict[str, Any]:
    """The plan ``khazar plan --out plan.geojson`` wrote, as given to ``khazar serve
    --plan``: one LineString per boat with ``boat``, ``base`` and ``times``. Without a
    plan: no features and a ``message`` saying how to load one (a state, not a 5xx)."""
    plan = state.cache.get("patrol_plan")
    if plan is None:
        return feature_collection([], 0, str(request.url),
                                  extra={"source": None, "message": NO_PLAN})
    feats: list[dict[str, Any]] = plan["features"]
    return feature_collection(feats, len(feats), str(request.url),
                              extra={"source": plan.get("source")})


#: the stretch of actual track compared with the plan for the max / mean offsets
TRACK_WINDOW = timedelta(hours=1)


NO_PLAN = ("no patrol plan loaded; write one with `khazar plan --out plan.geojson` and "
           "start the server with `khazar serve --plan plan.geojson`")


@router.get("/patrols/deviation", summary="Each planned boat's deviation from its route")
def patrol_deviation(
    request: Request,
    who: Reader,
    state: StateDep,
    datetime: Annotated[str | None, Query(
        description="as of this instant (or the end of this interval), UTC; default now")] = None,
) -> dict[str, Any]:
    """For each boat of the loaded plan, its latest AIS fix (as of ``datetime``) against
    where the plan puts it at that fix's time: offset from the planned position, distance
    off the route, ahead/behind along it, and ``off_plan`` when the offset exceeds
    ``patrol_deviation_nm`` (settings). Also the largest and mean offset over the last
    hour of its track. The feature's geometry is the line planned → actual position (the
    planned point alone when the boat has no fix). Without a plan: no features and a
    ``message``, as ``/patrols``.

    A boat is judged only while its shift runs (its route's first to last time) at the
    picture time (the end of ``datetime``, else the newest stored position): before and
    after it, ``status`` is ``not_on_shift`` and ``off_plan`` is false, never OFF PLAN.
    ``on_shift`` says which; ``pictureTime`` is the time judged at."""
    plan = state.cache.get("patrol_plan")
    if plan is None:
        return feature_collection([], 0, str(request.url), extra={"message": NO_PLAN})
    interval = parse_datetime(datetime)
    as_of = Interval(None, interval.end) if interval is not None else None
    threshold_m = state.settings.patrol_deviation_nm * M_PER_NM
    by_name = {b.name: b for b in state.settings.fleet}
    routes = [PlannedRoute.from_feature(f) for f in plan["features"]]
    feats = []
    until = as_of.end if as_of is not None else None
    with state.locked() as store:
        clock = until if until is not None else picture_time(store)
        seen = boat_fixes(store, [b.mmsi for b in by_name.values()], until=until)
        for route in routes:
            boat = by_name.get(route.boat)
            fix = seen.get(boat.mmsi) if boat is not None else None
            if boat is None or fix is None:
                feats.append(_unseen(route, boat.mmsi if boat else None, threshold_m,
                                     clock is None or on_shift(route, clock)))
                continue
            dev = deviation(route, fix.ts, fix.lat, fix.lon, threshold_m,
                            now=max(clock, fix.ts) if clock is not None else None)
            track = positions_between(store, fix.mmsi, fix.ts - TRACK_WINDOW, fix.ts)
            offsets = (track_offsets_m(route, [t for t, _, _ in track],
                                       [la for _, la, _ in track], [lo for _, _, lo in track])
                       if track else [])
            feats.append(_deviation_feature(dev, fix.mmsi, offsets))
    return feature_collection(feats, len(feats), str(request.url), extra={
        "threshold_nm": state.settings.patrol_deviation_nm,
        "pictureTime": clock.isoformat(timespec="seconds") if clock is not None else None})


def _unseen(route: PlannedRoute, mmsi: int | None, threshold_m: float,
            shift: bool) -> dict[str, Any]:
    status = "no_position" if shift else DeviationStatus.not_on_shift.value
    props = {"boat": route.boat, "mmsi": mmsi, "status": status, "off_plan": None,
             "on_shift": shift, "threshold_m": threshold_m}
    out: dict[str, Any] = feature(point(route.lats[0], route.lons[0]), props, route.boat)
    return out


def _deviation_feature(dev: Deviation, mmsi: int, offsets: list[float]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "boat": dev.boat, "mmsi": mmsi, "t": dev.t.isoformat(timespec="seconds"),
        "phase": dev.phase.value, "status": dev.status.value, "off_plan": dev.off_plan,
        "on_shift": dev.on_shift,
        "position_offset_m": round(dev.position_offset_m, 1),
        "cross_track_m": round(dev.cross_track_m, 1),
        "along_track_m": round(dev.along_track_m, 1),
        "schedule_offset_s": round(dev.schedule_offset_s, 1),
        "threshold_m": dev.threshold_m,
        "max_offset_1h_m": round(max(offsets), 1) if offsets else None,
        "mean_offset_1h_m": round(sum(offsets) / len(offsets), 1) if offsets else None,
        "planned": [round(dev.planned_lon, 6), round(dev.planned_lat, 6)],
        "actual": [round(dev.actual_lon, 6), round(dev.actual_lat, 6)],
        "planned_lat_dm": deg_decimal_minutes(dev.planned_lat, is_lat=True),
        "planned_lon_dm": deg_decimal_minutes(dev.planned_lon, is_lat=False),
    }
    line = {"type": "LineString", "coordinates": [props["planned"], props["actual"]]}
    out: dict[str, Any] = feature(line, props, dev.boat)
    return out


def load_plan(path: Path) -> dict[str, Any]:
    """Read and check a patrol plan GeoJSON (a FeatureCollection of LineStrings with a
    ``boat`` property); the message names the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"patrol plan {path}: cannot read it as JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(f"patrol plan {path}: expected a GeoJSON FeatureCollection")
    feats = data.get("features") or []
    for i, f in enumerate(feats):
        geom = (f or {}).get("geometry") or {}
        if geom.get("type") != "LineString" or "boat" not in (f.get("properties") or {}):
            raise InputError(
                f"patrol plan {path}: feature {i} is not a LineString with a 'boat' property"
            )
    return {"features": feats, "source": str(path)}
