"""A theatre's water and coast: the open sea without a lagoon, the coast split between states.

Pure functions over shapely geometries in lon/lat (GeoJSON order). Two ways to give the
coast to states: where the theatre has land borders, the outer coast is cut where they
meet it (:func:`split_coast`, the shipped Caspian theatre); otherwise every piece of coast
goes to the nearest state's land polygon (:func:`coast_by_nearest_state`, built theatres),
or to one unnamed coast when no states are known. A theatre's open edges (the sides of a
box cut out of the ocean) are not coast.
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
from khazar.geo._proj import LocalProjection

__all__ = [
    "UNNAMED_COAST",
    "CoastSegment",
    "Junction",
    "coast_by_nearest_state",
    "largest_polygon",
    "split_coast",
    "split_off_lagoon",
]

#: the state code of a theatre's coast when no states are known
UNNAMED_COAST = "COAST"
#: coast is given to states in pieces at most this long (degrees, ~2 km)
_PIECE_DEG = 0.02
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
    water: Polygon, proj: LocalProjection, box: tuple[float, float, float, float]
) -> tuple[Polygon, Polygon | None]:
    """Cut the sea at the narrowest gap of its coast inside ``box`` (W, S, E, N).

    Returns ``(open_sea, lagoon)``; the lagoon is the smaller piece (Garabogazköl for the
    Caspian theatre's box), ``None`` when the coast has no such narrows there.
    """
    ring = np.asarray(water.exterior.coords)
    lon0, lat0, lon1, lat1 = box
    idx = np.where(
        (ring[:, 0] >= lon0) & (ring[:, 0] <= lon1) & (ring[:, 1] >= lat0) & (ring[:, 1] <= lat1)
    )[0]
    if idx.size < 4:
        return water, None
    x, y = proj.to_xy(ring[idx, 0], ring[idx, 1])
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
    island belongs to the state of the nearest mainland arc (a provisional rule: it does
    not settle disputed islands).
    """
    if len(junctions) < 2:
        raise GeoError(
            f"found {len(junctions)} land-border junctions on the coast; need at least 2 "
            "(is the coastline file the theatre's sea, in lon/lat?)"
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


def coast_by_nearest_state(
    water: Polygon,
    states: dict[str, BaseGeometry],
    frame: Polygon,
    default_state: str = UNNAMED_COAST,
) -> list[CoastSegment]:
    """The coast of ``water`` without the theatre's open edges (``frame``'s boundary), each
    piece (≤ ~2 km) given to the nearest of ``states`` and runs of one state merged; an
    island goes to the state nearest to it. Without states, all of it is ``default_state``.
    """
    edge = frame.boundary.buffer(1e-7)
    segments: list[CoastSegment] = []
    outer = shapely.difference(LineString(water.exterior.coords), edge)
    names = sorted(states)
    shapes = [states[n] for n in names]
    for line in _line_parts(outer):
        if not names:
            segments.append(CoastSegment(default_state, line, False))
            continue
        dense = np.asarray(shapely.segmentize(line, _PIECE_DEG).coords)
        mids = shapely.points((dense[:-1] + dense[1:]) / 2.0)
        dist = np.stack([shapely.distance(mids, g) for g in shapes], axis=1)
        owner = np.argmin(dist, axis=1)
        start = 0
        for k in range(1, len(owner) + 1):
            if k == len(owner) or owner[k] != owner[start]:
                segments.append(CoastSegment(names[int(owner[start])],
                                             LineString(dense[start:k + 1]), False))
                start = k
    for hole in water.interiors:
        island = LineString(LinearRing(hole).coords)
        if names:
            d = [float(shapely.distance(island, g)) for g in shapes]
            owner_name = names[int(np.argmin(d))]
        else:
            owner_name = default_state
        segments.append(CoastSegment(owner_name, island, True))
    return segments


def _line_parts(geom: BaseGeometry) -> list[LineString]:
    """The LineStrings of a (multi)line result, merged where they join (points dropped)."""
    if geom.is_empty:
        return []
    merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    parts = getattr(merged, "geoms", [merged])
    return [g for g in parts if isinstance(g, LineString) and g.length > 0]
