"""Dark rendezvous for trafficking near the southern (AZ–IRN) border.

An Azerbaijani boat with AIS sails from Lankaran or Astara to a point 38.45–38.85 N,
48.95–49.35 E (≥ 12 km from those ports, ≤ 20 nm from a coastal radar) and waits there at
0.2–0.6 kn for 60–100 min. A dark
boat (no AIS, 9–14 m) comes from 25–45 km to the south at 18–28 kn, stays alongside
(60–150 m) for 35–60 min and runs back south. Radar sees both. Must produce ``dark_vessel``
(``encounter`` is accepted; it needs both AIS tracks, which the dark boat has not).
"""

from __future__ import annotations

import numpy as np

from khazar.errors import GeoError
from khazar.sim.geometry import route_length_m
from khazar.sim.movement import NAV_MOORED, NAV_UNDER_WAY, MovementBuilder
from khazar.sim.scenarios.base import ScenarioContext, alongside, radar_track
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS, haversine_m

NAME = "dark_rendezvous"
#: the meeting point lies within this of a coastal station (radars there reach 24 nm)
RADAR_NM = 20.0
RANGES = {
    "lat": (38.45, 38.85),
    "lon": (48.95, 49.35),
    "wait_min": (60.0, 100.0),
    "wait_speed_kn": (0.2, 0.6),
    "dark_speed_kn": (18.0, 28.0),
    "dark_from_km": (25.0, 45.0),
    "alongside_min": (35.0, 60.0),
    "alongside_m": (60.0, 150.0),
    "dark_length_m": (9.0, 14.0),
}


def plant(ctx: ScenarioContext) -> None:
    """Plant one dark rendezvous (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    w = ctx.world
    for _ in range(300):
        p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
        r = (p["lat"], p["lon"])
        far = all(
            float(haversine_m(r[0], r[1], *w.places[h])) > 12000.0 for h in ("lankaran", "astara")
        )
        # the meeting lies where a coastal radar (24 nm) sees a small boat: a rendezvous no
        # sensor can see cannot be required of the detectors (found on the tuning seeds: a
        # meeting 30 nm from the Lankaran radar, in no sensor's reach)
        seen = ctx.covered(r[0], r[1], max_nm=RADAR_NM)
        if far and seen and ctx.in_water(np.asarray([r])):
            break
    else:
        raise GeoError("no water point for the dark rendezvous near the southern border")
    p["alongside_min"] = min(p["alongside_min"], p["wait_min"] - 20.0)
    home = w.places["lankaran" if rng.random() < 0.6 else "astara"]
    route_out = w.route(home, r)
    sp = float(rng.uniform(7.0, 9.0))
    transit_s = route_length_m(route_out) / (sp * KN_TO_MS)
    t_core, _ = ctx.window(p["wait_min"] * 60.0)  # the meeting lies inside the run
    depart = t_core - transit_s
    boat = MovementBuilder(min(ctx.t0_s, depart) - 600.0, float(route_out[0, 0]),
                           float(route_out[0, 1]))
    boat.wait_until(depart, NAV_MOORED, rng)
    boat.sail(route_out, sp)
    t_wait = boat.t_s
    boat.drift(p["wait_min"] * 60.0, p["wait_speed_kn"], float(rng.uniform(0, 360)), rng,
               NAV_UNDER_WAY, step_s=300.0, wander_deg=70.0, in_water=w.water_at)
    t_go = boat.t_s
    boat.sail(w.route(boat.here, home), sp)
    boat.wait_until(ctx.t1_s + 60.0, NAV_MOORED, rng)
    partner = boat.build()
    mmsi = ctx.traffic.mmsi.next(423, 8)
    partner = ctx.add(mmsi, "fishing", "A", make_static("fishing", 900 + len(ctx.behaviours), rng),
                      partner)

    # the dark boat: run in from the south, shadow the partner, run back
    meet_a = t_wait + float(rng.uniform(10.0, 18.0)) * 60.0
    meet_b = meet_a + p["alongside_min"] * 60.0
    south = ctx.point_near(r[0], r[1], p["dark_from_km"] * 900, p["dark_from_km"] * 1000,
                           bearings=(160.0, 200.0))
    lat_a, lon_a = partner.position_at(np.asarray([meet_a]))
    route_in = w.route(south, (float(lat_a[0]), float(lon_a[0])))
    run_s = route_length_m(route_in) / (p["dark_speed_kn"] * KN_TO_MS)
    dark = MovementBuilder(meet_a - run_s, float(route_in[0, 0]), float(route_in[0, 1]))
    dark.sail(route_in, p["dark_speed_kn"])
    alongside(dark, partner, meet_b, float(rng.uniform(0, 360)), p["alongside_m"])
    dark.sail(w.route(dark.here, south), p["dark_speed_kn"])
    dark_m = dark.build()
    dark_clipped = ctx.add(
        ctx.traffic.mmsi.next(422, 9), "boat", "B",
        make_static("boat", 950 + len(ctx.behaviours), rng), dark_m, transmits=False,
    )
    target = radar_track(f"{NAME}-{len(ctx.behaviours) + 1}-dark", dark_clipped,
                         p["dark_length_m"])
    ctx.behaviour(
        NAME, (mmsi,), dark_clipped.start_s, max(t_go, dark_clipped.end_s), r[0], r[1],
        {**p, "meet_start": round(meet_a), "meet_end": round(meet_b)},
        radar_targets=(target,),
        zone_id=w.border_zone_ids[0] if w.border_zone_ids else None,
    )
