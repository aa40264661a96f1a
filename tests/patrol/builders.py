"""Tiny builders: a square grid of patrol areas off Baku with bases on its edges."""

from __future__ import annotations

import numpy as np

from khazar.patrol.flowlp import AreaPayoffs
from khazar.patrol.routes import RoutePlan, plan_routes
from khazar.patrol.timegraph import BaseFleet
from khazar.units import haversine_m

START = np.datetime64("2026-11-27T06:00:00")


def grid_problem(
    n: int = 6,
    bases: tuple[tuple[int, int, int], ...] = ((0, 0, 2), (5, 5, 1)),
    spacing_nm: float = 6.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, tuple[BaseFleet, ...], dict[tuple[int, int], float],
           list[dict[int, float]], AreaPayoffs]:
    lat0, lon0 = 39.5, 49.6
    dlat = spacing_nm / 60.0
    dlon = dlat / np.cos(np.radians(lat0))
    lat = np.asarray(lat0 + dlat * np.repeat(np.arange(n), n), dtype=np.float64)
    lon = np.asarray(lon0 + dlon * np.tile(np.arange(n), n), dtype=np.float64)
    d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    aa = {(i, j): float(d[i, j]) for i in range(lat.size) for j in range(i + 1, lat.size)
          if d[i, j] < 10 * 1852}
    fleet, ba = [], []
    for k, (ix, iy, nb) in enumerate(bases):
        i = iy * n + ix
        blat, blon = float(lat[i] - 0.03), float(lon[i] - 0.03)
        fleet.append(BaseFleet(f"B{k}", blat, blon, tuple(f"b{k}-{j}" for j in range(nb)),
                               18.0, 14.0))
        db = haversine_m(blat, blon, lat, lon)
        ba.append({int(j): float(db[j]) for j in np.flatnonzero(db < 10 * 1852)})
    rng = np.random.default_rng(seed)
    v = np.round(rng.gamma(1.0, 1.0, lat.size), 3) + 0.1
    pay = AreaPayoffs(np.zeros(lat.size), -v, -0.5 * v, v)
    return lat, lon, tuple(fleet), aa, ba, pay


def grid_plan(hours: float = 4.0, **kw: object) -> tuple[RoutePlan, dict[tuple[int, int], float],
                                                          list[dict[int, float]]]:
    from datetime import UTC, datetime

    lat, lon, fleet, aa, ba, pay = grid_problem(**kw)  # type: ignore[arg-type]
    ids = tuple(f"a{i}" for i in range(lat.size))
    rp = plan_routes(lat, lon, ids, pay, fleet, aa, ba, datetime(2026, 11, 27, 6, tzinfo=UTC),
                     hours, 0.5, 2)
    return rp, aa, ba
