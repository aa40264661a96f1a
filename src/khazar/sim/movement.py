"""Vessels and their movements: piecewise-linear tracks in time, built leg by leg.

A :class:`Movement` is a sequence of vertices ``(t_s, lat, lon)``; between two vertices the
vessel moves in a straight line at constant speed, with the segment's navigational status and
an AIS on/off flag. :class:`MovementBuilder` writes them the way one describes a voyage:
``sail(route, speed_kn)``, ``dwell(duration_s, status)``, ``drift(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from khazar.units import KN_TO_MS, haversine_m

__all__ = [
    "NAV_AT_ANCHOR",
    "NAV_FISHING",
    "NAV_MOORED",
    "NAV_UNDEFINED",
    "NAV_UNDER_WAY",
    "Movement",
    "MovementBuilder",
    "Vessel",
    "VesselStatic",
]

NAV_UNDER_WAY = 0
NAV_AT_ANCHOR = 1
NAV_MOORED = 5
NAV_FISHING = 7
NAV_UNDEFINED = 15

F64 = npt.NDArray[np.float64]

# metres per degree of latitude (mean); longitude scaled by cos(lat)
_M_PER_DEG = 111_195.0


@dataclass(frozen=True, slots=True)
class Movement:
    """Vertices ``t_s`` (epoch s, non-decreasing), ``lat``, ``lon``; per-segment
    ``status`` (AIS navigational status) and ``ais_on``."""

    t_s: F64
    lat: F64
    lon: F64
    status: npt.NDArray[np.int64]
    ais_on: npt.NDArray[np.bool_]

    def position_at(self, t_s: F64) -> tuple[F64, F64]:
        """Interpolated (lat, lon) at the given times (clamped to the movement's span)."""
        return np.interp(t_s, self.t_s, self.lat), np.interp(t_s, self.t_s, self.lon)

    @property
    def start_s(self) -> float:
        return float(self.t_s[0])

    @property
    def end_s(self) -> float:
        return float(self.t_s[-1])

    def segment_speeds_kn(self) -> F64:
        d = haversine_m(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])
        dt = np.diff(self.t_s)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(dt > 0, d / np.maximum(dt, 1e-9), 0.0)
        return np.asarray(v / KN_TO_MS, dtype=np.float64)

    def clipped(self, t0_s: float, t1_s: float) -> Movement | None:
        """The part of the movement inside [t0, t1], or None if it does not overlap."""
        if self.end_s <= t0_s or self.start_s >= t1_s:
            return None
        a, b = max(t0_s, self.start_s), min(t1_s, self.end_s)
        inner = (self.t_s > a) & (self.t_s < b)
        ts = np.concatenate(([a], self.t_s[inner], [b]))
        lat, lon = self.position_at(ts)
        mids = (ts[:-1] + ts[1:]) / 2.0
        seg = np.clip(np.searchsorted(self.t_s, mids, side="right") - 1, 0, len(self.status) - 1)
        return Movement(ts, lat, lon, self.status[seg], self.ais_on[seg])


@dataclass(frozen=True, slots=True)
class VesselStatic:
    """What a vessel says about itself in AIS types 5 / 24."""

    name: str
    callsign: str
    ship_type: int
    length_m: float
    beam_m: float
    draught_m: float = 0.0
    imo: int = 0
    destination: str = ""


@dataclass(frozen=True, slots=True)
class Vessel:
    """One transmitter (an MMSI on one hull) and its movement.

    ``physical`` False marks a spoofed track (no hull there: radar does not see it);
    ``transmits`` False is a vessel without AIS (radar only).
    """

    mmsi: int
    kind: str
    ais_class: str  # "A" or "B"
    static: VesselStatic
    movement: Movement
    physical: bool = True
    transmits: bool = True
    tags: dict[str, str] = field(default_factory=dict)


