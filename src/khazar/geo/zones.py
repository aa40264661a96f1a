"""Maritime zones: a state's territorial sea and the zone beyond it (UNCLOS: 12 nm and a
24 nm contiguous zone; a theatre may set others, as the Caspian's 15 nm and 25 nm fishery
limit), national sectors by equidistance, border sectors, and treaty lines at sea.

Everything is computed in the local Azimuthal Equidistant plane (metres) and returned in
lon/lat. All limits are *provisional*: the normal baseline is the theatre's coastline (no
straight baselines) and lateral limits are equidistance lines between the states' coasts,
not agreed boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from khazar.geo._proj import LocalProjection
from khazar.geo.coast import CoastSegment
from khazar.units import M_PER_NM

__all__ = [
    "CONTIGUOUS_ZONE_NM",
    "TERRITORIAL_SEA_NM",
    "CoastalZones",
    "SectorLine",
    "Zone",
    "ZoneBreadths",
    "coastal_zones",
    "national_sectors",
]

#: UNCLOS art. 3 and 33: the breadths a theatre has unless its manifest says otherwise
TERRITORIAL_SEA_NM = 12.0
CONTIGUOUS_ZONE_NM = 24.0
#: half-width of the border-sector strips either side of a lateral limit
BORDER_STRIP_NM = 5.0
_BUFFER_QUAD_SEGS = 32  # arc chord error 27.8 km · (1 - cos(π/128)) ≈ 8 m
_SECTOR_POINT_SPACING_M = 1000.0


@dataclass(frozen=True, slots=True)
class ZoneBreadths:
    """The theatre's breadths and names of the zones measured from the coast."""

    territorial_nm: float = TERRITORIAL_SEA_NM
    outer_nm: float = CONTIGUOUS_ZONE_NM
    outer_kind: str = "contiguous_zone"
    outer_name: str = "contiguous zone"
    caveat: str = "provisional: breadths from the coastline as normal baseline"


@dataclass(frozen=True, slots=True)
class Zone:
    """A named area (lon/lat polygon) that detectors and the patrol planner care about."""

    id: str
    name: str
    kind: str
    geometry: BaseGeometry
    provisional: bool
    source: str
    state: str | None = None
    asset_id: str | None = None


@dataclass(frozen=True, slots=True)
class SectorLine:
    """A boundary line at sea (lon/lat): a treaty seabed line or a provisional lateral limit."""

    id: str
    name: str
    geometry: BaseGeometry
    provisional: bool
    source: str


@dataclass(frozen=True, slots=True)
class CoastalZones:
    """What :func:`coastal_zones` computes for one state."""

    zones: list[Zone]
    lateral_limits: list[SectorLine]
    territorial_limit: BaseGeometry  # seaward territorial sea line (lon/lat), lateral parts
    fishery_limit: BaseGeometry  # seaward limit of the outer zone (lon/lat)


def national_sectors(
    segments: Sequence[CoastSegment],
    water_xy: BaseGeometry,
    spacing_m: float = _SECTOR_POINT_SPACING_M,
) -> dict[str, BaseGeometry]:
    """Split the sea between states by equidistance (plane geometry, metres).

    Each water point goes to the state whose coast (mainland or island) is nearest: the
    Voronoi cells of coast points ``spacing_m`` apart, merged per state. The boundary
    error of discretising the coast is below ``spacing²/(8·d)`` at distance ``d``.
    """
    pts: list[tuple[float, float]] = []
    owner: list[str] = []
    seen: set[tuple[int, int]] = set()
    for seg in segments:
        dense = shapely.segmentize(seg.geometry, spacing_m)
        for x, y in np.asarray(dense.coords):
            key = (round(x), round(y))
            if key in seen:
                continue
            seen.add(key)
            pts.append((x, y))
            owner.append(seg.state)
    minx, miny, maxx, maxy = water_xy.bounds
    frame = shapely.box(minx - 1e5, miny - 1e5, maxx + 1e5, maxy + 1e5)
    cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=frame, ordered=True)
    by_state: dict[str, list[BaseGeometry]] = {}
    for cell, state in zip(cells.geoms, owner, strict=True):
        by_state.setdefault(state, []).append(cell)
    return {s: shapely.intersection(shapely.union_all(cs), water_xy) for s, cs in by_state.items()}


