"""Fast paths of the tracker keep its results: ordering, one-pass tracking, chunking."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.detect.builders import Track

from khazar.tracks import Fixes, TrackedFixes, TrackerState, TrackParams, track
from khazar.tracks.fixes import canonical_order, mmsi_time_order

P = TrackParams()


@st.composite
def messy_fixes(draw: st.DrawFn) -> Fixes:
    """Few MMSIs, coarse times (many exact ties), coarse positions (ties and jumps)."""
    n = draw(st.integers(0, 60))
    ints = st.lists(st.integers(0, 5), min_size=n, max_size=n)
    mmsi = 273_000_000 + np.asarray(draw(ints), np.int64) % 3
    t = 1_767_225_600.0 + 600.0 * np.asarray(draw(ints), float)
    lat = 40.0 + 0.3 * np.asarray(draw(ints), float)
    lon = 50.0 + 0.001 * np.asarray(draw(ints), float)
    return Fixes.from_arrays(mmsi, t, lat, lon, np.full(n, 5.0))


@settings(max_examples=100, deadline=None)
@given(fx=messy_fixes())
def test_order_is_the_lexicographic_one(fx: Fixes) -> None:
    want = np.lexsort((fx.lon, fx.lat, fx.t_s, fx.mmsi))
    assert np.array_equal(canonical_order(fx), want)
    assert np.array_equal(mmsi_time_order(fx.mmsi, fx.t_s), np.lexsort((fx.t_s, fx.mmsi)))
    srt = fx.take(want)
    assert np.array_equal(canonical_order(srt), np.arange(len(fx)))


def _columns(tr: TrackedFixes) -> list[np.ndarray]:  # type: ignore[type-arg]
    fx = tr.fixes
    return [fx.mmsi, fx.t_s, fx.lat, fx.lon, tr.seg, tr.new_seg, tr.jump, tr.multi, tr.dt_s,
            tr.dist_m, tr.implied_kn, tr.course_deg, tr.speed_kn, tr.jump_kn]


def _same(a: TrackedFixes, b: TrackedFixes) -> None:
    for x, y in zip(_columns(a), _columns(b), strict=True):
        assert np.array_equal(x, y, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(fx=messy_fixes())
def test_tracking_all_mmsis_at_once_equals_tracking_each_alone(fx: Fixes) -> None:
    # jumps and shared MMSIs take the per-fix path, the others the vectorised one: mixing
    # them in one call changes nothing for any MMSI
    together = track(TrackerState(), fx, P)
    parts = [track(TrackerState(), fx.take(fx.mmsi == m), P) for m in np.unique(fx.mmsi)]
    alone = [np.concatenate(cols) for cols in zip(*map(_columns, parts), strict=True)]
    if not parts:
        return
    for x, y in zip(_columns(together), alone, strict=True):
        assert np.array_equal(x, y, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(fx=messy_fixes(), cut=st.integers(1, 5))
def test_tracking_in_time_chunks_equals_one_pass(fx: Fixes, cut: int) -> None:
    one = track(TrackerState(), fx, P)
    state = TrackerState()
    wm = 1_767_225_600.0 + 600.0 * cut
    first = track(state, fx.take(fx.t_s < wm), P)
    second = track(state, fx.take(fx.t_s >= wm), P)
    both = [np.concatenate(ab) for ab in zip(_columns(first), _columns(second), strict=True)]
    order = np.lexsort((both[1], both[4], both[0]))  # (mmsi, segment, time)
    for x, y in zip(_columns(one), both, strict=True):
        assert np.array_equal(x, y[order], equal_nan=True)


def test_interleaved_sub_tracks_come_out_segment_by_segment() -> None:
    a = Track(273000001, every_s=30).leg(60, 10, course_deg=90)
    b = Track(273000001, every_s=30, t=15, y=50_000).leg(60, 10, course_deg=270)
    c = Track(273000002, every_s=20).leg(30, 8)
    out = track(TrackerState(), Fixes.concat([c.fixes(), a.fixes(), b.fixes()]), P)
    key = np.lexsort((out.fixes.t_s, out.seg, out.fixes.mmsi))
    assert np.array_equal(key, np.arange(len(out)))
    assert len(np.unique(out.seg[out.fixes.mmsi == 273000001])) == 2
    assert not out.jump[out.fixes.mmsi == 273000002].any()
