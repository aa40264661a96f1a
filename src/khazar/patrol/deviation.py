"""Deviation of a patrol boat from its planned route (pure: values in, values out).

The plan (``khazar plan --out plan.geojson``) gives each boat a LineString with a time per
vertex. At a moment ``t`` the boat *should* be at the plan's position interpolated in time;
its AIS fix says where it *is*. Reported:

* ``position_offset_m``: actual → planned position at ``t`` (the flag compares this);
* ``cross_track_m``: actual → the nearest point of the route part scheduled within
  ``window_s`` of ``t`` (patrol routes double back, so the whole route would match the
  wrong leg);
* ``along_track_m``: how far along the route that nearest point is from the planned
  position (+ ahead, − behind), and ``schedule_offset_s``: when the plan passes that point
  compared with ``t`` (+ the boat is late there, − early).

A boat is judged on or off plan only while its shift runs (from the plan's first time to
its last, judged at ``now``, the picture's time): before and after it, its status is
``not_on_shift`` and it is never off plan (a boat at its base before the shift is where it
should be).

Distances use a local equirectangular projection around the boat (errors well under 1 %
over the tens of kilometres of a patrol leg).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from khazar.errors import InputError
from khazar.units import EARTH_RADIUS_M, epoch_s

__all__ = [
    "Deviation",
    "DeviationStatus",
    "PlanPhase",
    "PlannedRoute",
    "deviation",
    "on_shift",
    "planned_position",
    "track_offsets_m",
]

#: half-width of the part of the route a fix is matched against, seconds
DEFAULT_WINDOW_S = 3600.0


class PlanPhase(StrEnum):
    """Where ``t`` falls in the boat's plan."""

    before = "before"
    during = "during"
    after = "after"


class DeviationStatus(StrEnum):
    """One word for the fleet panel."""

    on_plan = "on_plan"
    behind = "behind"
    ahead = "ahead"
    off_route = "off_route"
    not_on_shift = "not_on_shift"


@dataclass(frozen=True, slots=True)
class PlannedRoute:
    """One boat's planned route: vertices (degrees) with their planned times (epoch s)."""

    boat: str
    lats: tuple[float, ...]
    lons: tuple[float, ...]
    times_s: tuple[float, ...]

    @classmethod
    def from_feature(cls, feature: dict[str, Any]) -> PlannedRoute:
        """From a plan GeoJSON LineString with ``boat`` and ``times`` (ISO 8601, UTC)."""
        props = feature.get("properties") or {}
        boat = str(props.get("boat"))
        coords = (feature.get("geometry") or {}).get("coordinates") or []
        times = props.get("times") or []
        if len(coords) < 1 or len(times) != len(coords):
            raise InputError(
                f"patrol plan route of boat {boat}: {len(coords)} vertices but "
                f"{len(times)} times; re-export it with `khazar plan --out plan.geojson`"
            )
        try:
            times_s = tuple(epoch_s(datetime.fromisoformat(str(t).replace("Z", "+00:00")))
                            for t in times)
        except ValueError as exc:
            raise InputError(f"patrol plan route of boat {boat}: bad time ({exc})") from None
        if any(b < a for a, b in itertools.pairwise(times_s)):
            raise InputError(f"patrol plan route of boat {boat}: times go backwards")
        return cls(boat, tuple(float(c[1]) for c in coords), tuple(float(c[0]) for c in coords),
                   times_s)


@dataclass(frozen=True, slots=True)
class Deviation:
    """A boat's position against its plan at one moment."""

    boat: str
    t: datetime
    phase: PlanPhase
    planned_lat: float
    planned_lon: float
    actual_lat: float
    actual_lon: float
    position_offset_m: float
    cross_track_m: float
    along_track_m: float
    schedule_offset_s: float
    threshold_m: float
    #: the shift runs at the time it is judged (:func:`deviation`'s ``now``)
    on_shift: bool = True

    @property
    def off_plan(self) -> bool:
        """Farther than the threshold from where the plan puts the boat now, while the
        shift runs (never before or after it)."""
        return self.on_shift and self.position_offset_m > self.threshold_m

    @property
    def status(self) -> DeviationStatus:
        """Not on shift before and after the shift; else off route when away from the
        route, else on plan, behind or ahead of it."""
        if not self.on_shift:
            return DeviationStatus.not_on_shift
        if self.cross_track_m > self.threshold_m:
            return DeviationStatus.off_route
        if abs(self.along_track_m) <= self.threshold_m:
            return DeviationStatus.on_plan
        return DeviationStatus.ahead if self.along_track_m > 0 else DeviationStatus.behind


