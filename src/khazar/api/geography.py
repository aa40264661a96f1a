"""The geography package's layers (water, zones, assets, ports) as GeoJSON features.

Computed once per server from :func:`khazar.geo.load_geography` (and asset criticality
from :mod:`khazar.energy` when present); the console draws them as its own basemap, so no
map tiles are needed. When the geography package is missing the collections answer 503.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point

from khazar.api.services import optional, require_service
from khazar.interop.features import (
    asset_feature,
    geometry_feature,
    protected_area_feature,
    zone_feature,
)
from khazar.live.state import ServerState
from khazar.store.geofeatures import replace_features

__all__ = ["STORED_LAYERS", "geography_features"]

#: basemap water polygon simplification tolerance, degrees (≈ 100 m)
_WATER_SIMPLIFY_DEG = 0.001


def _build(state: ServerState) -> dict[str, list[dict[str, Any]]]:
    load_geography = require_service("khazar.geo", "load_geography", "geography (khazar.geo)")
    geo = load_geography(state.settings)
    zones = [zone_feature(z) for z in geo.zones]
    crit: dict[str, Any] = {}
    asset_criticality = optional("khazar.energy", "asset_criticality")
    if asset_criticality is not None:
        crit = dict(asset_criticality(state.settings, geo.assets))
    assets = []
    for a in geo.assets:
        assets.append(asset_feature(a, crit.get(a.id)))
        if not a.protected_area.is_empty:
            assets.append(protected_area_feature(a, crit.get(a.id)))
    water = geo.water.simplify(_WATER_SIMPLIFY_DEG, preserve_topology=True)
    t = geo.theatre
    # the console takes the theatre's extent (land is drawn in it) and first view from here
    basemap = [geometry_feature("water", water, {
        "layer": "water", "name": t.title, "theatre": t.name, "extent": list(t.extent),
        "view": list(t.view), "utc_offset_h": t.utc_offset_h,
        "local_time_name": t.local_time_name})]
    basemap += [geometry_feature(f"port:{p.id}", Point(p.lon, p.lat),
                                 {"layer": "port", "name": p.name}) for p in geo.ports]
    return {"zones": zones, "assets": assets, "basemap": basemap}


#: the layers the store keeps for bbox queries (:mod:`khazar.store.geofeatures`)
STORED_LAYERS = ("zones", "assets")


def geography_features(state: ServerState, kind: str) -> list[dict[str, Any]]:
    """The cached features of layer ``kind`` (``zones``, ``assets`` or ``basemap``). The
    first call also writes the zones and assets to the store, where the collections'
    bbox queries run (PostGIS on the server profile)."""
    with state.cache_lock:
        layers = state.cache.get("geography")
        if layers is None:
            layers = _build(state)
            if not state.store.read_only:
                with state.locked() as store:
                    for layer in STORED_LAYERS:
                        replace_features(store, layer, layers[layer])
            state.cache["geography"] = layers
    result: list[dict[str, Any]] = layers[kind]
    return result
