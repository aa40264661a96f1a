"""Pure parts of the API: parameters, sessions, live fan-out, plan loading, vessel kinds."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khazar.api.features import parse_bbox, parse_datetime
from khazar.api.routes_fleet import load_plan
from khazar.errors import InputError
from khazar.interop.vessel_kind import KINDS, vessel_kind
from khazar.live.hub import LiveHub
from khazar.services.sessions import SessionStore

lons = st.floats(-180, 180, allow_nan=False)
lats = st.floats(-90, 90, allow_nan=False)


@given(lons, lons, lats, lats)
def test_bbox_accepts_ordered_boxes_and_names_bad_ones(a: float, b: float, c: float, d: float
                                                       ) -> None:
    text = f"{a!r},{c!r},{b!r},{d!r}"
    if a <= b and c <= d:
        box = parse_bbox(text)
        assert box is not None and (box.min_lon, box.min_lat, box.max_lon, box.max_lat) == (
            a, c, b, d)
    else:
        with pytest.raises(InputError, match="bbox"):
            parse_bbox(text)


def test_datetime_forms() -> None:
    t = parse_datetime("2026-11-20T08:00:00Z")
    assert t is not None and t.start == t.end == datetime(2026, 11, 20, 8, tzinfo=UTC)
    open_start = parse_datetime("../2026-11-20T12:00:00+04:00")
    assert open_start is not None and open_start.start is None
    assert open_start.end == datetime(2026, 11, 20, 8, tzinfo=UTC)
    with pytest.raises(InputError, match="ends before it starts"):
        parse_datetime("2026-11-21T00:00:00Z/2026-11-20T00:00:00Z")
    assert parse_datetime(None) is None
    # in UTC these fall before year 1 / after year 9999 (a 500 found by schemathesis)
    for text in ("0001-01-01T00:00:00+05:00", "../9999-12-31T23:59:59-05:00"):
        with pytest.raises(InputError, match=r"outside years 1\.\.9999"):
            parse_datetime(text)


def test_sessions_expire_when_idle_and_at_max_age() -> None:
    now = [datetime(2026, 11, 20, tzinfo=UTC)]
    store = SessionStore(timedelta(minutes=30), max_age=timedelta(hours=1),
                         clock=lambda: now[0])
    s = store.create("omar", "operator")
    assert s.id != s.csrf_token and len(s.id) >= 40
    now[0] += timedelta(minutes=29)
    assert store.get(s.id) is not None  # used: expiry slides to +30 min
    now[0] += timedelta(minutes=29)
    assert store.get(s.id) is not None
    now[0] += timedelta(minutes=5)  # 63 min after login: beyond max age
    assert store.get(s.id) is None
    idle = store.create("vera", "viewer")
    now[0] += timedelta(minutes=31)
    assert store.get(idle.id) is None and len(store) == 0
    assert store.get(None) is None and store.get("forged") is None


def test_live_hub_drops_for_a_full_subscriber_only() -> None:
    async def scenario() -> tuple[int, int, int, int]:
        hub = LiveHub(queue_max=3)
        slow, fast = hub.subscribe(), hub.subscribe()
        for i in range(5):
            hub.publish("positions", {"i": i})
            if not fast.queue.empty():
                await fast.queue.get()
        return slow.queue.qsize(), slow.dropped, fast.dropped, hub.published

    assert asyncio.run(scenario()) == (3, 2, 0, 5)


def test_live_message_is_serialised_once_on_the_publishers_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    dumps, calls = json.dumps, []

    def counting(*args: Any, **kwargs: Any) -> str:
        calls.append(1)
        return dumps(*args, **kwargs)

    monkeypatch.setattr("khazar.live.hub.json.dumps", counting)

    async def scenario() -> tuple[list[str], int]:
        hub = LiveHub()
        subs = [hub.subscribe() for _ in range(3)]
        hub.publish("alert", {"id": "a-1", "name": "Xəzər"})
        serialised = len(calls)  # before any stream has read it
        return [(await s.queue.get()).to_sse() for s in subs], serialised

    frames, at_publish = asyncio.run(scenario())
    assert at_publish == 1 and len(calls) == 1
    assert frames == [frames[0]] * 3
    assert frames[0].endswith('data: {"id":"a-1","name":"Xəzər"}\n\n')
    assert "event: alert\n" in frames[0]
    calls.clear()
    LiveHub().publish("positions", {"features": []})  # nobody listening: not serialised
    assert calls == []


def test_live_positions_rows_say_what_the_vessel_features_say() -> None:
    from datetime import UTC, datetime

    from khazar.interop.features import POSITION_FIELDS, positions_update, vessel_feature
    from khazar.store.queries import VesselRow

    clock = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    rows = [
        VesselRow(423900001, datetime(2026, 11, 20, 8, 29, 55, tzinfo=UTC), 40.3651237,
                  50.1234567, 12.34, 95.06, 96, 0, "SBS-01", "4JAA", None, 55, None, 30),
        VesselRow(273123456, datetime(2026, 11, 20, 8, 5, tzinfo=UTC), 39.9, 49.95,
                  None, None, None, None, "VOLGA", None, 9300001, 80, "BAKU", 140),
    ]
    own, authorised = frozenset({423900001}), frozenset[int]()
    update = positions_update(rows, clock, 600.0, own, authorised)
    assert update["fields"] == list(POSITION_FIELDS) and update["pictureTime"] == clock.isoformat()
    for v, row in zip(rows, update["rows"], strict=True):
        got = dict(zip(POSITION_FIELDS, row, strict=True))
        f = vessel_feature(v, clock, 600.0, own, authorised)
        p = f["properties"]
        assert [got["lon"], got["lat"]] == f["geometry"]["coordinates"]
        for name in ("mmsi", "sog_kn", "cog_deg", "heading_deg", "status", "kind", "stale",
                     "age_s"):
            assert got[name] == p[name], name
        assert datetime.fromtimestamp(got["last_seen"], UTC).isoformat() == p["last_seen"]
    assert [r[POSITION_FIELDS.index("stale")] for r in update["rows"]] == [False, True]
    assert update["rows"][0][POSITION_FIELDS.index("kind")] == "patrol"
    assert len(json.dumps(update["rows"])) * 4 < len(json.dumps(
        [vessel_feature(v, clock, 600.0, own, authorised) for v in rows]))


def test_plan_loading(tmp_path: Path) -> None:
    good = tmp_path / "plan.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"boat": "SBS-01", "base": "Baku", "times": []},
        "geometry": {"type": "LineString", "coordinates": [[49.87, 40.33], [50.1, 40.3]]}}]}))
    assert load_plan(good)["features"][0]["properties"]["boat"] == "SBS-01"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                          "coordinates": [0, 0]}}]}))
    with pytest.raises(InputError, match="feature 0"):
        load_plan(bad)


def test_vessel_kinds() -> None:
    assert vessel_kind(423900001, 30, own_fleet={423900001}) == "patrol"
    assert vessel_kind(1, 85) == "tanker" and vessel_kind(1, 72) == "cargo"
    assert vessel_kind(1, None) == "unknown" and vessel_kind(1, 30) == "fishing"
    assert {vessel_kind(1, t) for t in range(0, 100)} <= set(KINDS)