class MovementBuilder:
    """Build a :class:`Movement` leg by leg from a start time and position."""

    def __init__(self, t_s: float, lat: float, lon: float) -> None:
        self._t = [t_s]
        self._lat = [lat]
        self._lon = [lon]
        self._status: list[int] = []
        self._ais: list[bool] = []

    @property
    def t_s(self) -> float:
        return self._t[-1]

    @property
    def here(self) -> tuple[float, float]:
        return self._lat[-1], self._lon[-1]

    def _add(self, t: float, lat: float, lon: float, status: int, ais_on: bool) -> None:
        self._t.append(t)
        self._lat.append(lat)
        self._lon.append(lon)
        self._status.append(status)
        self._ais.append(ais_on)

    def sail(
        self,
        route: F64 | list[tuple[float, float]],
        speed_kn: float,
        status: int = NAV_UNDER_WAY,
        ais_on: bool = True,
    ) -> MovementBuilder:
        """Follow ``route`` (rows of lat, lon; its first row is taken to be here) at a speed."""
        pts = np.asarray(route, dtype=np.float64).reshape(-1, 2)
        if pts.shape[0] == 0:
            return self
        lat0, lon0 = self.here
        lats = np.concatenate(([lat0], pts[:, 0]))
        lons = np.concatenate(([lon0], pts[:, 1]))
        d = haversine_m(lats[:-1], lons[:-1], lats[1:], lons[1:])
        keep = d >= 1.0  # points on top of the previous one add nothing
        if not keep.any():
            return self
        speed_ms = max(speed_kn, 0.05) * KN_TO_MS
        t = self.t_s + np.cumsum(d[keep]) / speed_ms
        n = int(keep.sum())
        self._t.extend(t.tolist())
        self._lat.extend(pts[keep, 0].tolist())
        self._lon.extend(pts[keep, 1].tolist())
        self._status.extend([status] * n)
        self._ais.extend([ais_on] * n)
        return self

    def sail_profile(
        self, route: F64, speeds_kn: F64, status: int = NAV_UNDER_WAY, ais_on: bool = True
    ) -> MovementBuilder:
        """Follow ``route`` with one speed per segment (``len(speeds) == len(route) - 1``)."""
        for k in range(1, len(route)):
            self.sail(route[k : k + 1], float(speeds_kn[k - 1]), status, ais_on)
        return self

    def dwell(
        self,
        duration_s: float,
        status: int,
        rng: np.random.Generator,
        swing_m: float = 30.0,
        step_s: float = 600.0,
        ais_on: bool = True,
    ) -> MovementBuilder:
        """Stay about here (at anchor, moored, idling) with a small swing around the spot."""
        lat0, lon0 = self.here
        end = self.t_s + duration_s
        coslat = np.cos(np.radians(lat0))
        while self.t_s < end - 1e-6:
            t = min(end, self.t_s + step_s)
            dy, dx = rng.normal(0.0, swing_m / 2.0, 2)
            self._add(
                t, lat0 + dy / _M_PER_DEG, lon0 + dx / (_M_PER_DEG * coslat), status, ais_on
            )
        return self

    def drift(
        self,
        duration_s: float,
        speed_kn: float,
        heading_deg: float,
        rng: np.random.Generator,
        status: int = NAV_UNDER_WAY,
        step_s: float = 300.0,
        wander_deg: float = 40.0,
        ais_on: bool = True,
        in_water: Callable[[float, float], bool] | None = None,
    ) -> MovementBuilder:
        """Move slowly with a wandering heading (fishing, drifting, loitering); with
        ``in_water`` a step that would end on land turns away instead (or stays put)."""
        end = self.t_s + duration_s
        hdg = heading_deg
        while self.t_s < end - 1e-6:
            t = min(end, self.t_s + step_s)
            d_m = speed_kn * KN_TO_MS * (t - self.t_s) * float(rng.uniform(0.6, 1.4))
            hdg = (hdg + float(rng.normal(0.0, wander_deg))) % 360.0
            lat, lon = self.here
            nxt = (lat, lon)
            for attempt in range(8):
                h = hdg if attempt == 0 else (hdg + 180.0 + float(rng.normal(0.0, 60.0))) % 360
                dlat = d_m * np.cos(np.radians(h)) / _M_PER_DEG
                dlon = d_m * np.sin(np.radians(h)) / (_M_PER_DEG * np.cos(np.radians(lat)))
                cand = (lat + dlat, lon + dlon)
                if in_water is None or in_water(*cand):
                    nxt, hdg = cand, h
                    break
            self._add(t, nxt[0], nxt[1], status, ais_on)
        return self

    def wait_until(self, t_s: float, status: int, rng: np.random.Generator) -> MovementBuilder:
        """Dwell until an absolute time (no-op if already past it)."""
        if t_s > self.t_s:
            self.dwell(t_s - self.t_s, status, rng)
        return self

    @classmethod
    def from_movement(cls, m: Movement) -> MovementBuilder:
        """A builder holding a copy of an existing movement (to extend or re-flag it)."""
        b = cls(float(m.t_s[0]), float(m.lat[0]), float(m.lon[0]))
        b._t = m.t_s.tolist()
        b._lat = m.lat.tolist()
        b._lon = m.lon.tolist()
        b._status = [int(s) for s in m.status]
        b._ais = [bool(x) for x in m.ais_on]
        return b

    def set_ais(self, from_s: float, to_s: float, on: bool) -> MovementBuilder:
        """Switch AIS for the segments that lie within [from_s, to_s] (vertices are split)."""
        for cut in (from_s, to_s):
            self._split_at(cut)
        for i in range(len(self._status)):
            mid = (self._t[i] + self._t[i + 1]) / 2.0
            if from_s <= mid <= to_s:
                self._ais[i] = on
        return self

    def _split_at(self, t: float) -> None:
        ts = self._t
        if t <= ts[0] or t >= ts[-1] or t in ts:
            return
        i = int(np.searchsorted(np.asarray(ts), t)) - 1
        f = (t - ts[i]) / (ts[i + 1] - ts[i])
        lat = self._lat[i] + f * (self._lat[i + 1] - self._lat[i])
        lon = self._lon[i] + f * (self._lon[i + 1] - self._lon[i])
        self._t.insert(i + 1, t)
        self._lat.insert(i + 1, lat)
        self._lon.insert(i + 1, lon)
        self._status.insert(i, self._status[i])
        self._ais.insert(i, self._ais[i])

    def build(self) -> Movement:
        if len(self._t) < 2:
            # a vessel that never moved: one zero-length segment
            self._add(self._t[0] + 1.0, self._lat[0], self._lon[0], NAV_MOORED, True)
        return Movement(
            np.asarray(self._t, dtype=np.float64),
            np.asarray(self._lat, dtype=np.float64),
            np.asarray(self._lon, dtype=np.float64),
            np.asarray(self._status, dtype=np.int64),
            np.asarray(self._ais, dtype=np.bool_),
        )
