"""GeoJSON features: the one shape of every domain object outside Khazar (pure, no I/O).

One function per domain object (asset, zone, sector line, alert, event, vessel, track,
route), with one set of properties, for every reader: the API's collections, the CLI's
listings and exports, and the KML, GPX, JSONL and CSV writers (which take features).

A feature is a plain dict ``{"type": "Feature", "id", "geometry", "properties"}`` (RFC 7946):
coordinates in (lon, lat) order, degrees rounded to 1e-6 (≈ 0.1 m); times ISO 8601 UTC
(``+00:00``); areas and shapes carry a ``bbox`` (lon/lat degrees) so that a reader can filter
them without reading the geometry. Tracks carry their per-vertex times in
``properties["times"]``. :func:`feature_collection` is the OGC API – Features ``items``
answer, :func:`collection` the plain RFC 7946 one that files hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from khazar.domain import Event
from khazar.domain.alerts import Alert
from khazar.domain.picture import TrackRow, VesselRow
from khazar.energy import Criticality
from khazar.geo.assets import Asset
from khazar.geo.routing import Route
from khazar.geo.zones import SectorLine, Zone
from khazar.interop.vessel_kind import vessel_kind
from khazar.units import BAKU_TZ, WGS84, deg_decimal_minutes, to_utc

__all__ = [
    "POSITION_FIELDS",
    "Feature",
    "alert_feature",
    "asset_feature",
    "collection",
    "dumps",
    "event_feature",
    "export_record",
    "feature",
    "feature_collection",
    "geometry_feature",
    "geometry_json",
    "point",
    "point_feature",
    "positions_update",
    "protected_area_feature",
    "route_feature",
    "sector_line_feature",
    "times",
    "track_feature",
    "vessel_feature",
    "zone_feature",
]

Feature = dict[str, Any]

_DECIMALS = 6  # degrees: ≈ 0.1 m, finer than any position Khazar knows


# -- geometry and the two envelopes ---------------------------------------------------------

def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _DECIMALS)
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def point(lat: float, lon: float) -> dict[str, Any]:
    """A GeoJSON Point at ``lat``, ``lon`` (degrees)."""
    return {"type": "Point", "coordinates": [round(lon, _DECIMALS), round(lat, _DECIMALS)]}


def geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    """A shapely geometry (lon/lat) as GeoJSON, coordinates rounded to 1e-6 degrees."""
    m = dict(mapping(geom))
    if "coordinates" in m:
        m["coordinates"] = _round(m["coordinates"])
    if "geometries" in m:
        m["geometries"] = [{**g, "coordinates": _round(g["coordinates"])} for g in m["geometries"]]
    return m


def _bbox(geom: BaseGeometry) -> list[float]:
    return [round(float(x), 5) for x in geom.bounds]


def times(t: datetime) -> dict[str, str]:
    """A time as UTC ISO 8601 and as Baku local time (UTC+4)."""
    return {
        "utc": t.isoformat(timespec="seconds"),
        "baku": t.astimezone(BAKU_TZ).strftime("%Y-%m-%d %H:%M:%S (UTC+4)"),
    }


def _iso(t: datetime) -> str:
    return to_utc(t).isoformat()


def feature(
    geometry: Mapping[str, Any] | None, properties: Mapping[str, Any], fid: str | int | None
) -> Feature:
    """One GeoJSON Feature (``id`` left out when ``fid`` is None)."""
    out: Feature = {"type": "Feature", "geometry": geometry, "properties": dict(properties)}
    if fid is not None:
        out["id"] = fid
    return out


def point_feature(fid: str, lat: float, lon: float, properties: Mapping[str, Any]) -> Feature:
    """A feature at one position (degrees)."""
    return feature(point(lat, lon), properties, fid)


def geometry_feature(fid: str, geometry: BaseGeometry, properties: Mapping[str, Any]) -> Feature:
    """A feature from a shapely geometry in lon/lat, with its ``bbox``; the id is also a
    property, since map libraries drop string feature ids."""
    out = feature(geometry_json(geometry), {"id": fid, **properties}, fid)
    out["bbox"] = _bbox(geometry)
    return out


def feature_collection(
    features: Sequence[Mapping[str, Any]],
    matched: int,
    self_href: str,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An OGC API – Features ``items`` answer: ``matched`` features found, these returned."""
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


def collection(features: Iterable[Feature], name: str | None = None) -> dict[str, Any]:
    """A plain RFC 7946 FeatureCollection (``name`` as files of GDAL carry it)."""
    fc: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if name:
        fc["name"] = name
    return fc


def dumps(features: Iterable[Feature], name: str | None = None) -> str:
    """A FeatureCollection as text."""
    return json.dumps(collection(features, name), ensure_ascii=False, default=str)


def export_record(f: Feature) -> dict[str, Any]:
    """A feature as one flat record of ``khazar export``: its properties and its geometry,
    so that every export format carries the same values as the feature."""
    return {**f["properties"], "geometry": f["geometry"]}


# -- geography ---------------------------------------------------------------------------

def _length_km(geom: BaseGeometry) -> float:
    """Geodesic length (WGS84), km: right in any theatre."""
    return round(float(WGS84.geometry_length(geom)) / 1000, 2)


