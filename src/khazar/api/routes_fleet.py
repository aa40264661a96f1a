"""The own fleet (status, position), patrol routes and dispatch options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from khazar.api import queries
from khazar.api.auth import Reader, StateDep
from khazar.api.features import feature_collection
from khazar.api.geojson import point
from khazar.errors import InputError
from khazar.units import deg_decimal_minutes

__all__ = ["load_plan", "router"]

router = APIRouter(tags=["fleet"])


@router.get("/fleet", summary="Own patrol boats: status, base and latest position")
def fleet(
    request: Request,
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    """Each configured boat with its status (:func:`khazar.patrol.fleet_status`:
    ``available`` until one is recorded) and its latest AIS position (its base when it has
    never been heard)."""
    from khazar.patrol import fleet_status

    boats = state.settings.fleet
    with state.locked() as store:
        cur = store.conn.cursor()
        statuses = {s.boat: (s.status.value, s.detail, s.updated_at)
                    for s in fleet_status(store, boats)}
        seen: dict[int, queries.VesselRow] = {}
        for b in boats:
            rows, _ = queries.latest_vessels(cur, mmsi=b.mmsi, limit=1)
            if rows:
                seen[b.mmsi] = rows[0]
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
        return feature_collection([], 0, str(request.url), extra={
            "source": None,
            "message": "no patrol plan loaded; write one with `khazar plan --out "
                       "plan.geojson` and start the server with `khazar serve --plan "
                       "plan.geojson`"})
    feats: list[dict[str, Any]] = plan["features"]
    return feature_collection(feats, len(feats), str(request.url),
                              extra={"source": plan.get("source")})


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
