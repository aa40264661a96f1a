"""Alert rule engine and fault back-trace throughput.

- rules: a day's worth of events (zone entries/exits, loitering, drags, encounters, gaps) for
  many vessels through :func:`khazar.alerts.alerts_for_events`, cold (no alerts yet) and
  warm (re-run over the same events with the alerts as ``existing``, as the live path does);
  peer: a naive per-event loop that only looks up the matching rule (no merging, no
  severity), the floor any rule engine pays;
- trace: :func:`khazar.alerts.backtrace.rank_vessels` over synthetic 6-h tracks at 10 s.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from shapely.geometry import LineString

from khazar.alerts import AssetInfo, RuleContext, alerts_for_events, match_rule
from khazar.alerts.backtrace import TraceTarget, VesselFixes, rank_vessels
from khazar.config import load_settings
from khazar.domain import Event
from khazar.units import epoch_s

T0 = datetime(2026, 5, 1, tzinfo=UTC)
TYPES = ("zone_entry", "zone_exit", "loitering", "anchor_drag", "encounter", "ais_gap")


def _events(n: int, vessels: int, rng: np.random.Generator) -> list[Event]:
    out = []
    for i in range(n):
        typ = TYPES[int(rng.integers(len(TYPES)))]
        mmsi = 273_000_000 + int(rng.integers(vessels))
        start = T0 + timedelta(seconds=int(rng.integers(86_400)) + i % 7)
        asset = f"pipe-{int(rng.integers(20))}"
        out.append(
            Event(
                typ,
                mmsi,
                start,
                start + timedelta(minutes=int(rng.integers(5, 120))),
                40.0 + float(rng.random()),
                50.0 + float(rng.random()),
                other_mmsi=mmsi + 1 if typ == "encounter" else None,
                zone_id=f"{asset}-corridor",
                asset_id=asset,
                evidence={"speed_in_corridor_kn": float(rng.uniform(3, 12)), "fixes": 20},
            )
        )
    return out


def _context() -> RuleContext:
    assets = {f"pipe-{i}": AssetInfo(f"pipe-{i}", "pipeline", "acg", float(i)) for i in range(20)}
    zones = {f"pipe-{i}-corridor": "pipeline_corridor" for i in range(20)}
    return RuleContext.from_settings(load_settings(), zones, assets)


def _tracks(vessels: int, hours: float, rng: np.random.Generator) -> list[VesselFixes]:
    t = np.arange(0.0, hours * 3600.0, 10.0) + epoch_s(T0)
    out = []
    for k in range(vessels):
        lat0, lon0 = 39.9 + 0.2 * rng.random(), 49.9 + 0.4 * rng.random()
        heading = rng.uniform(0, 2 * np.pi)
        speed_deg_s = rng.uniform(2, 14) * 1852 / 3600 / 111_000
        lat = lat0 + np.cos(heading) * speed_deg_s * (t - t[0])
        lon = lon0 + np.sin(heading) * speed_deg_s * (t - t[0]) / np.cos(np.radians(40))
        out.append(
            VesselFixes(
                300_000_000 + k, t, lat, lon, np.full(len(t), np.nan), np.zeros(len(t), np.int16)
            )
        )
    return out


def run(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    n = 20_000 if quick else 100_000
    events = _events(n, 2_000, rng)
    ctx = _context()

    started = time.perf_counter()
    for e in events:
        match_rule(e, ctx)
    naive_s = time.perf_counter() - started

    started = time.perf_counter()
    alerts = alerts_for_events(events, ctx)
    cold_s = time.perf_counter() - started

    started = time.perf_counter()
    again = alerts_for_events(events, ctx, existing=alerts)
    warm_s = time.perf_counter() - started
    assert again == []

    vessels = 50 if quick else 200
    tracks = _tracks(vessels, 6.0, rng)
    target = TraceTarget(
        "pipe",
        LineString([(49.9, 40.0), (50.4, 40.1)]),
        LineString([(49.9, 40.0), (50.4, 40.1)]).buffer(0.009),
    )
    started = time.perf_counter()
    ranking = rank_vessels(tracks, target, T0, T0 + timedelta(hours=6))
    trace_s = time.perf_counter() - started
    return {
        "events": n,
        "alerts": len(alerts),
        "rules_cold_events_per_s": round(n / cold_s),
        "rules_warm_events_per_s": round(n / warm_s),
        "peer_match_only_events_per_s": round(n / naive_s),
        "ratio_cold_vs_match_only": round(naive_s / cold_s, 3),
        "trace_vessels": vessels,
        "trace_fixes": int(sum(len(v.t_s) for v in tracks)),
        "trace_ranked": len(ranking),
        "trace_s": round(trace_s, 3),
    }