def asset_feature(a: Asset, criticality: Criticality | None) -> Feature:
    """A protected asset (DESIGN contract names) with its energy ``criticality`` (None when
    the energy model is not installed): radii in metres, lengths in km."""
    props: dict[str, Any] = {
        "name": a.name,
        "kind": a.kind,
        "lat": round(a.lat, _DECIMALS),
        "lon": round(a.lon, _DECIMALS),
        "safety_radius_m": a.safety_radius_m,
        "corridor_half_width_m": a.corridor_half_width_m,
        "energy_node": a.energy_nodes[0] if a.energy_nodes else None,
        "energy_nodes": list(a.energy_nodes),
        "energy_edges": [list(e) for e in a.energy_edges],
        "group": a.group,
        "source": a.source,
        "confidence": a.confidence,
        "drawn": a.drawn,
        "criticality": None if criticality is None else criticality.to_dict(),
    }
    if a.kind == "port":
        props["entry_radius_m"] = a.entry_radius_m
        props["exit_radius_m"] = a.exit_radius_m
    if a.kind in ("pipeline", "cable"):
        props["length_km"] = _length_km(a.geometry)
    return geometry_feature(a.id, a.geometry, props)


def protected_area_feature(a: Asset, criticality: Criticality | None) -> Feature:
    """The area around an asset that detectors guard (safety circle, corridor, port entry
    circle): the asset's properties, kind ``<kind>_protected`` and the ``asset_id``."""
    props = dict(asset_feature(a, criticality)["properties"])
    del props["id"]
    props.update(kind=f"{a.kind}_protected", asset_id=a.id)
    return geometry_feature(f"{a.id}#protected", a.protected_area, props)


def zone_feature(z: Zone) -> Feature:
    """A zone (territorial sea, fishery zone, safety zone, corridor, …), area in km²."""
    return geometry_feature(z.id, z.geometry, {
        "name": z.name,
        "kind": z.kind,
        "provisional": bool(z.provisional),
        "source": z.source,
        "state": z.state,
        "asset_id": z.asset_id,
        "area_km2": round(abs(float(WGS84.geometry_area_perimeter(z.geometry)[0])) / 1e6, 2),
    })


def sector_line_feature(line: SectorLine) -> Feature:
    """A boundary line at sea (kind ``sector_line``), length in km."""
    return geometry_feature(line.id, line.geometry, {
        "name": line.name,
        "kind": "sector_line",
        "provisional": bool(line.provisional),
        "source": line.source,
        "length_km": _length_km(line.geometry),
    })


def route_feature(r: Route) -> Feature:
    """A water-only route (LineString): length in m, km and nm, how far each end was
    snapped to water in m."""
    return feature(
        {"type": "LineString", "coordinates": [[round(lon, _DECIMALS), round(lat, _DECIMALS)]
                                               for lat, lon in r.coords]},
        {
            "length_m": round(r.length_m, 1),
            "length_km": round(r.length_km, 3),
            "length_nm": round(r.length_nm, 3),
            "start_snap_m": round(r.start_snap_m, 1),
            "end_snap_m": round(r.end_snap_m, 1),
        },
        None,
    )


# -- the picture: alerts, events, vessels, tracks -----------------------------------------

def _dm(lat: float, lon: float) -> dict[str, str]:
    return {"lat_dm": deg_decimal_minutes(lat, is_lat=True),
            "lon_dm": deg_decimal_minutes(lon, is_lat=False)}


def alert_feature(alert: Alert) -> Feature:
    """An alert: :meth:`Alert.to_dict` plus a ``name`` (severity and rule), its span as
    ``start``/``end`` (for KML and GPX time) and its position in degrees and minutes."""
    props: dict[str, Any] = alert.to_dict()
    props["name"] = f"{alert.severity.value.upper()} {alert.rule}"
    props["start"] = props["first_ts"]
    props["end"] = props["last_ts"]
    props.update(_dm(alert.lat, alert.lon))
    return point_feature(alert.id, alert.lat, alert.lon, props)


def event_feature(event: Event) -> Feature:
    """A detected event: DESIGN's event line (``id``, ``type``, ``mmsi``, ``other_mmsi``,
    ``start``, ``end``, ``lat``, ``lon``, ``zone_id``, ``asset_id``, ``evidence``,
    ``open``) and a ``name``."""
    props: dict[str, Any] = {
        "id": event.id,
        "name": f"{event.type} {event.mmsi if event.mmsi is not None else 'unidentified'}",
        "type": event.type,
        "mmsi": event.mmsi,
        "other_mmsi": event.other_mmsi,
        "start": _iso(event.start),
        "end": _iso(event.end),
        "lat": event.lat,
        "lon": event.lon,
        "zone_id": event.zone_id,
        "asset_id": event.asset_id,
        "evidence": event.evidence,
        "open": event.open,
    }
    return point_feature(event.id, event.lat, event.lon, props)


def vessel_feature(
    v: VesselRow,
    picture_time: datetime | None,
    stale_after_s: float,
    own_fleet: frozenset[int],
    authorised: frozenset[int],
) -> Feature:
    """A vessel's latest position with its static data, kind, age (s, against
    ``picture_time``) and whether it is stale (older than ``stale_after_s``)."""
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
        **_dm(v.lat, v.lon),
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
            v.mmsi, round(v.lon, _DECIMALS), round(v.lat, _DECIMALS),
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


def track_feature(t: TrackRow) -> Feature:
    """A vessel's track: a LineString (a Point when it has one fix) with a time per vertex
    (``times``, as precise as the fixes: evidence packs are written from it too), its span,
    and the number of points."""
    coords = [[round(lon, _DECIMALS), round(lat, _DECIMALS)]
              for lat, lon in zip(t.lats, t.lons, strict=True)]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": coords}
        if len(coords) > 1
        else {"type": "Point", "coordinates": coords[0]}
    )
    return feature(
        geometry,
        {
            "mmsi": t.mmsi,
            "name": f"MMSI {t.mmsi}",
            "start": _iso(t.times[0]),
            "end": _iso(t.times[-1]),
            "points": len(coords),
            "times": [_iso(x) for x in t.times],
        },
        t.mmsi,
    )
