"""API reads against the size of the history (issue 20, point 2: state, not scans).

Two DuckDB stores side by side in one run, the same live picture in each (a simulated
hour of traffic, ingested, detected and alerted as a centre does it) over a history of
100 k and of 10 M positions. The history is synthesised fast: the hour's positions and
static reports copied into earlier hours (each copy one span earlier, MMSIs and reports as
they were) by one DuckDB ``INSERT … SELECT`` into a store made by the normal migration,
then the state ingest keeps (``invalid_mmsi``) counted again; every copy is older than the
hour, so each vessel's latest state is the hour's. The stores are cached in
``bench/work/`` under a key of the schema version and the parameters.

Both stores are served at once, each by its own server in this process. Per store: the
raw ``latest_vessels`` query per second; ``GET /api/vessels?limit=500`` and ``GET
/api/alerts`` (the console's open alerts) for one client on loopback that asks the two
servers in turn, so that the shared machine's load falls on both alike (requests/s of its
turns, p50, p99, processor time a request); ``/api/vessels`` for ``CLIENTS`` concurrent
clients with a UDP feed arriving; the machine's load average before and after. The one
client's figures come twice: as served (a console polling the same list gets the answer the
server kept while nothing in it changed, ``serve.answer_cache_s``) and ``_built``, every
answer built from the store (the cost of the queries behind it). Ratios:
10 M over 100 k of p99 (the target: within 20 %) and of processor time a request; the
other target is ≥ 200 requests/s for one client.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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
from khazar.store.schema import INVALID_FROM, SCHEMA_VERSION

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
PASSWORD = "bench password 1234"
CLIENTS = 8
PATH = "/api/vessels?limit=500"
#: the console's alert list (app.js): the open alerts
ALERTS = "/api/alerts?state=new&state=acknowledged&state=assigned&limit=200"
WORK = Path(__file__).parent / "work"
#: stored positions of the two stores (quick: 100 k and 1 M)
SIZES = (100_000, 10_000_000)
QUICK_SIZES = (100_000, 1_000_000)


def _build(path: Path, settings: Settings, hours: float, density: float) -> int:
    """The live picture: ``hours`` simulated, ingested, detected and alerted."""
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
        return _count(store, "positions")


def _count(store: Any, table: str) -> int:
    row = store.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _grow(path: Path, target: int, hours: float) -> int:
    """Copy the hour's positions and static reports into earlier spans until the store
    holds about ``target`` positions (one SQL statement a table), then count the invalid
    MMSIs' reports again (the state ingest keeps)."""
    with open_store(path) as store:
        base = _count(store, "positions")
        copies = max(0, round(target / base) - 1)
        if copies:
            span = f"INTERVAL '{int(hours * 3600) + 60} seconds'"
            with store.transaction() as tx:
                for table, times in (("positions", ("ts", "report_ts")),
                                     ("vessels_static", ("ts",))):
                    cols = [c for (c,) in tx.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
                    # oldest copy first: the history lies in the file in time order
                    values = [f"{c} - k * {span}" if c in times
                              else "msg_key + k" if c == "msg_key" else c for c in cols]
                    tx.execute(
                        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(values)} "
                        f"FROM (SELECT * FROM {table}) t, range({copies}, 0, -1) r(k) "
                        "ORDER BY k DESC, ts")
                tx.execute("DELETE FROM invalid_mmsi")
                tx.execute("INSERT INTO invalid_mmsi " + INVALID_FROM.format(src="positions"))
            store.execute("CHECKPOINT")
        return _count(store, "positions")


def _cached_store(settings: Settings, target: int, hours: float, density: float) -> Path:
    """The store of ``target`` positions, built once into ``bench/work/``."""
    key = hashlib.sha256(f"{SCHEMA_VERSION}|{target}|{hours}|{density}|v1".encode()
                         ).hexdigest()[:12]
    path = WORK / f"api-{target}-{key}.duckdb"
    if not path.exists():
        WORK.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _build(partial, settings, hours, density)
        _grow(partial, target, hours)
        partial.rename(path)
        _head(partial).rename(_head(path))
    return path


