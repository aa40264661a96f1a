"""GPX 1.1 written with gpxpy from GeoJSON features.

Points become waypoints (name, time from ``timestamp``/``start``, description, type);
LineStrings with per-vertex ``times`` become tracks (a track point per vertex with its
time), LineStrings without times become routes. Polygons have no GPX form and are skipped
(KML and GeoJSON carry them); :func:`features_to_gpx` says how many it skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import gpxpy.gpx

from khazar.interop.features import Feature

__all__ = ["features_to_gpx"]


def _time(props: dict[str, Any]) -> datetime | None:
    raw = props.get("timestamp") or props.get("start")
    return datetime.fromisoformat(str(raw)) if raw else None


def _description(props: dict[str, Any]) -> str | None:
    text = props.get("description") or props.get("summary")
    return str(text) if text else None


def features_to_gpx(features: Iterable[Feature], name: str) -> tuple[str, int]:
    """The GPX text of ``features`` and the number of features without a GPX form."""
    gpx = gpxpy.gpx.GPX()
    gpx.name = name
    gpx.creator = "Khazar"
    skipped = 0
    for feature in features:
        props = dict(feature.get("properties") or {})
        label = str(props.get("name") or feature.get("id") or "")
        geom = feature["geometry"]
        kind = geom["type"]
        if kind == "Point":
            lon, lat = geom["coordinates"][:2]
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    latitude=lat,
                    longitude=lon,
                    time=_time(props),
                    name=label,
                    description=_description(props),
                    type=str(props["type"]) if props.get("type") else None,
                )
            )
        elif kind == "LineString":
            coords = geom["coordinates"]
            times = props.get("times")
            if isinstance(times, list) and len(times) == len(coords):
                track = gpxpy.gpx.GPXTrack(name=label, description=_description(props))
                segment = gpxpy.gpx.GPXTrackSegment()
                for (lon, lat, *_), ts in zip(coords, times, strict=True):
                    segment.points.append(
                        gpxpy.gpx.GPXTrackPoint(lat, lon, time=datetime.fromisoformat(ts))
                    )
                track.segments.append(segment)
                gpx.tracks.append(track)
            else:
                route = gpxpy.gpx.GPXRoute(name=label, description=_description(props))
                for lon, lat, *_ in coords:
                    route.points.append(gpxpy.gpx.GPXRoutePoint(lat, lon))
                gpx.routes.append(route)
        else:
            skipped += 1
    return gpx.to_xml(version="1.1"), skipped
