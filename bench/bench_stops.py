"""Stop detection on real ships, beside MovingPandas: the Suez anchorages, 20–21 March 2021.

Input: ``tests/data/ais/evergiven/boat-positions-2021-03-20_21.csv`` (14,021 positions of
256 vessels around the Suez Canal, to the minute; BSD-3-Clause, see its LICENSE and SOURCE).
Khazar: the tracker and the ``stop`` kernel (:class:`khazar.detect.stop.StopDetector`,
``detect.stop_diameter_m`` 1,000 m, ``detect.stop_min_h`` 1 h) in one batch step. MovingPandas:
``TrajectoryStopDetector(max_diameter=1000, min_duration=60 min)`` on one trajectory per
vessel. Both timed on the same positions, CPU and wall; the figures are best of ``repeat``.

Agreement: a stop of one set is *found* by the other when the same vessel has a stop there
whose time interval intersects it; the two shares (Khazar's stops found by MovingPandas and
the reverse) must both be ≥ 0.95. The stopped-time Jaccard index compares the durations.
Every stop found by one side only is listed (vessel, interval), and every vessel whose
stops differ at all, for docs/stops.md. ``khazar_scaling_long_stay``: the kernel on one ship
at anchor for 1 and 4 days of 10-s reports (a long stay must cost linear time).

Usage: ``python -m bench stops [--quick]`` (quick: one repeat instead of three).
"""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from khazar.config import DetectSettings
from khazar.tracks import Fixes

ROOT = Path(__file__).resolve().parents[1]
EVERGIVEN = ROOT / "tests" / "data" / "ais" / "evergiven" / "boat-positions-2021-03-20_21.csv"
TARGET_AGREEMENT = 0.95

#: (vessel, start, end), epoch seconds
Stop = tuple[int, float, float]


def load_evergiven(path: Path = EVERGIVEN) -> Fixes:
    """The CSV as fixes: ``ID`` as the vessel number, times ``dd/mm/yyyy HH:MM`` UTC."""
    ids: list[int] = []
    ts: list[float] = []
    lats: list[float] = []
    lons: list[float] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            ids.append(int(row["ID"]))
            when = datetime.strptime(row["ais_pos_timestamp"], "%d/%m/%Y %H:%M")
            ts.append(when.replace(tzinfo=UTC).timestamp())
            lats.append(float(row["latitude"]))
            lons.append(float(row["longitude"]))
    return Fixes.from_arrays(ids, ts, lats, lons)


def khazar_stops(fx: Fixes, settings: DetectSettings) -> list[Stop]:
    """Khazar's stops: the tracker, then the stop kernel over all of it (batch, one step);
    stops still in progress at the end of the data count."""
    from khazar.detect.base import Chunk, Detections
    from khazar.detect.engine import track_params
    from khazar.detect.geography import DetectGeography, annotate
    from khazar.detect.stop import StopDetector
    from khazar.tracks import TrackerState, track

    geo = DetectGeography()
    tr = track(TrackerState(), fx, track_params(settings))
    ann = annotate(geo, tr.fixes.mmsi, tr.fixes.lat, tr.fixes.lon)
    wm = float(np.nextafter(fx.t_s.max(), np.inf))
    det = StopDetector(settings, geo)
    _, evs = det.step(det.init(), Chunk(tr, ann, Detections.empty(), wm, True))
    return sorted((int(e.mmsi or 0), e.start.timestamp(), e.end.timestamp()) for e in evs)


def movingpandas_stops(fx: Fixes, diameter_m: float, min_h: float) -> list[Stop]:
    """MovingPandas' stops, one trajectory per vessel (its ``TrajectoryStopDetector``)."""
    import warnings

    with warnings.catch_warnings():  # its optional Stone Soup smoother is not needed here
        warnings.simplefilter("ignore")
        import geopandas as gpd
        import movingpandas as mpd
        import pandas as pd

    df = pd.DataFrame({"vessel": fx.mmsi, "t": pd.to_datetime(fx.t_s, unit="s"),
                       "lat": fx.lat, "lon": fx.lon})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    with warnings.catch_warnings():  # its calls that pandas 3 deprecates (sort_index inplace)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        tc = mpd.TrajectoryCollection(gdf, "vessel", t="t")
        ranges = mpd.TrajectoryStopDetector(tc).get_stop_time_ranges(
            min_duration=timedelta(hours=min_h), max_diameter=diameter_m)
    epoch = pd.Timestamp("1970-01-01")
    return sorted((int(r.traj_id), (r.t_0 - epoch).total_seconds(),
                   (r.t_n - epoch).total_seconds()) for r in ranges)


def found_share(a: list[Stop], b: list[Stop]) -> float:
    """Share of the stops of ``a`` that the same vessel has a stop of ``b`` intersecting."""
    return 1.0 - len(unmatched(a, b)) / len(a) if a else 1.0


def unmatched(a: list[Stop], b: list[Stop]) -> list[Stop]:
    """The stops of ``a`` with no stop of the same vessel in ``b`` intersecting them."""
    by: dict[int, list[tuple[float, float]]] = {}
    for v, s, e in b:
        by.setdefault(v, []).append((s, e))
    return [(v, s, e) for v, s, e in a
            if not any(s <= e2 and s2 <= e for s2, e2 in by.get(v, []))]


