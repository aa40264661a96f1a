"""A theatre's geography: water, coast by state, maritime zones, ports, assets, sea routing.

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
from khazar.geo.theatre import Theatre, load_theatre, resolve_theatre, shipped_theatres
from khazar.geo.zones import CONTIGUOUS_ZONE_NM, TERRITORIAL_SEA_NM, SectorLine, Zone

__all__ = [
    "ASSET_KINDS",
    "CONTIGUOUS_ZONE_NM",
    "TERRITORIAL_SEA_NM",
    "Asset",
    "CoastSegment",
    "Geography",
    "Junction",
    "Port",
    "Route",
    "SeaRouter",
    "SectorLine",
    "Theatre",
    "Zone",
    "build_geography",
    "cache_dir",
    "load_geography",
    "load_theatre",
    "parse_assets",
    "resolve_theatre",
    "shipped_theatres",
]
