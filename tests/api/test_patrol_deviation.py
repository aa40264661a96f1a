"""Deviation from the patrol plan: the pure comparison and ``/api/patrols/deviation``
against a real server whose store holds boats on plan, off it and late."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.api.feed import position_lines

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.errors import InputError
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.patrol.deviation import (
    DeviationStatus,
    PlannedRoute,
    PlanPhase,
    deviation,
    planned_position,
    track_offsets_m,
)
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.ingest import IngestRepo
from khazar.units import M_PER_NM, haversine_m

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
NM_PER_DEG_LAT = 60.0


def route(boat: str, pts: list[tuple[float, float]], minutes: list[float]) -> PlannedRoute:
    """A planned route from (lat, lon) vertices and minutes after T0."""
    return PlannedRoute(boat, tuple(p[0] for p in pts), tuple(p[1] for p in pts),
                        tuple(T0.timestamp() + 60 * m for m in minutes))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# an out-and-back leg at sea south of Absheron: 40.05 N, 50.00 E → 50.40 E in 60 min and back
OUT_BACK = route("SBS-01", [(40.05, 50.0), (40.05, 50.4), (40.05, 50.0)], [0, 60, 120])
THRESHOLD_M = 2 * M_PER_NM


def test_on_plan_fix_has_no_offset() -> None:
    lat, lon, phase = planned_position(OUT_BACK, at(30))
    assert phase is PlanPhase.during
    assert (lat, lon) == pytest.approx((40.05, 50.2))
    dev = deviation(OUT_BACK, at(30), lat, lon, THRESHOLD_M)
    assert dev.position_offset_m == pytest.approx(0, abs=1)
    assert dev.cross_track_m == pytest.approx(0, abs=1)
    assert not dev.off_plan and dev.status is DeviationStatus.on_plan


def test_off_route_fix_is_flagged_with_its_distance() -> None:
    # 5 nm north of the planned position at the same time
    dev = deviation(OUT_BACK, at(30), 40.05 + 5 / NM_PER_DEG_LAT, 50.2, THRESHOLD_M)
    assert dev.off_plan and dev.status is DeviationStatus.off_route
    assert dev.position_offset_m / M_PER_NM == pytest.approx(5, rel=0.01)
    assert dev.cross_track_m / M_PER_NM == pytest.approx(5, rel=0.01)


def test_late_boat_on_the_route_is_behind_by_its_delay() -> None:
    # at minute 45 the boat is where the plan had it at minute 15: 30 min late, on the line
    lat, lon, _ = planned_position(OUT_BACK, at(15))
    dev = deviation(OUT_BACK, at(45), lat, lon, THRESHOLD_M)
    assert dev.cross_track_m == pytest.approx(0, abs=1)
    assert dev.status is DeviationStatus.behind and dev.off_plan
    assert dev.schedule_offset_s == pytest.approx(30 * 60, abs=5)
    leg_m = haversine_m(40.05, 50.0, 40.05, 50.4)
    assert dev.along_track_m == pytest.approx(-leg_m / 2, rel=0.01)


def test_the_return_leg_is_not_mistaken_for_the_outbound_one() -> None:
    # at minute 100 the boat is on the way back, where the plan has it: on plan. Matching
    # the whole route would pick the outbound leg (same place, minute 20) and say "ahead".
    lat, lon, _ = planned_position(OUT_BACK, at(100))
    dev = deviation(OUT_BACK, at(100), lat, lon, THRESHOLD_M)
    assert dev.status is DeviationStatus.on_plan
    assert dev.schedule_offset_s == pytest.approx(0, abs=5)


def test_before_and_after_the_plan() -> None:
    assert planned_position(OUT_BACK, at(-10))[2] is PlanPhase.before
    assert planned_position(OUT_BACK, at(130)) == (40.05, 50.0, PlanPhase.after)


def test_track_offsets_only_inside_the_plan() -> None:
    times = [at(-5), at(30), at(60), at(200)]
    lats = [40.05, 40.05, 40.05 + 1 / NM_PER_DEG_LAT, 40.05]
    lons = [50.0, 50.2, 50.4, 50.0]
    offsets = track_offsets_m(OUT_BACK, times, lats, lons)
    assert len(offsets) == 2
    assert offsets[0] == pytest.approx(0, abs=1)
    assert offsets[1] / M_PER_NM == pytest.approx(1, rel=0.01)


def test_bad_plan_feature_names_the_boat() -> None:
    bad = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[50, 40],
                                                                                  [50.1, 40]]},
           "properties": {"boat": "SBS-09", "times": ["2026-11-20T08:00:00Z"]}}
    with pytest.raises(InputError, match="SBS-09"):
        PlannedRoute.from_feature(bad)


coord = st.tuples(st.floats(39.5, 41.5), st.floats(49.5, 51.5))


@settings(max_examples=60, deadline=None)
@given(pts=st.lists(coord, min_size=2, max_size=6),
       gaps=st.lists(st.floats(0, 90), min_size=6, max_size=6),
       frac=st.floats(0, 1), fix=coord)
def test_cross_track_never_exceeds_the_position_offset(
    pts: list[tuple[float, float]], gaps: list[float], frac: float, fix: tuple[float, float],
) -> None:
    minutes = [sum(gaps[:i]) for i in range(len(pts))]
    r = route("SBS-01", pts, minutes)
    t = at(frac * minutes[-1])
    dev = deviation(r, t, fix[0], fix[1], THRESHOLD_M)
    # the planned position lies on the part of the route matched, so the route is never
    # farther than it; and a fix at the planned position is on plan
    assert dev.cross_track_m <= dev.position_offset_m + 0.5
    plat, plon, _ = planned_position(r, t)
    assert deviation(r, t, plat, plon, THRESHOLD_M).position_offset_m < 0.5
    assert math.isfinite(dev.schedule_offset_s) and math.isfinite(dev.along_track_m)


# --- the endpoint -------------------------------------------------------------------

ON, OFF, LATE, UNSEEN = "SBS-01", "SBS-02", "SBS-03", "SBS-04"
NOW_MIN = 50  # the boats' latest fixes, minutes after T0


def _plan_feature(boat: str, start_min: float = 0) -> dict[str, object]:
    return {"type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[lon, lat] for lat, lon in
                                         zip(OUT_BACK.lats, OUT_BACK.lons, strict=True)]},
            "properties": {"boat": boat, "base": "Baku",
                           "times": [at(start_min + m).isoformat().replace("+00:00", "Z")
                                     for m in (0, 60, 120)]}}


@pytest.fixture(scope="module")
def plan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve_plan(tmp_path_factory, 0)


@pytest.fixture(scope="module")
def later_plan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same boats and fixes, but a plan whose shift starts an hour after T0: the
    picture (minute 50) is before it."""
    yield from _serve_plan(tmp_path_factory, 60)


