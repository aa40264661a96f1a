"""Exports of a shift's routes: GeoJSON (one LineString per boat), GPX (gpxpy), KML (fastkml)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gpxpy.gpx
from fastkml import Document, kml
from fastkml.features import Placemark
from fastkml.geometry import LineString as KmlLineString
from shapely.geometry import LineString

from khazar.errors import InputError
from khazar.patrol.routes import BoatTrack

__all__ = ["tracks_to_geojson", "tracks_to_gpx", "tracks_to_kml", "write_tracks"]


def tracks_to_geojson(tracks: Sequence[BoatTrack], properties: dict[str, Any]) -> dict[str, Any]:
    """FeatureCollection: one LineString per boat with ``boat``, ``base``, ``times``."""
    feats = []
    for tr in tracks:
        feats.append({
            "type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[round(lon, 6), round(lat, 6)] for lat, lon in tr.coords]},
            "properties": {
                "boat": tr.boat,
                "base": tr.base,
                "times": [t.isoformat().replace("+00:00", "Z") for t in tr.times],
                "areas": list(tr.areas),
            },
        })
    return {"type": "FeatureCollection", "properties": properties, "features": feats}


def tracks_to_gpx(tracks: Sequence[BoatTrack]) -> str:
    """GPX 1.1: one track per boat, timed track points."""
    gpx = gpxpy.gpx.GPX()
    for tr in tracks:
        trk = gpxpy.gpx.GPXTrack(name=tr.boat, description=f"base {tr.base}")
        seg = gpxpy.gpx.GPXTrackSegment()
        for (lat, lon), t in zip(tr.coords, tr.times, strict=True):
            seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=t))
        trk.segments.append(seg)
        gpx.tracks.append(trk)
    return str(gpx.to_xml())


def tracks_to_kml(tracks: Sequence[BoatTrack]) -> str:
    """KML: one Placemark (LineString) per boat; times in the description."""
    doc = Document(name="Khazar patrol plan")
    for tr in tracks:
        line = LineString([(lon, lat) for lat, lon in tr.coords])
        desc = f"base {tr.base}; {tr.times[0].isoformat()} – {tr.times[-1].isoformat()}"
        doc.append(Placemark(name=tr.boat, description=desc,
                             kml_geometry=KmlLineString(geometry=line)))
    root = kml.KML(features=[doc])
    return str(root.to_string(prettyprint=True))


def write_tracks(path: Path, tracks: Sequence[BoatTrack], properties: dict[str, Any]) -> None:
    """Write by extension: .geojson/.json, .gpx or .kml."""
    ext = path.suffix.lower()
    if ext in (".geojson", ".json"):
        text = json.dumps(tracks_to_geojson(tracks, properties), indent=1)
    elif ext == ".gpx":
        text = tracks_to_gpx(tracks)
    elif ext == ".kml":
        text = tracks_to_kml(tracks)
    else:
        raise InputError(f"unknown plan format {ext!r} for {path}: use .geojson, .gpx or .kml")
    try:
        path.write_text(text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from exc
