"""Unauthorised entry into a platform's safety zone.

A vessel that is not in the registry (fishing boat or small cargo ship) approaches a random
platform from 10–20 km at 6–10 kn, comes within 50–300 m of it, stays 15–40 min at about
0.5 kn (or passes straight through, 30 % of runs) and leaves. Must produce ``zone_entry``.
"""

from __future__ import annotations

import numpy as np

from khazar.sim.geometry import destination, point_along, route_length_m
from khazar.sim.movement import NAV_UNDER_WAY
from khazar.sim.scenarios.base import ScenarioContext
from khazar.sim.traffic import F64, make_static
from khazar.units import KN_TO_MS, haversine_m

NAME = "safety_zone_entry"
RANGES = {
    "approach_km": (10.0, 20.0),
    "speed_kn": (6.0, 10.0),
    "closest_m": (50.0, 300.0),
    "stay_min": (15.0, 40.0),
}


#: an intruder heads for the platform; it does not sail along a pipeline for kilometres
_MAX_ALONG_M = 4000.0


def _along_corridor_m(ctx: ScenarioContext, route: F64, lat0: float, lon0: float) -> float:
    """Metres of a route inside protected areas more than 3 km from the platform."""
    pts = np.asarray([point_along(route, d) for d in
                      np.arange(0.0, route_length_m(route), 200.0)]).reshape(-1, 2)
    far = haversine_m(pts[:, 0], pts[:, 1], lat0, lon0) > 3000.0
    inside = [ctx.world.protected_distance_m(float(la), float(lo)) <= 0.0
              for la, lo in pts[far]]
    return 200.0 * float(sum(inside))


def plant(ctx: ScenarioContext) -> None:
    """Plant one safety-zone entry (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
    passes = bool(rng.random() < 0.3)
    plat = ctx.world.platforms[int(rng.integers(0, len(ctx.world.platforms)))]
    spot = destination(plat.lat, plat.lon, float(rng.uniform(0, 360)), p["closest_m"])
    for _ in range(20):  # an approach that does not run along a pipeline corridor
        start = ctx.point_near(plat.lat, plat.lon, p["approach_km"] * 900,
                               p["approach_km"] * 1000)
        route_in = ctx.world.route(start, spot)
        if _along_corridor_m(ctx, route_in, plat.lat, plat.lon) < _MAX_ALONG_M:
            break
    lead = route_length_m(route_in) / (p["speed_kn"] * KN_TO_MS)
    t_core, _ = ctx.window(p["stay_min"] * 60.0 + 1800.0)  # the entry lies inside the run
    b = ctx.begin((float(route_in[0, 0]), float(route_in[0, 1])), t_core - lead, p["speed_kn"])
    b.sail(route_in[:-1], p["speed_kn"])
    t_near = b.t_s
    b.sail(route_in[-1:], p["speed_kn"])
    if not passes:
        b.drift(p["stay_min"] * 60.0, 0.5, float(rng.uniform(0, 360)), rng, NAV_UNDER_WAY,
                step_s=120.0, wander_deg=90.0, in_water=ctx.world.water_at)
    for _ in range(20):
        out = ctx.point_near(plat.lat, plat.lon, 10000.0, 18000.0)
        route_out = ctx.world.route(b.here, out)
        if _along_corridor_m(ctx, route_out, plat.lat, plat.lon) < _MAX_ALONG_M:
            break
    b.sail(route_out[:2], p["speed_kn"])
    t_left = b.t_s
    b.sail(route_out[2:], p["speed_kn"])
    ctx.finish(b, p["speed_kn"])
    kind = "fishing" if rng.random() < 0.5 else "cargo"
    mmsi = ctx.foreign_mmsi() if kind == "cargo" else ctx.traffic.mmsi.next(423, 4)
    ctx.add(mmsi, kind, "A", make_static(kind, 990 + len(ctx.behaviours), rng), b.build())
    ctx.behaviour(
        NAME, (mmsi,), t_near, t_left, plat.lat, plat.lon, {**p, "passes_through": passes},
        asset_id=plat.id, zone_id=plat.zone_ids[0] if plat.zone_ids else None,
    )
