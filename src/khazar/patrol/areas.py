"""Patrol areas: a grid of cells over the patrol region, valued by the targets they hold.

The region is Azerbaijan's territorial sea plus a ``margin_nm`` band around every protected
area (platform safety zones, pipeline corridors) in the Azerbaijani sector, within open
water. It is cut into square cells of ``cell_nm`` (local azimuthal-equidistant metres); each
cell's centre, or a point of the cell in water when the centre is on land, is where a boat
patrols. A cell's payoffs are those of the most valuable target it touches (the attacker
strikes the best thing within reach); cells with no target keep a small value so that the
attacker is never indifferent to being caught.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from khazar.errors import GeoError
from khazar.geo import Geography
from khazar.patrol.flowlp import AreaPayoffs
from khazar.patrol.targets import PatrolTarget, TargetSettings
from khazar.patrol.timegraph import BaseFleet
from khazar.units import haversine_m

__all__ = ["PatrolAreas", "build_patrol_areas", "leg_distances", "patrol_region"]

FloatArray = npt.NDArray[np.float64]

#: value of a cell that holds no target (open territorial sea)
EMPTY_CELL_VALUE = 0.1


@dataclass(frozen=True, slots=True)
class PatrolAreas:
    """Cells with their patrol points (lat/lon), targets and payoffs."""

    ids: tuple[str, ...]
    lat: FloatArray
    lon: FloatArray
    cells: tuple[BaseGeometry, ...]  # lon/lat polygons
    targets: tuple[tuple[str, ...], ...]  # target ids per cell, most valuable first
    value: FloatArray  # defender's loss if the cell is struck unprotected
    payoffs: AreaPayoffs

    @property
    def n(self) -> int:
        return len(self.ids)


def patrol_region(geo: Geography, margin_nm: float = 3.0) -> BaseGeometry:
    """Territorial sea ∪ a band around the home state's protected areas (every asset when
    the theatre names no home state), in open water (lon/lat)."""
    parts = [z.geometry for z in geo.zones if z.kind == "territorial_sea"]
    home = geo.sectors.get(geo.home_state) if geo.home_state else None
    for asset in geo.assets:
        if home is not None and not asset.protected_area.intersects(home):
            continue
        if asset.kind == "port":
            continue
        xy = geo.proj.geom_to_xy(asset.protected_area).buffer(margin_nm * 1852.0)
        parts.append(geo.proj.geom_to_lonlat(xy))
    return unary_union(parts).intersection(geo.water)


def build_patrol_areas(
    geo: Geography,
    targets: list[PatrolTarget],
    cell_nm: float = 6.0,
    settings: TargetSettings | None = None,
    region: BaseGeometry | None = None,
) -> PatrolAreas:
    """Cut the patrol region into cells and value them by the targets they touch."""
    s = settings or TargetSettings()
    reg = region if region is not None else patrol_region(geo)
    reg_xy = geo.proj.geom_to_xy(reg)
    water_xy = geo.proj.geom_to_xy(geo.water)
    minx, miny, maxx, maxy = reg_xy.bounds
    size = cell_nm * 1852.0
    xs = np.arange(minx, maxx + size, size)
    ys = np.arange(miny, maxy + size, size)
    cells_xy = [box(x, y, x + size, y + size) for y in ys for x in xs]
    tree = shapely.STRtree(cells_xy)
    hit = sorted(set(tree.query(reg_xy, predicate="intersects").tolist()))
    tgt_xy = [geo.proj.geom_to_xy(t.area) for t in targets]
    ids, lats, lons, polys, tids, vals = [], [], [], [], [], []
    udu, uac, uau = [], [], []
    for ci in hit:
        piece = cells_xy[ci].intersection(reg_xy).intersection(water_xy)
        if piece.is_empty or piece.area < 0.02 * size * size:
            continue
        centre = cells_xy[ci].centroid
        point = centre if piece.contains(centre) else piece.representative_point()
        lon, lat = geo.proj.to_lonlat(np.array([point.x]), np.array([point.y]))
        touched = [t for t, g in zip(targets, tgt_xy, strict=True) if g.intersects(piece)]
        touched.sort(key=lambda t: -t.value * t.threat)
        best = touched[0] if touched else None
        v = best.value if best else EMPTY_CELL_VALUE
        th = best.threat if best else 1.0
        row, col = divmod(ci, len(xs))
        ids.append(f"A{row:03d}-{col:03d}")
        lats.append(float(lat[0]))
        lons.append(float(lon[0]))
        polys.append(geo.proj.geom_to_lonlat(piece))
        tids.append(tuple(t.id for t in touched))
        vals.append(v)
        udu.append(-v)
        uac.append(-s.attacker_penalty * v)
        uau.append(th * v)
    if not ids:
        raise GeoError("the patrol region has no cell in water; check the zones and assets")
    n = len(ids)
    return PatrolAreas(
        ids=tuple(ids),
        lat=np.array(lats),
        lon=np.array(lons),
        cells=tuple(polys),
        targets=tuple(tids),
        value=np.array(vals),
        payoffs=AreaPayoffs(np.zeros(n), np.array(udu), np.array(uac), np.array(uau)),
    )


def _water_distance_m(geo: Geography, lat1: float, lon1: float, lat2: float, lon2: float,
                      straight_m: float) -> float:
    line = LineString([(lon1, lat1), (lon2, lat2)])
    if geo.water.contains(line):
        return straight_m
    return float(geo.router.distance_m(lat1, lon1, lat2, lon2))


def leg_distances(
    geo: Geography, areas: PatrolAreas, bases: tuple[BaseFleet, ...], reach_m: float
) -> tuple[dict[tuple[int, int], float], list[dict[int, float]]]:
    """Water distances for every pair of areas, and base–area pair, within ``reach_m``."""
    d = haversine_m(areas.lat[:, None], areas.lon[:, None], areas.lat[None, :],
                    areas.lon[None, :])
    aa: dict[tuple[int, int], float] = {}
    for i, j in zip(*np.nonzero(np.triu(d <= reach_m, k=1)), strict=True):
        w = _water_distance_m(geo, areas.lat[i], areas.lon[i], areas.lat[j], areas.lon[j],
                              float(d[i, j]))
        if w <= reach_m:
            aa[(int(i), int(j))] = w
    ba: list[dict[int, float]] = []
    for b in bases:
        db = haversine_m(b.lat, b.lon, areas.lat, areas.lon)
        near: dict[int, float] = {}
        for j in np.flatnonzero(db <= reach_m):
            w = _water_distance_m(geo, b.lat, b.lon, areas.lat[j], areas.lon[j], float(db[j]))
            if w <= reach_m:
                near[int(j)] = w
        ba.append(near)
    return aa, ba
