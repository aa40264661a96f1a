"""GeoJSON views of zones, sector lines and assets (pure: dicts out, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from khazar.geo._proj import CASPIAN_AEQD
from khazar.geo.assets import Asset
from khazar.geo.zones import SectorLine, Zone

__all__ = ["asset_record", "feature_collection", "geometry_json", "zone_record"]

_DECIMALS = 6  # ~0.1 m


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _DECIMALS)
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    return value


def geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry (lon/lat) with coordinates rounded to 1e-6 degrees."""
    m = dict(mapping(geom))
    if "coordinates" in m:
        m["coordinates"] = _round(m["coordinates"])
    if "geometries" in m:
        m["geometries"] = [geometry_json_from_mapping(g) for g in m["geometries"]]
    return m


def geometry_json_from_mapping(m: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(m)
    if "coordinates" in out:
        out["coordinates"] = _round(out["coordinates"])
    return out


def _area_km2(geom: BaseGeometry) -> float:
    return float(CASPIAN_AEQD.geom_to_xy(geom).area) / 1e6


def zone_record(z: Zone) -> dict[str, Any]:
    """A zone's properties (no geometry) for JSON listings."""
    return {
        "id": z.id,
        "name": z.name,
        "kind": z.kind,
        "provisional": z.provisional,
        "source": z.source,
        "state": z.state,
        "asset_id": z.asset_id,
        "area_km2": round(_area_km2(z.geometry), 2),
    }


def sector_line_record(line: SectorLine) -> dict[str, Any]:
    """A sector line's properties (no geometry)."""
    return {
        "id": line.id,
        "name": line.name,
        "kind": "sector_line",
        "provisional": line.provisional,
        "source": line.source,
        "length_km": round(float(CASPIAN_AEQD.geom_to_xy(line.geometry).length) / 1000, 2),
    }


def asset_record(a: Asset, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An asset's properties (DESIGN contract names) plus ``extra`` (e.g. criticality)."""
    rec: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "kind": a.kind,
        "lat": round(a.lat, 6),
        "lon": round(a.lon, 6),
        "safety_radius_m": a.safety_radius_m,
        "corridor_half_width_m": a.corridor_half_width_m,
        "energy_node": a.energy_nodes[0] if a.energy_nodes else None,
        "energy_nodes": list(a.energy_nodes),
        "energy_edges": [list(e) for e in a.energy_edges],
        "group": a.group,
        "source": a.source,
        "confidence": a.confidence,
        "drawn": a.drawn,
    }
    if a.kind == "port":
        rec["entry_radius_m"] = a.entry_radius_m
        rec["exit_radius_m"] = a.exit_radius_m
    if a.kind in ("pipeline", "cable"):
        rec["length_km"] = round(float(CASPIAN_AEQD.geom_to_xy(a.geometry).length) / 1000, 2)
    if extra:
        rec.update(extra)
    return rec


def feature_collection(items: Sequence[tuple[BaseGeometry, Mapping[str, Any]]]) -> dict[str, Any]:
    """A FeatureCollection from (geometry, properties) pairs."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry_json(g), "properties": dict(p)}
            for g, p in items
        ],
    }