def _xy(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    k = math.pi / 180.0 * EARTH_RADIUS_M
    return (lon - lon0) * k * math.cos(math.radians(lat0)), (lat - lat0) * k


def _along_m(route: PlannedRoute, lat0: float, lon0: float) -> list[float]:
    pts = [_xy(a, o, lat0, lon0) for a, o in zip(route.lats, route.lons, strict=True)]
    out = [0.0]
    for (x1, y1), (x2, y2) in itertools.pairwise(pts):
        out.append(out[-1] + math.hypot(x2 - x1, y2 - y1))
    return out


def planned_position(route: PlannedRoute, t: datetime) -> tuple[float, float, PlanPhase]:
    """Where the plan puts the boat at ``t`` (lat, lon), interpolated in time; before the
    plan starts it is at the first vertex, after it ends at the last."""
    ts = epoch_s(t)
    if ts <= route.times_s[0]:
        return route.lats[0], route.lons[0], (PlanPhase.before if ts < route.times_s[0]
                                              else PlanPhase.during)
    if ts >= route.times_s[-1]:
        return route.lats[-1], route.lons[-1], (PlanPhase.after if ts > route.times_s[-1]
                                                else PlanPhase.during)
    for i in range(len(route.times_s) - 1):
        t1, t2 = route.times_s[i], route.times_s[i + 1]
        if t1 <= ts <= t2:
            f = 0.0 if t2 == t1 else (ts - t1) / (t2 - t1)
            return (route.lats[i] + f * (route.lats[i + 1] - route.lats[i]),
                    route.lons[i] + f * (route.lons[i + 1] - route.lons[i]), PlanPhase.during)
    raise AssertionError("unreachable: times are sorted")  # pragma: no cover


def on_shift(route: PlannedRoute, now: datetime) -> bool:
    """Whether the boat's shift (its plan's first to last time) runs at ``now``."""
    return route.times_s[0] <= epoch_s(now) <= route.times_s[-1]


def deviation(route: PlannedRoute, t: datetime, lat: float, lon: float, threshold_m: float,
              window_s: float = DEFAULT_WINDOW_S, now: datetime | None = None) -> Deviation:
    """The boat's fix (``lat``, ``lon`` at ``t``) against its ``route``; ``threshold_m``
    decides :attr:`Deviation.off_plan` and :attr:`Deviation.status`, while the shift runs
    at ``now`` (default ``t``) and at ``t``."""
    ts = epoch_s(t)
    plat, plon, phase = planned_position(route, t)
    shift = on_shift(route, t) and on_shift(route, now if now is not None else t)
    along = _along_m(route, lat, lon)
    px, py = _xy(plat, plon, lat, lon)
    offset = math.hypot(px, py)
    s_planned = _along_at_time(route, along, ts)
    n = len(route.lats)
    if n == 1:
        return Deviation(route.boat, t, phase, plat, plon, lat, lon, offset, offset, 0.0,
                         0.0, threshold_m, shift)
    segs = [i for i in range(n - 1)
            if route.times_s[i + 1] >= ts - window_s and route.times_s[i] <= ts + window_s]
    best: tuple[float, int, float] | None = None
    for i in segs or range(n - 1):
        x1, y1 = _xy(route.lats[i], route.lons[i], lat, lon)
        x2, y2 = _xy(route.lats[i + 1], route.lons[i + 1], lat, lon)
        dx, dy = x2 - x1, y2 - y1
        seg2 = dx * dx + dy * dy
        f = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / seg2))
        d = math.hypot(x1 + f * dx, y1 + f * dy)
        # ties (a dwell, a leg passed twice): the candidate scheduled nearest to t wins
        t_here = route.times_s[i] + f * (route.times_s[i + 1] - route.times_s[i])
        if best is None or d < best[0] - 1e-6 or (
            abs(d - best[0]) <= 1e-6 and abs(t_here - ts) < abs(_t_of(route, best) - ts)
        ):
            best = (d, i, f)
    assert best is not None
    cross, i, f = best
    s_actual = along[i] + f * (along[i + 1] - along[i])
    t_plan = route.times_s[i] + f * (route.times_s[i + 1] - route.times_s[i])
    return Deviation(route.boat, t, phase, plat, plon, lat, lon, offset, cross,
                     s_actual - s_planned, ts - t_plan, threshold_m, shift)


def _t_of(route: PlannedRoute, cand: tuple[float, int, float]) -> float:
    _, i, f = cand
    return route.times_s[i] + f * (route.times_s[i + 1] - route.times_s[i])


def _along_at_time(route: PlannedRoute, along: Sequence[float], ts: float) -> float:
    if ts <= route.times_s[0]:
        return along[0]
    if ts >= route.times_s[-1]:
        return along[-1]
    for i in range(len(route.times_s) - 1):
        t1, t2 = route.times_s[i], route.times_s[i + 1]
        if t1 <= ts <= t2:
            f = 0.0 if t2 == t1 else (ts - t1) / (t2 - t1)
            return along[i] + f * (along[i + 1] - along[i])
    return along[-1]  # pragma: no cover


def track_offsets_m(route: PlannedRoute, times: Sequence[datetime], lats: Sequence[float],
                    lons: Sequence[float]) -> list[float]:
    """Distance of each fix of an actual track from the planned position at the fix's
    time, for the fixes inside the plan's time span (others are skipped)."""
    out = []
    for t, lat, lon in zip(times, lats, lons, strict=True):
        ts = epoch_s(t)
        if route.times_s[0] <= ts <= route.times_s[-1]:
            plat, plon, _ = planned_position(route, t)
            out.append(math.hypot(*_xy(plat, plon, lat, lon)))
    return out