def _head(store: Path) -> Path:
    """The audit chain's head file next to a DuckDB store."""
    return store.with_name(store.name + ".audit-head")


def _raw_per_s(server: KhazarServer, seconds: float) -> float:
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with server.state.locked() as store:
            queries.latest_vessels(store, limit=500)
        n += 1
    return n / (time.perf_counter() - started)


def _client_loop(url: str, token: str, stop: threading.Event, out: list[float],
                 errors: list[str], path: str) -> None:
    with httpx.Client(base_url=url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            r = client.get(path)
            out.append(time.perf_counter() - t0)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:100]}")


def _http(url: str, token: str, clients: int, seconds: float, path: str = PATH
          ) -> dict[str, Any]:
    stop = threading.Event()
    lat: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_client_loop,
                                args=(url, token, stop, lat, errors, path))
               for _ in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    cuts = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"clients": clients, "requests": len(lat), "per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(cuts[49] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
            "errors": len(errors),
            # processor time of this process (server and client) a request: what the
            # machine's load does not change
            "cpu_ms_per_request": round(cpu * 1000 / max(1, len(lat)), 2)}


def _stats(lat: list[float]) -> dict[str, Any]:
    cuts = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"requests": len(lat), "per_s": round(len(lat) / sum(lat), 1) if lat else 0.0,
            "p50_ms": round(cuts[49] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1)}


def _alternating(clients: list[httpx.Client], path: str, seconds: float
                 ) -> list[dict[str, Any]]:
    """One client asking each server in turn for ``seconds``: the machine's load, whatever
    it does meanwhile, falls on both stores alike. Per server: requests, requests/s of its
    own turns (one over the mean latency), p50, p99, errors and processor time a request
    (this process: server and client)."""
    lat: list[list[float]] = [[] for _ in clients]
    cpu = [0.0 for _ in clients]
    errors = [0 for _ in clients]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for i, client in enumerate(clients):
            c0, t0 = time.process_time(), time.perf_counter()
            r = client.get(path)
            lat[i].append(time.perf_counter() - t0)
            cpu[i] += time.process_time() - c0
            errors[i] += r.status_code != 200
    return [{**_stats(lat[i]), "errors": errors[i],
             "cpu_ms_per_request": round(cpu[i] * 1000 / max(1, len(lat[i])), 2)}
            for i in range(len(clients))]


def _serve(db: Path, tmp: Path, settings: Settings) -> tuple[KhazarServer, str, str]:
    """A server on a copy of the store ``db``: (server, url, a viewer's token)."""
    served = tmp / db.name
    shutil.copyfile(db, served)
    if _head(db).exists():
        shutil.copyfile(_head(db), _head(served))
    server = KhazarServer(settings, ServeOptions(db=served, port=0, udp_port=0, detect=False))
    url = server.start_background()
    token = httpx.post(url + "/api/login", json={
        "username": "bench", "password": PASSWORD}).json()["token"]
    return server, url, str(token)


def _counts(server: KhazarServer) -> dict[str, int]:
    with server.state.locked() as store:
        return {f"store_{name}": _count(store, table) for name, table in (
            ("positions", "positions"), ("static_reports", "vessels_static"),
            ("vessels", "vessel_latest"), ("alerts", "alerts"))}


def _concurrent(server: KhazarServer, url: str, token: str, seconds: float
                ) -> dict[str, Any]:
    """``CLIENTS`` clients on ``/api/vessels`` while a UDP feed arrives."""
    assert server.udp is not None
    udp_port = int(server.udp.address[1])
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
    return {**concurrent, "udp_lines_sent": sent[0], "udp_lines_counted": received}


def _cpu_ms(f: Any, n: int = 100) -> float:
    """Processor time of one call of ``f`` (this process, every thread), the least of
    three rounds of ``n``: what the machine's other load changes least."""
    best = float("inf")
    for _ in range(3):
        c0 = time.process_time()
        for _ in range(n):
            f()
        best = min(best, (time.process_time() - c0) * 1000 / n)
    return round(best, 2)


