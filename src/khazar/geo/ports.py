"""Ports: visit circles (GFW: enter within 3 km, leave beyond 4 km) and approach areas.

The approach area of a port is drawn, not charted: a sector of radius
``APPROACH_RADIUS_M`` opening ±``APPROACH_HALF_ANGLE_DEG`` around the port's seaward
direction (the circular mean of the bearings from the port along which there is water
3–8 km out), clipped to the sea. It is where ships wait, anchor and manoeuvre to enter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from khazar.geo._proj import LocalProjection
from khazar.geo.assets import Asset
from khazar.geo.coast import largest_polygon

__all__ = [
    "APPROACH_HALF_ANGLE_DEG",
    "APPROACH_RADIUS_M",
    "Port",
    "approach_area",
    "ports_from_assets",
]

APPROACH_RADIUS_M = 12_000.0
APPROACH_HALF_ANGLE_DEG = 45.0
_PROBE_DISTANCES_M = (3000.0, 5000.0, 8000.0)


@dataclass(frozen=True, slots=True, eq=False)
class Port:
    """A port: position, GFW visit radii, the approach area (lon/lat) or ``None``."""

    id: str
    name: str
    lat: float
    lon: float
    entry_radius_m: float = 3000.0
    exit_radius_m: float = 4000.0
    approach: Polygon | None = None
    seaward_bearing_deg: float | None = None


def approach_area(
    lon: float, lat: float, water_xy: BaseGeometry, proj: LocalProjection
) -> tuple[Polygon | None, float | None]:
    """The approach sector of a port at (lon, lat) and its seaward bearing (degrees true)."""
    x0, y0 = (float(v) for v in proj.to_xy(lon, lat))
    bearings = np.arange(0.0, 360.0, 5.0)
    rad = np.radians(bearings)
    wet = np.zeros(bearings.size, dtype=bool)
    for r in _PROBE_DISTANCES_M:
        wet |= shapely.contains_xy(water_xy, x0 + r * np.sin(rad), y0 + r * np.cos(rad))
    if not wet.any():
        return None, None
    mean = float(np.degrees(np.arctan2(np.sin(rad[wet]).sum(), np.cos(rad[wet]).sum())) % 360.0)
    arc = np.radians(
        np.linspace(mean - APPROACH_HALF_ANGLE_DEG, mean + APPROACH_HALF_ANGLE_DEG, 19)
    )
    ring = [(x0, y0)] + [
        (x0 + APPROACH_RADIUS_M * np.sin(a), y0 + APPROACH_RADIUS_M * np.cos(a)) for a in arc
    ]
    sector = shapely.intersection(Polygon(ring), water_xy)
    if sector.is_empty:
        return None, mean
    # keep the water piece connected to the port (not an unrelated bay in the sector)
    pieces = list(getattr(sector, "geoms", [sector]))
    port = Point(x0, y0)
    connected = min(pieces, key=lambda g: g.distance(port))
    poly = largest_polygon(connected) if not isinstance(connected, Polygon) else connected
    out = proj.geom_to_lonlat(poly)
    assert isinstance(out, Polygon)
    return out, mean


def ports_from_assets(
    assets: Sequence[Asset], water_xy: BaseGeometry, proj: LocalProjection
) -> list[Port]:
    """A :class:`Port` for every asset of kind ``port``, with its approach area."""
    ports: list[Port] = []
    for a in assets:
        if a.kind != "port":
            continue
        approach, bearing = approach_area(a.lon, a.lat, water_xy, proj)
        ports.append(
            Port(
                id=a.id,
                name=a.name,
                lat=a.lat,
                lon=a.lon,
                entry_radius_m=a.entry_radius_m or 3000.0,
                exit_radius_m=a.exit_radius_m or 4000.0,
                approach=approach,
                seaward_bearing_deg=bearing,
            )
        )
    return ports
