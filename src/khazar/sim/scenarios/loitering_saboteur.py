"""Loitering saboteur over a subsea pipeline, partly dark.

A small vessel sails to a random point of a pipeline (inside AIS coverage), loiters there at
0.3–1.2 kn within 400 m of the point for 1.5–3 h, switches its AIS off for 45–90 min after
30–50 min of loitering, switches it back on, loiters on and leaves at 7–10 kn. Radar sees it
all the time where radar reaches. Must produce ``loitering`` and ``ais_gap``.
"""

from __future__ import annotations

from khazar.sim.geometry import destination, route_length_m
from khazar.sim.scenarios.base import ScenarioContext, radar_track
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS

NAME = "loitering_saboteur"
RANGES = {
    "approach_km": (12.0, 25.0),
    "approach_speed_kn": (7.0, 10.0),
    "loiter_h": (1.5, 3.0),
    "loiter_speed_kn": (0.3, 1.2),
    "loiter_radius_m": (150.0, 400.0),
    "dark_after_min": (30.0, 50.0),
    "dark_min": (45.0, 90.0),
}


def plant(ctx: ScenarioContext) -> None:
    """Plant one loitering saboteur (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
    p["loiter_h"] = max(p["loiter_h"], (p["dark_after_min"] + p["dark_min"] + 30.0) / 60.0)
    pp = ctx.pipeline_point()
    start = ctx.point_near(pp.lat, pp.lon, 0.8 * p["approach_km"] * 1000, p["approach_km"] * 1000)
    route_in = ctx.world.route(start, (pp.lat, pp.lon))
    approach_s = route_length_m(route_in) / (p["approach_speed_kn"] * KN_TO_MS)
    t_core, _ = ctx.window(p["loiter_h"] * 3600.0)  # the loitering lies inside the run
    b = ctx.begin((float(route_in[0, 0]), float(route_in[0, 1])), t_core - approach_s,
                  p["approach_speed_kn"])
    b.sail(route_in, p["approach_speed_kn"])
    arrive = b.t_s
    end_loiter = arrive + p["loiter_h"] * 3600.0
    while b.t_s < end_loiter:
        wp = destination(pp.lat, pp.lon, float(rng.uniform(0, 360)),
                         float(rng.uniform(0.0, p["loiter_radius_m"])))
        b.sail([wp], p["loiter_speed_kn"] * float(rng.uniform(0.7, 1.3)))
    leave = b.t_s
    out = ctx.point_near(pp.lat, pp.lon, 15000.0, 25000.0)
    b.sail(ctx.world.route(b.here, out), p["approach_speed_kn"])
    ctx.finish(b, p["approach_speed_kn"])
    dark_a = arrive + p["dark_after_min"] * 60.0
    dark_b = dark_a + p["dark_min"] * 60.0
    b.set_ais(dark_a, dark_b, on=False)
    mmsi = ctx.foreign_mmsi()
    ais_class = "A" if rng.random() < 0.6 else "B"
    kind = "cargo" if ais_class == "A" else "boat"
    static = make_static(kind, 800 + len(ctx.behaviours), rng)
    m = ctx.add(mmsi, kind, ais_class, static, b.build())
    # while its AIS is off the saboteur is a radar-only contact: its true track is in the truth
    dark_part = m.clipped(dark_a, dark_b)
    targets = (
        (radar_track(f"{NAME}-{len(ctx.behaviours) + 1}-dark", dark_part, static.length_m),)
        if dark_part is not None else ()
    )
    ctx.behaviour(
        NAME, (mmsi,), arrive, leave, pp.lat, pp.lon,
        {**p, "dark_start": round(dark_a), "dark_end": round(dark_b)}, radar_targets=targets,
        asset_id=pp.pipeline.id,
        zone_id=pp.pipeline.zone_ids[0] if pp.pipeline.zone_ids else None,
    )
