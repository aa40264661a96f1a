"""Identity spoofing: a position teleport, and an MMSI clash with a real vessel.

Teleport: a cargo ship on passage inside AIS coverage at 9–12 kn; at a random moment its AIS
reports jump 25–60 km away (in water) and continue on a parallel course for 40–90 min while
the hull sails on dark (radar still sees it); then its true reports resume (a second jump).

Clash: a small cargo ship 60–150 km from a real ferry, tanker or cargo ship of the traffic
transmits that ship's MMSI (with its own name) for 1–2 h: two simultaneous tracks for one
MMSI. Both must produce ``spoofing``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from khazar.errors import GeoError
from khazar.sim.geometry import bearing_deg, destination, route_length_m
from khazar.sim.movement import Movement, MovementBuilder
from khazar.sim.scenarios.base import ScenarioContext, radar_track
from khazar.sim.traffic import make_static
from khazar.units import KN_TO_MS, haversine_m

F64 = npt.NDArray[np.float64]
NAME = "spoofing"
RANGES = {
    "speed_kn": (9.0, 12.0),
    "jump_km": (25.0, 60.0),
    "spoof_min": (40.0, 90.0),
    "clash_km": (60.0, 150.0),
    "clash_h": (1.0, 2.0),
}


def _voyage(
    ctx: ScenarioContext, p: dict[str, float], spoof_min: float
) -> tuple[Movement, float, float]:
    """The teleporting hull's passage with its AIS off while spoofed: (movement, jump
    time, time its true reports resume); sets ``p["spoof_min"]`` to what fits."""
    rng = ctx.rng
    a = ctx.point_near(40.0, 50.3, 0.0, 60000.0)
    b_pt = ctx.point_near(a[0], a[1], 60000.0, 90000.0)
    route = ctx.world.route(a, b_pt)
    voyage = route_length_m(route) / (p["speed_kn"] * KN_TO_MS)
    p["spoof_min"] = min(spoof_min, 0.6 * voyage / 60.0)
    t_jump, spoof_s = ctx.window(p["spoof_min"] * 60.0)  # the spoofing lies inside the run
    p["spoof_min"] = spoof_s / 60.0
    t_start = t_jump - float(rng.uniform(0.1, 0.3)) * voyage
    hull = ctx.begin((float(route[0, 0]), float(route[0, 1])), t_start, p["speed_kn"])
    hull.sail(route, p["speed_kn"])
    ctx.finish(hull, p["speed_kn"])
    t_back = t_jump + spoof_s
    hull.set_ais(t_jump, t_back, on=False)
    return hull.build(), t_jump, t_back


def _fake_leg(
    ctx: ScenarioContext, p: dict[str, float], la: F64, lo: F64
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the spoofed reports run: parallel to the hull's leg (la, lo), ``jump_km`` away,
    in water and inside AIS coverage; None when no bearing gives that."""
    course = bearing_deg((float(la[0]), float(lo[0])), (float(la[1]), float(lo[1])))
    for _ in range(200):
        fake_a = destination(float(la[0]), float(lo[0]), float(ctx.rng.uniform(0, 360)),
                             p["jump_km"] * 1000)
        fake_b = destination(fake_a[0], fake_a[1], course,
                             float(haversine_m(la[0], lo[0], la[1], lo[1])))
        if ctx.straight_in_water(fake_a, fake_b) and ctx.covered(*fake_a):
            return fake_a, fake_b
    return None


def _teleport(ctx: ScenarioContext, p: dict[str, float]) -> None:
    rng = ctx.rng
    spoof_min = p["spoof_min"]
    # a passage whose spoofed leg finds no covered water at the jump distance (hemmed in by
    # a coast) is drawn again (tuning seed 202 hit one)
    for _ in range(20):
        hull_m, t_jump, t_back = _voyage(ctx, p, spoof_min)
        la, lo = hull_m.position_at(np.asarray([t_jump, t_back]))
        leg = _fake_leg(ctx, p, la, lo)
        if leg is not None:
            break
    else:
        raise GeoError("no water for the spoofed track of the teleport scenario")
    fake_a, fake_b = leg
    fake = MovementBuilder(t_jump, *fake_a)
    fake.sail(np.asarray([fake_b]), max(0.5, float(haversine_m(*fake_a, *fake_b)) / max(
        t_back - t_jump, 60.0) / KN_TO_MS))
    mmsi = ctx.foreign_mmsi()
    static = make_static("cargo", 960 + len(ctx.behaviours), rng)
    hull_in_run = ctx.add(mmsi, "cargo", "A", static, hull_m)
    ctx.add(mmsi, "cargo", "A", static, fake.build(), physical=False)
    # the hull sails on dark while its AIS is elsewhere: radar sees it there
    dark_part = hull_in_run.clipped(t_jump, t_back)
    targets = (
        (radar_track(f"{NAME}-{len(ctx.behaviours) + 1}-hull", dark_part, static.length_m),)
        if dark_part is not None else ()
    )
    ctx.behaviour(
        NAME, (mmsi,), t_jump, t_back, float(la[0]), float(lo[0]),
        {**{k: p[k] for k in ("speed_kn", "jump_km", "spoof_min")}, "kind": "teleport"},
        radar_targets=targets,
    )


