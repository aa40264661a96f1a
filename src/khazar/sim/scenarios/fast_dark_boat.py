"""A fast boat with AIS off, seen only by radar.

A 7–12 m boat runs at 25–40 kn from 35–55 km offshore to within 3–6 km of the Absheron or
Lankaran coast (Sumqayit, Baku, Sangachal or Lankaran side, where the coastal radars look),
waits 5–20 min and runs back out. Must produce ``dark_vessel``.
"""

from __future__ import annotations

from khazar.sim.geometry import route_length_m
from khazar.sim.movement import NAV_UNDER_WAY, MovementBuilder
from khazar.sim.scenarios.base import ScenarioContext, radar_track
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS

NAME = "fast_dark_boat"
RANGES = {
    "speed_kn": (25.0, 40.0),
    "offshore_km": (35.0, 55.0),
    "landing_km": (3.0, 6.0),
    "wait_min": (5.0, 20.0),
    "length_m": (7.0, 12.0),
}
_COASTS = ("sumqayit", "baku", "sangachal", "lankaran")


def plant(ctx: ScenarioContext) -> None:
    """Plant one fast dark boat (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
    coast = _COASTS[int(rng.integers(0, len(_COASTS)))]
    c = ctx.world.places[coast]
    landing = ctx.point_near(c[0], c[1], p["landing_km"] * 800, p["landing_km"] * 1000)
    far = ctx.point_near(landing[0], landing[1], p["offshore_km"] * 900,
                         p["offshore_km"] * 1000, bearings=(30.0, 210.0))
    route_in = ctx.world.route(far, landing)
    run_s = route_length_m(route_in) / (p["speed_kn"] * KN_TO_MS)
    t_start, _ = ctx.window(2 * run_s + p["wait_min"] * 60.0)
    b = MovementBuilder(t_start, float(route_in[0, 0]), float(route_in[0, 1]))
    b.sail(route_in, p["speed_kn"])
    b.dwell(p["wait_min"] * 60.0, NAV_UNDER_WAY, rng, swing_m=60.0, step_s=120.0)
    b.sail(route_in[::-1], p["speed_kn"])
    m = ctx.add(ctx.traffic.mmsi.next(422, 9), "boat", "B",
                make_static("boat", 980 + len(ctx.behaviours), rng), b.build(), transmits=False)
    n = sum(1 for x in ctx.behaviours if x.scenario == NAME) + 1
    ctx.behaviour(
        NAME, (), m.start_s, m.end_s, landing[0], landing[1], {**p, "coast": coast},
        radar_targets=(radar_track(f"{NAME}-{n}", m, p["length_m"]),),
    )
