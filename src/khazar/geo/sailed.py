"""Water proven by traffic: channels that real ships sail but the coastline lacks.

A coastline is a picture of one date. GSHHG (2017) lacks the New Suez Canal (2015), inner
harbours and dredged channels; any theatre's coast ages as ports are built. A position in
such a channel is off the theatre's water, and ``on_land`` spoofing fires on every ship
that uses it. :func:`sailed_water` learns those channels from recorded AIS: the cells
(``cell_m`` square) off the water that at least ``min_vessels`` distinct vessels crossed
*under way and continuously* (consecutive reports at most ``max_step_s`` apart at an
implied speed within ``min_kn``..``max_kn``, so a jump, a spoofed teleport or a stationary
cluster of spoofed positions never counts), kept only where they connect to the water.
``khazar theatre learn-water`` writes the result into a theatre folder, where it is one
more water file (``[files] added_water``) that the user can look at and delete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from khazar.geo._proj import LocalProjection
from khazar.units import KN_TO_MS

__all__ = ["SailedWater", "sailed_water"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class SailedWater:
    """What :func:`sailed_water` found: ``geometry`` in lon/lat (empty: nothing)."""

    geometry: BaseGeometry
    cells: int  # cells off the water crossed by enough vessels, connected to the water
    vessels: int  # distinct vessels that crossed at least one of those cells
    legs: int  # continuous legs under way considered
    dropped_cells: int  # cells crossed by enough vessels but not connected to the water
    area_km2: float = 0.0


def sailed_water(
    water: BaseGeometry, proj: LocalProjection,
    mmsi: I64, t_s: F64, lat: F64, lon: F64, *,
    min_vessels: int = 5, cell_m: float = 250.0, max_step_s: float = 1800.0,
    min_kn: float = 2.0, max_kn: float = 40.0,
) -> SailedWater:
    """The water (lon/lat) that ``min_vessels`` distinct vessels sailed off ``water``.

    ``water`` is the theatre's water in lon/lat; positions are in any order."""
    order = np.lexsort((t_s, mmsi))
    m, t = mmsi[order], t_s[order]
    x, y = proj.to_xy(lon[order], lat[order])
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    same = m[1:] == m[:-1]
    dt = t[1:] - t[:-1]
    dist = np.hypot(x[1:] - x[:-1], y[1:] - y[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0), np.inf)
    leg = (same & (dt > 0) & (dt <= max_step_s)
           & (speed >= min_kn * KN_TO_MS) & (speed <= max_kn * KN_TO_MS))
    idx = np.flatnonzero(leg)
    empty = SailedWater(Polygon(), 0, 0, int(idx.size), 0)
    if idx.size == 0:
        return empty
    # sample every leg at a third of a cell: the cells it crosses
    steps = np.maximum(1, np.ceil(dist[idx] / (cell_m / 3.0)).astype(np.int64))
    rep = np.repeat(np.arange(idx.size), steps + 1)
    frac = np.concatenate([np.linspace(0.0, 1.0, int(k) + 1) for k in steps.tolist()])
    i0 = idx[rep]
    px = x[i0] + (x[i0 + 1] - x[i0]) * frac
    py = y[i0] + (y[i0 + 1] - y[i0]) * frac
    cx = np.floor(px / cell_m).astype(np.int64)
    cy = np.floor(py / cell_m).astype(np.int64)
    # distinct (vessel, cell) pairs, then vessels per cell
    pairs = np.unique(np.stack([m[i0], cx, cy], axis=1), axis=0)
    cells, count = np.unique(pairs[:, 1:], axis=0, return_counts=True)
    busy = cells[count >= min_vessels]
    if busy.size == 0:
        return empty
    water_xy = proj.geom_to_xy(water)
    shapely.prepare(water_xy)
    centre_x = (busy[:, 0] + 0.5) * cell_m
    centre_y = (busy[:, 1] + 0.5) * cell_m
    off = ~shapely.contains_xy(water_xy, centre_x, centre_y)
    busy = busy[off]
    if busy.size == 0:
        return empty
    squares = shapely.box(busy[:, 0] * cell_m, busy[:, 1] * cell_m,
                          (busy[:, 0] + 1) * cell_m, (busy[:, 1] + 1) * cell_m)
    merged = shapely.union_all(squares)
    parts = list(getattr(merged, "geoms", [merged]))
    near = water_xy.buffer(cell_m)  # a channel's first cell may straddle the shore
    keep = [p for p in parts if p.intersects(near)]
    kept_cells = int(sum(round(p.area / cell_m ** 2) for p in keep))
    if not keep:
        return SailedWater(Polygon(), 0, 0, int(idx.size), int(busy.shape[0]))
    added_km2 = shapely.union_all(keep).area / 1e6
    # a channel whose first cell stops short of the shore still joins the water
    geom_xy = shapely.union_all([*keep, *(shapely.intersection(p.buffer(cell_m), water_xy)
                                          for p in keep)])
    shapely.prepare(geom_xy)
    inside = shapely.intersects_xy(geom_xy, px, py)
    vessels = int(np.unique(m[i0][inside]).size)
    geom = proj.geom_to_lonlat(geom_xy)
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return SailedWater(geom, kept_cells, vessels, int(idx.size),
                       int(busy.shape[0]) - kept_cells, added_km2)
