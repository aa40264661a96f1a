"""Batch detection over ≥ 10 M simulated positions, and stop detection beside MovingPandas.

Input: Khazar's own simulator (scenario ``mixed``, seed 7, from 2026-01-01), scaled up by
simulating more vessels (``density``) over more days in one continuous run, never by
copying rows. What the coastal stations received is decoded with the ingest's decoder
(:func:`khazar.ingest.decode.decode_messages`), one row per transmission (the first copy,
as the ingest's de-duplication keeps it), and written to a DuckDB store through the
ingest's Arrow tables; the simulated radar contacts go to its detections table. The store
is cached in ``bench/work/`` under a key of the parameters and of the simulator's sources.
``input_fidelity`` checks, on 2 simulated hours, that this path stores exactly the rows the
real ``khazar ingest`` of ``feed.nmea`` stores.

1. ``batch``: a child process does what ``khazar detect`` does (read the store, build the
   geography, :func:`khazar.detect.detect_batch` with every detector); wall time, CPU time
   and peak RSS (the child's ``VmHWM``, and its ``ru_maxrss`` seen by the parent through
   ``wait4``) are its own. Target: ≤ 60 s and ≤ 4 GB for ≥ 10 M positions on 2 cores.
2. ``stops``: a ≥ 1 M-position subset (whole vessels, in MMSI order); Khazar's tracker and
   loitering kernel with no geography (a pure "speed < 2 kn for ≥ 1 h" stop) against
   MovingPandas' ``TrajectoryStopDetector`` with the matching parameters (``min_duration``
   1 h, ``max_diameter`` = 2 kn × 1 h = 3704 m): the ratio of times and the agreement of the
   two sets of stops (a stop is found when the same vessel has an overlapping stop in the
   other set; the time Jaccard index compares the stopped time of both).

Usage: ``python -m bench detect [--quick]`` (quick: 24 h at density 1, about 0.6 M positions,
and a 100 k subset).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_stops import Stop, time_jaccard

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
START = datetime(2026, 1, 1, tzinfo=UTC)
SEED = 7
SOURCE = "bench-sim"
#: targets of issue 4 / DESIGN
TARGET_WALL_S = 60.0
TARGET_RSS_GB = 4.0
TARGET_POSITIONS = 10_000_000
TARGET_SPEEDUP = 50.0


@dataclass(frozen=True, slots=True)
class DataSpec:
    """One continuous simulation run: ``hours`` of scenario ``mixed`` at ``density``."""

    hours: float
    density: float
    seed: int = SEED


FULL = DataSpec(hours=24.0 * 12, density=2.0)
QUICK = DataSpec(hours=24.0, density=1.0)
STOPS_FULL = 1_000_000
STOPS_QUICK = 100_000
FIDELITY = DataSpec(hours=2.0, density=1.0, seed=SEED)


# --------------------------------------------------------------------------- input
def _sources_digest() -> str:
    """Hash of what the simulated positions depend on (simulator, decoder, data, config)."""
    h = hashlib.sha256()
    src = ROOT / "src" / "khazar"
    files = sorted([*src.joinpath("sim").rglob("*.py"), *src.joinpath("data").rglob("*"),
                    *src.joinpath("geo").rglob("*.py"), src / "config.py",
                    src / "ingest" / "decode.py", src / "ingest" / "sixbit.py",
                    src / "store" / "ingest.py", src / "store" / "schema.py"])
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(src)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _store_path(spec: DataSpec) -> Path:
    return WORK / f"detect-sim-s{spec.seed}-{spec.hours:g}h-d{spec.density:g}.duckdb"


def write_simulated_store(spec: DataSpec, path: Path) -> dict[str, Any]:
    """Simulate ``spec`` and store what the receivers heard, as the ingest stores it."""
    import pyarrow as pa

    from khazar.config import load_settings
    from khazar.ingest.batch import positions_table
    from khazar.ingest.decode import Messages, decode_messages
    from khazar.sim.engine import simulate
    from khazar.sim.world import World
    from khazar.store import open_store

    started = time.perf_counter()
    settings = load_settings()
    run = simulate("mixed", spec.hours, spec.seed, START, settings,
                   world=World.load(settings), density=spec.density)
    sim_s = time.perf_counter() - started
    feed = run.feed
    # the first copy of each transmission in receive order (what the ingest keeps)
    order = np.argsort(feed.pos_rx, kind="stable")
    _, first = np.unique(feed.pos_idx[order], return_index=True)
    copy = order[np.sort(first)]
    names = [s.name for s in feed.stations]
    stored = 0
    path.unlink(missing_ok=True)
    with open_store(path) as store:
        for a in range(0, copy.size, 1_000_000):
            sel = copy[a: a + 1_000_000]
            payloads = feed.payloads[feed.pos_idx[sel]]
            text = payloads.tobytes().decode("ascii")
            msgs = Messages()
            k = sel.size
            msgs.extend(list(range(k)), [text[i * 28: (i + 1) * 28] for i in range(k)],
                        [0] * k, [names[s] for s in feed.pos_sta[sel].tolist()],
                        (np.floor(feed.pos_rx[sel]).astype(np.int64) * 1_000_000).tolist())
            dec = decode_messages(msgs)
            if dec.rejects:
                raise RuntimeError(f"simulated payloads rejected: {dec.rejects[:3]}")
            tbl = positions_table(dec.positions, SOURCE, False)
            with store.staged("bench_src", tbl):
                store.execute("INSERT INTO positions BY NAME SELECT * FROM bench_src").fetchall()
            stored += tbl.num_rows
        radar = run.radar
        sites = np.asarray([f"radar:{s.name}" for s in radar.sites])
        det = pa.table({
            "ts": pa.array(np.floor(radar.t_s).astype(np.int64) * 1_000_000,
                           pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "lat": np.round(radar.lat, 5), "lon": np.round(radar.lon, 5),
            "length_m": pa.array(np.round(radar.length_m).astype(np.float32)),
            "source": pa.array(sites[radar.site].tolist(), pa.string()),
            "exercise": pa.array(np.zeros(len(radar), bool))})
        with store.staged("bench_det", det):
            # the ingest keeps one row per (time, position, source), as here
            store.execute("INSERT INTO detections BY NAME SELECT * FROM bench_det QUALIFY "
                          "row_number() OVER (PARTITION BY ts, lat, lon, source) = 1").fetchall()
    return {"scenario": "mixed", "seed": spec.seed, "start": START.isoformat(),
            "hours": spec.hours, "density": spec.density,
            "vessels": run.truth.stats["vessels"],
            "transmissions": len(feed.positions), "received_copies": int(feed.pos_idx.size),
            "positions_stored": stored, "radar_detections": len(run.radar),
            "simulate_s": round(sim_s, 1),
            "generate_s": round(time.perf_counter() - started, 1),
            "sources_digest": _sources_digest()}


def ensure_store(spec: DataSpec, regen: bool = False) -> tuple[Path, dict[str, Any]]:
    """The cached store of ``spec``, generated in a child process when missing or when
    ``regen``. A simulation of 10 M positions takes minutes, so a cache made by an older
    simulator is reused and says so (``sources_changed_since``); ``KHAZAR_BENCH_REGEN=1``
    regenerates."""
    path = _store_path(spec)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists() and not regen:
        meta = json.loads(meta_path.read_text())
        meta["cached"] = True
        meta["sources_changed_since"] = meta.get("sources_digest") != _sources_digest()
        return path, meta
    WORK.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    out = _child(["generate", json.dumps(asdict(spec)), str(path)])
    meta = out["result"]
    meta["generate_peak_rss_gb"] = out["peak_rss_gb"]
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["cached"] = False
    meta["sources_changed_since"] = False
    return path, meta


# --------------------------------------------------------------------------- batch
def child_batch(db: Path) -> dict[str, Any]:
    """In the child: what ``khazar detect`` does, phase by phase, with this process's own
    wall time, CPU time and peak RSS."""
    from khazar.config import load_settings
    from khazar.detect import detect_batch
    from khazar.detect.adapters import geography_from_geo
    from khazar.geo import load_geography
    from khazar.store import open_store
    from khazar.store.picture import load_detections, load_fixes

    load0 = _loadavg()
    t0 = time.perf_counter()
    with open_store(db, read_only=True) as store:
        fixes = load_fixes(store)
        dets = load_detections(store)
    load_s = time.perf_counter() - t0
    rss_after_load_kb = _status_kb("VmHWM")
    t0 = time.perf_counter()
    settings = load_settings()
    geo = geography_from_geo(load_geography(settings), settings)
    _ = (geo.zone_indexes, geo.shore, geo.registry_indexes, geo.approach_indexes,
         geo.water_index, geo.grid_columns)
    geo_s = time.perf_counter() - t0
    reset = _reset_peak_rss()
    base_kb = _status_kb("VmRSS")
    timings: dict[str, float] = {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    events = detect_batch(fixes, settings.detect, geo, dets, timings_s=timings)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    detect_peak_kb = _status_kb("VmHWM")
    by_type: dict[str, int] = {}
    for e in events:
        by_type[e.type] = by_type.get(e.type, 0) + 1
    return {
        "positions": len(fixes), "vessels": int(np.unique(fixes.mmsi).size),
        "radar_detections": len(dets),
        "load_from_store_s": round(load_s, 2), "geography_s": round(geo_s, 2),
        "detect_wall_s": round(wall, 2), "detect_cpu_s": round(cpu, 2),
        "positions_per_s_wall": round(len(fixes) / wall),
        "positions_per_s_cpu": round(len(fixes) / cpu),
        "phases_s": {k: round(v, 2) for k, v in timings.items()},
        "peak_rss_after_load_gb": round(rss_after_load_kb * 1024 / 1e9, 3),
        "rss_before_detect_gb": round(base_kb * 1024 / 1e9, 3),
        "peak_rss_during_detect_gb": (round(detect_peak_kb * 1024 / 1e9, 3) if reset
                                      else None),
        "events": len(events), "events_by_type": dict(sorted(by_type.items())),
        "event_ids_sha256": hashlib.sha256(
            "\n".join(sorted(e.id for e in events)).encode()).hexdigest()[:16],
        "loadavg_before": load0, "loadavg_after": _loadavg(),
    }


def bench_batch(db: Path) -> dict[str, Any]:
    """Detection over the whole store in a child process; targets checked."""
    out = _child(["batch", str(db)])
    r: dict[str, Any] = out["result"]
    r["process_wall_s"] = out["wall_s"]
    r["process_cpu_s"] = out["cpu_s"]
    r["process_peak_rss_gb"] = out["peak_rss_gb"]
    r["targets"] = {
        "positions_ge_10M": r["positions"] >= TARGET_POSITIONS,
        "detect_wall_le_60s": r["detect_wall_s"] <= TARGET_WALL_S,
        "detect_cpu_le_60s": r["detect_cpu_s"] <= TARGET_WALL_S,
        # the whole `khazar detect`-like process, store load included
        "peak_rss_le_4GB": out["peak_rss_gb"] <= TARGET_RSS_GB,
    }
    return r


# --------------------------------------------------------------------------- stops


def _load_subset(db: Path, n: int) -> Any:
    """Whole vessels in MMSI order until ``n`` positions (the first vessel that reaches it
    is included)."""
    from khazar.store import open_store
    from khazar.tracks import Fixes

    with open_store(db, read_only=True) as store:
        tbl = store.execute(
            "WITH c AS (SELECT mmsi, sum(count(*)) OVER (ORDER BY mmsi) - count(*) AS before "
            "FROM positions GROUP BY mmsi) "
            "SELECT p.mmsi, epoch_us(p.ts) / 1e6 AS t, p.lat, p.lon, p.sog_kn, p.cog_deg, "
            "coalesce(p.heading_deg, -1) AS hd, coalesce(p.status, -1) AS st "
            "FROM positions p JOIN c USING (mmsi) WHERE c.before < ?", [n]).fetchnumpy()

    def f64(a: Any) -> Any:
        return np.asarray(np.ma.filled(np.ma.asarray(a, dtype=np.float64), np.nan))

    return Fixes.from_arrays(tbl["mmsi"], tbl["t"], tbl["lat"], tbl["lon"], f64(tbl["sog_kn"]),
                             f64(tbl["cog_deg"]), tbl["hd"], tbl["st"])


def _khazar_stops(fx: Any) -> tuple[list[Stop], float, float]:
    from khazar.config import load_settings
    from khazar.detect.base import Chunk, Detections
    from khazar.detect.engine import track_params
    from khazar.detect.geography import DetectGeography, annotate
    from khazar.detect.loitering import LoiteringDetector
    from khazar.tracks import TrackerState, track

    s = load_settings().detect
    geo = DetectGeography()
    started, cpu0 = time.perf_counter(), time.process_time()
    tr = track(TrackerState(), fx, track_params(s))
    ann = annotate(geo, tr.fixes.mmsi, tr.fixes.lat, tr.fixes.lon)
    wm = float(np.nextafter(fx.t_s.max(), np.inf))
    det = LoiteringDetector(s, geo)
    _, evs = det.step(det.init(), Chunk(tr, ann, Detections.empty(), wm, True))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    return [(int(e.mmsi or 0), e.start.timestamp(), e.end.timestamp()) for e in evs], took, cpu


def _movingpandas_stops(fx: Any) -> tuple[list[Stop], float, float]:
    import warnings

    with warnings.catch_warnings():  # its optional Stone Soup smoother is not needed here
        warnings.simplefilter("ignore")
        import geopandas as gpd
        import movingpandas as mpd
        import pandas as pd

    df = pd.DataFrame({"mmsi": fx.mmsi, "t": pd.to_datetime(fx.t_s, unit="s"),
                       "lat": fx.lat, "lon": fx.lon})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    started, cpu0 = time.perf_counter(), time.process_time()
    tc = mpd.TrajectoryCollection(gdf, "mmsi", t="t")
    det = mpd.TrajectoryStopDetector(tc)
    segs = det.get_stop_segments(min_duration=timedelta(hours=1),
                                 max_diameter=2.0 * 1852.0)  # 2 kn × 1 h
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    out = [(int(str(tr.id).split("_")[0]), tr.get_start_time().timestamp(),
            tr.get_end_time().timestamp()) for tr in segs]
    return out, took, cpu


def _found(a: list[Stop], b: list[Stop]) -> float:
    """Share of the stops of ``a`` with an overlapping stop of the same vessel in ``b``."""
    by: dict[int, list[tuple[float, float]]] = {}
    for m, s, e in b:
        by.setdefault(m, []).append((s, e))
    hit = sum(any(s <= e2 and s2 <= e for s2, e2 in by.get(m, [])) for m, s, e in a)
    return hit / len(a) if a else 1.0


def child_stops(db: Path, n: int) -> dict[str, Any]:
    """In the child: Khazar's stops and MovingPandas' on the same subset."""
    fx = _load_subset(db, n)
    load0 = _loadavg()
    ours, ours_s, ours_cpu = _khazar_stops(fx)
    theirs, theirs_s, theirs_cpu = _movingpandas_stops(fx)
    return {
        "positions": len(fx), "vessels": int(np.unique(fx.mmsi).size),
        "khazar_s": round(ours_s, 3), "khazar_cpu_s": round(ours_cpu, 3),
        "khazar_stops": len(ours),
        "movingpandas_s": round(theirs_s, 2), "movingpandas_cpu_s": round(theirs_cpu, 2),
        "movingpandas_stops": len(theirs),
        "speedup_wall": round(theirs_s / ours_s, 1),
        "speedup_cpu": round(theirs_cpu / ours_cpu, 1),
        "khazar_stops_found_by_movingpandas": round(_found(ours, theirs), 3),
        "movingpandas_stops_found_by_khazar": round(_found(theirs, ours), 3),
        "stopped_time_jaccard": round(time_jaccard(ours, theirs), 3),
        "parameters": "Khazar loitering without geography: speed < 2 kn for ≥ 1 h; "
                      "MovingPandas TrajectoryStopDetector: max_diameter 3704 m, "
                      "min_duration 1 h",
        "loadavg_before": load0, "loadavg_after": _loadavg(),
    }


def bench_stops(db: Path, n: int) -> dict[str, Any]:
    """Stops beside MovingPandas in a child process; the goal checked."""
    if importlib.util.find_spec("movingpandas") is None:
        return {"movingpandas": "not installed; run scripts/bench-setup.sh"}
    r: dict[str, Any] = _child(["stops", str(db), str(n)])["result"]
    r["targets"] = {"speedup_ge_50x": r["speedup_wall"] >= TARGET_SPEEDUP,
                    "subset_ge_1M": r["positions"] >= STOPS_FULL}
    return r


# --------------------------------------------------------------------------- fidelity
def child_fidelity() -> dict[str, Any]:
    """In the child: 2 simulated hours through the real ``khazar ingest`` of feed.nmea and
    through this benchmark's path; the stored positions must be the same rows."""
    from khazar.config import load_settings
    from khazar.ingest.files import ingest_file
    from khazar.sim.engine import simulate
    from khazar.sim.output import write_run
    from khazar.sim.world import World
    from khazar.store import open_store
    from khazar.store.ingest import IngestRepo
    from khazar.store.picture import load_fixes

    def rows(db: Path) -> Any:
        with open_store(db, read_only=True) as store:
            fx = load_fixes(store)
            n_det = store.execute("SELECT count(*) FROM detections").fetchone()
        cols = np.stack([fx.mmsi, fx.t_s, fx.lat, fx.lon, np.nan_to_num(fx.sog_kn, nan=-9),
                         np.nan_to_num(fx.cog_deg, nan=-9), fx.heading_deg, fx.status], axis=1)
        cols = cols[np.lexsort(cols.T[::-1])]
        return cols, int(n_det[0]) if n_det else 0

    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        run = simulate("mixed", FIDELITY.hours, FIDELITY.seed, START, settings,
                       world=World.load(settings), density=FIDELITY.density)
        paths = write_run(run, d)
        with open_store(d / "real.duckdb") as store:
            for p in paths.values():
                if p.suffix in (".nmea", ".csv"):
                    ingest_file(IngestRepo(store), p)
        write_simulated_store(FIDELITY, d / "bench.duckdb")
        real, real_det = rows(d / "real.duckdb")
        ours, ours_det = rows(d / "bench.duckdb")
    same = real.shape == ours.shape and bool(np.array_equal(real, ours))
    return {"hours": FIDELITY.hours, "positions_real_ingest": int(real.shape[0]),
            "positions_bench_path": int(ours.shape[0]), "radar_real_ingest": real_det,
            "radar_bench_path": ours_det, "identical_positions": same}