def _clash(ctx: ScenarioContext, p: dict[str, float]) -> None:
    rng = ctx.rng
    dur = p["clash_h"] * 3600.0
    t_start, dur = ctx.window(dur)
    victims = [
        v for v in ctx.traffic.vessels
        if v.kind in ("ferry", "tanker", "cargo", "transit") and v.transmits
        and v.movement.start_s <= t_start and v.movement.end_s >= t_start + dur
    ]
    candidates = []
    for v in victims:
        lat, lon = v.movement.position_at(np.asarray([t_start]))
        if ctx.covered(float(lat[0]), float(lon[0])):
            candidates.append((v, float(lat[0]), float(lon[0])))
    if not candidates:
        raise GeoError("no vessel of the traffic to clash MMSIs with; simulate more hours")
    first = int(rng.integers(0, len(candidates)))
    victim, vlat, vlon = candidates[first]
    a = _clash_point(ctx, vlat, vlon, p["clash_km"])
    if a is None:
        # that victim is where no covered water lies at the clash distance (off a coast out
        # of AIS reach): try the others, in random order (evaluation seed 103 hit this)
        for i in rng.permutation(len(candidates)).tolist():
            if i == first:
                continue
            a = _clash_point(ctx, candidates[i][1], candidates[i][2], p["clash_km"])
            if a is not None:
                victim = candidates[i][0]
                break
        else:
            raise GeoError("no covered water point for the MMSI clash near any vessel")
    b_pt = ctx.point_near(a[0], a[1], 15000.0, 25000.0)
    route = ctx.world.route(a, b_pt)
    b = ctx.begin((float(route[0, 0]), float(route[0, 1])), t_start, 10.0)
    b.sail(route, max(1.0, route_length_m(route) / dur / KN_TO_MS))
    t_clash_end = b.t_s
    ctx.finish(b, 10.0)
    # one hull, two identities: its own MMSI before and after, the victim's during the clash
    m = b.build()
    own = ctx.foreign_mmsi()
    static = make_static("cargo", 970 + len(ctx.behaviours), rng)
    own_b = _copy_with_ais(m, t_start, t_clash_end, inside=False)
    clash_b = _copy_with_ais(m, t_start, t_clash_end, inside=True)
    ctx.add(own, "cargo", "A", static, own_b)
    ctx.add(victim.mmsi, "cargo", "A", static, clash_b, physical=False)
    ctx.behaviour(
        NAME, (victim.mmsi, own), t_start, t_start + dur, a[0], a[1],
        {"clash_km": p["clash_km"], "clash_h": dur / 3600.0, "kind": "mmsi_clash",
         "victim_kind": victim.kind},
    )


def _clash_point(
    ctx: ScenarioContext, lat: float, lon: float, clash_km: float
) -> tuple[float, float] | None:
    """A water point inside AIS coverage ~``clash_km`` from (lat, lon), or None."""
    for _ in range(300):
        try:
            a = ctx.point_near(lat, lon, clash_km * 900, clash_km * 1000)
        except GeoError:
            return None
        if ctx.covered(*a):
            return a
    return None


def _copy_with_ais(m: Movement, a_s: float, b_s: float, inside: bool) -> Movement:
    """The same movement with AIS on only inside (or only outside) [a, b]."""
    b = MovementBuilder.from_movement(m)
    b.set_ais(-np.inf, np.inf, on=not inside)
    b.set_ais(a_s, b_s, on=inside)
    return b.build()


def plant(ctx: ScenarioContext) -> None:
    """Plant a teleport and an MMSI clash (parameters drawn from :data:`RANGES`)."""
    p = {k: float(ctx.rng.uniform(*v)) for k, v in RANGES.items()}
    _teleport(ctx, p)
    _clash(ctx, p)
