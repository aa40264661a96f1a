"""Yi Peng 3-like anchor drag: steady ~7 kn, "at anchor" while moving, repeated crossings.

Yi Peng 3 (Nov 2024) kept about 7 kn while dragging its anchor over 100 nautical miles.
Here a bulk carrier approaches at 9–11 kn, drops its anchor 15–35 km before the pipeline
(from there on 6.5–7.5 kn with AIS navigational status 1, "at anchor"), then zigzags along a
15–30 km stretch of it at that speed, crossing the corridor every 4–7 km (offsets 2–3.5 km
either side). Must produce ``anchor_drag`` (at the line) and, upstream, ``anchor_down``. The
truth records the first entry into the corridor and the first time over the line.
"""

from __future__ import annotations

import numpy as np

from khazar.errors import GeoError
from khazar.sim.geometry import cumulative_m, destination
from khazar.sim.movement import NAV_AT_ANCHOR
from khazar.sim.scenarios.base import ScenarioContext
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS

NAME = "anchor_drag_yi_peng"
RANGES = {
    "drag_speed_kn": (6.5, 7.5),
    "approach_speed_kn": (9.0, 11.0),
    "stretch_km": (15.0, 30.0),
    "leg_km": (4.0, 7.0),
    "offset_km": (2.0, 3.5),
    "approach_km": (12.0, 20.0),
    "drag_before_km": (15.0, 35.0),  # the anchor down, this far before the first leg
}


def plant(ctx: ScenarioContext) -> None:
    """Plant one Yi Peng 3-like drag (parameters drawn from :data:`RANGES`)."""
    rng = ctx.rng
    for _ in range(200):
        p = {k: float(rng.uniform(*v)) for k, v in RANGES.items()}
        pp = ctx.pipeline_point(min_from_end_m=p["stretch_km"] * 1000 / 2 + 8000.0)
        coords = pp.pipeline.coords
        cum = cumulative_m(coords)
        n_legs = max(3, int(p["stretch_km"] / p["leg_km"]))
        pts = []
        for k in range(n_legs + 1):
            at = pp.along_m - p["stretch_km"] * 500 + k * p["stretch_km"] * 1000 / n_legs
            lat = float(np.interp(at, cum, coords[:, 0]))
            lon = float(np.interp(at, cum, coords[:, 1]))
            side = 90.0 if k % 2 == 0 else -90.0
            pts.append(destination(lat, lon, pp.bearing_deg + side, p["offset_km"] * 1000))
        back = pp.bearing_deg + 180.0 - 30.0  # from the side of the first leg: no crossing yet
        drop = destination(pts[0][0], pts[0][1], back, p["drag_before_km"] * 1000)
        start = destination(pts[0][0], pts[0][1], back,
                            (p["drag_before_km"] + p["approach_km"]) * 1000)
        path = np.asarray([start, drop, *pts])
        if all(ctx.straight_in_water(tuple(path[i]), tuple(path[i + 1]))
               for i in range(len(path) - 1)) and ctx.clear_of_protected(start, pts[0]):
            break
    else:
        raise GeoError("no open-water pipeline stretch found for the Yi Peng 3 scenario")
    legs = np.hypot(np.diff(path[1:, 0]) * 111_195,
                    np.diff(path[1:, 1]) * 111_195 * np.cos(np.radians(pp.lat)))
    drag_m = float(np.sum(legs))
    v = p["drag_speed_kn"] * KN_TO_MS
    lead = p["approach_km"] * 1000 / (p["approach_speed_kn"] * KN_TO_MS)
    t_core, _ = ctx.window(drag_m / v)
    b = ctx.begin(start, t_core - lead, p["approach_speed_kn"])
    b.sail(path[1:2], p["approach_speed_kn"])
    t_drag = b.t_s
    b.sail(path[2:], p["drag_speed_kn"], status=NAV_AT_ANCHOR)
    t_end = b.t_s
    # the first leg runs from offset_km on one side to offset_km on the other
    t_leg = t_drag + float(legs[0]) / v
    half = pp.pipeline.corridor_half_width_m / (2 * p["offset_km"] * 1000)
    t_entry = t_leg + (0.5 - half) * float(legs[1]) / v
    t_line = t_leg + 0.5 * float(legs[1]) / v
    ctx.finish(b, p["approach_speed_kn"])
    mmsi = ctx.foreign_mmsi()
    ctx.add(mmsi, "bulk", "A", make_static("bulk", 870 + len(ctx.behaviours), rng), b.build())
    ctx.behaviour(
        NAME, (mmsi,), t_drag, t_end, pp.lat, pp.lon,
        {**p, "crossings": len(pts) - 1},
        asset_id=pp.pipeline.id,
        zone_id=pp.pipeline.zone_ids[0] if pp.pipeline.zone_ids else None,
        first_crossing_s=t_entry, line_crossing_s=t_line,
    )
