"""Caspian geography: water, coast by state, maritime zones, ports, assets, sea routing.

Coordinates: function arguments are (lat, lon) degrees WGS84; shapely geometries are in
(lon, lat) order as GeoJSON. Distances are computed geodesically or in a local Azimuthal
Equidistant projection (metres), never with degrees as metres.
"""

from khazar.geo.assets import ASSET_KINDS, Asset, parse_assets
from khazar.geo.coast import CoastSegment, Junction
from khazar.geo.geography import Geography, build_geography
from khazar.geo.loader import cache_dir, load_geography
from khazar.geo.ports import Port
from khazar.geo.routing import Route, SeaRouter
from khazar.geo.zones import FISHERY_LIMIT_NM, TERRITORIAL_SEA_NM, SectorLine, Zone

__all__ = [
    "ASSET_KINDS",
    "FISHERY_LIMIT_NM",
    "TERRITORIAL_SEA_NM",
    "Asset",
    "CoastSegment",
    "Geography",
    "Junction",
    "Port",
    "Route",
    "SeaRouter",
    "SectorLine",
    "Zone",
    "build_geography",
    "cache_dir",
    "load_geography",
    "parse_assets",
]
