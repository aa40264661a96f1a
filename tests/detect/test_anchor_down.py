"""``anchor_down`` (issue 21): the fall of speed at sea, decided before the corridor, and the
corridors the held course crosses; look-alikes that slow down for other reasons give none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np

from khazar.detect import DetectGeography, LiveDetector, PortSpec, detect_batch
from khazar.detect.anchor_down import project_course
from khazar.domain import Event
from khazar.tracks import Fixes
from khazar.units import KN_TO_MS, to_utc

from .builders import SETTINGS, Track, at, corridor, geography
from .test_detectors import of, run

# the builders' corridor lies north-south at x = 9–11 km; ships sail east (course 90)


def test_eagle_s_fall_of_speed_is_said_long_before_the_corridor() -> None:
    # 8.5 kn for 2.5 h from x = -60 km, then 6.3 kn (heading unchanged) 22 km before the line
    tr = Track(273000001, x=-60_000).leg(150, 8.5).leg(150, 6.3)
    (down,) = of(run(tr), "anchor_down")
    ev = down.evidence
    assert ev["reasons"] == ["speed_drop"] and abs(ev["voyage_speed_kn"] - 8.5) < 0.01
    assert 0.25 <= ev["speed_drop"] <= 0.27 and ev["straightness"] > 0.99
    detected = to_utc(datetime.fromisoformat(ev["detected_at"]))
    window_s = SETTINGS.anchor_down_min_min * 60
    assert window_s <= (detected - down.start).total_seconds() <= window_s + 10  # one fix
    (first, *_) = ev["ahead"]
    assert first["zone_id"] == "corr-1" and first["on_course"] and down.asset_id == "pipe-1"
    # where it was when decided, and the corridor 9 km east of the origin
    x_det = -60_000 + (150 * 60 * 8.5 + window_s * 6.3) * KN_TO_MS
    assert abs(first["distance_km"] - (9_000 - x_det) / 1000) < 0.5
    assert abs(first["minutes"] - (9_000 - x_det) / (6.3 * KN_TO_MS) / 60) < 2
    assert ev["minutes_to_impact"] == first["minutes"] and first["minutes"] > 30


def test_at_anchor_while_moving_is_anchor_down_without_a_drop() -> None:
    tr = Track(273000001, x=-60_000).leg(60, 7.0).leg(40, 7.0, status=1)
    (down,) = of(run(tr), "anchor_down")
    assert down.evidence["reasons"] == ["status_at_anchor"]


def test_lookalikes_that_slow_down_for_other_reasons_give_none() -> None:
    # the pilot boards 4-12 km off the port (at x = -8 km): 25 min at 5 kn, heading held
    pilot = Track(273000001, x=-60_000).leg(130, 12).leg(25, 5)
    squall = Track(273000002, x=-60_000, y=4000).leg(120, 9).leg(45, 5.5, course_deg=40)
    berth = Track(273000003, x=-60_000, y=8000).leg(120, 9).leg(90, 1.0)  # waiting, drifting
    fishing = Track(273000004, x=-60_000, y=12_000).leg(120, 9)
    for k in range(8):  # trawling: slow, turning every 5 minutes
        fishing.leg(5, 3.5, course_deg=(90 + 70 * k) % 360)
    service = Track(273000005, x=-60_000, y=16_000).leg(120, 10).leg(60, 9)  # steady
    port = PortSpec("port-1", *at(-8000, 0))
    geo = geography([corridor()], [port])
    assert not of(run(pilot, squall, berth, fishing, service, geo=geo), "anchor_down")
    # the same slow-down far from the port would be one
    assert of(run(Track(273000001, x=-60_000, y=-30_000).leg(130, 12).leg(25, 5), geo=geo),
              "anchor_down")


def test_projection_with_the_spread_and_out_of_reach() -> None:
    geo: DetectGeography = geography([corridor()])
    lat, lon = at(0, -3_000)
    # heading 80° (north of east) still crosses the north-south corridor; at 1 kn for 3 h
    # it is out of reach
    (c,) = project_course(geo, lat, lon, 80.0, 6.0, 3.0, 10.0)
    assert c["on_course"] and 8.9 <= c["distance_km"] <= 9.4  # nearest over the spread
    assert project_course(geo, lat, lon, 80.0, 1.0, 3.0, 10.0) == []
    # heading 0° (along it, 9 km west) never crosses, the spread neither
    assert project_course(geo, lat, lon, 0.0, 6.0, 3.0, 10.0) == []


def test_steps_of_ten_minutes_decide_the_same_event_as_one_step() -> None:
    tracks = [Track(273000001, x=-60_000).leg(150, 8.5).leg(150, 6.3),
              Track(273000002, x=-60_000, y=5000).leg(60, 7.0).leg(40, 7.0, status=1)]
    fx = Fixes.concat(t.fixes() for t in tracks)
    geo = geography([corridor()])
    whole = of(detect_batch(fx, SETTINGS, geo, slice_s=None), "anchor_down")
    sliced = of(detect_batch(fx, SETTINGS, geo, slice_s=600.0), "anchor_down")
    assert len(whole) == 2 and sliced == whole


def each_minute(live: LiveDetector, fx: Fixes) -> Iterator[float]:
    """Push the fixes in feed-time order, a minute at a time; yields each minute's clock."""
    clock = float(fx.t_s.min())
    i = 0
    while i < len(fx):
        k = int(np.searchsorted(fx.t_s, clock, side="right"))
        if k > i:
            live.push(fixes=fx.take(np.arange(i, k)))
            i = k
        yield clock
        clock += 60.0


