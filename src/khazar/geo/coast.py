"""The Caspian's water and coast: open sea without Garabogazköl, coast split between states.

Pure functions over shapely geometries in lon/lat (GeoJSON order). The Natural Earth 10m
polygon has the Caspian as one polygon whose holes are the islands it knows (two near
Azerbaijan: Pirallahi and Chilov; none of the small islands of the Baku archipelago or
the north-east coast). A user-supplied coastline replaces it (``settings.coastline_file``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, split, substring

from khazar.errors import GeoError
from khazar.geo._proj import CASPIAN_AEQD

__all__ = [
    "GARABOGAZ_STRAIT_BOX",
    "CoastSegment",
    "Junction",
    "largest_polygon",
    "split_coast",
    "split_off_lagoon",
]

#: lon_min, lat_min, lon_max, lat_max of the search box for the Garabogaz strait
GARABOGAZ_STRAIT_BOX = (52.7, 40.9, 53.1, 41.3)
#: a land border whose end lies further than this from the coast is not a coastal junction
_JUNCTION_MAX_DEG = 0.02


@dataclass(frozen=True, slots=True)
class Junction:
    """Where a land border between two coastal states meets the sea (lon/lat)."""

    states: tuple[str, str]
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class CoastSegment:
    """A piece of coast (mainland arc or island ring) and the state it belongs to."""

    state: str
    geometry: LineString
    island: bool


def largest_polygon(geom: BaseGeometry) -> Polygon:
    """The largest polygon of a (multi)polygon: the sea itself, without stray slivers."""
    if isinstance(geom, Polygon):
        return geom
    if isinstance(geom, MultiPolygon):
        return max(geom.geoms, key=lambda p: p.area)
    raise GeoError(f"expected a polygon for the water, got {geom.geom_type}")


def split_off_lagoon(
    water: Polygon, box: tuple[float, float, float, float] = GARABOGAZ_STRAIT_BOX
) -> tuple[Polygon, Polygon | None]:
    """Cut the sea at the narrowest gap of its coast inside ``box``.

    Returns ``(open_sea, lagoon)``; the lagoon is the smaller piece (Garabogazköl for the
    default box), ``None`` when the coast has no such narrows (a coastline without it).
    """
    ring = np.asarray(water.exterior.coords)
    lon0, lat0, lon1, lat1 = box
    idx = np.where(
        (ring[:, 0] >= lon0) & (ring[:, 0] <= lon1) & (ring[:, 1] >= lat0) & (ring[:, 1] <= lat1)
    )[0]
    if idx.size < 4:
        return water, None
    x, y = CASPIAN_AEQD.to_xy(ring[idx, 0], ring[idx, 1])
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    sep = np.abs(idx[:, None] - idx[None, :])
    d[sep < 10] = np.inf
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    if not np.isfinite(d[i, j]) or d[i, j] > 10_000.0:
        return water, None
    a, b = ring[idx[i]], ring[idx[j]]
    # extend the cut a little beyond both shores so that split() sees a crossing
    v = (b - a) / np.hypot(*(b - a))
    cut = LineString([a - v * 1e-4, b + v * 1e-4])
    pieces = sorted(split(water, cut).geoms, key=lambda p: p.area, reverse=True)
    if len(pieces) < 2:
        return water, None
    sea = pieces[0]
    lagoon = shapely.union_all(pieces[1:])
    if not isinstance(sea, Polygon):
        raise GeoError("splitting the lagoon off the sea did not leave one polygon")
    return sea, lagoon if isinstance(lagoon, Polygon) else largest_polygon(lagoon)


def find_junctions(
    water: Polygon, borders: Iterable[tuple[str, str, BaseGeometry]]
) -> list[Junction]:
    """Points where land borders ``(state_a, state_b, line)`` meet the sea's outer coast."""
    out: list[Junction] = []
    coast = water.exterior
    for a, b, line in borders:
        if line.distance(coast) > _JUNCTION_MAX_DEG:
            continue
        _, p_coast = nearest_points(line, coast)
        out.append(Junction((a, b), float(p_coast.x), float(p_coast.y)))
    return out


def split_coast(
    water: Polygon,
    junctions: Sequence[Junction],
    states: dict[str, BaseGeometry],
) -> list[CoastSegment]:
    """Split the outer coast at the junctions; give each arc and each island to a state.

    An arc belongs to the state whose land polygon lies closest to points along it; an
    island belongs to the state of the nearest mainland arc (a provisional rule: no
    island in the Caspian is disputed between neighbours at this scale).
    """
    if len(junctions) < 2:
        raise GeoError(
            f"found {len(junctions)} land-border junctions on the coast; need at least 2 "
            "(is the coastline file the Caspian, in lon/lat?)"
        )
    ring = LineString(water.exterior.coords)
    total = ring.length
    positions = sorted(ring.project(Point(j.lon, j.lat)) for j in junctions)
    arcs: list[LineString] = []
    for k, start in enumerate(positions):
        end = positions[(k + 1) % len(positions)]
        if end > start:
            arc = substring(ring, start, end)
        else:  # wraps past the ring's first vertex
            first = substring(ring, start, total)
            second = substring(ring, 0.0, end)
            arc = LineString(list(first.coords) + list(second.coords)[1:])
        if isinstance(arc, LineString) and arc.length > 0:
            arcs.append(arc)
    segments = [CoastSegment(_closest_state(arc, states), arc, False) for arc in arcs]
    for hole in water.interiors:
        island = LineString(LinearRing(hole).coords)
        nearest = min(segments, key=lambda s: s.geometry.distance(island))
        segments.append(CoastSegment(nearest.state, island, True))
    return segments


def _closest_state(arc: LineString, states: dict[str, BaseGeometry]) -> str:
    fractions = np.linspace(0.05, 0.95, 19)
    pts = [arc.interpolate(f, normalized=True) for f in fractions]
    best = min(states, key=lambda s: float(np.mean([states[s].distance(p) for p in pts])))
    return best
