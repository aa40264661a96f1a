"""The live path alerts without waiting for the lateness window: UDP → ingest → the
speculative detectors → alert rules → SSE, while the committed (watermark) path, W behind
on the feed's clock, cannot have seen the message yet."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from tests.api.feed import position_lines

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.services.users import add_user
from khazar.store import open_store

#: wall-clock bounds: run alone, not beside another test (Makefile's `test`)
pytestmark = pytest.mark.serial


PASSWORD = "correct horse battery"
#: east of the Azeri–Chirag–Gunashli field: the azeri-central-east platform (500 m zone)
PLATFORM = (40.05252, 51.28217)
INTRUDER = 423_999_001


@pytest.fixture(scope="module")
def detecting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, KhazarServer]]:
    db: Path = tmp_path_factory.mktemp("latency") / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "omar", PASSWORD, "operator", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    server = KhazarServer(load_settings(), ServeOptions(db=db, port=0, udp_port=0))
    url = server.start_background()
    try:
        deadline = time.monotonic() + 120
        while server.state.components.get("detection") != "running":
            assert time.monotonic() < deadline, server.state.components.get("detection")
            time.sleep(0.1)
        yield url, server
    finally:
        server.stop()


def fix(t: datetime, north_m: float, speed_kn: float = 10.0) -> list[str]:
    """A boat ``north_m`` north of the platform heading due south onto it."""
    lat0, lon0 = PLATFORM
    return position_lines(INTRUDER, t, lat0 + north_m / 110_574.0, lon0, speed_kn, 180.0)


def test_an_alert_reaches_the_stream_long_before_the_lateness_window(
        detecting: tuple[str, KhazarServer], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="khazar.live")
    url, server = detecting
    udp = server.udp
    assert udp is not None
    settings = load_settings()
    w_s = settings.detect.lateness_window_s
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=8)
    step_m = 10.0 * 0.514444 * 10  # 10 kn, a report every 10 s
    fixes = [(t0 + timedelta(seconds=10 * k), fix(t0 + timedelta(seconds=10 * k),
                                                  2500.0 - step_m * k)) for k in range(36)]
    entry_k = len(fixes)  # 650 m out, then inside the 500 m zone
    for k, north_m in enumerate((400.0, 350.0, 300.0)):
        t = t0 + timedelta(seconds=10 * (entry_k + k))
        fixes.append((t, fix(t, north_m)))
    client = httpx.Client(base_url=url, timeout=30)
    assert client.post("/api/login", json={"username": "omar", "password": PASSWORD}
                       ).status_code == 200
    got: dict[str, object] = {}
    ready = threading.Event()

    def listen() -> None:
        with closing(client), client.stream("GET", "/api/live", timeout=60) as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    ready.set()
                elif line.startswith("data: ") and event == "alert":
                    props = json.loads(line[6:])["properties"]
                    if props["mmsi"] == INTRUDER:
                        got.update(props, received=time.monotonic())
                        return

    th = threading.Thread(target=listen, daemon=True)
    th.start()
    assert ready.wait(30)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, lines in fixes[:entry_k]:  # the approach: no alert
            sock.sendto(("\r\n".join(lines) + "\r\n").encode(), udp.address)
        time.sleep(2.0)
        assert not got
        sent = time.monotonic()
        for _, lines in fixes[entry_k:entry_k + 3]:  # inside: 20 s of feed time
            sock.sendto(("\r\n".join(lines) + "\r\n").encode(), udp.address)
    finally:
        sock.close()
    th.join(timeout=30)
    assert got, "no alert for the boat inside the safety zone"
    assert got["type"] == "zone_entry" and got["zone_id"] == "azeri-central-east-safety"
    latency_s = float(got["received"]) - sent  # type: ignore[arg-type]
    # the feed's clock is only 20 s past the entry: the watermark path is W (10 min) behind
    entry_t = fixes[entry_k][0]
    newest = fixes[entry_k + 2][0]
    assert (newest - entry_t).total_seconds() < w_s
    assert datetime.fromisoformat(str(got["first_ts"])) == entry_t
    assert latency_s < 5.0, f"alert {latency_s:.2f} s after its message"
    counters = server.state.counters
    assert counters.get("detect.provisional", 0) >= 1
    assert counters.get("feed.dropped", 0) == 0
    # the alert is in the log: id, type, severity
    raised = [r for r in caplog.records if r.name == "khazar.live.detection"
              and r.getMessage().startswith(f"alert {got['id']} raised: zone_entry, severity ")]
    assert raised and raised[0].levelno == logging.WARNING
    # the committed path runs every few seconds, W behind the newest position time
    deadline = time.monotonic() + 20
    while server.state.detection_lag_s is None:
        assert time.monotonic() < deadline, "no committed detection step"
        time.sleep(0.2)
    assert w_s - 60 <= server.state.detection_lag_s <= w_s + 60