def _serve_plan(tmp_path_factory: pytest.TempPathFactory, start_min: float) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("deviation")
    settings_ = load_settings()
    mmsi = {b.name: b.mmsi for b in settings_.fleet}
    plan = tmp / "plan.geojson"
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _plan_feature(b, start_min) for b in (ON, OFF, LATE, UNSEEN)]}))
    lines = []
    for m in range(0, NOW_MIN + 1, 5):
        lat, lon, _ = planned_position(OUT_BACK, at(m))
        lines += position_lines(mmsi[ON], at(m), lat, lon, 21.0, 90.0)
        lines += position_lines(mmsi[OFF], at(m), lat + 4 / NM_PER_DEG_LAT, lon, 21.0, 90.0)
        lat, lon, _ = planned_position(OUT_BACK, at(max(0, m - 20)))
        lines += position_lines(mmsi[LATE], at(m), lat, lon, 21.0, 90.0)
    db = tmp / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "vera", PASSWORD, "viewer", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        ing = Ingestor(IngestRepo(store), run_source="test")
        ing.feed(RawLine(line, source="test") for line in lines)
        ing.close()
    server = KhazarServer(settings_, ServeOptions(db=db, port=0, plan_file=plan, detect=False))
    url = server.start_background()
    try:
        yield url
    finally:
        server.stop()


