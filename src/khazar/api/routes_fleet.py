"""The own fleet (status, position), patrol routes and dispatch options."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from khazar.api import queries
from khazar.api.auth import Reader, StateDep
from khazar.api.features import feature_collection
from khazar.api.geojson import point
from khazar.units import deg_decimal_minutes

__all__ = ["router"]

router = APIRouter(tags=["fleet"])


@router.get("/fleet", summary="Own patrol boats: status, base and latest position")
def fleet(
    request: Request,
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    """Each configured boat with its status (``unknown`` until the patrol package records
    one) and its latest AIS position (its base when it has never been heard)."""
    boats = state.settings.fleet
    with state.locked() as store:
        cur = store.conn.cursor()
        statuses = queries.boat_status(cur)
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
