"""Patrol coverage of protected assets, measured on concrete planned routes.

A plan (``khazar plan`` GeoJSON) gives each boat's route as coordinates with times. We
resample every route every ``step_s`` seconds (linear interpolation in the local metric
plane) and call an asset *covered at a step* when some boat is within ``radius_m`` of the
asset's geometry (a platform's point, a pipeline's line). Coverage is the fraction of the
shift's steps at which the asset is covered: the share of time a saboteur there would have
a patrol boat close by. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from khazar.errors import InputError
from khazar.geo._proj import LocalProjection

__all__ = ["PlannedRoute", "asset_coverage", "parse_plan", "patrol_hours"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PlannedRoute:
    boat: str
    base: str
    lons: FloatArray
    lats: FloatArray
    times_s: FloatArray  # epoch seconds, non-decreasing


def parse_plan(data: Mapping[str, Any]) -> list[PlannedRoute]:
    """Routes of a plan GeoJSON FeatureCollection; errors name the offending feature."""
    features = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InputError("plan is not a GeoJSON FeatureCollection with a 'features' list")
    routes: list[PlannedRoute] = []
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        geom = feat.get("geometry") or {}
        if geom.get("type") != "LineString":
            continue
        coords = geom.get("coordinates") or []
        times = props.get("times") or []
        if len(coords) != len(times) or len(coords) < 2:
            raise InputError(
                f"plan feature {i} (boat {props.get('boat')!r}): {len(coords)} coordinates but "
                f"{len(times)} times; a route needs one ISO time per vertex"
            )
        try:
            t = np.array([datetime.fromisoformat(str(x)).timestamp() for x in times])
        except ValueError as exc:
            raise InputError(f"plan feature {i}: bad time in 'times': {exc}") from exc
        if np.any(np.diff(t) < 0):
            raise InputError(f"plan feature {i}: 'times' go backwards")
        arr = np.asarray(coords, dtype=float)
        routes.append(
            PlannedRoute(
                boat=str(props.get("boat", f"boat-{i}")),
                base=str(props.get("base", "")),
                lons=arr[:, 0],
                lats=arr[:, 1],
                times_s=t,
            )
        )
    return routes


def patrol_hours(routes: Sequence[PlannedRoute]) -> float:
    """Hours at sea summed over the plan's boats."""
    return float(sum((r.times_s[-1] - r.times_s[0]) / 3600.0 for r in routes))


def asset_coverage(
    routes: Sequence[PlannedRoute],
    assets: Mapping[str, BaseGeometry],
    radius_m: float = 9260.0,
    step_s: float = 300.0,
) -> dict[str, float]:
    """Fraction of the plan's steps at which each asset has a boat within ``radius_m``."""
    if not routes:
        return {k: 0.0 for k in assets}
    t0 = min(float(r.times_s[0]) for r in routes)
    t1 = max(float(r.times_s[-1]) for r in routes)
    grid = np.arange(t0, t1 + 1e-9, step_s)
    # a plane centred on the patrols (any theatre): exact within the few km that matter
    lat0 = float(np.mean([np.mean(r.lats) for r in routes]))
    lon0 = float(np.mean([np.mean(r.lons) for r in routes]))
    proj = LocalProjection(lat0, lon0)
    xs = np.full((len(routes), grid.size), np.nan)
    ys = np.full((len(routes), grid.size), np.nan)
    for i, r in enumerate(routes):
        x, y = proj.to_xy(r.lons, r.lats)
        inside = (grid >= r.times_s[0]) & (grid <= r.times_s[-1])
        xs[i, inside] = np.interp(grid[inside], r.times_s, x)
        ys[i, inside] = np.interp(grid[inside], r.times_s, y)
    valid = ~np.isnan(xs)
    points = shapely.points(np.where(valid, xs, 0.0), np.where(valid, ys, 0.0))
    out: dict[str, float] = {}
    for asset_id, geom in assets.items():
        g = proj.geom_to_xy(geom)
        near = (shapely.distance(points, g) <= radius_m) & valid
        out[asset_id] = float(np.mean(np.any(near, axis=0))) if grid.size else 0.0
    return out