def coastal_zones(
    state: str,
    segments: Sequence[CoastSegment],
    water_xy: BaseGeometry,
    sectors_xy: dict[str, BaseGeometry],
    proj: LocalProjection,
    breadths: ZoneBreadths | None = None,
) -> CoastalZones:
    """Territorial sea, the outer zone (contiguous or fishery) and border strips of
    ``state`` (from its coast segments)."""
    b = breadths or ZoneBreadths()
    coast_xy = MultiLineString([s.geometry for s in segments if s.state == state])
    sector = sectors_xy[state]
    ts_m = b.territorial_nm * M_PER_NM
    fz_m = b.outer_nm * M_PER_NM
    buf_ts = coast_xy.buffer(ts_m, quad_segs=_BUFFER_QUAD_SEGS)
    buf_fz = coast_xy.buffer(fz_m, quad_segs=_BUFFER_QUAD_SEGS)
    ts = shapely.intersection(buf_ts, sector)
    fz_all = shapely.intersection(buf_fz, sector)
    fz = shapely.difference(fz_all, ts)
    # the seaward limits: the buffer outlines inside the state's sector and in water
    ts_line = shapely.intersection(buf_ts.boundary, sector)
    fz_line = shapely.intersection(buf_fz.boundary, sector)
    code = state.lower()
    zones = [
        Zone(
            f"{code}-territorial-sea",
            f"{state} territorial sea ({b.territorial_nm:g} nm)",
            "territorial_sea",
            proj.geom_to_lonlat(ts),
            True,
            b.caveat,
            state=state,
        ),
        Zone(
            f"{code}-{b.outer_kind.replace('_', '-')}",
            f"{state} {b.outer_name} ({b.territorial_nm:g}-{b.outer_nm:g} nm)",
            b.outer_kind,
            proj.geom_to_lonlat(fz),
            True,
            b.caveat,
            state=state,
        ),
    ]
    limits: list[SectorLine] = []
    strip_m = BORDER_STRIP_NM * M_PER_NM
    for other, other_sector in sorted(sectors_xy.items()):
        if other == state:
            continue
        shared = shapely.intersection(sector.boundary, other_sector.boundary)
        line = _as_line(shared)
        if line is None or line.length < 1000.0:
            continue
        ocode = other.lower()
        limits.append(
            SectorLine(
                f"{code}-{ocode}-equidistance",
                f"{state}-{other} equidistance line (provisional lateral limit)",
                proj.geom_to_lonlat(line),
                True,
                "equidistance between the theatre's coasts; not an agreed boundary",
            )
        )
        near = shapely.intersection(line, buf_fz)
        if near.is_empty or near.length < 1000.0:
            continue
        strip = shapely.intersection(near.buffer(strip_m), shapely.union(fz_all, other_sector))
        strip = shapely.intersection(strip, water_xy)
        zones.append(
            Zone(
                f"{code}-border-{ocode}",
                f"{state}-{other} border sector (±{BORDER_STRIP_NM:g} nm of the lateral limit)",
                "border_sector",
                proj.geom_to_lonlat(strip),
                True,
                f"{BORDER_STRIP_NM:g} nm strip either side of the provisional equidistance "
                f"line, out to {b.outer_nm:g} nm from {state}'s coast",
                state=state,
            )
        )
    return CoastalZones(zones, limits, proj.geom_to_lonlat(ts_line), proj.geom_to_lonlat(fz_line))


def treaty_strip(
    line_lonlat: LineString,
    zone_id: str,
    name: str,
    source: str,
    proj: LocalProjection,
    water_xy: BaseGeometry,
) -> Zone:
    """A border sector around a treaty seabed line (±``BORDER_STRIP_NM``), in water."""
    line_xy = proj.geom_to_xy(shapely.segmentize(line_lonlat, 0.01))
    strip = shapely.intersection(line_xy.buffer(BORDER_STRIP_NM * M_PER_NM), water_xy)
    return Zone(zone_id, name, "border_sector", proj.geom_to_lonlat(strip), False, source)


def _as_line(geom: BaseGeometry) -> LineString | None:
    """The longest connected line of an intersection result (points dropped)."""
    if geom.is_empty:
        return None
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString)]
    for g in getattr(geom, "geoms", []):
        if isinstance(g, MultiLineString):
            parts.extend(g.geoms)
    if not parts:
        return None
    merged = linemerge(parts) if len(parts) > 1 else parts[0]
    if isinstance(merged, LineString):
        return merged
    return max(merged.geoms, key=lambda g: g.length)


def circle_lonlat(lon: float, lat: float, radius_m: float, proj: LocalProjection) -> Polygon:
    """A circle of ``radius_m`` metres around a lon/lat point, as a lon/lat polygon."""
    x, y = proj.to_xy(lon, lat)
    disc = Point(float(x), float(y)).buffer(radius_m, quad_segs=16)
    out = proj.geom_to_lonlat(disc)
    assert isinstance(out, Polygon)
    return out
