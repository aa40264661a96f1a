"""GeoJSON features: the common currency of every export (KML and GPX are written from them).

A feature is a plain dict ``{"type": "Feature", "id", "geometry", "properties"}`` with
coordinates in (lon, lat) order (RFC 7946) and times as ISO 8601 UTC strings. Tracks carry
their per-vertex times in ``properties["times"]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from khazar.domain import Event
from khazar.domain.alerts import Alert

__all__ = [
    "Feature",
    "alert_feature",
    "dumps",
    "event_feature",
    "feature_collection",
    "geometry_feature",
    "point_feature",
    "track_feature",
]

Feature = dict[str, Any]


def _iso(ts: datetime) -> str:
    return ts.isoformat()


def point_feature(fid: str, lat: float, lon: float, properties: Mapping[str, Any]) -> Feature:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": dict(properties),
    }


def geometry_feature(fid: str, geometry: BaseGeometry, properties: Mapping[str, Any]) -> Feature:
    """A feature from a shapely geometry in lon/lat (assets, zones, routes)."""
    return {
        "type": "Feature",
        "id": fid,
        "geometry": json.loads(shapely.to_geojson(geometry)),
        "properties": dict(properties),
    }


def track_feature(
    fid: str,
    times: Sequence[datetime],
    lats: Sequence[float],
    lons: Sequence[float],
    properties: Mapping[str, Any],
) -> Feature:
    """A vessel track (or patrol route) as a LineString with its times aligned to vertices."""
    if not (len(times) == len(lats) == len(lons)):
        raise ValueError(f"track {fid}: times, lats and lons differ in length")
    props = dict(properties)
    props["times"] = [_iso(t) for t in times]
    geometry: dict[str, Any]
    if len(times) == 1:
        geometry = {"type": "Point", "coordinates": [lons[0], lats[0]]}
    else:
        geometry = {
            "type": "LineString",
            "coordinates": [[x, y] for x, y in zip(lons, lats, strict=True)],
        }
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def alert_feature(alert: Alert) -> Feature:
    props = alert.to_dict()
    props["name"] = f"{alert.severity.value.upper()} {alert.rule}"
    props["start"] = props["first_ts"]
    props["end"] = props["last_ts"]
    return point_feature(alert.id, alert.lat, alert.lon, props)


def event_feature(event: Event) -> Feature:
    props: dict[str, Any] = {
        "id": event.id,
        "name": f"{event.type} {event.mmsi if event.mmsi is not None else 'unidentified'}",
        "type": event.type,
        "mmsi": event.mmsi,
        "other_mmsi": event.other_mmsi,
        "start": _iso(event.start),
        "end": _iso(event.end),
        "zone_id": event.zone_id,
        "asset_id": event.asset_id,
        "open": event.open,
        "evidence": event.evidence,
    }
    return point_feature(event.id, event.lat, event.lon, props)


def feature_collection(features: Iterable[Feature], name: str | None = None) -> dict[str, Any]:
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if name:
        fc["name"] = name
    return fc


def dumps(features: Iterable[Feature], name: str | None = None) -> str:
    """A FeatureCollection as text."""
    return json.dumps(feature_collection(features, name), ensure_ascii=False, default=str)
