"""Eagle S-like anchor drag: a ship on passage slows down across a pipeline and drags on.

Eagle S (Estlink 2, Dec 2024) slowed from 8.5 to 6.3 kn and dragged its anchor ~100 km. Here a
tanker crosses a pipeline corridor at 30–60° at 8.0–9.5 kn, slows to 70–74 % of that speed (a
drop of 26–30 %; DESIGN: a sustained drop ≥ 25 %) 2–5 km before the pipeline and keeps the lower
speed for 25–50 km beyond it, status "under way using engine" throughout, then sails on to a
port. Must produce ``anchor_drag``.
"""

from __future__ import annotations

import numpy as np

from khazar.errors import GeoError
from khazar.sim.geometry import destination
from khazar.sim.scenarios.base import ScenarioContext
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS

NAME = "anchor_drag_eagle_s"
RANGES = {
    "speed_before_kn": (8.0, 9.5),
    "speed_ratio": (0.70, 0.74),  # Eagle S: 6.3 / 8.5 = 0.741; DESIGN: drop ≥ 25 %
    "crossing_angle_deg": (30.0, 60.0),
    "approach_km": (20.0, 35.0),
    "slow_before_km": (2.0, 5.0),
    "drag_beyond_km": (25.0, 50.0),
}


def plant(ctx: ScenarioContext) -> None:
    """Plant one Eagle S-like drag (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    for _ in range(200):
        p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
        pp = ctx.pipeline_point()
        course = pp.bearing_deg + p["crossing_angle_deg"] * float(rng.choice([-1.0, 1.0]))
        if rng.random() < 0.5:
            course += 180.0
        start = destination(pp.lat, pp.lon, course + 180.0, p["approach_km"] * 1000)
        slow = destination(pp.lat, pp.lon, course + 180.0, p["slow_before_km"] * 1000)
        end = destination(pp.lat, pp.lon, course, p["drag_beyond_km"] * 1000)
        if ctx.straight_in_water(start, end):
            break
    else:
        raise GeoError("no open-water crossing of a pipeline found for the Eagle S scenario")
    v0 = p["speed_before_kn"]
    v1 = v0 * p["speed_ratio"]
    lead = (p["approach_km"] - p["slow_before_km"]) * 1000 / (v0 * KN_TO_MS)
    core = (p["slow_before_km"] + p["drag_beyond_km"]) * 1000 / (v1 * KN_TO_MS)
    t_core, _ = ctx.window(core)  # the slowed crossing lies inside the run
    b = ctx.begin(start, t_core - lead, v0)
    b.sail(np.asarray([slow]), v0)
    t_slow = b.t_s
    b.sail(np.asarray([(pp.lat, pp.lon), end]), v1)
    t_end = b.t_s
    ctx.finish(b, v0)  # anchor up: back to passage speed
    mmsi = ctx.foreign_mmsi()
    ctx.add(mmsi, "tanker", "A", make_static("tanker", 850 + len(ctx.behaviours), rng), b.build())
    ctx.behaviour(
        NAME, (mmsi,), t_slow, t_end, pp.lat, pp.lon,
        {**p, "speed_drag_kn": v1, "course_deg": course % 360.0},
        asset_id=pp.pipeline.id,
        zone_id=pp.pipeline.zone_ids[0] if pp.pipeline.zone_ids else None,
    )
