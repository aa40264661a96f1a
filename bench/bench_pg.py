"""The server profile against the embedded store (issue 16): PostgreSQL + PostGIS against
DuckDB on the same inputs, in one run, on one throw-away cluster (``khazar.store.pgcluster``).

1. Ingest: one simulated coastal feed (bench_ingest's tag-blocked NMEA, cached under
   bench/work/) through ``khazar ingest --progress-jsonl`` into a fresh DuckDB file and a
   fresh PostgreSQL database, alternated, ``RUNS`` times each. Sentences/s of the whole
   command and of the steady part (first committed batch → last: no start-up, no migration).
2. API: a store of ``--positions=N`` positions (10 M by default): ``VESSELS`` vessels sailing
   between waypoints in the Caspian's water polygon over ``DAYS`` days (tankers, cargo,
   ferries, fishing boats working slowly, service craft and a few at anchor), a static
   report per vessel and a second one on its way (a new destination and draught), a few
   hundred alerts at the assets with their transitions. The same Arrow batches go through
   the ingest repository (``IngestRepo.write``: ``staged`` → Arrow on DuckDB, COPY on
   PostgreSQL) into both backends (the load is timed too). Then ``khazar serve --db …`` on
   each, a login, and requests to the console's vessel and alert collections, with and
   without a bbox, alternated between the two servers → p50/p99 per backend, ratios.

The cluster runs as khazar.store.pgcluster starts it for tests: ``fsync=off``,
``synchronous_commit=off``, 256 MB shared buffers; DuckDB's file is on the same disk.
Quote ratios (shared, noisy machine). Usage: ``python -m bench pg [--quick]
[--positions=N]``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
from argon2 import PasswordHasher

from bench.bench_ingest import _feed
from khazar.config import load_settings
from khazar.domain.alerts import Alert, AlertState, Severity, Transition, alert_id
from khazar.geo import load_geography
from khazar.ingest.batch import IngestBatch, positions_table, statics_table
from khazar.services.users import add_user
from khazar.store import alerts as alert_repo
from khazar.store import open_store
from khazar.store.ingest import IngestRepo
from khazar.store.pgcluster import Cluster, running_cluster

ROOT = Path(__file__).parent.parent
PASSWORD = "bench password 1234"
START = datetime(2026, 11, 17, 0, 0, tzinfo=UTC)
VESSELS = 3000
DAYS = 3.0
ALERTS = 400
RUNS = 3
CHUNK = 250_000
#: the collections timed: the console's own requests, and the same with a bbox (Absheron)
BBOX = "49.0,39.5,51.5,41.0"
PATHS = {
    "vessels": "/api/vessels?limit=10000",
    "vessels_bbox": f"/api/vessels?limit=10000&bbox={BBOX}",
    "alerts": "/api/alerts?state=new&state=acknowledged&state=assigned&limit=200",
    "alerts_bbox": f"/api/alerts?limit=200&bbox={BBOX}",
}
STATIONS = np.array(["AZ-BAKU", "AZ-ALAT", "AZ-NEFT", "KZ-AKTAU", "TM-TURKMENBASHI"])


def _option(name: str, default: int) -> int:
    """``--name=N`` from the command line (the runner passes ``--`` options through)."""
    for arg in sys.argv[1:]:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1].replace("_", ""))
    return default


def _machine() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()]}


def _env() -> dict[str, str]:
    """The commands run this checkout's code (the venv's editable install may be another)."""
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KHAZAR_DB": ""}


def _khazar() -> str:
    return shutil.which("khazar", path=str(Path(sys.executable).parent)) or "khazar"


# --------------------------------------------------------------------------- 1. ingest
def _ingest_once(db: str, feed: Path, work: Path) -> dict[str, Any]:
    """``khazar ingest`` of ``feed`` into ``db``: whole-command and steady rates."""
    stamps: list[tuple[float, int]] = []
    started = time.perf_counter()
    proc = subprocess.Popen([_khazar(), "ingest", "--db", db, "--format", "json",
                             "--progress-jsonl", str(feed)], env=_env(), cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None and proc.stdout is not None
    errors: list[str] = []
    for line in proc.stderr:
        try:
            stamps.append((time.perf_counter(), int(json.loads(line)["lines"])))
        except (ValueError, KeyError):
            errors.append(line.rstrip())
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise RuntimeError(f"khazar ingest into {db} failed: {' '.join(errors)[-400:]}")
    elapsed = time.perf_counter() - started
    total = json.loads(out)["total"]
    lines = int(total["lines"])
    steady = None
    if len(stamps) >= 3:
        (t0, n0), (t1, n1) = stamps[0], stamps[-1]
        steady = round((n1 - n0) / (t1 - t0))
    return {"seconds": round(elapsed, 2), "sentences_per_s": round(lines / elapsed),
            "steady_sentences_per_s": steady, "positions": total["positions"],
            "batches": len(stamps)}


def _ingest(cluster: Cluster, work: Path, quick: bool) -> dict[str, Any]:
    feed, lines = _feed(100_000 if quick else 500_000)
    runs: dict[str, list[dict[str, Any]]] = {"duckdb": [], "postgresql": []}
    for i in range(1 if quick else RUNS):
        print(f"   ingest run {i + 1}", flush=True)
        duck = work / f"ingest_{i}.duckdb"
        runs["duckdb"].append(_ingest_once(str(duck), feed, work))
        duck.unlink()
        url = cluster.create_database(f"ingest_{i}")
        runs["postgresql"].append(_ingest_once(url, feed, work))
        cluster.psql(f'DROP DATABASE "ingest_{i}"')
    positions = {r["positions"] for rs in runs.values() for r in rs}
    if len(positions) != 1:
        raise RuntimeError(f"the backends stored different position counts: {positions}")

    def best(name: str, key: str) -> int:
        return max(int(r[key] or 0) for r in runs[name])

    return {
        "feed": {"path": str(feed.relative_to(ROOT)), "sentences": lines,
                 "positions": positions.pop()},
        "runs": runs,
        "best_sentences_per_s": {b: best(b, "sentences_per_s") for b in runs},
        "best_steady_sentences_per_s": {b: best(b, "steady_sentences_per_s") for b in runs},
        "ratio_postgresql_over_duckdb": round(
            best("postgresql", "sentences_per_s") / best("duckdb", "sentences_per_s"), 2),
        "ratio_steady_postgresql_over_duckdb": round(
            best("postgresql", "steady_sentences_per_s")
            / best("duckdb", "steady_sentences_per_s"), 2),
    }


# --------------------------------------------------------------------------- 2. the store
@dataclass
class Fleet:
    """The synthetic vessels: identity and how they move."""

    mmsi: np.ndarray
    ship_type: np.ndarray
    speed_kn: np.ndarray
    names: list[str]


def _water_points(rng: np.random.Generator, water: Any, n: int) -> np.ndarray:
    """``n`` random (lon, lat) points inside the water polygon."""
    import shapely

    shapely.prepare(water)
    x0, y0, x1, y1 = water.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        inside = shapely.contains_xy(water, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def _fleet(rng: np.random.Generator, vessels: int) -> Fleet:
    kinds = rng.choice(np.array([80, 70, 60, 30, 52, 0]), vessels,
                       p=[0.25, 0.25, 0.05, 0.25, 0.1, 0.1])
    speed = np.select([kinds == 80, kinds == 70, kinds == 60, kinds == 30, kinds == 52],
                      [rng.uniform(9, 13, vessels), rng.uniform(9, 14, vessels),
                       rng.uniform(14, 18, vessels), rng.uniform(2, 7, vessels),
                       rng.uniform(3, 9, vessels)], 0.0)  # type 0: at anchor
    mmsi = np.sort(rng.choice(np.arange(273_000_000, 273_999_999), vessels, replace=False))
    prefix = {80: "CASPIAN", 70: "BAKU", 60: "AKTAU", 30: "BALIQCI", 52: "TUG", 0: "NEFT"}
    names = [f"{prefix[int(k)]} {i:04d}" for i, k in enumerate(kinds)]
    return Fleet(mmsi.astype(np.int64), kinds, speed, names)


def _track(rng: np.random.Generator, water_pts: np.ndarray, speed_kn: float, n: int,
           span_s: float) -> tuple[np.ndarray, ...]:
    """``n`` reports over ``span_s`` of one vessel sailing from waypoint to waypoint:
    (t_s, lon, lat, sog, cog)."""
    t = np.sort(rng.uniform(0, span_s, n))
    legs = water_pts[rng.choice(len(water_pts), 12)]
    if speed_kn < 0.5:  # at anchor: swinging within ~100 m
        lon = legs[0, 0] + rng.normal(0, 0.0008, n)
        lat = legs[0, 1] + rng.normal(0, 0.0006, n)
        return t, lon, lat, rng.uniform(0, 0.3, n), rng.uniform(0, 360, n)
    coslat = np.cos(np.radians(legs[:, 1].mean()))
    d_nm = np.hypot(np.diff(legs[:, 0]) * coslat, np.diff(legs[:, 1])) * 60.0
    along = np.concatenate([[0.0], np.cumsum(d_nm)])
    run = (t / 3600.0 * speed_kn) % (2 * along[-1])  # there and back along the legs
    run = np.where(run > along[-1], 2 * along[-1] - run, run)
    lon = np.interp(run, along, legs[:, 0])
    lat = np.interp(run, along, legs[:, 1])
    seg = np.clip(np.searchsorted(along, run) - 1, 0, len(d_nm) - 1)
    cog = (np.degrees(np.arctan2(np.diff(legs[:, 0])[seg] * coslat,
                                 np.diff(legs[:, 1])[seg])) + 360.0) % 360.0
    sog = np.clip(speed_kn + rng.normal(0, 0.4, n), 0, None)
    return t, lon, lat, sog, cog


def synthetic_positions(positions: int, vessels: int, seed: int = 16
                        ) -> tuple[Fleet, dict[str, np.ndarray]]:
    """Columns of ``positions`` reports of ``vessels`` vessels over ``DAYS`` days, in time
    order (as a feed delivers them)."""
    rng = np.random.default_rng(seed)
    geo = load_geography(load_settings())
    water_pts = _water_points(rng, geo.water, 5000)
    fleet = _fleet(rng, vessels)
    span = DAYS * 86_400.0
    per = np.full(vessels, positions // vessels)
    per[: positions - int(per.sum())] += 1
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("mmsi", "t", "lon", "lat", "sog",
                                                          "cog")}
    for i in range(vessels):
        t, lon, lat, sog, cog = _track(rng, water_pts, float(fleet.speed_kn[i]),
                                       int(per[i]), span)
        parts["mmsi"].append(np.full(len(t), fleet.mmsi[i]))
        for k, v in zip(("t", "lon", "lat", "sog", "cog"), (t, lon, lat, sog, cog),
                        strict=True):
            parts[k].append(v)
    cols = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.argsort(cols["t"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    kind = dict(zip(fleet.mmsi.tolist(), fleet.ship_type.tolist(), strict=True))
    ship_type = np.fromiter((kind[m] for m in cols["mmsi"].tolist()), np.int64,
                            len(cols["mmsi"]))
    cols["status"] = np.select([ship_type == 0, ship_type == 30], [1, 7], 0)
    cols["msg_type"] = np.where(ship_type == 30, 18, 1)
    return fleet, cols


def _position_batches(cols: dict[str, np.ndarray], source: str) -> Iterator[pa.Table]:
    t0_s = START.timestamp()
    rng = np.random.default_rng(7)
    n = len(cols["mmsi"])
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        ts_us = ((t0_s + cols["t"][lo:hi]) * 1e6).astype(np.int64)
        yield positions_table({
            "mmsi": cols["mmsi"][lo:hi], "ts_us": ts_us,
            "lat": cols["lat"][lo:hi], "lon": cols["lon"][lo:hi],
            "sog": np.round(cols["sog"][lo:hi], 1), "cog": np.round(cols["cog"][lo:hi], 1),
            "heading": np.round(cols["cog"][lo:hi]).astype(np.int64) % 360,
            "status": np.where(cols["msg_type"][lo:hi] == 18, -1, cols["status"][lo:hi]),
            "msg_type": cols["msg_type"][lo:hi],
            "station": STATIONS[rng.integers(0, len(STATIONS), hi - lo)],
            "report_s": ts_us // 1_000_000,
            "msg_key": rng.integers(0, 1 << 62, hi - lo, dtype=np.int64).astype(np.uint64),
        }, source, exercise=False)


def _statics(fleet: Fleet, source: str) -> pa.Table:
    rows: list[tuple[Any, ...]] = []
    t0_us = int(START.timestamp() * 1e6)
    ports = ["BAKU", "ALAT", "AKTAU", "TURKMENBASHI", "MAKHACHKALA", "ANZALI", "SANGACHAL"]
    for i, m in enumerate(fleet.mmsi.tolist()):
        kind = int(fleet.ship_type[i])
        size = {80: (180, 30), 70: (120, 25), 60: (150, 20), 30: (18, 5), 52: (25, 8),
                0: (90, 20)}[kind]
        for j, at in enumerate((0, int(DAYS / 2 * 86_400e6))):
            rows.append((m, t0_us + at + i, 5, fleet.names[i], f"4J{i:05d}",
                         9_100_000 + i if kind not in (30, 52) else None, kind or 80,
                         size[0] * 2 // 3, size[0] // 3, size[1] // 2, size[1] // 2,
                         round(2.0 + 0.01 * (i % 400) + j, 1), ports[(i + j) % len(ports)],
                         "AZ-BAKU", (i << 1) | j))
    return statics_table(rows, source)


def _load(db: str, fleet: Fleet, cols: dict[str, np.ndarray], alerts: list[Alert],
          transitions: list[Transition]) -> dict[str, Any]:
    """The synthetic picture into ``db`` through the ingest repository; seconds taken."""
    source = "bench-pg@synthetic"
    with open_store(db) as store:
        add_user(store, "bench", PASSWORD, "viewer", actor="bench",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        repo = IngestRepo(store)
        run_id = "bench:pg-synthetic"
        repo.start_run(run_id, source, "file")
        started = time.perf_counter()
        done = 0
        statics = _statics(fleet, source)
        for k, batch in enumerate(_position_batches(cols, source)):
            done += batch.num_rows
            repo.write(IngestBatch(source, positions=batch, statics=statics if k == 0 else None),
                       run_id, (done, done, 0, 0), {})
            if k % 8 == 7:
                print(f"   {store.dialect}: {done:,} positions, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
        repo.finish_run(run_id, (done, done, 0, 0), {})
        load_s = time.perf_counter() - started
        alert_repo.upsert_alerts(store, alerts)
        alert_repo.insert_transitions(store, transitions)
        t = time.perf_counter()
        if store.dialect == "postgresql":  # what autovacuum would do in time on a server
            store.execute("VACUUM ANALYZE positions")
            store.execute("VACUUM ANALYZE vessels_static")
        else:
            store.execute("CHECKPOINT")
        settle_s = time.perf_counter() - t
        row = store.execute("SELECT count(*) FROM positions").fetchone()
        stored = int(row[0]) if row else 0
    return {"positions": stored, "load_s": round(load_s, 1),
            "positions_per_s": round(stored / load_s), "vacuum_or_checkpoint_s":
            round(settle_s, 1)}


def synthetic_alerts(fleet: Fleet, n: int, seed: int = 16
                     ) -> tuple[list[Alert], list[Transition]]:
    """``n`` alerts at the protected assets (anchor drag, loitering, safety-zone entry, AIS
    gap), in every life-cycle state, with their transitions."""
    rng = np.random.default_rng(seed)
    geo = load_geography(load_settings())
    assets = [a for a in geo.assets if a.geometry is not None]
    kinds = [("anchor-drag", "anchor_drag"), ("protected-loitering", "loitering"),
             ("safety-zone-entry", "zone_entry"), ("protected-ais-gap", "ais_gap")]
    alerts: list[Alert] = []
    transitions: list[Transition] = []
    for i in range(n):
        rule, typ = kinds[i % len(kinds)]
        asset = assets[int(rng.integers(len(assets)))]
        p = asset.geometry.representative_point()
        mmsi = int(fleet.mmsi[int(rng.integers(len(fleet.mmsi)))])
        first = START + timedelta(seconds=float(rng.uniform(0, DAYS * 86_400 - 7200)))
        last = first + timedelta(minutes=float(rng.uniform(5, 120)))
        state = [AlertState.new, AlertState.acknowledged, AlertState.assigned,
                 AlertState.resolved][int(rng.choice(4, p=[0.3, 0.2, 0.1, 0.4]))]
        aid = alert_id(rule, typ, mmsi, None, asset.id, first)
        alerts.append(Alert(
            id=aid, rule=rule, type=typ,
            severity=[Severity.low, Severity.medium, Severity.high, Severity.critical][i % 4],
            score=float(rng.uniform(20, 95)), state=state, mmsi=mmsi, other_mmsi=None,
            asset_id=asset.id, zone_id=None, lat=float(p.y), lon=float(p.x),
            first_ts=first, last_ts=last, event_ids=(f"E{i:015d}",),
            summary=f"{typ} near {asset.name}", created_at=last, updated_at=last,
            assigned_boat="P-201" if state is AlertState.assigned else None,
            resolution="false alarm" if state is AlertState.resolved else None,
            escalated=state is AlertState.new and i % 5 == 0))
        transitions.append(Transition(aid, last, "system", None, AlertState.new))
        if state is not AlertState.new:
            transitions.append(Transition(aid, last + timedelta(minutes=3), "bench",
                                          AlertState.new, state))
    return alerts, transitions


# --------------------------------------------------------------------------- 3. the API
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``khazar serve --db …`` in its own process, logged in."""

    def __init__(self, db: str, work: Path, name: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / f"serve-{name}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [_khazar(), "serve", "--db", db, "--port", str(self.port)], env=_env(),
                cwd=work, stdout=subprocess.DEVNULL, stderr=log)
        self.client = httpx.Client(base_url=self.url, timeout=600)

    def log_in(self) -> None:
        deadline = time.monotonic() + 300
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"khazar serve exited: {self.log.read_text()[-600:]}")
            try:
                r = self.client.post("/api/login", json={"username": "bench",
                                                         "password": PASSWORD})
                if r.status_code == 200:
                    self.client.headers["Authorization"] = f"Bearer {r.json()['token']}"
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("khazar serve did not answer a login in 300 s")
            time.sleep(0.5)

    def get(self, path: str) -> tuple[float, int]:
        """Seconds of one request and its number of features."""
        t = time.perf_counter()
        r = self.client.get(path)
        elapsed = time.perf_counter() - t
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:200]}")
        return elapsed, len(r.json()["features"])

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
        return round(kb / 1024, 1)

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _pct(values: list[float]) -> dict[str, Any]:
    a = np.asarray(values) * 1000
    return {"n": int(a.size), "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1),
            "max_ms": round(float(a.max()), 1)}


