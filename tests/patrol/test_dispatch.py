"""Dispatch: intercept geometry, motion estimation, recommendation, boat status in the store."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from khazar.config import load_settings
from khazar.domain.fleet import BoatState
from khazar.errors import InputError
from khazar.patrol.dispatch import (
    MAX_EXTRAPOLATE_S,
    TargetMotion,
    estimate_motion,
    intercept_time_s,
    plan_dispatch,
    stop_at_shore,
)
from khazar.store import open_store
from khazar.store.fleet import fleet_status, set_boat_status
from khazar.units import KN_TO_MS, haversine_m

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-0.3, 0.3), st.floats(-0.3, 0.3), st.floats(0, 25), st.floats(0, 360),
    st.floats(26, 40),
)
@example(0.0, 0.25, 23.0, 28.0, 26.0)  # a two-hour chase: the flat plane was 209 m out
def test_intercept_meets_the_moving_target(dlat: float, dlon: float, tgt_kn: float,
                                           heading: float, boat_kn: float) -> None:
    v = tgt_kn * KN_TO_MS
    target = TargetMotion(T0, 40.0 + dlat, 50.0 + dlon, v * math.sin(math.radians(heading)),
                          v * math.cos(math.radians(heading)))
    t = intercept_time_s(40.0, 50.0, boat_kn, target)
    assert t is not None  # a faster boat always catches a slower target
    lat, lon = target.position(t)
    reach = boat_kn * KN_TO_MS * t
    assert float(haversine_m(40.0, 50.0, lat, lon)) == pytest.approx(reach, abs=1.0)


def test_faster_target_running_away_cannot_be_caught() -> None:
    target = TargetMotion(T0, 40.1, 50.0, 0.0, 30 * KN_TO_MS)  # north at 30 kn, 6 nm ahead
    assert intercept_time_s(40.0, 50.0, 20.0, target) is None


def test_motion_estimated_from_track() -> None:
    # 12 kn due east, one fix every 2 min
    v = 12 * KN_TO_MS
    fixes = []
    for i in range(6):
        dx = v * 120 * i
        fixes.append((T0 + timedelta(minutes=2 * i), 40.0,
                      50.0 + math.degrees(dx / (6_371_008.8 * math.cos(math.radians(40.0))))))
    m = estimate_motion(fixes, T0 + timedelta(minutes=20))
    assert m.speed_kn == pytest.approx(12.0, rel=1e-3)
    assert m.v_north_ms == pytest.approx(0.0, abs=1e-3)
    assert m.lon > fixes[-1][2]  # extrapolated ten minutes on


def _eastward_fixes(kn: float) -> list[tuple[datetime, float, float]]:
    v = kn * KN_TO_MS
    return [(T0 + timedelta(minutes=2 * i), 40.0,
             50.0 + math.degrees(v * 120 * i / (6_371_008.8 * math.cos(math.radians(40.0)))))
            for i in range(6)]


def test_stale_track_is_extrapolated_only_so_far_and_held_still() -> None:
    fixes = _eastward_fixes(12.0)
    fresh = estimate_motion(fixes, fixes[-1][0] + timedelta(seconds=MAX_EXTRAPOLATE_S))
    stale = estimate_motion(fixes, fixes[-1][0] + timedelta(hours=6))
    assert stale.speed_kn == 0.0 and fresh.speed_kn == pytest.approx(12.0, rel=1e-3)
    assert (stale.lat, stale.lon) == pytest.approx((fresh.lat, fresh.lon), abs=1e-9)
    assert stale.since_fix_s == 6 * 3600 + 0.0
    ran = haversine_m(fixes[-1][1], fixes[-1][2], stale.lat, stale.lon)
    assert float(ran) == pytest.approx(12 * KN_TO_MS * MAX_EXTRAPOLATE_S, rel=1e-3)


def test_target_heading_ashore_stops_at_the_coast() -> None:
    coast_lon = 50.2  # water west of it, land east
    in_water = lambda lat, lon: lon < coast_lon  # noqa: E731
    # a cap long enough for the line to reach the coast (30 min at 12 kn stops short of it)
    target = estimate_motion(_eastward_fixes(12.0), T0 + timedelta(minutes=15),
                             max_extrapolate_s=3 * 3600.0)
    held = stop_at_shore(target, in_water, horizon_s=6 * 3600.0)
    assert held.speed_kn == 0.0 and not held.capped(3600.0)
    assert held.lon < coast_lon and held.lon == pytest.approx(coast_lon, abs=1e-3)
    offshore = stop_at_shore(target, lambda lat, lon: True, horizon_s=6 * 3600.0)
    assert offshore == target  # a line that stays in water is left alone
    # the recommended boat's intercept is then in water, not ashore
    plan = plan_dispatch(target, [("A", "west", 40.0, 49.5, 35.0)],
                         lambda a, b, c, d: float(haversine_m(a, b, c, d)),
                         lambda a, b, c, d: [(a, b), (c, d)], in_water=in_water)
    rec = plan.recommended
    assert rec is not None and rec.intercept_lon is not None
    assert in_water(rec.intercept_lat, rec.intercept_lon)


def test_recommendation_is_the_fastest_intercept() -> None:
    target = TargetMotion(T0, 40.0, 50.5)
    boats = [("far", "X", 40.0, 49.5, 32.0), ("near", "Y", 40.0, 50.3, 20.0)]

    def dist(a: float, b: float, c: float, d: float) -> float:
        return float(haversine_m(a, b, c, d))

    plan = plan_dispatch(target, boats, dist, lambda a, b, c, d: [(a, b), (c, d)])
    assert plan.recommended is not None and plan.recommended.boat == "near"
    assert plan.recommended.course_deg == pytest.approx(90.0, abs=0.5)
    assert plan.options[1].eta_s is not None
    assert plan.options[1].eta_s > plan.options[0].eta_s  # type: ignore[operator]


def test_boat_status_round_trip(tmp_path: Path) -> None:
    fleet = load_settings().fleet
    with open_store(tmp_path / "k.duckdb") as store:
        assert {s.status for s in fleet_status(store, fleet)} == {BoatState.available}
        set_boat_status(store, fleet, "SBS-03", BoatState.maintenance, "engine", T0)
        set_boat_status(store, fleet, "SBS-03", BoatState.dispatched, "alert x", T0)
        st3 = next(s for s in fleet_status(store, fleet) if s.boat == "SBS-03")
        assert st3.status is BoatState.dispatched and st3.detail == "alert x"
        with pytest.raises(InputError, match="SBS-99"):
            set_boat_status(store, fleet, "SBS-99", BoatState.available, None, T0)


def test_intercept_extrapolation_is_capped_and_says_so() -> None:
    """The target's course is followed at most the cap past its last fix, to the decision
    time and on to the intercept point: a boat that cannot meet it within the cap is sent
    to where the course was cut off, and the option says capped."""
    fixes = _eastward_fixes(12.0)
    cap_s = 600.0
    now = fixes[-1][0] + timedelta(minutes=2)  # 2 min past the last fix: 8 min of course left
    target = estimate_motion(fixes, now, max_extrapolate_s=cap_s)
    assert target.horizon_s == pytest.approx(480.0) and target.cap_s == cap_s
    held_at = target.position(480.0)
    assert target.position(5000.0) == held_at  # never followed past the cap
    straight = lambda a, b, c, d: float(haversine_m(a, b, c, d))  # noqa: E731
    plan = plan_dispatch(target, [
        ("near", "x", 40.0, target.lon + 0.02, 30.0),  # just ahead: met on its course
        ("far", "y", 40.0, 49.0, 30.0),  # ~100 km west: long after the cap
        ("slow", "z", 40.0, 49.0, 8.0),  # slower than the target: only its held point
    ], straight, lambda a, b, c, d: [(a, b), (c, d)])
    by = {o.boat: o for o in plan.options}
    near, far, slow = by["near"], by["far"], by["slow"]
    assert not near.capped and near.eta_s is not None and near.eta_s < 480.0
    assert near.extrapolated_s == pytest.approx(120.0 + near.eta_s, abs=1.0)
    for o in (far, slow):
        assert o.capped and o.eta_s is not None and o.eta_s > 480.0
        assert o.extrapolated_s == pytest.approx(cap_s)
        assert (o.intercept_lat, o.intercept_lon) == pytest.approx(held_at)
    # the distance run is the run to the held point: no chase along a guessed line
    assert far.distance_m == pytest.approx(straight(40.0, 49.0, *held_at), rel=1e-6)
    # without the cap (old behaviour) the far boat would chase 100 km of guessed course
    free = plan_dispatch(estimate_motion(fixes, now, max_extrapolate_s=1e9),
                         [("far", "y", 40.0, 49.0, 30.0)], straight,
                         lambda a, b, c, d: [(a, b), (c, d)])
    assert free.options[0].intercept_lon is not None
    assert free.options[0].intercept_lon > held_at[1] + 0.05
