"""API read throughput on loopback against its own SQL (the peer: the same query run
directly on the store), single client and concurrent clients, with a UDP feed arriving.

Figures: the raw ``latest_vessels`` query per second, ``GET /api/vessels`` per second for
one client (the ratio is what HTTP, the session check, GeoJSON shaping and JSON cost),
and for ``CLIENTS`` concurrent clients (the ratio to one client shows what concurrency
buys under the one store lock), with latency percentiles and the machine's load.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from khazar.alerts.context import rule_context
from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import Settings, load_settings
from khazar.detect import detect_batch
from khazar.detect.adapters import geography_from_geo
from khazar.geo import load_geography
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.services import alerts as alert_service
from khazar.services.users import add_user
from khazar.sim.engine import simulate
from khazar.store import alerts as alert_repo
from khazar.store import open_store, queries
from khazar.store.events import upsert_events
from khazar.store.ingest import IngestRepo
from khazar.store.picture import load_detections, load_fixes, ship_types

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
PASSWORD = "bench password 1234"
CLIENTS = 8
PATH = "/api/vessels?limit=500"


def _build(path: Path, settings: Settings, hours: float, density: float) -> int:
    run = simulate("mixed", hours, 3, START, settings, density=density)
    with open_store(path) as store:
        add_user(store, "bench", PASSWORD, "viewer", actor="bench",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        ingestor = Ingestor(IngestRepo(store), run_source="bench")
        ingestor.feed(RawLine(line.decode("ascii") if isinstance(line, bytes) else str(line),
                              source="sim")
                      for _, chunk in run.feed.chunks() for line in chunk)
        ingestor.close()
        geo = geography_from_geo(load_geography(settings), settings)
        events = detect_batch(load_fixes(store), settings.detect, geo, load_detections(store))
        end = START + timedelta(hours=hours)
        with store.transaction() as conn:
            upsert_events(conn, events, end)
        stored, exercise = alert_repo.stored_events(store)
        alert_service.update_alerts(
            store, rule_context(settings, ship_types=ship_types(store)), stored, end,
            exercise_event_ids=exercise, escalate_after=timedelta(minutes=30))
        row = store.execute("SELECT count(*) FROM positions").fetchone()
        return int(row[0]) if row else 0


def _raw_per_s(server: KhazarServer, seconds: float) -> float:
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with server.state.locked() as store:
            queries.latest_vessels(store, limit=500)
        n += 1
    return n / (time.perf_counter() - started)


def _client_loop(url: str, token: str, stop: threading.Event, out: list[float],
                 errors: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            r = client.get(PATH)
            out.append(time.perf_counter() - t0)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:100]}")


def _http(url: str, token: str, clients: int, seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    lat: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_client_loop, args=(url, token, stop, lat, errors))
               for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"clients": clients, "requests": len(lat), "per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(cuts[49] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
            "errors": len(errors)}


def run(quick: bool) -> dict[str, Any]:
    settings = load_settings()
    hours, density, seconds = (1.0, 0.05, 4.0) if quick else (2.0, 0.3, 10.0)
    with tempfile.TemporaryDirectory(prefix="khazar-bench-api-") as tmp:
        db = Path(tmp) / "khazar.duckdb"
        positions = _build(db, settings, hours, density)
        server = KhazarServer(settings, ServeOptions(db=db, port=0, udp_port=0, detect=False))
        url = server.start_background()
        try:
            assert server.udp is not None
            udp_port = int(server.udp.address[1])
            token = httpx.post(url + "/api/login", json={
                "username": "bench", "password": PASSWORD}).json()["token"]
            load_before = os.getloadavg()[0]
            raw = _raw_per_s(server, seconds)
            single = _http(url, token, 1, seconds)
            sent = [0]
            stop_feed = threading.Event()

            def feed() -> None:  # up to 200 NMEA lines/s meanwhile
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    k = 0
                    while not stop_feed.is_set():
                        sock.sendto(_position(k).encode(), ("127.0.0.1", udp_port))
                        sent[0] += 1
                        k += 1
                        time.sleep(0.005)

            received0 = server.state.counters.get("feed.received", 0)
            feeder = threading.Thread(target=feed)
            feeder.start()
            concurrent = _http(url, token, CLIENTS, seconds)
            stop_feed.set()
            feeder.join()
            time.sleep(1.0)
            received = server.state.counters.get("feed.received", 0) - received0
            load_after = os.getloadavg()[0]
        finally:
            server.stop()
    return {
        "store_positions": positions,
        "route": PATH,
        "raw_query_per_s": round(raw, 1),
        "api_one_client": single,
        "api_concurrent": concurrent,
        "ratio_raw_over_api_one_client": round(raw / single["per_s"], 2),
        "ratio_concurrent_over_one_client": round(concurrent["per_s"] / single["per_s"], 2),
        "udp_lines_sent_during_concurrent": sent[0],
        "udp_lines_counted": received,
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "cpu_count": os.cpu_count(),
    }


def _position(k: int) -> str:
    """One class A position report of one of 50 bench vessels (pyais encode)."""
    from pyais.encode import encode_dict

    mmsi = 273_980_000 + k % 50
    return encode_dict({"type": 1, "mmsi": mmsi, "lat": 40.0 + (k % 50) * 0.01,
                        "lon": 50.5 + (k // 50) * 1e-4, "speed": 10.0, "course": 90.0,
                        "heading": 90, "status": 0},
                       sentence_type="VDM", radio_channel="A")[0] + "\r\n"
