"""The live path: NMEA over UDP → ingest → store → SSE ``positions`` → /api/vessels."""

from __future__ import annotations

import json
import socket
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
from tests.api.conftest import Served
from tests.api.feed import position_lines, static_lines

from khazar.api.routes_live import picture_clock

NEW_MMSI = 423777001


def test_udp_position_reaches_sse_and_vessels(served: Served) -> None:
    client, info = served.login("vera")
    now = datetime.now(UTC).replace(microsecond=0)
    lines = static_lines(NEW_MMSI, now, "UDP TEST", 9300001, 60, "AKTAU")
    lines += position_lines(NEW_MMSI, now, 40.2, 50.3, 14.0, 95.0)
    got: dict[str, object] = {}
    with closing(client), client.stream("GET", "/api/live", timeout=30) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(("\r\n".join(lines) + "\r\n").encode(), ("127.0.0.1", served.udp_port))
        sock.close()
        deadline = time.monotonic() + 10
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "positions":
                data = json.loads(line[6:])
                rows = [dict(zip(data["fields"], r, strict=True)) for r in data["rows"]]
                mine = [r for r in rows if r["mmsi"] == NEW_MMSI]
                if mine:
                    got = mine[0]
                    break
            assert time.monotonic() < deadline, "no positions event for the UDP report"
    assert got["sog_kn"] == 14.0 and got["cog_deg"] == 95.0
    assert (got["lat"], got["lon"]) == (40.2, 50.3) and got["stale"] is False
    assert got["last_seen"] == int(now.timestamp())
    fc = httpx.get(served.url + "/api/vessels", params={"bbox": "50.2,40.1,50.4,40.3"},
                   headers={"Authorization": f"Bearer {info['token']}"}, timeout=30).json()
    listed = {f["properties"]["mmsi"]: f["properties"] for f in fc["features"]}
    assert listed[NEW_MMSI]["name"] == "UDP TEST" and listed[NEW_MMSI]["sog_kn"] == 14.0
    status = httpx.get(served.url + "/api/status",
                       headers={"Authorization": f"Bearer {info['token']}"}, timeout=30).json()
    assert status["counters"]["feed.received"] >= len(lines)
    assert status["counters"].get("feed.dropped", 0) == 0
    picture = status["picture"]  # a live feed: the picture's clock is the wall's
    assert picture["time"] == now.isoformat() and picture["replay"] is False
    assert 0 <= picture["wall_lag_s"] < 60


def test_picture_clock_says_when_the_data_is_a_replay() -> None:
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    live = picture_clock((now - timedelta(seconds=3), "udp:127.0.0.1:10110"), now, 600.0)
    assert live == {"time": "2026-12-07T05:59:57+00:00", "wall_lag_s": 3.0, "replay": False,
                    "source": "udp:127.0.0.1:10110"}
    # the demo's simulated day, ingested from a file, ends at the wall clock: still a replay
    assert picture_clock((now, "feed.nmea@3f2a9c01d2e4"), now, 600.0)["replay"] is True
    old = picture_clock((now - timedelta(days=200), "udp:127.0.0.1:10110"), now, 600.0)
    assert old["replay"] is True and old["wall_lag_s"] == 200 * 86_400.0
    ahead = picture_clock((now + timedelta(hours=1), "udp:x"), now, 600.0)
    assert ahead["replay"] is True and ahead["wall_lag_s"] == -3600.0
    assert picture_clock(None, now, 600.0)["time"] is None


EXERCISE_MMSI = 423777002


def test_exercise_traffic_is_flagged_and_kept_out_of_the_live_picture(served: Served) -> None:
    client, _ = served.login("vera")
    now = datetime.now(UTC).replace(microsecond=0)
    lines = position_lines(EXERCISE_MMSI, now, 40.0, 50.5, 20.0, 10.0, station="exercise")
    with served.server.state.counters_lock:
        before = served.server.state.counters.get("exercise.received", 0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(("\r\n".join(lines) + "\r\n").encode(), ("127.0.0.1", served.exercise_udp_port))
    sock.close()
    with closing(client):
        deadline = time.monotonic() + 15
        while True:
            fc = client.get("/api/vessels", params={"exercise": "true"}).json()
            if EXERCISE_MMSI in {f["properties"]["mmsi"] for f in fc["features"]}:
                break
            assert time.monotonic() < deadline, "exercise report never stored"
            time.sleep(0.2)
        live = client.get("/api/vessels").json()
        assert EXERCISE_MMSI not in {f["properties"]["mmsi"] for f in live["features"]}
        counters = client.get("/api/status").json()["counters"]
        assert counters["exercise.received"] - before == len(lines)
