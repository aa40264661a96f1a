"""The geography package's layers (water, zones, assets, ports) as GeoJSON features.

Computed once per server from :func:`khazar.geo.load_geography` (and asset criticality
from :mod:`khazar.energy` when present); the console draws them as its own basemap, so no
map tiles are needed. When the geography package is missing the collections answer 503.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping

from khazar.api.services import optional, require_service
from khazar.interop.features import feature
from khazar.live.state import ServerState

__all__ = ["geography_features"]

#: basemap water polygon simplification tolerance, degrees (≈ 100 m)
_WATER_SIMPLIFY_DEG = 0.001


def _bbox(geom: Any) -> list[float]:
    return [round(float(x), 5) for x in geom.bounds]


def _gfeature(fid: str, geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    out = feature(mapping(geom), {"id": fid, **props}, fid)
    out["bbox"] = _bbox(geom)
    return out


def _build(state: ServerState) -> dict[str, list[dict[str, Any]]]:
    load_geography = require_service("khazar.geo", "load_geography", "geography (khazar.geo)")
    geo = load_geography(state.settings)
    zones = [
        _gfeature(z.id, z.geometry, {"name": z.name, "kind": z.kind,
                                      "provisional": bool(z.provisional), "source": z.source})
        for z in geo.zones
    ]
    crit: dict[str, Any] = {}
    asset_criticality = optional("khazar.energy", "asset_criticality")
    if asset_criticality is not None:
        crit = dict(asset_criticality(state.settings, geo.assets))
    assets = []
    for a in geo.assets:
        c = crit.get(a.id)
        props: dict[str, Any] = {
            "name": a.name, "kind": a.kind, "group": a.group,
            "safety_radius_m": a.safety_radius_m,
            "corridor_half_width_m": a.corridor_half_width_m,
            "source": a.source, "confidence": a.confidence,
            "criticality": None if c is None else {
                "gas_bcm_yr": c.gas_bcm_yr, "gas_europe_bcm_yr": c.gas_europe_bcm_yr,
                "oil_kbd": c.oil_kbd, "value": c.value,
            },
        }
        assets.append(_gfeature(a.id, a.geometry, props))
        protected = getattr(a, "protected_area", None)
        if protected is not None and not protected.is_empty:
            assets.append(_gfeature(f"{a.id}#protected", protected,
                                    {**props, "kind": f"{a.kind}_protected", "asset_id": a.id}))
    water = geo.water.simplify(_WATER_SIMPLIFY_DEG, preserve_topology=True)
    basemap = [_gfeature("water", water, {"layer": "water", "name": "Caspian Sea"})]
    for p in geo.ports:
        from shapely.geometry import Point

        basemap.append(_gfeature(f"port:{p.id}", Point(p.lon, p.lat),
                                 {"layer": "port", "name": p.name}))
    return {"zones": zones, "assets": assets, "basemap": basemap}


def geography_features(state: ServerState, kind: str) -> list[dict[str, Any]]:
    """The cached features of layer ``kind`` (``zones``, ``assets`` or ``basemap``)."""
    with state.cache_lock:
        layers = state.cache.get("geography")
        if layers is None:
            layers = _build(state)
            state.cache["geography"] = layers
    result: list[dict[str, Any]] = layers[kind]
    return result