def run(quick: bool) -> dict[str, Any]:
    """Figures for bench/results/detect.json (quick: 24 h at density 1, 100 k subset)."""
    spec = QUICK if quick else FULL
    db, data = ensure_store(spec, regen=os.environ.get("KHAZAR_BENCH_REGEN") == "1")
    fidelity = _child(["fidelity"])["result"]
    batch = bench_batch(db)
    stops = bench_stops(db, STOPS_QUICK if quick else STOPS_FULL)
    return {"input": data, "input_fidelity": fidelity, "batch": batch, "stops": stops,
            "cpus": os.cpu_count()}


# --------------------------------------------------------------------------- child processes
def _child(args: list[str]) -> dict[str, Any]:
    """Run ``python -m bench.bench_detect ARGS OUT`` and return its result with the child's
    own resource usage (``wait4``): peak RSS, user and system CPU."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bench.bench_detect", *args, str(out)],
                                cwd=ROOT, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench child {args[0]} failed ({proc.returncode}): "
                               f"{err.strip()[-1500:]}")
        result = json.loads(out.read_text())
    return {"result": result, "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            # ru_maxrss is in KiB on Linux
            "peak_rss_gb": round(usage.ru_maxrss * 1024 / 1e9, 3)}


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` figure (VmHWM: peak RSS, VmRSS: current), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5), so the next phase's peak
    is its own; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str]) -> int:
    """Child entry points: ``generate SPEC DB OUT``, ``batch DB OUT``, ``stops DB N OUT``."""
    cmd, *args = argv
    out = Path(args[-1])
    if cmd == "generate":
        result = write_simulated_store(DataSpec(**json.loads(args[0])), Path(args[1]))
    elif cmd == "batch":
        result = child_batch(Path(args[0]))
    elif cmd == "stops":
        result = child_stops(Path(args[0]), int(args[1]))
    elif cmd == "fidelity":
        result = child_fidelity()
    else:
        raise SystemExit(f"unknown command {cmd!r}")
    out.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
