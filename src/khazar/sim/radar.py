"""Coastal and platform radars: every physical vessel in range, AIS or not, with noise.

Coastal radars at the AIS station sites (24 nm), platform radars on each platform group
(12 nm). One scan every 120 s per radar; detection probability 0.95 for hulls of 20 m or more,
0.8 for smaller ones, 0.6 beyond two thirds of the range for small ones; position noise
50 m + 0.2 % of the range (1 σ per axis); length estimated within ±30 %.
Rows: ``timestamp,lat,lon,length_m,source`` (timestamp ISO 8601 UTC, whole seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from khazar.sim.ais import Station
from khazar.sim.movement import Vessel
from khazar.sim.world import World
from khazar.units import M_PER_NM, haversine_m

__all__ = ["RadarDetections", "RadarSite", "radar_sites", "scan"]

F64 = npt.NDArray[np.float64]
SCAN_PERIOD_S = 120.0


@dataclass(frozen=True, slots=True)
class RadarSite:
    name: str
    lat: float
    lon: float
    range_nm: float


@dataclass(frozen=True, slots=True)
class RadarDetections:
    """Columnar detections sorted by time."""

    t_s: F64
    lat: F64
    lon: F64
    length_m: F64
    site: npt.NDArray[np.int64]
    sites: tuple[RadarSite, ...]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def csv_lines(self) -> list[str]:
        """CSV with header, one row per detection."""
        stamps = np.datetime_as_string(np.floor(self.t_s).astype("datetime64[s]"), unit="s")
        names = [f"radar:{s.name}" for s in self.sites]
        rows = ["timestamp,lat,lon,length_m,source"]
        rows.extend(
            f"{ts}Z,{a:.5f},{o:.5f},{ln:.0f},{names[s]}"
            for ts, a, o, ln, s in zip(
                stamps.tolist(), self.lat.tolist(), self.lon.tolist(),
                self.length_m.tolist(), self.site.tolist(), strict=True,
            )
        )
        return rows


def radar_sites(world: World, stations: tuple[Station, ...]) -> tuple[RadarSite, ...]:
    """Coastal radars at the AIS stations, platform radars at each platform group's centre."""
    sites = [RadarSite(s.name, s.lat, s.lon, 24.0) for s in stations]
    groups: dict[str, list[tuple[float, float]]] = {}
    for p in world.platforms:
        groups.setdefault(p.group or p.id, []).append((p.lat, p.lon))
    for g, pts in sorted(groups.items()):
        arr = np.asarray(pts)
        sites.append(RadarSite(f"PLATFORM-{g.upper()}", float(arr[:, 0].mean()),
                               float(arr[:, 1].mean()), 12.0))
    return tuple(sites)


def scan(
    vessels: list[Vessel], sites: tuple[RadarSite, ...], rng: np.random.Generator,
    t0: float, t1: float,
) -> RadarDetections:
    """Radar detections of the physical vessels within [t0, t1)."""
    cols: dict[str, list[F64]] = {"t": [], "lat": [], "lon": [], "len": [], "site": []}
    phase = rng.uniform(0.0, SCAN_PERIOD_S, len(sites))
    scans = [np.arange(t0 + ph, t1, SCAN_PERIOD_S) for ph in phase]
    for v in vessels:
        if not v.physical:
            continue
        m = v.movement
        for k, site in enumerate(sites):
            ts = scans[k][(scans[k] >= m.start_s) & (scans[k] <= m.end_s)]
            if ts.size == 0:
                continue
            lat, lon = m.position_at(ts)
            r_m = haversine_m(lat, lon, site.lat, site.lon)
            range_m = site.range_nm * M_PER_NM
            small = v.static.length_m < 20.0
            p = np.where(small, np.where(r_m > range_m * 2 / 3, 0.6, 0.8), 0.95)
            ok = (r_m <= range_m) & (rng.random(ts.shape[0]) < p)
            n = int(ok.sum())
            if n == 0:
                continue
            sigma = 50.0 + 0.002 * r_m[ok]
            coslat = np.cos(np.radians(lat[ok]))
            cols["t"].append(ts[ok])
            cols["lat"].append(lat[ok] + rng.normal(0.0, 1.0, n) * sigma / 111_195.0)
            cols["lon"].append(lon[ok] + rng.normal(0.0, 1.0, n) * sigma / (111_195.0 * coslat))
            cols["len"].append(v.static.length_m * rng.uniform(0.7, 1.3, n))
            cols["site"].append(np.full(n, k, dtype=np.float64))
    if not cols["t"]:
        e = np.empty(0)
        return RadarDetections(e, e, e, e, np.empty(0, dtype=np.int64), sites)
    t = np.concatenate(cols["t"])
    order = np.lexsort((np.concatenate(cols["site"]), t))
    return RadarDetections(
        t[order],
        np.concatenate(cols["lat"])[order],
        np.concatenate(cols["lon"])[order],
        np.concatenate(cols["len"])[order],
        np.concatenate(cols["site"])[order].astype(np.int64),
        sites,
    )
