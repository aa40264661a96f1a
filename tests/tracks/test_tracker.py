"""Tracker: sorting, de-duplication, splits on silence and jumps, shared MMSIs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.detect.builders import Track

from khazar.tracks import Fixes, TrackerState, TrackParams, track

P = TrackParams()


def test_sorts_and_drops_exact_duplicates() -> None:
    fx = Track(273000001).leg(10, 10).fixes()
    shuffled = Fixes.concat([fx, fx.take(np.arange(0, len(fx), 3))])
    perm = np.random.default_rng(1).permutation(len(shuffled))
    out = track(TrackerState(), shuffled.take(perm), P)
    assert len(out) == len(fx)
    assert np.all(np.diff(out.fixes.t_s) > 0)
    assert out.new_seg.sum() == 1


def test_long_silence_starts_a_new_segment_without_a_jump() -> None:
    tr = Track(273000001).leg(30, 10).silence(7 * 60, 10).leg(30, 10)
    out = track(TrackerState(), tr.fixes(), P)
    assert out.new_seg.sum() == 2
    assert not out.jump.any()
    assert len(np.unique(out.seg)) == 2


def test_vessel_reappearing_after_a_short_gap_keeps_its_segment() -> None:
    tr = Track(273000001).leg(30, 10).silence(90, 10).leg(30, 10)
    out = track(TrackerState(), tr.fixes(), P)
    assert out.new_seg.sum() == 1
    gap = np.nanmax(out.dt_s)
    assert 89 * 60 < gap < 91 * 60
    assert abs(np.nanmax(out.implied_kn[out.dt_s > 3600]) - 10) < 0.5


def test_two_vessels_sharing_one_mmsi_are_kept_apart() -> None:
    a = Track(273000001, every_s=30).leg(60, 10, course_deg=90)
    b = Track(273000001, every_s=30, t=15, y=50_000).leg(60, 10, course_deg=270)
    out = track(TrackerState(), Fixes.concat([a.fixes(), b.fixes()]), P)
    assert len(np.unique(out.seg)) == 2
    for s in np.unique(out.seg):
        sel = out.seg == s
        assert sel.sum() == 120  # every fix on its own vessel's sub-track
        assert np.nanmax(out.implied_kn[sel]) < 11
    assert out.jump.sum() == 1 and out.multi.any()


def test_single_glitch_is_a_jump_and_the_track_continues() -> None:
    tr = Track(273000001).leg(10, 10)
    tr.rows.append((tr.t + 10, tr.x + 80_000, tr.y, 10, 90, 0))
    tr.t += 10
    tr.leg(10, 10)
    out = track(TrackerState(), tr.fixes(), P)
    assert out.jump.sum() == 1
    main = out.seg == out.seg[0]
    assert main.sum() == len(out) - 1


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(1, 238), gap_min=st.sampled_from([0, 30, 400]))
def test_chunking_does_not_change_tracks(cut: int, gap_min: int) -> None:
    """Splitting keeps every point and gives the same segments as one pass."""
    tr = Track(273000001, every_s=30).leg(60, 10).silence(gap_min, 10).leg(60, 10)
    fx = tr.fixes()
    whole = track(TrackerState(), fx, P)
    st_ = TrackerState()
    first = track(st_, fx.take(np.arange(cut)), P)
    second = track(st_, fx.take(np.arange(cut, len(fx))), P)
    assert len(first) + len(second) == len(fx)
    assert np.array_equal(np.concatenate((first.seg, second.seg)), whole.seg)
    assert np.allclose(np.concatenate((first.implied_kn, second.implied_kn)), whole.implied_kn,
                       equal_nan=True)


def test_state_is_forgotten_after_the_split_gap() -> None:
    state = TrackerState()
    track(state, Track(273000001).leg(10, 10).fixes(), P)
    assert state.size() == 1
    state.expire(1e12, P)
    assert state.size() == 0 and not state.vessels
