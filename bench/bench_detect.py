"""Batch detection over ≥ 10 M positions, and stop detection beside MovingPandas.

1. ``batch``: synthetic traffic generated in NumPy (vessels sailing and drifting in the open
   Caspian east of 50.5° E, class A reporting every 10–20 s, gaps, pairs alongside), loaded
   into a DuckDB store and read back like ``khazar detect`` does, then
   :func:`khazar.detect.detect_batch` with the real geography (zones, ports, water, registry).
   Target: ≤ 60 s and ≤ 4 GB for 10 M positions on 2 cores.
2. ``stops``: a 1 M-position subset; Khazar's loitering kernel with no geography (a pure
   "speed < 2 kn for ≥ 1 h" stop) against MovingPandas' ``TrajectoryStopDetector`` with the
   matching parameters (``min_duration`` 1 h, ``max_diameter`` = 2 kn × 1 h): the ratio of
   times and the agreement of the two sets of stops (a stop matches when the same vessel has
   an overlapping stop in the other set).
"""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from khazar.config import load_settings
from khazar.detect import DetectGeography, detect_batch
from khazar.detect.base import Detections
from khazar.tracks import Fixes
from khazar.units import KN_TO_MS

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
BOX = (38.6, 41.9, 50.6, 52.6)  # lat0, lat1, lon0, lon1: open water east of Absheron
M_LAT = 110_574.0


def synthetic(n_positions: int, seed: int = 7) -> Fixes:
    """Vessels that alternate sailing legs (6–14 kn) and drifts (0–1.2 kn), bouncing inside
    BOX, class A cadence; a few silences; every 20th vessel drifts beside a partner."""
    rng = np.random.default_rng(seed)
    per = 5000
    n_v = max(1, n_positions // per)
    every = rng.choice([10.0, 15.0, 20.0], n_v)
    parts = []
    lat0, lat1, lon0, lon1 = BOX
    m_lon = 111_320.0 * np.cos(np.radians((lat0 + lat1) / 2))
    for v in range(n_v):
        n = per
        t = T0 + rng.uniform(0, 3600) + np.arange(n) * every[v]
        # legs of 20–120 min: speed and course per leg
        leg = np.cumsum(rng.random(n) < every[v] / rng.uniform(1200, 7200))
        n_leg = int(leg[-1]) + 1
        slow = rng.random(n_leg) < 0.35
        spd = np.where(slow, rng.uniform(0.0, 1.2, n_leg), rng.uniform(6, 14, n_leg))[leg]
        crs = rng.uniform(0, 2 * np.pi, n_leg)[leg]
        step = spd * KN_TO_MS * every[v]
        x = np.cumsum(np.sin(crs) * step) + rng.uniform(0, (lon1 - lon0) * m_lon)
        y = np.cumsum(np.cos(crs) * step) + rng.uniform(0, (lat1 - lat0) * M_LAT)
        wx, wy = (lon1 - lon0) * m_lon, (lat1 - lat0) * M_LAT
        x = wx - np.abs(np.mod(x, 2 * wx) - wx)  # reflect at the box edges
        y = wy - np.abs(np.mod(y, 2 * wy) - wy)
        keep = np.ones(n, bool)
        if rng.random() < 0.3:  # a silence of 1–3 h
            a = int(rng.integers(0, n - 1))
            keep[a: a + int(rng.uniform(3600, 10800) / every[v])] = False
        lat = lat0 + y / M_LAT + rng.normal(0, 5e-5, n)
        lon = lon0 + x / m_lon + rng.normal(0, 5e-5, n)
        mmsi = 273_000_000 + v
        parts.append(Fixes.from_arrays(np.full(keep.sum(), mmsi), t[keep], lat[keep],
                                       lon[keep], np.round(spd[keep], 1),
                                       np.degrees(crs[keep]) % 360, None,
                                       np.where(spd[keep] < 0.5, 1, 0)))
        if v % 20 == 1:  # a partner drifting 150 m away
            p = parts[-2]
            parts.append(Fixes.from_arrays(np.full(len(p), mmsi + 500_000), p.t_s + 3.0,
                                           p.lat + 150 / M_LAT, p.lon, p.sog_kn, p.cog_deg,
                                           None, p.status))
    return Fixes.concat(parts)


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _via_store(fx: Fixes) -> tuple[Fixes, float]:
    """Write the fixes into a store's positions table, read them back as ``khazar detect``."""
    import pyarrow as pa

    from khazar.detect.adapters import load_fixes
    from khazar.store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "b.duckdb") as store:
        tbl = pa.table({
            "mmsi": fx.mmsi.astype(np.int32), "ts": pa.array((fx.t_s * 1e6).astype(np.int64),
                                                             pa.timestamp("us", tz="UTC")),
            "lat": fx.lat, "lon": fx.lon, "sog": fx.sog_kn.astype(np.float32),
            "cog": fx.cog_deg.astype(np.float32), "st": fx.status.astype(np.int8)})
        store.conn.register("src", tbl)
        store.conn.execute(
            "INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
            "source, report_ts, msg_key) SELECT mmsi, ts, lat, lon, sog, cog, st, 1, 'bench', "
            "ts, row_number() OVER () FROM src")
        started = time.perf_counter()
        back = load_fixes(store)
        return back, time.perf_counter() - started


