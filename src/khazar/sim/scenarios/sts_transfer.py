"""Ship-to-ship transfer at sea: two ships with AIS meet in open water and lie alongside.

Cargo passed between ships away from any port and its customs (smuggled fuel, arms, people,
or oil hiding its origin) is a trafficking pattern coast guards watch for. A foreign tanker
sails in from a far port to a point in Azerbaijani waters inside AIS coverage, ≥ 20 km from
every port, ≥ 10 km from the shore and ≥ 5 km from every protected zone, and drifts there at
0.2–0.8 kn. 15–40 min later a second ship (a smaller tanker or a cargo ship) comes in, lies
alongside at 20–60 m for 1.5–3.5 h while both drift, and sails away; the tanker leaves
10–30 min after. Both keep their AIS on. Must produce ``encounter``.
"""

from __future__ import annotations

import numpy as np

from khazar.errors import GeoError
from khazar.sim.geometry import destination, route_length_m
from khazar.sim.movement import NAV_UNDER_WAY
from khazar.sim.scenarios.base import ScenarioContext, alongside
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS, haversine_m

NAME = "sts_transfer"
RANGES = {
    "transit_speed_kn": (9.0, 12.0),
    "drift_speed_kn": (0.2, 0.8),
    "second_after_min": (15.0, 40.0),
    "alongside_h": (1.5, 3.5),
    "alongside_m": (20.0, 60.0),
    "first_leaves_after_min": (10.0, 30.0),
}
#: where the meeting may lie: the Azerbaijani sector off the Absheron peninsula and south
CENTRE = (40.0, 50.3)
SEARCH_M = (10_000.0, 110_000.0)
PORT_MIN_M = 20_000.0
SHORE_MIN_M = 10_000.0
PROTECTED_MIN_M = 5_000.0


def _meeting_point(ctx: ScenarioContext) -> tuple[float, float]:
    ports = [(float(p.lat), float(p.lon)) for p in ctx.world.geo.ports]
    for _ in range(300):
        p = ctx.point_near(*CENTRE, *SEARCH_M, min_protected_m=PROTECTED_MIN_M)
        if not ctx.covered(*p):
            continue
        if any(float(haversine_m(p[0], p[1], a, b)) < PORT_MIN_M for a, b in ports):
            continue
        # open water: rings out to SHORE_MIN_M all wet (tuning seed 203 put a transfer 2 km
        # off Pirallahi island, where encounters, like GFW's, are not looked for)
        disc = np.asarray([destination(p[0], p[1], brg, r_m)
                           for r_m in np.linspace(SHORE_MIN_M / 4, SHORE_MIN_M, 4)
                           for brg in range(0, 360, 15)])
        if ctx.in_water(disc):
            return p
    raise GeoError("no covered open-water point for the ship-to-ship transfer; check the "
                   "geography's ports and coastline")


def plant(ctx: ScenarioContext) -> None:
    """Plant one ship-to-ship transfer (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
    meet = _meeting_point(ctx)
    wait_s = p["second_after_min"] * 60.0
    stay_s = wait_s + p["alongside_h"] * 3600.0 + p["first_leaves_after_min"] * 60.0
    t_arrive, stay_s = ctx.window(stay_s)  # the meeting lies inside the run
    sp = p["transit_speed_kn"]

    # the first ship: in from a far port, drifts at the point, leaves for a far port
    first = ctx.begin(meet, t_arrive, sp)
    first.drift(stay_s, p["drift_speed_kn"], float(rng.uniform(0, 360)), rng, NAV_UNDER_WAY,
                step_s=120.0, wander_deg=25.0, in_water=ctx.world.water_at)
    ctx.finish(first, sp)
    first_m = first.build()

    # the second ship: comes alongside, shadows the first while they drift, then leaves
    meet_a = t_arrive + wait_s
    meet_b = meet_a + p["alongside_h"] * 3600.0
    la, lo = first_m.position_at(np.asarray([meet_a]))
    start = ctx.point_near(float(la[0]), float(lo[0]), 15_000.0, 30_000.0)
    route_in = ctx.world.route(start, (float(la[0]), float(lo[0])))
    run_s = route_length_m(route_in) / (sp * KN_TO_MS)
    second = ctx.begin((float(route_in[0, 0]), float(route_in[0, 1])), meet_a - run_s, sp)
    second.sail(route_in, sp)
    alongside(second, first_m, meet_b, float(rng.uniform(0, 360)), p["alongside_m"])
    ctx.finish(second, sp)

    n = len(ctx.behaviours)
    mmsi_a = ctx.foreign_mmsi()
    ctx.add(mmsi_a, "tanker", "A", make_static("tanker", 970 + n, rng), first_m)
    mmsi_b = ctx.foreign_mmsi()
    kind_b = "tanker" if rng.random() < 0.5 else "cargo"
    ctx.add(mmsi_b, kind_b, "A", make_static(kind_b, 975 + n, rng),
            second.build())
    ctx.behaviour(NAME, (mmsi_a, mmsi_b), meet_a, meet_b, meet[0], meet[1],
                  {**p, "second_kind": kind_b})