def test_live_says_it_at_the_decision_plus_the_lateness_window() -> None:
    fx = Track(273000001, x=-60_000).leg(150, 8.5).leg(150, 6.3).fixes()
    geo = geography([corridor()])
    (batch,) = of(detect_batch(fx, SETTINGS, geo), "anchor_down")
    live = LiveDetector(SETTINGS, geo)
    first: tuple[float, Event] | None = None
    for clock in each_minute(live, fx):
        downs = of(live.advance(clock), "anchor_down")
        if downs and first is None:
            first = (clock, downs[0])
    assert first is not None
    said_at, ev = first
    assert ev.open and ev.evidence["detected_at"] == batch.evidence["detected_at"]
    decided = datetime.fromisoformat(batch.evidence["detected_at"]).timestamp()
    # out as soon as the fix that completed the window is released: W later, one tick at most
    assert decided + SETTINGS.lateness_window_s <= said_at
    assert said_at <= decided + SETTINGS.lateness_window_s + 60.0
    assert ev.evidence["minutes_to_impact"] == batch.evidence["minutes_to_impact"]


def test_the_speculative_path_says_it_at_the_decision_itself() -> None:
    # Eagle S: the fall of speed is provisional with the fix that completes the window,
    # not W later; the committed path then says the same event
    fx = Track(273000001, x=-60_000).leg(150, 8.5).leg(150, 6.3).fixes()
    geo = geography([corridor()])
    (batch,) = of(detect_batch(fx, SETTINGS, geo), "anchor_down")
    decided = datetime.fromisoformat(batch.evidence["detected_at"]).timestamp()
    live = LiveDetector(SETTINGS, geo)
    said: list[tuple[float, Event]] = []
    committed: list[Event] = []
    for clock in each_minute(live, fx):
        up = live.tick(clock)
        said += [(clock, e) for e in of(up.provisional, "anchor_down")]
        committed += of(up.committed, "anchor_down")
    assert said, "no provisional anchor-down"
    at_s, ev = said[0]
    assert ev.id == batch.id and decided <= at_s < decided + 60.0
    assert committed and committed[0].id == batch.id
    live.finish(float(fx.t_s.max()))
    assert live.stats.withdrawn == 0
    # the ship at steady speed is never speculated (nothing in it is hot)
    steady = LiveDetector(SETTINGS, geo)
    steady.push(fixes=Track(273000002, x=-60_000).leg(150, 8.5).fixes())
    assert steady.speculate(float(fx.t_s.max())) == [] and steady.stats.speculated == 0