def bench_batch(n: int) -> dict[str, Any]:
    from khazar.detect.adapters import geography_from_geo
    from khazar.geo import load_geography

    settings = load_settings()
    geo = geography_from_geo(load_geography(settings), settings)
    fx = synthetic(n)
    fx, load_s = _via_store(fx)
    _ = geo.zone_indexes, geo.shore, geo.registry_indexes, geo.approach_indexes  # build once
    started = time.perf_counter()
    cpu0 = time.process_time()
    events = detect_batch(fx, settings.detect, geo, Detections.empty())
    wall = time.perf_counter() - started
    by_type: dict[str, int] = {}
    for e in events:
        by_type[e.type] = by_type.get(e.type, 0) + 1
    return {"positions": len(fx), "vessels": len(np.unique(fx.mmsi)),
            "load_from_store_s": round(load_s, 2), "detect_s": round(wall, 2),
            "detect_cpu_s": round(time.process_time() - cpu0, 2),
            "positions_per_s": round(len(fx) / wall), "peak_rss_gb": round(_rss_gb(), 2),
            "events": len(events), "events_by_type": by_type,
            "target": "≤ 60 s, ≤ 4 GB for 10 M positions"}


def _khazar_stops(fx: Fixes) -> tuple[list[tuple[int, float, float]], float]:
    from khazar.detect.base import Chunk
    from khazar.detect.engine import track_params
    from khazar.detect.geography import annotate
    from khazar.detect.loitering import LoiteringDetector
    from khazar.tracks import TrackerState, track

    s = load_settings().detect
    geo = DetectGeography()
    started = time.perf_counter()
    tr = track(TrackerState(), fx, track_params(s))
    ann = annotate(geo, tr.fixes.mmsi, tr.fixes.lat, tr.fixes.lon)
    wm = float(np.nextafter(fx.t_s.max(), np.inf))
    det = LoiteringDetector(s, geo)
    _, evs = det.step(det.init(), Chunk(tr, ann, Detections.empty(), wm, True))
    took = time.perf_counter() - started
    return [(int(e.mmsi or 0), e.start.timestamp(), e.end.timestamp()) for e in evs], took


def _movingpandas_stops(fx: Fixes) -> tuple[list[tuple[int, float, float]], float]:
    import geopandas as gpd
    import movingpandas as mpd
    import pandas as pd

    df = pd.DataFrame({"mmsi": fx.mmsi, "t": pd.to_datetime(fx.t_s, unit="s"),
                       "lat": fx.lat, "lon": fx.lon})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    started = time.perf_counter()
    tc = mpd.TrajectoryCollection(gdf, "mmsi", t="t")
    det = mpd.TrajectoryStopDetector(tc)
    segs = det.get_stop_segments(min_duration=timedelta(hours=1),
                                 max_diameter=2.0 * 1852.0)  # 2 kn × 1 h
    took = time.perf_counter() - started
    out = []
    for tr in segs:
        out.append((int(str(tr.id).split("_")[0]), tr.get_start_time().timestamp(),
                    tr.get_end_time().timestamp()))
    return out, took


def _agreement(a: list[tuple[int, float, float]], b: list[tuple[int, float, float]]) -> float:
    by: dict[int, list[tuple[float, float]]] = {}
    for m, s, e in b:
        by.setdefault(m, []).append((s, e))
    hit = sum(any(s <= e2 and s2 <= e for s2, e2 in by.get(m, [])) for m, s, e in a)
    return hit / len(a) if a else 1.0


def bench_stops(n: int) -> dict[str, Any]:
    fx = synthetic(n, seed=11)
    ours, ours_s = _khazar_stops(fx)
    out: dict[str, Any] = {"positions": len(fx), "khazar_s": round(ours_s, 3),
                           "khazar_stops": len(ours)}
    try:
        theirs, theirs_s = _movingpandas_stops(fx)
    except ImportError as exc:
        out["movingpandas"] = f"not installed ({exc}); `pip install -e '.[bench]'`"
        return out
    out.update({"movingpandas_s": round(theirs_s, 2), "movingpandas_stops": len(theirs),
                "speedup": round(theirs_s / ours_s, 1),
                "khazar_stops_found_by_movingpandas": round(_agreement(ours, theirs), 3),
                "movingpandas_stops_found_by_khazar": round(_agreement(theirs, ours), 3),
                "parameters": "speed < 2 kn ≥ 1 h vs stop diameter ≤ 3704 m ≥ 1 h"})
    return out


def run(quick: bool) -> dict[str, Any]:
    """Figures for bench/results/detect.json (quick: 1 M and 100 k positions)."""
    return {"batch": bench_batch(1_000_000 if quick else 10_000_000),
            "stops": bench_stops(100_000 if quick else 1_000_000)}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
