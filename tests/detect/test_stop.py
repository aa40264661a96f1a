"""``stop``: the kernel against a fix-by-fix reading of the definition, batch against
live-sized steps, and against MovingPandas on the real Suez anchorages (evergiven)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from pydantic import ValidationError
from tests.alerts.builders import STRANGER, WATCHED, context
from tests.alerts.builders import event as alert_event

from khazar.alerts import alerts_for_events
from khazar.config import DetectSettings
from khazar.detect import DetectGeography, Detections, Engine, merge_updates
from khazar.detect.stop import StopDetector, segment_diameter_m
from khazar.domain import Event
from khazar.tracks import Fixes

from .builders import T0, Track, at

S = DetectSettings()
GEO = DetectGeography()


def stops(fx: Fixes, settings: DetectSettings = S, step_s: float | None = None) -> list[Event]:
    """The stop events of ``fixes`` through the engine (tracker + the stop kernel), in one
    step (batch) or in steps of ``step_s`` (live-sized); latest version of each."""
    eng = Engine(settings, GEO, [StopDetector(settings, GEO)])
    end = float(np.nextafter(fx.t_s.max(), np.inf))
    out: list[Event] = []
    if step_s is None:
        out = eng.step(fx, Detections.empty(), end, final=True)
    else:
        cuts = np.arange(fx.t_s.min() + step_s, end, step_s)
        lo = -np.inf
        for wm in [*cuts.tolist(), end]:
            part = fx.take(np.flatnonzero((fx.t_s >= lo) & (fx.t_s < wm)))
            out += eng.step(part, Detections.empty(), wm, final=wm == end)
            lo = wm
    return sorted(merge_updates(out).values(), key=lambda e: (e.mmsi or 0, e.start))


def reference(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, d_m: float,
              min_s: float) -> list[tuple[float, float]]:
    """The definition read fix by fix (quadratic; the module docstring's words)."""
    out: list[tuple[float, float]] = []
    seg: list[int] = []
    stopped = False
    for k in range(t.size):
        seg.append(k)
        if not stopped:
            while len(seg) > 2 and t[k] - t[seg[0]] >= min_s:
                seg.pop(0)
        was, stopped = stopped, (len(seg) > 1
                                 and segment_diameter_m(lat[seg], lon[seg]) < d_m)
        if was and not stopped and t[seg[-2]] - t[seg[0]] >= min_s:
            out.append((float(t[seg[0]]), float(t[seg[-2]])))
            seg = [k]
    if stopped and t[seg[-1]] - t[seg[0]] >= min_s:
        out.append((float(t[seg[0]]), float(t[seg[-1]])))
    return out


# --------------------------------------------------------------------------- built tracks
def test_a_ship_at_anchor_for_two_hours_is_one_stop_centred_on_the_anchorage() -> None:
    tr = Track(273000001).leg(30, 10).leg(120, 0)
    anchor_x, anchor_t = tr.x, T0 + tr.t
    tr.leg(30, 10)
    [ev] = stops(tr.fixes())
    assert ev.type == "stop" and ev.mmsi == 273000001 and not ev.open
    # the last kilometre of the approach fits in the circle with the anchorage
    start = ev.start.timestamp()
    assert anchor_t - 120 * 60 - 200 <= start <= anchor_t - 120 * 60
    assert abs(ev.end.timestamp() - anchor_t) <= 10
    lat, lon = at(anchor_x, 0.0)
    assert abs(ev.lat - lat) < 1e-4 and abs(ev.lon - lon) < 2e-3
    assert ev.evidence["diameter_m"] < S.stop_diameter_m
    assert ev.evidence["duration_h"] == pytest.approx(2.05, abs=0.06)


def test_a_stay_shorter_than_the_minimum_is_no_stop_and_the_minimum_is_a_setting() -> None:
    fx = Track(273000002).leg(30, 10).leg(50, 0).leg(30, 10).fixes()
    assert stops(fx) == []
    assert len(stops(fx, S.model_copy(update={"stop_min_h": 0.5}))) == 1


def test_a_stop_still_going_on_at_the_end_of_the_data_is_open() -> None:
    [ev] = stops(Track(273000003).leg(30, 10).leg(90, 0).fixes())
    assert ev.open and ev.evidence["duration_h"] >= 1.0


def test_a_slow_drift_cuts_into_stops_as_the_definition_does() -> None:
    # 0.3 kn = 556 m/h, zigzagging: stops of under two hours one after another
    tr = Track(273000004, every_s=60.0)
    for k in range(12):
        tr.leg(30, 0.3, 90.0 if k % 3 else 30.0)
    fx = tr.fixes()
    got = [(e.start.timestamp(), e.end.timestamp()) for e in stops(fx)]
    assert len(got) >= 2
    assert got == reference(fx.t_s, fx.lat, fx.lon, S.stop_diameter_m, S.stop_min_h * 3600)


def test_settings_are_validated() -> None:
    for bad in ({"stop_diameter_m": 0}, {"stop_diameter_m": -5}, {"stop_min_h": 0},
                {"stop_min_h": 1000}):
        with pytest.raises(ValidationError, match="stop_"):
            DetectSettings(**bad)  # type: ignore[arg-type]


def test_a_long_stay_keeps_no_fixes_and_a_slow_drift_at_most_an_hour_of_them() -> None:
    det = StopDetector(S, GEO)
    eng = Engine(S, GEO, [det])
    tr = Track(273000005).leg(20, 10)
    for k in range(3 * 24):  # 3 days swinging at anchor
        tr.leg(30, 0.2, 45.0 + 180.0 * (k % 2)).leg(30, 0.2, 135.0 + 180.0 * (k % 2))
    tr.leg(6 * 60, 0.4, 90.0)  # then 6 h drifting out of it: 740 m/h
    fx = tr.fixes()
    carried: list[int] = []
    for wm in np.arange(fx.t_s.min() + 600, fx.t_s.max() + 601, 600):
        eng.step(fx.take(np.flatnonzero((fx.t_s >= wm - 600) & (fx.t_s < wm))),
                 Detections.empty(), float(wm))
        carried.append(max(ks.t.size for ks in eng.states[0].values()))
    per_hour = 3600 / tr.every_s
    assert max(carried[10:3 * 24 * 6]) == 0  # the stay is a summary, not its fixes
    assert max(carried) <= per_hour + 2


def test_stops_raise_no_alert_not_even_for_a_watchlisted_vessel() -> None:
    ctx = context()
    evs = [alert_event("stop", STRANGER, duration_min=300),
           alert_event("stop", WATCHED, duration_min=300)]
    assert alerts_for_events(evs, ctx) == []
    # the same vessel is raised for what the watchlist rule covers
    assert alerts_for_events([alert_event("port_visit", WATCHED, duration_min=300)], ctx)


# --------------------------------------------------------------------------- real ships
@pytest.fixture(scope="module")
def evergiven() -> Fixes:
    from bench.bench_stops import load_evergiven

    return load_evergiven()


def test_evergiven_kernel_equals_the_definition_read_fix_by_fix(evergiven: Fixes) -> None:
    from khazar.detect.engine import track_params
    from khazar.tracks import TrackerState, track

    tr = track(TrackerState(), evergiven, track_params(S))
    fx = tr.fixes
    want: list[tuple[int, float, float]] = []
    cuts = np.flatnonzero((np.diff(fx.mmsi) != 0) | (np.diff(tr.seg) != 0)) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(fx)], strict=True):
        want += [(int(fx.mmsi[a]), s, e) for s, e in reference(
            fx.t_s[a:b], fx.lat[a:b], fx.lon[a:b], S.stop_diameter_m, S.stop_min_h * 3600)]
    got = [(e.mmsi, e.start.timestamp(), e.end.timestamp()) for e in stops(evergiven)]
    assert len(got) > 150  # the anchorages of Port Said, the Bitter Lakes and Suez
    assert sorted(got) == sorted(want)


def test_evergiven_live_sized_steps_give_the_batch_stops(evergiven: Fixes) -> None:
    batch = stops(evergiven)
    for step_s in (600.0, 5400.0):
        live = stops(evergiven, step_s=step_s)
        assert [(e.id, e.end, e.lat, e.lon, e.open, e.evidence) for e in live] == [
            (e.id, e.end, e.lat, e.lon, e.open, e.evidence) for e in batch]


def test_evergiven_stops_agree_with_movingpandas(evergiven: Fixes) -> None:
    pytest.importorskip("movingpandas")
    from bench.bench_stops import found_share, khazar_stops, movingpandas_stops

    started = time.perf_counter()
    ours = khazar_stops(evergiven, S)
    theirs = movingpandas_stops(evergiven, 1000.0, 1.0)
    assert time.perf_counter() - started < 30
    assert len(theirs) > 150
    assert found_share(ours, theirs) >= 0.95
    assert found_share(theirs, ours) >= 0.95
    assert abs(len(ours) - len(theirs)) <= 0.05 * len(theirs)