#: the baseline: the reads of ``GET /api/vessels`` before issue 20 (main at 1f0b970):
#: every static report grouped for the names, the picture's clock and the invalid MMSIs'
#: count over every position
_BEFORE = (
    """WITH p AS (SELECT mmsi, ts, lat, lon, sog_kn, cog_deg, heading_deg, status
                 FROM vessel_latest WHERE exercise = ?), s AS (
        SELECT mmsi,
               arg_max(name, ts) FILTER (WHERE name IS NOT NULL AND name <> '') AS name,
               arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL) AS callsign,
               arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL AND imo > 0) AS imo,
               arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type,
               arg_max(destination, ts) FILTER (WHERE destination IS NOT NULL
                                                 AND destination <> '') AS destination,
               arg_max(to_bow_m + to_stern_m, ts)
                   FILTER (WHERE to_bow_m IS NOT NULL AND to_stern_m IS NOT NULL) AS length_m
        FROM vessels_static GROUP BY mmsi
    ), m AS (SELECT p.*, s.name, s.callsign, s.imo, s.ship_type, s.destination, s.length_m
             FROM p LEFT JOIN s USING (mmsi))
    SELECT *, count(*) OVER () AS matched FROM m ORDER BY ts DESC, mmsi LIMIT 500""",
    "SELECT max(ts) FROM positions WHERE exercise = ?",
    "SELECT count(*), count(DISTINCT mmsi) FROM positions WHERE exercise = ? AND NOT mmsi_valid",
)


def _reads_ms(server: KhazarServer) -> dict[str, float]:
    """Processor ms of the reads of one ``GET /api/vessels``: now, and as before issue 20
    (:data:`_BEFORE`, run on the same store)."""
    with server.state.locked() as store:
        def now() -> None:
            queries.latest_vessels(store, limit=500)
            queries.picture_time(store)
            queries.invalid_mmsi_reports(store)

        def before() -> None:
            for sql in _BEFORE:
                store.execute(sql, [False]).fetchall()

        return {"now": _cpu_ms(now, 20), "before": _cpu_ms(before, 20)}


