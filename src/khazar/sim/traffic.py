"""Normal Caspian traffic, calibrated from ``traffic_facts.md`` (sources in docs/simulator.md).

Per day of simulation (``density`` = 1):

==========================  =====  =============================================================
kind                        count  behaviour
==========================  =====  =============================================================
rail/Ro-Ro ferries            14   Alat ↔ Aktau (5), Kuryk (4), Turkmenbashi (5) at 12–14 kn, 6–12 h
                                   in port; slow to 7 → 4 kn over the last 12 km into Alat
tankers                       16   Aktau, Turkmenbashi, Makhachkala ↔ Sangachal / Baku, 10–12 kn
dry cargo / feeders           10   Aktau, Kuryk, Turkmenbashi ↔ Alat
transits                      44   Makhachkala / Olya ↔ Anzali / Amirabad, along the AZ coast
supply and crew boats         28   the registry's boats: base → platforms of their group, idle
                                   1–4 h at a platform, next platform or back
fishing boats                130   from 9 AZ harbours to grounds 5–25 km out, fish at 1–2.5 kn
                                   for hours with a drifting spell (70 % class B)
own patrol boats              12   the configured fleet: one 6–10 h patrol from the home base
ships at anchor off Baku      10   at anchor the whole time (swinging)
tugs and harbour craft        20   short hops around Baku, Sangachal and Alat
pleasure craft (class B)      15   daytime trips in Baku bay
==========================  =====  =============================================================

≈ 300 vessels in any 24 h (more with ``density`` > 1). Look-alikes are recorded as they are
generated: every ferry arrival into Alat, every supply-boat idle at a platform of ≥ 1 h, every
fishing boat's drifting spell, every ship at anchor off Baku; and, because a detector may take
them for loitering, encounters or speed drops, the fishing boats moored together in their
harbours and the tugs and harbour craft working around Baku, Sangachal and Alat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from khazar.sim.geometry import cut_route, destination, route_length_m
from khazar.sim.movement import (
    NAV_AT_ANCHOR,
    NAV_FISHING,
    NAV_MOORED,
    NAV_UNDER_WAY,
    Movement,
    MovementBuilder,
    Vessel,
    VesselStatic,
)
from khazar.sim.truth import LookAlike
from khazar.sim.world import World
from khazar.units import KN_TO_MS, from_epoch_s, haversine_m

__all__ = ["MmsiAllocator", "TrafficContext", "make_static", "normal_traffic"]

F64 = npt.NDArray[np.float64]

_STATIC_KINDS: dict[str, tuple[int, tuple[float, float], float, str]] = {
    # kind: (AIS ship type, length range m, beam/length, name stem)
    "ferry": (70, (150.0, 182.0), 0.13, "FERRY"),
    "tanker": (80, (115.0, 141.0), 0.13, "TANKER"),
    "cargo": (70, (100.0, 140.0), 0.13, "CARGO"),
    "transit": (70, (90.0, 140.0), 0.13, "TRADER"),
    "supply": (90, (50.0, 80.0), 0.22, "SUPPLY"),
    "crew": (90, (30.0, 45.0), 0.25, "CREW"),
    "fishing": (30, (12.0, 30.0), 0.3, "BALIQCI"),
    "patrol": (55, (30.0, 40.0), 0.2, "SBS"),
    "tug": (52, (25.0, 35.0), 0.3, "TUG"),
    "pleasure": (37, (8.0, 15.0), 0.33, "YACHT"),
    "bulk": (70, (120.0, 141.0), 0.13, "BULKER"),
    "boat": (0, (8.0, 14.0), 0.3, "BOAT"),
}


def make_static(kind: str, number: int, rng: np.random.Generator, dest: str = "") -> VesselStatic:
    """Plausible static data for a vessel of a kind (names are generic, numbered)."""
    ship_type, (lo, hi), beam_ratio, stem = _STATIC_KINDS[kind]
    length = float(rng.uniform(lo, hi))
    return VesselStatic(
        name=f"{stem} {number:03d}"[:20],
        callsign=f"4J{number:04d}"[:7],
        ship_type=ship_type,
        length_m=round(length, 0),
        beam_m=round(length * beam_ratio, 0),
        draught_m=round(min(length / 25.0, 6.5), 1),
        imo=9_000_000 + number if length > 60 else 0,
        destination=dest.upper()[:20],
    )


class MmsiAllocator:
    """Deterministic MMSIs: country prefix (MID) + a running number."""

    def __init__(self) -> None:
        self._next: dict[tuple[int, int], int] = {}

    def next(self, mid: int, block: int = 0) -> int:
        """The next MMSI ``MID`` + ``block`` (0–9) + a five-digit running number.

        Azerbaijani blocks 1 and 9 (423 1…, 423 9…) belong to the registry's service boats
        and the own fleet; the simulator never allocates from them."""
        if mid == 423 and block in (1, 9):
            raise ValueError(f"MMSI block 423{block} is reserved for the vessel registry")
        n = self._next.get((mid, block), 1)
        self._next[(mid, block)] = n + 1
        return mid * 1_000_000 + block * 100_000 + n


@dataclass
class TrafficContext:
    """What traffic generators share: the world, the window, the MMSIs, the outputs."""

    world: World
    t0_s: float
    t1_s: float
    mmsi: MmsiAllocator = field(default_factory=MmsiAllocator)
    vessels: list[Vessel] = field(default_factory=list)
    lookalikes: list[LookAlike] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=dict)

    def number(self, kind: str) -> int:
        self.counter[kind] = self.counter.get(kind, 0) + 1
        return self.counter[kind]

    def add(self, mmsi: int, kind: str, ais_class: str, static: VesselStatic, m: Movement) -> None:
        clipped = m.clipped(self.t0_s, self.t1_s)
        if clipped is not None:
            self.vessels.append(Vessel(mmsi, kind, ais_class, static, clipped))

    def lookalike(
        self, kind: str, mmsi: int | tuple[int, ...], a_s: float, b_s: float, lat: float,
        lon: float, note: str,
    ) -> None:
        """Record harmless traffic that looks like a threat (clipped to the run)."""
        if b_s <= self.t0_s or a_s >= self.t1_s:
            return
        mmsis = mmsi if isinstance(mmsi, tuple) else (mmsi,)
        n = sum(1 for la in self.lookalikes if la.kind == kind) + 1
        self.lookalikes.append(
            LookAlike(
                id=f"{kind}-{n}",
                kind=kind,
                mmsis=mmsis,
                start=from_epoch_s(max(a_s, self.t0_s)),
                end=from_epoch_s(min(b_s, self.t1_s)),
                lat=lat,
                lon=lon,
                note=note,
            )
        )


def jitter_route(
    w: World, route: F64, rng: np.random.Generator, sigma_m: float = 900.0
) -> F64:
    """Spread a voyage across its lane: interior vertices shifted by one offset of ~``sigma_m``
    per voyage (drifting a little along the route, so tracks stay straight), kept only where
    the leg stays in water."""
    if len(route) < 3:
        return route
    out = route.copy()
    offset = rng.normal(0.0, sigma_m, 2)
    for i in range(1, len(route) - 1):
        offset = offset + rng.normal(0.0, sigma_m * 0.03, 2)
        lat = route[i, 0] + offset[0] / 111_195.0
        lon = route[i, 1] + offset[1] / (111_195.0 * np.cos(np.radians(route[i, 0])))
        mid_prev = ((lat + out[i - 1, 0]) / 2, (lon + out[i - 1, 1]) / 2)
        if w.water_at(lat, lon) and w.water_at(*mid_prev) and not w.near_platform(lat, lon, 1000.0):
            out[i] = (lat, lon)
    # the last leg must stay in water too
    if not w.water_at((out[-2, 0] + out[-1, 0]) / 2, (out[-2, 1] + out[-1, 1]) / 2):
        out[-2] = route[-2]
    # the spread leg between two vertices may cut a platform's safety zone: keep off it
    return w.keep_off_platforms(out)


def berth(w: World, place: str, rng: np.random.Generator) -> tuple[float, float]:
    """A vessel's own berth: a water point 200–1200 m from a place's snapped point (vessels
    of one harbour do not all sit on the same spot)."""
    lat0, lon0 = w.place(place)
    for _ in range(40):
        p = destination(lat0, lon0, float(rng.uniform(0, 360)), float(rng.uniform(200, 1200)))
        mid = ((p[0] + lat0) / 2, (p[1] + lon0) / 2)
        if w.water_at(*p) and w.water_at(*mid):
            return p
    return lat0, lon0


def _sail_arrival(
    b: MovementBuilder, route: F64, speed_kn: float, slow_m: tuple[float, float] = (12000, 4000)
) -> None:
    """Sail a route and slow down over its last kilometres (7 kn, then 4 kn)."""
    total = route_length_m(route)
    if total <= slow_m[0] + 1000:
        b.sail(route, min(speed_kn, 6.0))
        return
    head, tail = cut_route(route, total - slow_m[0])
    mid, last = cut_route(tail, slow_m[0] - slow_m[1])
    b.sail(head, speed_kn).sail(mid, 7.0).sail(last, 4.0)


def _ferries(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    w = ctx.world
    lanes = (("aktau", 5), ("kuryk", 4), ("turkmenbashi", 5))
    for far, count in lanes:
        for _ in range(max(1, round(count * density))):
            mmsi = ctx.mmsi.next(423, 2)
            speed = float(rng.uniform(12.0, 14.0))
            out_route = w.route(w.places["alat"], w.places[far])
            back_route = out_route[::-1]
            voyage_s = route_length_m(out_route) / (speed * KN_TO_MS)
            cycle = 2 * voyage_s + 2 * 9 * 3600.0
            t = ctx.t0_s - float(rng.uniform(0.0, cycle))
            at_alat = bool(rng.random() < 0.5)
            berths = {True: berth(w, "alat", rng), False: berth(w, far, rng)}
            b = MovementBuilder(t, *berths[at_alat])
            while b.t_s < ctx.t1_s:
                b.dwell(float(rng.uniform(6, 12)) * 3600.0, NAV_MOORED, rng)
                if at_alat:
                    b.sail(jitter_route(w, out_route, rng), speed)
                    b.sail([berths[False]], 4.0)
                else:
                    start = b.t_s
                    _sail_arrival(b, jitter_route(w, back_route, rng), speed)
                    b.sail([berths[True]], 3.0)
                    end_lat, end_lon = back_route[-1]
                    ctx.lookalike(
                        "ferry_slowing_alat", mmsi, max(start, b.t_s - 2.5 * 3600), b.t_s,
                        float(end_lat), float(end_lon),
                        "ferry slows from cruise to 4 kn into Alat across the pipeline landfall",
                    )
                at_alat = not at_alat
            static = make_static("ferry", ctx.number("ferry"), rng, far)
            ctx.add(mmsi, "ferry", "A", static, b.build())


def _shuttle(
    ctx: TrafficContext,
    rng: np.random.Generator,
    kind: str,
    mid: int,
    pairs: tuple[tuple[str, str], ...],
    count: int,
    speed: tuple[float, float],
    dwell_h: tuple[float, float],
    dwell_status: int,
) -> None:
    w = ctx.world
    for k in range(count):
        a, bname = pairs[k % len(pairs)]
        mmsi = ctx.mmsi.next(mid, 3)
        sp = float(rng.uniform(*speed))
        route = w.route(w.places[a], w.places[bname])
        voyage_s = route_length_m(route) / (sp * KN_TO_MS)
        cycle = 2 * voyage_s + 2 * float(np.mean(dwell_h)) * 3600.0
        t = ctx.t0_s - float(rng.uniform(0.0, cycle))
        forward = bool(rng.random() < 0.5)
        berths = {True: berth(w, a, rng), False: berth(w, bname, rng)}
        b = MovementBuilder(t, *berths[forward])
        while b.t_s < ctx.t1_s:
            b.dwell(float(rng.uniform(*dwell_h)) * 3600.0, dwell_status, rng)
            leg = jitter_route(w, route if forward else route[::-1], rng)
            _sail_arrival(b, leg, sp, (6000.0, 2000.0))
            b.sail([berths[not forward]], 3.0)
            forward = not forward
        ctx.add(mmsi, kind, "A", make_static(kind, ctx.number(kind), rng, bname), b.build())


def _transits(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    w = ctx.world
    lanes = (("makhachkala", "anzali"), ("olya", "anzali"), ("olya", "amirabad"),
             ("makhachkala", "amirabad"))
    n = max(1, round(44 * density))
    for k in range(n):
        a, b_ = lanes[k % len(lanes)]
        if rng.random() < 0.5:
            a, b_ = b_, a
        route = w.route(w.places[a], w.places[b_])
        sp = float(rng.uniform(9.0, 12.0))
        voyage_s = route_length_m(route) / (sp * KN_TO_MS)
        t = float(rng.uniform(ctx.t0_s - voyage_s, ctx.t1_s))
        mid = (273, 422, 436, 434)[k % 4]
        mmsi = ctx.mmsi.next(mid, 4)
        route = jitter_route(w, route, rng, 2000.0)
        b = MovementBuilder(t, float(route[0, 0]), float(route[0, 1])).sail(route, sp)
        ctx.add(mmsi, "transit", "A", make_static("transit", ctx.number("transit"), rng, b_),
                b.build())


def _supply(ctx: TrafficContext, rng: np.random.Generator) -> None:
    w = ctx.world
    for group, mmsis in ctx.world.settings.registry.authorised.items():
        plats = w.platforms_of(group) or [p for p in w.platforms if p.id == group]
        if not plats:
            continue
        base = "sangachal" if group == "shah-deniz" else "baku"
        home = w.places[base]
        for j, mmsi in enumerate(mmsis):
            crew = group == "acg" and j % 4 == 0
            kind = "crew" if crew else "supply"
            sp = float(rng.uniform(20.0, 25.0) if crew else rng.uniform(10.0, 12.0))
            t = ctx.t0_s - float(rng.uniform(0.0, 12.0)) * 3600.0
            first = w.route(home, (plats[0].lat, plats[0].lon))
            b = MovementBuilder(t, float(first[0, 0]), float(first[0, 1]))
            while b.t_s < ctx.t1_s:
                b.dwell(float(rng.uniform(2.0, 8.0)) * 3600.0, NAV_MOORED, rng)
                here = b.here
                for _ in range(int(rng.integers(1, 3))):
                    p = plats[int(rng.integers(0, len(plats)))]
                    spot = destination(p.lat, p.lon, float(rng.uniform(0, 360)),
                                       float(rng.uniform(100.0, 400.0)))
                    _sail_arrival(b, w.route(here, spot), sp, (3000.0, 1000.0))
                    idle_s = float(rng.uniform(1.0, 4.0)) * 3600.0
                    a_s = b.t_s
                    b.drift(idle_s, 0.3, float(rng.uniform(0, 360)), rng, NAV_UNDER_WAY,
                            step_s=600.0, wander_deg=90.0, in_water=w.water_at)
                    ctx.lookalike("supply_idle_platform", mmsi, a_s, b.t_s, p.lat, p.lon,
                                  f"authorised {group} boat idling at {p.id}")
                    here = b.here
                b.sail(w.route(here, home), sp)
            ctx.add(mmsi, kind, "A", make_static(kind, ctx.number(kind), rng, base), b.build())


#: home harbours: each is a port of the geography (fishing harbours included), so boats
#: moored side by side there are where detection expects them
_FISHING_HOMES = ("lankaran", "neftchala", "sumqayit", "astara", "baku", "alat", "nabran",
                  "siyazan", "hovsan")


#: the anchorage off Baku where merchant ships wait (no fishing there: trawls and anchors)
_BAKU_ANCHORAGE = (40.24, 49.98)
_ANCHORAGE_RADIUS_M = 9000.0


def _off_anchorage(lat: float, lon: float, margin_m: float) -> bool:
    d_m = float(haversine_m(lat, lon, *_BAKU_ANCHORAGE))
    return d_m > _ANCHORAGE_RADIUS_M + margin_m


def _fishing_ground(
    w: World, home: tuple[float, float], rng: np.random.Generator
) -> tuple[float, float] | None:
    for _ in range(30):
        g = destination(home[0], home[1], float(rng.uniform(0, 360)),
                        float(rng.uniform(5000.0, 25000.0)))
        if (w.water_at(*g) and w.protected_distance_m(*g) > 4000.0
                and _off_anchorage(*g, 3000.0)):
            return g
    return None


def _fishing(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    w = ctx.world
    day0 = np.floor(ctx.t0_s / 86400.0) * 86400.0
    n_days = int(np.ceil((ctx.t1_s - day0) / 86400.0)) + 1
    by_home: dict[str, list[int]] = {}
    for k in range(max(1, round(130 * density))):
        home_name = _FISHING_HOMES[k % len(_FISHING_HOMES)]
        home = berth(w, home_name, rng)
        grounds = [g for g in (_fishing_ground(w, home, rng) for _ in range(2)) if g is not None]
        if not grounds:
            continue
        ais_class = "B" if rng.random() < 0.7 else "A"
        cruise_kn = float(rng.uniform(7.0, 10.0))
        mmsi = ctx.mmsi.next(423, 5)

        def fishable(lat: float, lon: float) -> bool:
            # fishing (trawling) stays out of the pipeline corridors, safety zones and the
            # anchorage
            return (w.water_at(lat, lon) and w.protected_distance_m(lat, lon) > 1000.0
                    and _off_anchorage(lat, lon, 1000.0))

        b = MovementBuilder(ctx.t0_s - 3600.0, *home)
        for day in range(n_days):
            g = grounds[int(rng.integers(0, len(grounds)))]
            depart = day0 + (day - 1) * 86400.0 + float(rng.uniform(2.0, 20.0)) * 3600.0
            if depart < b.t_s:
                continue
            if depart > ctx.t1_s:
                break
            b.wait_until(depart, NAV_MOORED, rng)
            b.sail(w.route(home, g), cruise_kn)
            b.drift(float(rng.uniform(2.0, 5.0)) * 3600.0, float(rng.uniform(1.0, 2.5)),
                    float(rng.uniform(0, 360)), rng, NAV_FISHING, in_water=fishable)
            a_s = b.t_s
            b.drift(float(rng.uniform(1.0, 2.0)) * 3600.0, float(rng.uniform(0.2, 0.8)),
                    float(rng.uniform(0, 360)), rng, NAV_FISHING, wander_deg=60.0,
                    in_water=fishable)
            lat, lon = b.here
            ctx.lookalike("fishing_drifting_coast", mmsi, a_s, b.t_s, lat, lon,
                          f"fishing boat from {home_name} drifting near the coast")
            b.drift(float(rng.uniform(0.5, 2.0)) * 3600.0, float(rng.uniform(1.0, 2.5)),
                    float(rng.uniform(0, 360)), rng, NAV_FISHING, in_water=fishable)
            b.sail(w.route(b.here, home), cruise_kn)
            b.sail([home], 3.0)
        b.wait_until(ctx.t1_s + 60.0, NAV_MOORED, rng)  # moored boats keep transmitting
        ctx.add(mmsi, "fishing", ais_class, make_static("fishing", ctx.number("fishing"), rng),
                b.build())
        by_home.setdefault(home_name, []).append(mmsi)
    for home_name, mmsis in by_home.items():
        lat, lon = w.place(home_name)
        ctx.lookalike("fishing_boats_in_harbour", tuple(mmsis), ctx.t0_s, ctx.t1_s, lat, lon,
                      f"fishing boats moored side by side in {home_name} harbour")


def _patrols(ctx: TrafficContext, rng: np.random.Generator) -> None:
    w = ctx.world
    targets = [(p.lat, p.lon) for p in w.platforms]
    targets += [tuple(pl.coords[len(pl.coords) // 2]) for pl in w.pipelines]
    targets.append(w.places["astara"])
    for boat in w.settings.fleet:
        base = (boat.base_lat, boat.base_lon)
        span_h = (ctx.t1_s - ctx.t0_s) / 3600.0
        start = ctx.t0_s + float(rng.uniform(-4.0, max(0.5, span_h - 4.0))) * 3600.0
        b = MovementBuilder(ctx.t0_s - 5 * 3600.0, *w.route(base, targets[0])[0])
        b.wait_until(start, NAV_MOORED, rng)
        here = b.here
        hours = float(rng.uniform(6.0, 10.0))
        end = b.t_s + hours * 3600.0
        while b.t_s < end:
            tgt = targets[int(rng.integers(0, len(targets)))]
            tgt = destination(tgt[0], tgt[1], float(rng.uniform(0, 360)), 1500.0)
            b.sail(w.route(here, tgt), float(rng.uniform(14.0, 18.0)))
            b.drift(float(rng.uniform(0.3, 1.0)) * 3600.0, 3.0, float(rng.uniform(0, 360)), rng,
                    in_water=w.water_at)
            here = b.here
        b.sail(w.route(here, base), boat.cruise_speed_kn)
        b.wait_until(ctx.t1_s + 60.0, NAV_MOORED, rng)
        static = VesselStatic(boat.name, f"4KSB{boat.mmsi % 100:02d}", 55, 35.0, 7.0, 2.0)
        ctx.add(boat.mmsi, "patrol", "A", static, b.build())


def _anchored(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    w = ctx.world
    centre = _BAKU_ANCHORAGE
    spots: list[tuple[float, float]] = []
    for _ in range(400):
        if len(spots) >= max(1, round(10 * density)):
            break
        p = destination(centre[0], centre[1], float(rng.uniform(0, 360)),
                        float(rng.uniform(0.0, _ANCHORAGE_RADIUS_M)))
        ok = w.in_water(np.asarray([p[0]]), np.asarray([p[1]]))[0]
        if ok and w.protected_distance_m(*p) > 3000.0 and all(
            abs(p[0] - s[0]) + abs(p[1] - s[1]) > 0.006 for s in spots
        ):
            spots.append(p)
    for p in spots:
        mmsi = ctx.mmsi.next(int(rng.choice([423, 436, 434, 273])), 6)
        b = MovementBuilder(ctx.t0_s, *p).dwell(ctx.t1_s - ctx.t0_s + 60.0, NAV_AT_ANCHOR, rng,
                                                 swing_m=60.0)
        kind = "tanker" if rng.random() < 0.5 else "cargo"
        ctx.add(mmsi, kind, "A", make_static(kind, ctx.number(kind), rng, "BAKU"), b.build())
        ctx.lookalike("anchored_off_baku", mmsi, ctx.t0_s, ctx.t1_s, p[0], p[1],
                      "merchant ship at anchor off Baku waiting for a berth")


def _harbour(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    w = ctx.world
    for kind, n, homes, ais_class, speed in (
        ("tug", 20, ("baku", "sangachal", "alat"), "A", (6.0, 10.0)),
        ("pleasure", 15, ("baku",), "B", (5.0, 15.0)),
    ):
        for k in range(max(1, round(n * density))):
            home = berth(w, homes[k % len(homes)], rng)
            mmsi = ctx.mmsi.next(423, 7)
            b = MovementBuilder(ctx.t0_s - 600.0, *home)
            here = b.here
            while b.t_s < ctx.t1_s:
                b.dwell(float(rng.uniform(1.0, 6.0)) * 3600.0, NAV_MOORED, rng)
                for _ in range(30):
                    dst = destination(here[0], here[1], float(rng.uniform(0, 360)),
                                      float(rng.uniform(2000.0, 8000.0)))
                    if w.water_at(*dst) and w.protected_distance_m(*dst) > 1500.0:
                        break
                else:
                    continue
                sp = float(rng.uniform(*speed))
                b.sail(w.route(here, dst), sp)
                b.dwell(float(rng.uniform(0.2, 1.0)) * 3600.0, NAV_UNDER_WAY, rng, swing_m=80)
                b.sail(w.route(b.here, here), sp)
            ctx.add(mmsi, kind, ais_class, make_static(kind, ctx.number(kind), rng), b.build())
            ctx.lookalike("harbour_craft_working", mmsi, ctx.t0_s, ctx.t1_s, home[0], home[1],
                          f"{kind} moored and working around {homes[k % len(homes)]}")


def normal_traffic(
    world: World, seed_seq: np.random.SeedSequence, t0_s: float, t1_s: float, density: float = 1.0
) -> TrafficContext:
    """Generate the normal traffic of [t0, t1) (each kind from its own random stream)."""
    ctx = TrafficContext(world, t0_s, t1_s)
    # spawn(10): the first nine children are the streams of before the slow-downs, so adding
    # them left every other kind's traffic as it was
    streams = [np.random.default_rng(s) for s in seed_seq.spawn(10)]
    _ferries(ctx, streams[0], density)
    tanker_pairs = (("aktau", "sangachal"), ("turkmenbashi", "sangachal"), ("makhachkala", "baku"),
                    ("aktau", "baku"), ("turkmenbashi", "baku"))
    _shuttle(ctx, streams[1], "tanker", 436, tanker_pairs, max(1, round(16 * density)),
             (10.0, 12.0), (10.0, 24.0), NAV_MOORED)
    cargo_pairs = (
        ("aktau", "alat"), ("aktau", "alat"), ("kuryk", "alat"), ("turkmenbashi", "alat")
    )
    _shuttle(ctx, streams[2], "cargo", 434, cargo_pairs, max(1, round(10 * density)),
             (11.0, 13.0), (8.0, 16.0), NAV_MOORED)
    _transits(ctx, streams[3], density)
    _supply(ctx, streams[4])
    _fishing(ctx, streams[5], density)
    _patrols(ctx, streams[6])
    _anchored(ctx, streams[7], density)
    _harbour(ctx, streams[8], density)
    _slowdowns(ctx, streams[9], density)
    return ctx



#: ships that slow down at sea for harmless reasons (issue 21): none is an anchor down.
#: kind → (count per day at density 1, what the watch officer would be told)
SLOWDOWN_KINDS: dict[str, tuple[int, str]] = {
    "squall_slowdown": (2, "ship slows to 55-70 % for 30-60 min in a squall, heading 30-60° "
                           "off its course into the sea, then resumes"),
    "pilot_boarding": (2, "ship slows to 5-6 kn for 12-20 min 6-9 km off the port for the "
                          "pilot, then berths"),
    "waiting_for_berth": (2, "ship stops 12-25 km off the port, drifting at 0.5-1.5 kn for "
                             "2-4 h, then berths"),
    "trawling": (2, "fishing boat steams at 9-10 kn, then trawls at 3-4 kn for 1-2 h"),
}
_SLOW_PORTS = ("baku", "sangachal", "alat")
#: slow-downs into port over the last 6 km, to 3 kn over the last 2 (as the shuttles)
_ARRIVE_M = (6000.0, 2000.0)


def _clear(w: World, path: F64, margin_m: float = 3000.0) -> bool:
    """Does a path keep ``margin_m`` off every corridor and safety zone (a harmless
    slow-down over a pipeline would be an anchor drag to the detector, rightly)?"""
    for i in range(len(path) - 1):
        a, b = path[i], path[i + 1]
        for f in np.linspace(0.0, 1.0, 25):
            if w.protected_distance_m(*(a + f * (b - a))) < margin_m:
                return False
    return True


def _at_time(ctx: TrafficContext, rng: np.random.Generator, route: F64, at_m: float,
             speed_kn: float) -> float:
    """A start time such that ``at_m`` along ``route`` is reached inside the run."""
    span = ctx.t1_s - ctx.t0_s
    when = float(rng.uniform(ctx.t0_s + 0.1 * span, ctx.t1_s - 0.3 * span))
    return when - at_m / (speed_kn * KN_TO_MS)


def _slowdowns(ctx: TrafficContext, rng: np.random.Generator, density: float) -> None:
    """Harmless slow-downs at sea (:data:`SLOWDOWN_KINDS`), recorded as look-alikes."""
    w = ctx.world
    days = (ctx.t1_s - ctx.t0_s) / 86_400.0
    for kind, (per_day, note) in SLOWDOWN_KINDS.items():
        for _ in range(max(1, round(per_day * days * density))):
            far = ("aktau", "turkmenbashi", "makhachkala", "kuryk")[int(rng.integers(0, 4))]
            port = _SLOW_PORTS[int(rng.integers(0, len(_SLOW_PORTS)))]
            route = w.route(w.places[far], w.places[port])
            total = route_length_m(route)
            sp = float(rng.uniform(9.0, 12.0))
            if kind == "squall_slowdown":
                at = float(rng.uniform(0.3, 0.6)) * total
                t = _at_time(ctx, rng, route, at, sp)
                head, tail = cut_route(route, at)
                b = MovementBuilder(t, float(route[0, 0]), float(route[0, 1])).sail(head, sp)
                a_s = b.t_s
                course = float(np.degrees(np.arctan2(
                    (tail[1, 1] - tail[0, 1]) * np.cos(np.radians(tail[0, 0])),
                    tail[1, 0] - tail[0, 0])))
                turn = float(rng.uniform(30.0, 60.0)) * float(rng.choice([-1.0, 1.0]))
                slow = sp * float(rng.uniform(0.55, 0.70))
                dur = float(rng.uniform(30.0, 60.0)) * 60.0
                off = destination(*b.here, course + turn, slow * KN_TO_MS * dur)
                _, rest = cut_route(tail, min(route_length_m(tail), slow * KN_TO_MS * dur))
                if not (w.water_at(*off) and _clear(w, np.asarray([b.here, off, rest[0]]))):
                    continue
                b.sail(np.asarray([off]), slow)
                _sail_arrival(b, np.concatenate((np.asarray([off]), rest)), sp, _ARRIVE_M)
                lat, lon = float(off[0]), float(off[1])
            elif kind == "pilot_boarding":
                at = total - float(rng.uniform(6000.0, 9000.0))
                t = _at_time(ctx, rng, route, at, sp)
                head, tail = cut_route(route, at)
                pilot, rest = cut_route(tail, float(rng.uniform(12.0, 20.0)) * 60.0 * 5.5
                                        * KN_TO_MS)
                if not _clear(w, pilot):  # the Sangachal lines converge on its approach
                    continue
                b = MovementBuilder(t, float(route[0, 0]), float(route[0, 1])).sail(head, sp)
                a_s = b.t_s
                b.sail(pilot, float(rng.uniform(5.0, 6.0))).sail(rest, 4.0)
                lat, lon = float(head[-1, 0]), float(head[-1, 1])
            elif kind == "waiting_for_berth":
                at = total - float(rng.uniform(12_000.0, 25_000.0))
                t = _at_time(ctx, rng, route, at, sp)
                head, tail = cut_route(route, at)
                if w.protected_distance_m(*head[-1]) < 8000.0:
                    continue
                b = MovementBuilder(t, float(route[0, 0]), float(route[0, 1])).sail(head, sp)
                a_s = b.t_s
                b.drift(float(rng.uniform(2.0, 3.0)) * 3600.0, float(rng.uniform(0.5, 1.0)),
                        float(rng.uniform(0, 360)), rng, NAV_UNDER_WAY, in_water=w.water_at)
                _sail_arrival(b, np.concatenate((np.asarray([b.here]), tail[1:])), sp, _ARRIVE_M)
                lat, lon = float(head[-1, 0]), float(head[-1, 1])
            else:  # trawling
                sp = float(rng.uniform(9.0, 10.0))
                at = float(rng.uniform(0.3, 0.6)) * total
                t = _at_time(ctx, rng, route, at, sp)
                head, tail = cut_route(route, at)
                b = MovementBuilder(t, float(route[0, 0]), float(route[0, 1])).sail(head, sp)
                a_s = b.t_s
                trawl, rest = cut_route(tail, float(rng.uniform(1.0, 2.0)) * 3600.0 * 3.5
                                        * KN_TO_MS)
                if not _clear(w, trawl):
                    continue
                b.sail(trawl, float(rng.uniform(3.0, 4.0)), status=NAV_FISHING)
                b.sail(rest, sp)
                lat, lon = float(head[-1, 0]), float(head[-1, 1])
            ship = "fishing" if kind == "trawling" else ("tanker" if rng.random() < 0.5
                                                         else "cargo")
            mmsi = ctx.mmsi.next(436 if ship == "tanker" else 434, 3) if ship != "fishing" \
                else ctx.mmsi.next(423, 5)
            dest = port.upper()
            ctx.add(mmsi, ship, "A", make_static(ship, ctx.number(ship), rng, dest), b.build())
            ctx.lookalike(kind, mmsi, a_s - 1800.0, b.t_s if kind == "pilot_boarding"
                          else a_s + 5 * 3600.0, lat, lon, note)
