"""Adapter: build the detectors' plain-value geography from :mod:`khazar.geo` and the
settings. (Positions and detections are read by :mod:`khazar.store.picture`.)"""

from __future__ import annotations

from collections.abc import Collection

import shapely
from shapely.geometry.base import BaseGeometry

from khazar.config import Settings
from khazar.detect.geography import DetectGeography, PortSpec, ZoneSpec
from khazar.geo import Geography

__all__ = ["FISHING_SHIP_TYPE", "REGISTRY_MARGIN_M", "geography_from_geo"]

#: authorised boats are exempt within this distance of their group's protected areas
REGISTRY_MARGIN_M = 3000.0
#: a terminal's waters count as a port approach (tugs and mooring boats work there)
TERMINAL_APPROACH_M = 10_000.0
#: AIS ship type "fishing"
FISHING_SHIP_TYPE = 30


def geography_from_geo(geo: Geography, settings: Settings,
                       fishing: Collection[int] = frozenset()) -> DetectGeography:
    """The detectors' view of the geography: zones (with asset group and corridor width),
    ports, water, own fleet, authorised boats and the areas where they are exempt, and the
    vessels known to be fishing boats (``fishing``, from
    :func:`khazar.store.picture.fishing_mmsis`)."""
    assets = {a.id: a for a in geo.assets}
    zones: list[ZoneSpec] = []
    for z in geo.zones:
        a = assets.get(z.asset_id) if z.asset_id else None
        kind = "platform_safety" if z.kind == "terminal_safety" else z.kind
        width = (2.0 * a.corridor_half_width_m if a is not None and a.corridor_half_width_m
                 else None)
        zones.append(ZoneSpec(z.id, kind, z.geometry, z.asset_id,
                              a.group if a is not None else None, width))
    for a in geo.assets:
        if a.kind == "terminal":
            xy = geo.proj.geom_to_xy(a.geometry).buffer(TERMINAL_APPROACH_M)
            zones.append(ZoneSpec(f"{a.id}-approach", "port_approach",
                                  geo.proj.geom_to_lonlat(xy), a.id, a.group))
    ports = tuple(PortSpec(p.id, p.lat, p.lon, p.entry_radius_m, p.exit_radius_m, p.approach)
                  for p in geo.ports)
    authorised = {k: frozenset(v) for k, v in settings.registry.authorised.items()}
    areas: dict[str, BaseGeometry] = {}
    for key in authorised:
        mine = [a.protected_area for a in geo.assets
                if (a.group == key or a.id == key) and a.kind != "port"]
        if mine:
            xy = geo.proj.geom_to_xy(shapely.union_all(mine)).buffer(REGISTRY_MARGIN_M)
            areas[key] = geo.proj.geom_to_lonlat(xy)
    own = settings.detect.receivers
    sites = ([(r.lat, r.lon, r.reliable_nm) for r in own] if own is not None
             else [(r.lat, r.lon, r.reliable_nm) for r in geo.theatre.receivers])
    receivers = tuple((lat, lon, nm * 1852.0) for lat, lon, nm in sites)
    # an open theatre (a box cut out of the ocean) knows land only inside its extent
    known = None if geo.theatre.enclosed else geo.theatre.extent
    return DetectGeography(tuple(zones), ports, geo.water, settings.own_fleet_mmsis,
                           authorised, areas, receivers, fishing, land_known=known)
