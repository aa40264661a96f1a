"""Fault back-tracing: which vessels passed near an asset when it failed? Pure.

Given the fixes of candidate vessels, the asset (its line or point, and its protected area:
pipeline corridor or platform safety zone), a fault window and optionally a fault point with
a radius, each vessel's track is interpolated on a regular time grid and measured:

- ``closest_m``: closest approach to the fault point (or to the asset's geometry);
- ``inside_s``: time inside the protected area (within the radius of the fault point
  when one is given): an anchor dragged along a line stays inside for long;
- ``speed_drop``: ``1 − (median speed near the asset) / (own speed on the voyage)``, the
  Eagle S signature (approach speed, see :func:`_voyage_speed_kn`), and
  ``anchored_moving``: status "at anchor" while making way;
- ``gap_near_s``: total AIS silence (≥ ``gap_min_s``) on the stretches near the asset;
- ``crossings``: how many times the track crossed a line asset (Yi Peng 3 zigzagged across).

The score (0..1) weighs them; vessels are ranked by score, closest approach breaking ties.
Distances in a local equirectangular projection centred on the target (errors ≪ 1 % over
the tens of kilometres considered).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from khazar.domain.fixes import VesselFixes
from khazar.errors import InputError
from khazar.units import EARTH_RADIUS_M, epoch_s, from_epoch_s

__all__ = [
    "AUTHORISED_FACTOR",
    "INSHORE_M",
    "TRACE_WEIGHTS",
    "TraceTarget",
    "VesselFixes",
    "VesselTrace",
    "rank_vessels",
]

FloatArray = npt.NDArray[np.float64]

#: weights of proximity, time inside, speed anomaly and AIS gaps in the score
TRACE_WEIGHTS = (0.3, 0.3, 0.25, 0.15)
#: score factor for vessels authorised at the asset (its own supply and crew boats)
AUTHORISED_FACTOR = 0.5
#: closer to the shore than this, stopping and slowing are ordinary (landfalls, anchorages)
INSHORE_M = 3000.0
_AT_ANCHOR = 1
_MOORED = 5


@dataclass(frozen=True, slots=True)
class TraceTarget:
    """Where the fault is: asset geometry and protected area (lon/lat shapely), optional point."""

    asset_id: str
    geometry: BaseGeometry
    protected_area: BaseGeometry | None
    point: tuple[float, float] | None = None  # (lat, lon) of the fault
    radius_m: float | None = None

    @property
    def origin(self) -> tuple[float, float]:
        if self.point is not None:
            return self.point
        c = self.geometry.centroid
        return (c.y, c.x)


@dataclass(frozen=True, slots=True)
class VesselTrace:
    """One ranked vessel with the measurements behind its score."""

    mmsi: int
    score: float
    closest_m: float
    closest_at: datetime
    closest_lat: float
    closest_lon: float
    inside_s: float
    speed_drop: float
    median_speed_kn: float
    near_speed_kn: float
    anchored_moving: bool
    gap_near_s: float
    fixes: int
    crossings: int = 0
    reasons: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "mmsi": self.mmsi,
            "score": round(self.score, 4),
            "closest_m": round(self.closest_m, 1),
            "closest_at": self.closest_at.isoformat(),
            "closest_lat": round(self.closest_lat, 6),
            "closest_lon": round(self.closest_lon, 6),
            "inside_s": round(self.inside_s, 1),
            "speed_drop": round(self.speed_drop, 3),
            "median_speed_kn": round(self.median_speed_kn, 2),
            "near_speed_kn": round(self.near_speed_kn, 2),
            "anchored_moving": self.anchored_moving,
            "gap_near_s": round(self.gap_near_s, 1),
            "crossings": self.crossings,
            "fixes": self.fixes,
            "reasons": list(self.reasons),
        }


class _Proj:
    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * EARTH_RADIUS_M

    def xy(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def geom(self, g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(
            g,
            lambda c: np.column_stack(
                ((c[:, 0] - self.lon0) * self.kx, (c[:, 1] - self.lat0) * self.ky)
            ),
        )


def _implied_speed_kn(v: VesselFixes) -> FloatArray:
    """Reported SOG where known, else the speed implied by the neighbouring fixes."""
    sog = v.sog_kn.astype(np.float64).copy()
    if len(v.t_s) >= 2:
        proj = _Proj(float(v.lat[0]), float(v.lon[0]))
        x, y = proj.xy(v.lat, v.lon)
        dt = np.diff(v.t_s)
        d = np.hypot(np.diff(x), np.diff(y))
        seg = np.where(dt > 0, d / np.maximum(dt, 1e-9) * 3600.0 / 1852.0, np.nan)
        implied = np.concatenate([seg[:1], seg])
        sog = np.where(np.isnan(sog), implied, sog)
    return sog


_BIN_S = 900.0


def _voyage_speed_kn(
    speed: FloatArray, near: npt.NDArray[np.bool_], window: npt.NDArray[np.bool_],
    t_s: FloatArray | None = None,
) -> float:
    """The vessel's own speed on its voyage: on its approach (every fix before its first one
    near the asset, padding before the window included) the highest median of a 15-minute
    stretch (≥ 3 fixes; the median of the approach without times), else the median away
    from the asset, else in the window. An Eagle S that slowed just before the line, or
    whose anchor went down tens of kilometres before it (issue 21), is compared with its
    passage speed, not with the slow drag that fills the window and most of the approach."""
    known = ~np.isnan(speed)
    first_near = int(np.argmax(near)) if near.any() else len(speed)
    approach = speed[:first_near][known[:first_near]]
    if len(approach) >= 3 and t_s is not None:
        bins = np.floor(t_s[:first_near][known[:first_near]] / _BIN_S)
        medians = [float(np.median(approach[bins == b])) for b in np.unique(bins)
                   if int(np.sum(bins == b)) >= 3]
        if medians:
            return max(medians)
    if len(approach) >= 3:
        return float(np.median(approach))
    away = speed[~near & known]
    if len(away) >= 3:
        return float(np.median(away))
    inside = speed[window & known]
    return float(np.median(inside)) if len(inside) else math.nan


def _score(
    closest_m: float,
    inside_s: float,
    drop: float,
    anchored: bool,
    crossings: int,
    gap_near_s: float,
    inshore: float = 1.0,
) -> float:
    """The weighted score; ``inshore`` (0..1) scales time inside and the speed anomaly."""
    wp, wi, ws, wg = TRACE_WEIGHTS
    prox = math.exp(-closest_m / 1000.0)
    dwell = min(1.0, inside_s / 3600.0)
    repeated = min(1.0, max(crossings - 1, 0) / 2.0)
    anomaly = max(min(1.0, drop / 0.5), 1.0 if anchored else 0.0, repeated)
    gap = min(1.0, gap_near_s / 3600.0)
    return wp * prox + inshore * (wi * dwell + ws * anomaly) + wg * gap


def _trace_one(
    v: VesselFixes,
    target: TraceTarget,
    proj: _Proj,
    geom_xy: BaseGeometry,
    area_xy: BaseGeometry | None,
    line_xy: BaseGeometry | None,
    grid: FloatArray,
    near_m: float,
    gap_min_s: float,
) -> VesselTrace | None:
    if len(v.t_s) == 0:
        return None
    fx, fy = proj.xy(v.lat, v.lon)
    inside_span = (grid >= v.t_s[0]) & (grid <= v.t_s[-1])
    g = grid[inside_span]
    if len(v.t_s) == 1:
        g = np.empty(0)
    gx = np.interp(g, v.t_s, fx) if len(g) else np.empty(0)
    gy = np.interp(g, v.t_s, fy) if len(g) else np.empty(0)
    # distances of grid samples and of the fixes themselves (fixes inside the window only)
    in_window = (v.t_s >= grid[0]) & (v.t_s <= grid[-1])
    sx = np.concatenate([gx, fx[in_window]])
    sy = np.concatenate([gy, fy[in_window]])
    st = np.concatenate([g, v.t_s[in_window]])
    if len(st) == 0:
        return None
    dist = shapely.distance(shapely.points(sx, sy), geom_xy)
    i = int(np.argmin(dist))
    closest_m = float(dist[i])
    if closest_m > near_m:
        return None
    step_s = float(grid[1] - grid[0]) if len(grid) > 1 else 0.0
    inside_s = 0.0
    if len(g):
        inside = np.ones(len(g), dtype=bool)
        if area_xy is not None:
            inside &= shapely.contains_xy(area_xy, gx, gy)
        if target.point is not None and target.radius_m is not None:
            inside &= np.hypot(gx, gy) <= target.radius_m
        inside_s = float(inside.sum()) * step_s

    speed = _implied_speed_kn(v)
    fdist = shapely.distance(shapely.points(fx, fy), geom_xy)
    window_fix = (v.t_s >= grid[0]) & (v.t_s <= grid[-1])
    median_kn = _voyage_speed_kn(speed, fdist <= near_m / 2.5, window_fix, v.t_s)
    near = speed[window_fix & (fdist <= near_m / 2.5) & ~np.isnan(speed)]
    near_kn = float(np.median(near)) if len(near) else math.nan
    drop = 0.0
    if median_kn >= 3.0 and not math.isnan(near_kn):
        drop = max(0.0, 1.0 - near_kn / median_kn)
    near_fix = window_fix & (fdist <= near_m / 2.5)
    anchored = bool(
        np.any(near_fix & np.isin(v.status, (_AT_ANCHOR, _MOORED)) & (np.nan_to_num(speed) > 1.0))
    )

    gap_near_s = 0.0
    if len(v.t_s) >= 2:
        dt = np.diff(v.t_s)
        for k in np.nonzero(dt >= gap_min_s)[0]:
            a, b = max(v.t_s[k], grid[0]), min(v.t_s[k + 1], grid[-1])
            if b <= a:
                continue
            seg = shapely.LineString([(fx[k], fy[k]), (fx[k + 1], fy[k + 1])])
            if shapely.distance(seg, geom_xy) <= near_m:
                gap_near_s += float(b - a)

    crossings = 0
    if line_xy is not None and len(g) >= 2:
        hits = shapely.intersection(shapely.LineString(np.column_stack((gx, gy))), line_xy)
        crossings = int(shapely.get_num_geometries(hits)) if not hits.is_empty else 0

    score = _score(closest_m, inside_s, drop, anchored, crossings, gap_near_s)

    reasons: list[str] = [f"closest approach {closest_m:.0f} m"]
    if inside_s > 0:
        reasons.append(f"{inside_s / 60:.0f} min inside the protected area")
    if drop >= 0.25:
        reasons.append(f"speed fell {drop:.0%} near the asset ({median_kn:.1f} → {near_kn:.1f} kn)")
    if anchored:
        reasons.append("status 'at anchor' while making way")
    if gap_near_s > 0:
        reasons.append(f"AIS silent {gap_near_s / 60:.0f} min near the asset")
    if crossings >= 2:
        reasons.append(f"crossed the line {crossings} times")
    lon_c, lat_c = proj.lon0 + sx[i] / proj.kx, proj.lat0 + sy[i] / proj.ky
    return VesselTrace(
        mmsi=v.mmsi,
        score=score,
        closest_m=closest_m,
        closest_at=from_epoch_s(float(st[i])),
        closest_lat=float(lat_c),
        closest_lon=float(lon_c),
        inside_s=inside_s,
        speed_drop=drop,
        median_speed_kn=median_kn,
        near_speed_kn=near_kn,
        anchored_moving=anchored,
        gap_near_s=gap_near_s,
        fixes=int(window_fix.sum()),
        crossings=crossings,
        reasons=tuple(reasons),
    )


def rank_vessels(
    vessels: Sequence[VesselFixes],
    target: TraceTarget,
    start: datetime,
    end: datetime,
    step_s: float = 30.0,
    near_m: float = 5000.0,
    gap_min_s: float = 900.0,
    exclude: Collection[int] = (),
    authorised: Collection[int] = (),
    shore_distance_m: Callable[[float, float], float] | None = None,
) -> list[VesselTrace]:
    """Rank the vessels that came within ``near_m`` of the target between ``start`` and ``end``.

    Distances are to the fault point when ``target.point`` is set, else to the asset.
    ``exclude``: MMSIs left out (own patrol boats, by the caller's choice). ``authorised``:
    MMSIs that work at this asset (its supply boats): their score is multiplied by
    :data:`AUTHORISED_FACTOR`, since idling at their own platform inside the corridor is
    their job, not evidence. ``shore_distance_m`` (lat, lon → metres): within
    :data:`INSHORE_M` of the shore, where ships stop and slow down to berth and anchor, time
    inside and speed anomalies count in proportion to the distance.
    """
    if end <= start:
        raise InputError(
            f"trace window is empty: --from {start.isoformat()} is not before "
            f"--to {end.isoformat()}"
        )
    lat0, lon0 = target.origin
    proj = _Proj(lat0, lon0)
    if target.point is not None:
        geom_xy: BaseGeometry = shapely.Point(0.0, 0.0)
    else:
        geom_xy = proj.geom(target.geometry)
    area_xy = proj.geom(target.protected_area) if target.protected_area is not None else None
    if area_xy is None and target.point is None:
        area_xy = geom_xy.buffer(1000.0)
    line_xy = None
    if target.geometry.geom_type in ("LineString", "MultiLineString"):
        line_xy = proj.geom(target.geometry)
        if target.point is not None and target.radius_m is not None:
            line_xy = line_xy.intersection(shapely.Point(0.0, 0.0).buffer(target.radius_m))
    t0, t1 = epoch_s(start), epoch_s(end)
    grid = np.arange(t0, t1 + 1e-9, step_s, dtype=np.float64)
    excluded = set(exclude)
    out: list[VesselTrace] = []
    for v in vessels:
        if v.mmsi in excluded:
            continue
        r = _trace_one(v, target, proj, geom_xy, area_xy, line_xy, grid, near_m, gap_min_s)
        if r is None:
            continue
        if shore_distance_m is not None:
            shore_m = shore_distance_m(r.closest_lat, r.closest_lon)
            if shore_m < INSHORE_M:
                r = dataclasses.replace(
                    r,
                    score=_score(
                        r.closest_m,
                        r.inside_s,
                        r.speed_drop,
                        r.anchored_moving,
                        r.crossings,
                        r.gap_near_s,
                        inshore=shore_m / INSHORE_M,
                    ),
                    reasons=(*r.reasons, f"{shore_m:.0f} m from shore (berthing, anchorage)"),
                )
        if v.mmsi in authorised:
            r = dataclasses.replace(
                r,
                score=r.score * AUTHORISED_FACTOR,
                reasons=(*r.reasons, "authorised to work at this asset"),
            )
        out.append(r)
    return sorted(out, key=lambda r: (-r.score, r.closest_m, r.mmsi))
