"""Generated feeds for the live ≡ batch property: vessels with slow spells, encounters,
gaps, jumps, anchor drags, port calls and dark radar contacts, around one corridor and
one port. Positions in metres from (LAT0, LON0) via the builders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from khazar.detect import Detections, PortSpec, ZoneSpec
from khazar.tracks import Fixes

from .builders import T0, Track, at, box, corridor, geography

CORRIDOR_X = 20_000.0
PORT_XY = (-8_000.0, 0.0)
PLATFORM_XY = (40_000.0, 10_000.0)


def feed_geography():  # type: ignore[no-untyped-def]
    plat = ZoneSpec("plat-1-safety", "platform_safety",
                    box(PLATFORM_XY[0] - 500, PLATFORM_XY[1] - 500, PLATFORM_XY[0] + 500,
                        PLATFORM_XY[1] + 500), asset_id="plat-1", group="acg")
    plat_lat, plat_lon = at(*PORT_XY)
    port = PortSpec("port-1", float(plat_lat), float(plat_lon))
    return geography([corridor(x0=CORRIDOR_X), plat], [port])


@dataclass
class Feed:
    fixes: Fixes
    detections: Detections
    end_s: float

    def __repr__(self) -> str:
        return (f"Feed({len(self.fixes)} fixes of {len(set(self.fixes.mmsi.tolist()))} "
                f"vessels, {len(self.detections)} detections, end {self.end_s})")


@st.composite
def feeds(draw: st.DrawFn) -> Feed:
    # which scenarios appear: each with probability 0.7 from a drawn seed (Hypothesis's own
    # choices favour "simple" values, which would leave most scenarios out)
    coin = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def likely(_: st.DrawFn) -> bool:
        return bool(coin.random() < 0.7)

    every = draw(st.sampled_from([20.0, 30.0, 60.0]))
    tracks: list[Track] = []
    mmsi = 273_000_001

    def new(x: float, y: float, start_min: float) -> Track:
        nonlocal mmsi
        tr = Track(mmsi, t=start_min * 60, x=x, y=y, every_s=every)
        mmsi += 1
        tracks.append(tr)
        return tr

    # a transit ferry crossing the corridor at service speed, perhaps with a gap
    ferry = new(0, draw(st.floats(-5000, 5000)), draw(st.floats(0, 20)))
    ferry.leg(draw(st.floats(40, 80)), 12)
    if draw(st.booleans()):
        ferry.silence(draw(st.floats(65, 120)), 12)
    ferry.leg(30, 12)
    # a loiterer over the corridor, maybe going dark and coming back (same or new segment)
    if likely(draw):
        lo = new(CORRIDOR_X - 200, draw(st.floats(-3000, 3000)), draw(st.floats(0, 30)))
        lo.leg(draw(st.floats(25, 70)), draw(st.floats(0.2, 1.5)), course_deg=0)
        if draw(st.booleans()):
            lo.silence(draw(st.floats(35, 90)))
            lo.leg(draw(st.floats(10, 40)), 1.0, course_deg=180)
    # an encounter: two slow vessels side by side offshore
    if likely(draw):
        y = draw(st.floats(20_000, 30_000))
        start = draw(st.floats(0, 40))
        minutes = draw(st.floats(20, 70))
        a = new(30_000, y, start).leg(minutes, 0.8)
        b = new(30_000 + draw(st.floats(50, 450)), y, start).leg(minutes, 0.8)
        a.leg(20, 9)
        b.leg(20, 9, course_deg=0)
    # anchor drag: a steady 7 kn ship with status "at anchor" crossing the corridor
    if likely(draw):
        dr = new(CORRIDOR_X - 7000, draw(st.floats(-20_000, 20_000)), draw(st.floats(0, 60)))
        dr.leg(30, 7)
        dr.leg(draw(st.floats(5, 30)), draw(st.floats(5, 7)), course_deg=0,
               status=1 if likely(draw) else 0)
        dr.leg(20, 7)
    # spoofing: a teleport of one MMSI (or a second vessel on it)
    if likely(draw):
        sp = new(-20_000, -30_000, draw(st.floats(0, 60)))
        sp.leg(draw(st.floats(10, 40)), 10)
        sp.goto(sp.x + draw(st.floats(30_000, 60_000)), sp.y)
        sp.leg(draw(st.floats(5, 30)), 10)
    # a port call
    if likely(draw):
        pc = new(PORT_XY[0] + 6000, 0, draw(st.floats(0, 60)))
        pc.leg(draw(st.floats(20, 40)), 8, course_deg=270).leg(draw(st.floats(10, 60)), 0.1)
        pc.leg(draw(st.floats(0, 30)), 8, course_deg=90)
    # an unauthorised safety-zone entry
    if likely(draw):
        z = new(PLATFORM_XY[0] - 3000, PLATFORM_XY[1], draw(st.floats(0, 60)))
        z.leg(draw(st.floats(15, 40)), 6)
    fixes = Fixes.concat(t.fixes() for t in tracks if t.rows)
    end_s = float(fixes.t_s.max())
    # radar: one contact near the ferry (matched), maybe a dark boat track
    dt, dla, dlo, dlen = [], [], [], []
    if ferry.rows:
        r = ferry.rows[len(ferry.rows) // 2]
        la, lo_ = at(r[1] + 200, r[2])
        dt.append(T0 + r[0])
        dla.append(float(la))
        dlo.append(float(lo_))
        dlen.append(80.0)
    if likely(draw):
        t_dark = draw(st.floats(0, 90)) * 60
        # the echo count from the coin too: Hypothesis favours small integers and the literals
        # of the modules loaded (its constant pool), which made the presence of dark tracks
        # depend on unrelated source edits
        for k in range(int(coin.integers(1, 9))):
            la, lo_ = at(-15_000 + k * 400, 15_000)
            dt.append(T0 + t_dark + k * 60)
            dla.append(float(la))
            dlo.append(float(lo_))
            dlen.append(12.0)
    dets = Detections(np.array(dt), np.array(dla), np.array(dlo), np.array(dlen),
                      np.array(["radar"] * len(dt)))
    if len(dets):
        end_s = max(end_s, float(dets.t_s.max()))
    return Feed(fixes, dets, end_s)
