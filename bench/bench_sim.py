"""Simulator throughput: 24 h of Caspian traffic (≥ 300 vessels) → feed.nmea, radar, truth.

Target (DESIGN / issue 5): 24 h in ≤ 60 s on one core. Peer: pyais's encoder
(``encode_dict`` per position report), against the simulator's vectorised encoder on the same
reports.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pyais.encode import encode_dict

from khazar.config import load_settings
from khazar.sim.engine import simulate
from khazar.sim.nmea import position_payloads, tagged_position_lines
from khazar.sim.output import write_run
from khazar.sim.world import World


def _encoders(n: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    mmsi = rng.integers(200_000_000, 775_999_999, n)
    lat = rng.uniform(36.0, 47.0, n)
    lon = rng.uniform(46.0, 55.0, n)
    sog = rng.uniform(0.0, 30.0, n)
    cog = rng.uniform(0.0, 360.0, n)
    hdg = rng.integers(0, 360, n)
    sec = rng.integers(0, 60, n)
    t = time.process_time()
    for i in range(n):
        encode_dict({"type": 1, "mmsi": int(mmsi[i]), "lat": float(lat[i]), "lon": float(lon[i]),
                     "speed": float(sog[i]), "course": float(cog[i]), "heading": int(hdg[i]),
                     "second": int(sec[i]), "status": 0}, talker_id="AI", sentence_type="VDM")
    pyais_s = time.process_time() - t
    t = time.process_time()
    payloads = position_payloads(np.ones(n, dtype=np.int64), mmsi, lat, lon, sog, cog, hdg, sec, 0)
    tagged_position_lines("AZ-BAKU", np.full(n, 1_767_225_600), np.zeros(n, dtype=bool), payloads)
    ours_s = time.process_time() - t
    return {
        "reports": n,
        "pyais_encode_per_s": round(n / pyais_s),
        "khazar_encode_tagged_per_s": round(n / ours_s),
        "ratio_khazar_over_pyais": round(pyais_s / ours_s, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    """Simulate and write 24 h (6 h when quick) of `mixed`; time it, count what came out."""
    hours = 6.0 if quick else 24.0
    settings = load_settings()
    t = time.perf_counter()
    world = World.load(settings)
    load_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = simulate("mixed", hours, 7, datetime(2026, 1, 1, tzinfo=UTC), settings,
                          world=world)
        sim_wall, sim_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        write_run(result, Path(tmp))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        feed_mb = (Path(tmp) / "feed.nmea").stat().st_size / 1e6
    stats = result.truth.stats
    return {
        "hours": hours,
        "vessels": stats["vessels"],
        "vessels_received": stats["vessels_received"],
        "transmissions": stats["transmissions"],
        "sentences": stats["sentences"],
        "radar_detections": stats["radar_detections"],
        "feed_mb": round(feed_mb, 1),
        "geography_load_s": round(load_s, 2),
        "simulate_wall_s": round(sim_wall, 2),
        "simulate_cpu_s": round(sim_cpu, 2),
        "total_wall_s": round(wall, 2),
        "total_cpu_s": round(cpu, 2),
        "sentences_per_cpu_s": round(stats["sentences"] / cpu),
        "target_s_for_24h": 60.0,
        "meets_target_cpu": bool(cpu * 24.0 / hours <= 60.0),
        "encoder": _encoders(5_000 if quick else 20_000),
    }
