"""Geography, events and alerts as GeoJSON features (pure shaping, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import mapping

from khazar.domain.picture import TrackRow, VesselRow
from khazar.interop.vessel_kind import vessel_kind
from khazar.units import BAKU_TZ, deg_decimal_minutes

__all__ = [
    "POSITION_FIELDS",
    "alert_feature",
    "feature",
    "feature_collection",
    "geometry_feature",
    "point",
    "positions_update",
    "times",
    "track_feature",
    "vessel_feature",
]


def point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def times(t: datetime) -> dict[str, str]:
    """A time as UTC ISO 8601 and as Baku local time (UTC+4)."""
    return {
        "utc": t.isoformat(timespec="seconds"),
        "baku": t.astimezone(BAKU_TZ).strftime("%Y-%m-%d %H:%M:%S (UTC+4)"),
    }


def vessel_feature(
    v: VesselRow,
    picture_time: datetime | None,
    stale_after_s: float,
    own_fleet: frozenset[int],
    authorised: frozenset[int],
) -> dict[str, Any]:
    """A vessel's latest position with its static data, kind, age and staleness."""
    age_s = (picture_time - v.ts).total_seconds() if picture_time is not None else 0.0
    props: dict[str, Any] = {
        "mmsi": v.mmsi,
        "name": v.name,
        "callsign": v.callsign,
        "imo": v.imo,
        "ship_type": v.ship_type,
        "kind": vessel_kind(v.mmsi, v.ship_type, own_fleet, authorised),
        "destination": v.destination,
        "length_m": v.length_m,
        "sog_kn": None if v.sog_kn is None else round(v.sog_kn, 1),
        "cog_deg": None if v.cog_deg is None else round(v.cog_deg, 1),
        "heading_deg": v.heading_deg,
        "status": v.status,
        "last_seen": v.ts.isoformat(timespec="seconds"),
        "last_seen_baku": times(v.ts)["baku"],
        "age_s": round(age_s, 1),
        "stale": age_s > stale_after_s,
        "lat_dm": deg_decimal_minutes(v.lat, is_lat=True),
        "lon_dm": deg_decimal_minutes(v.lon, is_lat=False),
    }
    return feature(point(v.lat, v.lon), props, v.mmsi)


#: the columns of a live ``positions`` update, one row per vessel (``last_seen`` in Unix
#: seconds); everything else about a vessel comes from ``/api/vessels``
POSITION_FIELDS = ("mmsi", "lon", "lat", "sog_kn", "cog_deg", "heading_deg", "status", "kind",
                   "stale", "age_s", "last_seen")


def positions_update(
    rows: list[VesselRow],
    picture_time: datetime | None,
    stale_after_s: float,
    own_fleet: frozenset[int],
    authorised: frozenset[int],
) -> dict[str, Any]:
    """A live ``positions`` update: where each vessel is and how it moves, as rows of
    POSITION_FIELDS. The same values as ``vessel_feature`` gives (rounded alike), without
    the static data and the formatted strings: a tenth of the bytes, for a stream that
    carries every vessel that moved, each second."""
    out = []
    for v in rows:
        age_s = (picture_time - v.ts).total_seconds() if picture_time is not None else 0.0
        out.append([
            v.mmsi, round(v.lon, 6), round(v.lat, 6),
            None if v.sog_kn is None else round(v.sog_kn, 1),
            None if v.cog_deg is None else round(v.cog_deg, 1),
            v.heading_deg, v.status,
            vessel_kind(v.mmsi, v.ship_type, own_fleet, authorised),
            age_s > stale_after_s, round(age_s, 1), int(v.ts.timestamp()),
        ])
    return {
        "fields": list(POSITION_FIELDS),
        "rows": out,
        "pictureTime": picture_time.isoformat(timespec="seconds") if picture_time else None,
    }


def track_feature(t: TrackRow) -> dict[str, Any]:
    coords = [[round(lon, 6), round(lat, 6)] for lat, lon in zip(t.lats, t.lons, strict=True)]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": coords}
        if len(coords) > 1
        else {"type": "Point", "coordinates": coords[0]}
    )
    return feature(
        geometry,
        {
            "mmsi": t.mmsi,
            "start": t.times[0].isoformat(timespec="seconds"),
            "end": t.times[-1].isoformat(timespec="seconds"),
            "points": len(coords),
            "times": [x.isoformat(timespec="seconds") for x in t.times],
        },
        t.mmsi,
    )


def geometry_feature(fid: str, geometry: Any, props: dict[str, Any]) -> dict[str, Any]:
    """A shapely geometry (lon/lat) as a Feature."""
    return feature(mapping(geometry), {"id": fid, **props}, fid)


def alert_feature(alert_dict: dict[str, Any]) -> dict[str, Any]:
    props = dict(alert_dict)
    lat, lon = float(props["lat"]), float(props["lon"])
    props["lat_dm"] = deg_decimal_minutes(lat, is_lat=True)
    props["lon_dm"] = deg_decimal_minutes(lon, is_lat=False)
    return feature(point(lat, lon), props, str(props["id"]))


def feature(
    geometry: Mapping[str, Any] | None, properties: Mapping[str, Any], fid: str | int | None
) -> dict[str, Any]:
    """One GeoJSON Feature."""
    out: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": properties}
    if fid is not None:
        out["id"] = fid
    return out


def feature_collection(
    features: Sequence[Mapping[str, Any]],
    matched: int,
    self_href: str,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An OGC API Features ``items`` response."""
    out: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": list(features),
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "links": [{"href": self_href, "rel": "self", "type": "application/geo+json"}],
    }
    if extra:
        out.update(extra)
    return out