def _profile(server: KhazarServer, url: str, token: str) -> dict[str, float]:
    """Where the time of ``GET /api/vessels`` goes (processor ms a request, client and
    server): the HTTP floor (a route that does nothing), the login check, each query, the
    features, the JSON text, and the whole request."""
    import json

    from khazar.interop.features import feature_collection, vessel_feature

    with httpx.Client(base_url=url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        out = {"http_floor_no_login": _cpu_ms(lambda: client.get("/api/health/live")),
               "with_login_check": _cpu_ms(lambda: client.get("/api/me")),
               "whole_vessels_request": _cpu_ms(lambda: client.get(PATH))}
    stale = server.state.settings.serve.stale_after_s
    with server.state.locked() as store:
        out["query_latest_vessels"] = _cpu_ms(lambda: queries.latest_vessels(store, limit=500))
        out["query_picture_time"] = _cpu_ms(lambda: queries.picture_time(store))
        out["query_invalid_mmsi"] = _cpu_ms(lambda: queries.invalid_mmsi_reports(store))
        rows, matched = queries.latest_vessels(store, limit=500)
        clock = queries.picture_time(store)

    def features() -> list[Any]:
        return [vessel_feature(v, clock, stale, frozenset(), frozenset()) for v in rows]

    out["features"] = _cpu_ms(features)
    fc = feature_collection(features(), matched, url + PATH)
    out["json_text"] = _cpu_ms(lambda: json.dumps(fc, ensure_ascii=False,
                                                  separators=(",", ":")).encode())
    return out


def _keep_answers(servers: list[KhazarServer], ttls: list[float] | None) -> list[float]:
    """Set each server's ``serve.answer_cache_s`` (None: 0, every answer built); the
    values before."""
    before = [server.state.alert_answers.ttl_s for server in servers]
    for i, server in enumerate(servers):
        for answers in (server.state.alert_answers, server.state.vessel_answers):
            answers.ttl_s = 0.0 if ttls is None else ttls[i]
    return before


def _measure(dbs: list[Path], settings: Settings, seconds: float) -> list[dict[str, Any]]:
    """The figures of each store, their servers running side by side."""
    with tempfile.TemporaryDirectory(prefix="khazar-bench-api-") as tmp:
        served = [_serve(db, Path(tmp), settings) for db in dbs]
        try:
            out: list[dict[str, Any]] = [_counts(server) for server, _, _ in served]
            load_before = os.getloadavg()[0]
            for figures, (server, _, _) in zip(out, served, strict=True):
                figures["raw_query_per_s"] = round(_raw_per_s(server, seconds / 2), 1)
            clients = [httpx.Client(base_url=url, timeout=30,
                                    headers={"Authorization": f"Bearer {token}"})
                       for _, url, token in served]
            try:
                for client in clients:  # a first request each: nothing cold measured
                    client.get(PATH)
                    client.get(ALERTS)
                for name, path in (("vessels_one_client", PATH), ("alerts_one_client", ALERTS)):
                    for figures, got in zip(out, _alternating(clients, path, seconds),
                                            strict=True):
                        figures[name] = got
                # the same with every answer built from the store (serve.answer_cache_s
                # 0): the cost of the queries behind a kept answer, and how it grows
                ttls = _keep_answers([server for server, _, _ in served], None)
                for name, path in (("vessels_one_client", PATH), ("alerts_one_client", ALERTS)):
                    for figures, got in zip(out, _alternating(clients, path, seconds / 2),
                                            strict=True):
                        figures[name + "_built"] = got
                _keep_answers([server for server, _, _ in served], ttls)
            finally:
                for client in clients:
                    client.close()
            for figures, (server, url, token) in zip(out, served, strict=True):
                figures["vessels_concurrent"] = _concurrent(server, url, token, seconds)
                figures["ratio_raw_over_api_one_client"] = round(
                    figures["raw_query_per_s"] / figures["vessels_one_client"]["per_s"], 2)
                figures["ratio_concurrent_over_one_client"] = round(
                    figures["vessels_concurrent"]["per_s"]
                    / figures["vessels_one_client"]["per_s"], 2)
            for figures, (server, _, _) in zip(out, served, strict=True):
                figures["vessels_reads_cpu_ms"] = _reads_ms(server)
            out[-1]["profile_cpu_ms"] = _profile(*served[-1])
            load_after = os.getloadavg()[0]
            for figures in out:
                figures["load_average"] = [round(load_before, 1), round(load_after, 1)]
        finally:
            for server, _, _ in served:
                server.stop()
    return out


def run(quick: bool) -> dict[str, Any]:
    settings = load_settings()
    hours, density, seconds = (1.0, 0.3, 4.0) if quick else (1.0, 0.3, 40.0)
    small, large = QUICK_SIZES if quick else SIZES
    started = time.perf_counter()
    paths = [_cached_store(settings, n, hours, density) for n in (small, large)]
    built_s = time.perf_counter() - started
    a, b = _measure(paths, settings, seconds)

    def ratio(which: str, key: str) -> float:
        return round(float(b[which][key]) / float(a[which][key]), 2)

    return {
        "routes": {"vessels": PATH, "alerts": ALERTS},
        "history": "the simulated hour's positions and static reports copied into earlier "
                   "hours by DuckDB SQL (bench_api._grow), cached in bench/work/",
        "one_client": "one client asking the two servers in turn (bench_api._alternating)",
        "stores_ready_s": round(built_s, 1),
        f"positions_{small}": a,
        f"positions_{large}": b,
        "vessels_p99_large_over_small": ratio("vessels_one_client", "p99_ms"),
        "alerts_p99_large_over_small": ratio("alerts_one_client", "p99_ms"),
        "vessels_built_p99_large_over_small": ratio("vessels_one_client_built", "p99_ms"),
        "alerts_built_p99_large_over_small": ratio("alerts_one_client_built", "p99_ms"),
        "vessels_cpu_large_over_small": ratio("vessels_one_client", "cpu_ms_per_request"),
        "vessels_reads_large_over_small": {
            k: round(b["vessels_reads_cpu_ms"][k] / a["vessels_reads_cpu_ms"][k], 2)
            for k in ("now", "before")},
        "alerts_cpu_large_over_small": ratio("alerts_one_client", "cpu_ms_per_request"),
        "target": {"p99_within": 1.2, "one_client_per_s": 200},
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