#: a warm-up request slower than this is kept as a sample (the cost is the query, not a
#: cold cache, and minutes-long requests are too dear to throw away)
SLOW_S = 10.0
MIN_REQUESTS = 3


def _time_paths(servers: dict[str, Server], requests: int, budget_s: float
                ) -> dict[str, Any]:
    """Each path ``requests`` times per server (after one warm-up), the servers alternated
    request by request; fewer (at least ``MIN_REQUESTS``) when a path's time budget runs
    out: the count is recorded."""
    out: dict[str, Any] = {}
    for key, path in PATHS.items():
        lat: dict[str, list[float]] = {name: [] for name in servers}
        features: dict[str, int] = {}
        kept: list[str] = []
        started = time.monotonic()
        for name, server in servers.items():
            first, features[name] = server.get(path)  # warm-up (and the feature count)
            if first > SLOW_S:
                lat[name].append(first)
                kept.append(name)
        while True:
            for name, server in servers.items():
                if len(lat[name]) < requests:
                    lat[name].append(server.get(path)[0])
            least = min(len(v) for v in lat.values())
            if least >= requests or (time.monotonic() - started > budget_s
                                     and least >= MIN_REQUESTS):
                break
        for name, server in servers.items():  # a fast server cut short by a slow one
            while len(lat[name]) < requests and np.median(lat[name]) < SLOW_S / 4:
                lat[name].append(server.get(path)[0])
        stats = {name: _pct(v) for name, v in lat.items()}
        out[key] = {"path": path, "features": features, **stats,
                    "warm_up_kept_as_sample": kept,
                    "ratio_p50_postgresql_over_duckdb": round(
                        stats["postgresql"]["p50_ms"] / stats["duckdb"]["p50_ms"], 2),
                    "ratio_p99_postgresql_over_duckdb": round(
                        stats["postgresql"]["p99_ms"] / stats["duckdb"]["p99_ms"], 2)}
        print(f"   {key}: " + ", ".join(f"{n} p50 {s['p50_ms']} ms p99 {s['p99_ms']} ms "
                                        f"(n={s['n']})" for n, s in stats.items()), flush=True)
    return out


