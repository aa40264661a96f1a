"""Eagle S-like anchor drag: a ship on passage drops its anchor tens of km before a pipeline
and drags it across.

Eagle S (Estlink 2, Dec 2024) slowed from 8.5 to 6.3 kn, heading unchanged, about 50 minutes
before Estlink 2 tripped, and left a trail of ~100 km. Here a tanker on passage at 8.0–9.5 kn
(for 20–35 km) drops to 70–74 % of that speed (a drop of 26–30 %; DESIGN: a sustained drop
≥ 25 %) 20–45 km before a pipeline it crosses at 30–60°, keeps the lower speed, heading and
"under way using engine" status for 25–50 km beyond it, then sails on to a port. Must produce
``anchor_drag`` (at the crossing) and, upstream, an ``anchor_down`` pre-alert.

:func:`plant_published` (``khazar simulate --scenario eagle_s_published``, not part of
``mixed``) plants the published facts themselves: 8.5 → 6.3 kn, heading unchanged, the drop
50 minutes before the line, crossed at right angles.

The truth records the drag's start (the drop), the first entry into the corridor
(``first_crossing``) and the time the ship is over the line itself (``line_crossing``).
"""

from __future__ import annotations

from collections.abc import Callable

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
    "approach_km": (20.0, 35.0),  # on passage before the drop
    "slow_before_km": (20.0, 45.0),  # the drop, this far before the line
    "drag_beyond_km": (25.0, 50.0),
}
#: the published facts: 8.5 → 6.3 kn, the drop 50 min (at 6.3 kn) before the line
PUBLISHED = {
    "speed_before_kn": 8.5,
    "speed_ratio": 6.3 / 8.5,
    "crossing_angle_deg": 90.0,
    "approach_km": 30.0,
    "slow_before_km": 50 * 60 * 6.3 * KN_TO_MS / 1000.0,
    "drag_beyond_km": 30.0,
}


def plant(ctx: ScenarioContext) -> None:
    """Plant one Eagle S-like drag (parameters drawn from :data:`RANGES`)."""
    _plant(ctx, lambda: {k: float(ctx.rng.uniform(*v)) for k, v in RANGES.items()})


def plant_published(ctx: ScenarioContext) -> None:
    """Plant the published Eagle S facts (:data:`PUBLISHED`) across a Caspian line."""
    _plant(ctx, lambda: dict(PUBLISHED), published=True)


def _plant(ctx: ScenarioContext, draw: Callable[[], dict[str, float]],
           published: bool = False) -> None:
    rng = ctx.rng
    for _ in range(200):
        p: dict[str, float] = draw()
        pp = ctx.pipeline_point()
        course = pp.bearing_deg + p["crossing_angle_deg"] * float(rng.choice([-1.0, 1.0]))
        if rng.random() < 0.5:
            course += 180.0
        before = p["approach_km"] + p["slow_before_km"]
        start = destination(pp.lat, pp.lon, course + 180.0, before * 1000)
        slow = destination(pp.lat, pp.lon, course + 180.0, p["slow_before_km"] * 1000)
        end = destination(pp.lat, pp.lon, course, p["drag_beyond_km"] * 1000)
        # upstream of the line the track crosses no other corridor (the first crossing is
        # this one's) and stays in water
        near = destination(pp.lat, pp.lon, course + 180.0, 2.0 * pp.pipeline.corridor_half_width_m
                           / max(0.3, float(np.sin(np.radians(p["crossing_angle_deg"])))))
        if ctx.straight_in_water(start, end) and ctx.clear_of_protected(start, near):
            break
    else:
        raise GeoError("no open-water crossing of a pipeline found for the Eagle S scenario")
    v0 = p["speed_before_kn"]
    v1 = v0 * p["speed_ratio"]
    lead = p["approach_km"] * 1000 / (v0 * KN_TO_MS)
    core = (p["slow_before_km"] + p["drag_beyond_km"]) * 1000 / (v1 * KN_TO_MS)
    t_core, _ = ctx.window(core)  # the slowed drag lies inside the run
    b = ctx.begin(start, t_core - lead, v0)
    b.sail(np.asarray([slow]), v0)
    t_slow = b.t_s
    t_line = t_slow + p["slow_before_km"] * 1000 / (v1 * KN_TO_MS)
    entry_m = pp.pipeline.corridor_half_width_m / float(
        np.sin(np.radians(p["crossing_angle_deg"])))
    t_entry = t_line - entry_m / (v1 * KN_TO_MS)
    b.sail(np.asarray([(pp.lat, pp.lon), end]), v1)
    t_end = b.t_s
    ctx.finish(b, v0)  # anchor up: back to passage speed
    mmsi = ctx.foreign_mmsi()
    ctx.add(mmsi, "tanker", "A", make_static("tanker", 850 + len(ctx.behaviours), rng), b.build())
    ctx.behaviour(
        NAME, (mmsi,), t_slow, t_end, pp.lat, pp.lon,
        {**p, "speed_drag_kn": v1, "course_deg": course % 360.0, "published": published},
        asset_id=pp.pipeline.id,
        zone_id=pp.pipeline.zone_ids[0] if pp.pipeline.zone_ids else None,
        first_crossing_s=t_entry, line_crossing_s=t_line,
    )
