"""Normal routes keep off platform safety zones (not only the 500 m ones: Neft Daşları's is
3 km). Found on the tuning seeds: tankers and a red-team vessel on passage entered ACG and
Neft Daşları safety zones, which the detector rightly reports as zone entries."""

from __future__ import annotations

import numpy as np

from khazar.sim.geometry import point_along, route_length_m
from khazar.sim.traffic import jitter_route
from khazar.sim.world import World
from khazar.units import haversine_m


def _closest_m(w: World, route: np.ndarray, pid: str) -> float:
    p = next(p for p in w.platforms if p.id == pid)
    pts = np.asarray([point_along(route, d) for d in np.arange(0.0, route_length_m(route), 100.0)])
    return float(haversine_m(pts[:, 0], pts[:, 1], p.lat, p.lon).min())


def test_a_straight_leg_through_a_platform_detours_one_side_of_its_zone(world: World) -> None:
    nd = next(p for p in world.platforms if p.id == "neft-daslari")
    # a leg straight through Neft Daşları (3 km zone), from 15 km north-west to 15 km south-east
    leg = np.array([[nd.lat + 0.10, nd.lon - 0.10], [nd.lat - 0.10, nd.lon + 0.10]])
    out = world.keep_off_platforms(leg)
    assert _closest_m(world, out, "neft-daslari") >= nd.safety_radius_m + 1000.0
    # one detour on one side, no jump across the 6 km wide zone
    step = haversine_m(out[:-1, 0], out[:-1, 1], out[1:, 0], out[1:, 1])
    assert float(step.max()) < 1500.0


def test_shuttle_voyages_through_the_acg_field_keep_off_every_zone(world: World) -> None:
    rng = np.random.default_rng(5)
    route = world.route(world.places["turkmenbashi"], world.places["sangachal"])
    acg = [p for p in world.platforms if p.group == "acg"]
    for _ in range(3):  # each voyage spread across its lane
        leg = jitter_route(world, route, rng)
        for p in acg:
            assert _closest_m(world, leg, p.id) >= p.safety_radius_m + 900.0, p.id