def _api(cluster: Cluster, work: Path, positions: int, quick: bool) -> dict[str, Any]:
    t = time.perf_counter()
    fleet, cols = synthetic_positions(positions, VESSELS)
    alerts, transitions = synthetic_alerts(fleet, ALERTS)
    gen_s = time.perf_counter() - t
    print(f"   {positions:,} positions generated in {gen_s:.0f} s", flush=True)
    dbs = {"duckdb": str(work / "api.duckdb"), "postgresql": cluster.create_database("api")}
    loads = {}
    for name, db in dbs.items():
        loads[name] = _load(db, fleet, cols, alerts, transitions)
    del cols
    sizes = {"duckdb_file_mb": round(Path(dbs["duckdb"]).stat().st_size / 2**20),
             "postgresql_database_mb": round(int(cluster.psql(
                 "SELECT pg_database_size('api')").strip()) / 2**20)}
    servers: dict[str, Server] = {}
    try:
        for name, db in dbs.items():
            servers[name] = Server(db, work, name)
        for server in servers.values():
            server.log_in()
        requests, budget = (20, 60.0) if quick else (100, 600.0)
        timed = _time_paths(servers, requests, budget)
        rss = {name: s.rss_mb() for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {
        "store": {"positions": loads["duckdb"]["positions"], "vessels": VESSELS,
                  "days": DAYS, "alerts": len(alerts), "generate_s": round(gen_s, 1),
                  **sizes},
        "load_through_ingest_repo": loads,
        "ratio_load_rate_postgresql_over_duckdb": round(
            loads["postgresql"]["positions_per_s"] / loads["duckdb"]["positions_per_s"], 2),
        "requests": timed,
        "serve_rss_mb": rss,
    }


def run(quick: bool) -> dict[str, Any]:
    positions = _option("positions", 500_000 if quick else 10_000_000)
    before = _machine()
    with tempfile.TemporaryDirectory(prefix="khazar-bench-pg-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)
        with running_cluster() as cluster:
            version = cluster.psql("SHOW server_version").strip()
            postgis = cluster.psql("SELECT default_version FROM pg_available_extensions "
                                   "WHERE name = 'postgis'").strip()
            ingest = _ingest(cluster, work, quick)
            api = _api(cluster, work, positions, quick)
    import duckdb

    return {
        "ingest": ingest,
        "api": api,
        "versions": {"postgresql": version, "postgis": postgis, "duckdb": duckdb.__version__},
        "cluster": "khazar.store.pgcluster: fsync=off, synchronous_commit=off, "
                   "full_page_writes=off, shared_buffers=256MB (a throw-away cluster)",
        "machine": {"before": before, "after": _machine()},
        "limits": "shared 2-core machine: quote ratios; server and client on one host",
    }