def time_jaccard(a: list[Stop], b: list[Stop]) -> float:
    """Stopped time both report over stopped time either reports (per vessel, summed)."""
    def merged(stops: list[Stop]) -> dict[int, list[tuple[float, float]]]:
        by: dict[int, list[tuple[float, float]]] = {}
        for v, s, e in sorted(stops):
            iv = by.setdefault(v, [])
            if iv and s <= iv[-1][1]:
                iv[-1] = (iv[-1][0], max(iv[-1][1], e))
            else:
                iv.append((s, e))
        return by

    ma, mb = merged(a), merged(b)
    inter = sum(max(0.0, min(e, e2) - max(s, s2))
                for v, ivs in ma.items() for s, e in ivs for s2, e2 in mb.get(v, []))
    total = sum(e - s for ivs in (*ma.values(), *mb.values()) for s, e in ivs)
    union = total - inter
    return inter / union if union > 0 else 1.0


def _timed(fn: Any, repeat: int) -> tuple[Any, float, float]:
    """The result of ``fn()`` and its best wall and CPU seconds over ``repeat`` calls."""
    best_wall = best_cpu = float("inf")
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return out, best_wall, best_cpu


def differing(a: list[Stop], b: list[Stop]) -> list[dict[str, Any]]:
    """Vessels whose stops differ between the two sets (both lists, times ISO)."""
    by_a: dict[int, list[Stop]] = {}
    by_b: dict[int, list[Stop]] = {}
    for stop in a:
        by_a.setdefault(stop[0], []).append(stop)
    for stop in b:
        by_b.setdefault(stop[0], []).append(stop)
    return [{"vessel": v, "khazar": [[_iso(s), _iso(e)] for _, s, e in by_a.get(v, [])],
             "movingpandas": [[_iso(s), _iso(e)] for _, s, e in by_b.get(v, [])]}
            for v in sorted(set(by_a) | set(by_b)) if by_a.get(v) != by_b.get(v)]


def scaling(days: tuple[float, ...] = (1.0, 4.0)) -> dict[str, Any]:
    """Khazar's stop kernel on one ship swinging at anchor, reporting every 10 s, for each
    number of days: seconds per million fixes stay flat if the work is linear."""
    from khazar.config import load_settings

    s = load_settings().detect
    out: dict[str, Any] = {}
    for d in days:
        n = int(d * 8640)
        t = 1.6e9 + 10.0 * np.arange(n)
        swing = np.radians(np.arange(n) * 0.05)  # the bow swings round the anchor
        fx = Fixes.from_arrays(np.full(n, 1), t, 30.0 + 0.002 * np.cos(swing),
                               32.5 + 0.002 * np.sin(swing))
        stops, wall, _ = _timed(lambda fx=fx: khazar_stops(fx, s), 3)
        out[f"{d:g}_days"] = {"fixes": n, "stops": len(stops), "s": round(wall, 4),
                              "s_per_million_fixes": round(wall / n * 1e6, 3)}
    return out


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M")


def run(quick: bool = False) -> dict[str, Any]:
    import importlib.util

    from khazar.config import load_settings

    if importlib.util.find_spec("movingpandas") is None:
        return {"movingpandas": "not installed: pip install -e '.[dev]'"}
    s = load_settings().detect
    fx = load_evergiven()
    repeat = 1 if quick else 3
    ours, ours_s, ours_cpu = _timed(lambda: khazar_stops(fx, s), repeat)
    theirs, theirs_s, theirs_cpu = _timed(
        lambda: movingpandas_stops(fx, s.stop_diameter_m, s.stop_min_h), repeat)
    ours_found = found_share(ours, theirs)
    theirs_found = found_share(theirs, ours)
    return {
        "input": {"file": str(EVERGIVEN.relative_to(ROOT)), "positions": len(fx),
                  "vessels": int(np.unique(fx.mmsi).size)},
        "parameters": {"diameter_m": s.stop_diameter_m, "min_h": s.stop_min_h},
        "khazar_stops": len(ours), "movingpandas_stops": len(theirs),
        "khazar_stops_found_by_movingpandas": round(ours_found, 3),
        "movingpandas_stops_found_by_khazar": round(theirs_found, 3),
        "stopped_time_jaccard": round(time_jaccard(ours, theirs), 3),
        "khazar_only": [[v, _iso(a), _iso(b)] for v, a, b in unmatched(ours, theirs)],
        "movingpandas_only": [[v, _iso(a), _iso(b)] for v, a, b in unmatched(theirs, ours)],
        "stops_that_differ": differing(ours, theirs),
        "khazar_s": round(ours_s, 4), "khazar_cpu_s": round(ours_cpu, 4),
        "movingpandas_s": round(theirs_s, 3), "movingpandas_cpu_s": round(theirs_cpu, 3),
        "speedup_wall": round(theirs_s / ours_s, 1),
        "speedup_cpu": round(theirs_cpu / ours_cpu, 1),
        "repeat": repeat,
        "khazar_scaling_long_stay": scaling(),
        "targets": {"agreement_ge_0.95": min(ours_found, theirs_found) >= TARGET_AGREEMENT},
    }