def _deviations(url: str, params: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/patrols/deviation").status_code == 401
        r = client.post("/api/login", json={"username": "vera", "password": PASSWORD})
        assert r.status_code == 200, r.text
        r = client.get("/api/patrols/deviation", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["threshold_nm"] == 2.0
    return {f["properties"]["boat"]: f for f in body["features"]}


def test_endpoint_boat_on_plan_off_plan_late_and_unseen(plan_server: str) -> None:
    feats = _deviations(plan_server)
    on = feats[ON]["properties"]
    assert isinstance(on, dict)
    assert on["status"] == "on_plan" and on["off_plan"] is False
    assert on["t"] == at(NOW_MIN).isoformat(timespec="seconds")
    assert float(on["position_offset_m"]) < 30  # AIS positions are 1/10000 minute
    assert float(on["max_offset_1h_m"]) < 30

    off = feats[OFF]["properties"]
    assert isinstance(off, dict)
    assert off["status"] == "off_route" and off["off_plan"] is True
    assert float(off["cross_track_m"]) / M_PER_NM == pytest.approx(4, rel=0.02)
    assert float(off["mean_offset_1h_m"]) / M_PER_NM == pytest.approx(4, rel=0.02)
    # the map draws the line planned → actual
    geom = feats[OFF]["geometry"]
    assert isinstance(geom, dict) and geom["type"] == "LineString"
    assert geom["coordinates"][0] == off["planned"] and geom["coordinates"][1] == off["actual"]

    late = feats[LATE]["properties"]
    assert isinstance(late, dict)
    assert late["status"] == "behind" and late["off_plan"] is True
    assert float(late["schedule_offset_s"]) == pytest.approx(20 * 60, abs=30)
    assert float(late["along_track_m"]) < 0

    unseen = feats[UNSEEN]["properties"]
    assert isinstance(unseen, dict) and unseen["status"] == "no_position"


def test_before_the_shift_no_boat_is_off_plan(later_plan_server: str) -> None:
    """Issue 15: the Fleet tab flagged boats OFF PLAN before the shift started. The boat
    4 nm off the route's start and the one already out on the water are not on shift."""
    feats = _deviations(later_plan_server)
    for boat in (ON, OFF, LATE, UNSEEN):
        props = feats[boat]["properties"]
        assert isinstance(props, dict)
        assert props["status"] == "not_on_shift", (boat, props["status"])
        assert props["off_plan"] in (False, None) and props["on_shift"] is False


def test_after_the_shift_no_boat_is_off_plan(plan_server: str) -> None:
    feats = _deviations(plan_server, {"datetime": at(200).isoformat().replace("+00:00", "Z")})
    for boat in (ON, OFF, LATE):
        props = feats[boat]["properties"]
        assert isinstance(props, dict)
        assert props["status"] == "not_on_shift" and props["off_plan"] is False


def test_deviation_judged_only_while_the_shift_runs() -> None:
    far = (40.05 + 5 / NM_PER_DEG_LAT, 50.0)  # 5 nm off the route's start
    before = deviation(OUT_BACK, at(-10), *far, THRESHOLD_M)
    assert before.status is DeviationStatus.not_on_shift and not before.off_plan
    during = deviation(OUT_BACK, at(10), *far, THRESHOLD_M)
    assert during.off_plan and during.status is DeviationStatus.off_route
    # a fix during the shift judged after it has ended
    after = deviation(OUT_BACK, at(10), *far, THRESHOLD_M, now=at(125))
    assert after.status is DeviationStatus.not_on_shift and not after.off_plan


def test_endpoint_as_of_an_earlier_time(plan_server: str) -> None:
    # at minute 10 the late boat was still at the base, 10 min (not 20) behind
    feats = _deviations(plan_server, {"datetime": at(10).isoformat().replace("+00:00", "Z")})
    late = feats[LATE]["properties"]
    assert isinstance(late, dict)
    assert late["t"] == at(10).isoformat(timespec="seconds")
    assert float(late["schedule_offset_s"]) == pytest.approx(10 * 60, abs=30)


def test_no_plan_is_an_empty_collection(tmp_path: Path) -> None:
    db = tmp_path / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "vera", PASSWORD, "viewer", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    server = KhazarServer(load_settings(), ServeOptions(db=db, port=0, detect=False))
    url = server.start_background()
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            client.post("/api/login", json={"username": "vera", "password": PASSWORD})
            body = client.get("/api/patrols/deviation").json()
    finally:
        server.stop()
    assert body["features"] == [] and "khazar plan" in body["message"]
