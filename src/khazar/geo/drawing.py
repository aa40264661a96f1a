"""Drawing approximate pipeline routes that stay in water and match a published length.

Public data gives a subsea line's two ends and its length, not its route. We draw the
shortest water route from one end to the other through a waypoint pushed sideways from
the chord's midpoint, and solve for the push (bisection) that makes the route as long as
published. The result is labelled "drawn" with its length: a stand-in for a surveyed
route, good enough to place a protection corridor roughly where the line runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from khazar.errors import GeoError
from khazar.geo.routing import SeaRouter
from khazar.units import WGS84

__all__ = ["DrawnLine", "destination", "fit_route_length", "line_length_m"]


@dataclass(frozen=True, slots=True)
class DrawnLine:
    """A drawn route: (lat, lon) vertices, its geodesic length, and the waypoint push."""

    coords: list[tuple[float, float]]
    length_m: float
    offset_m: float


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point ``distance_m`` from (lat, lon) along ``bearing_deg`` (geodesic)."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, bearing_deg, distance_m)
    return float(lat2), float(lon2)


def line_length_m(coords: list[tuple[float, float]]) -> float:
    """Geodesic length of a (lat, lon) polyline, metres."""
    a = np.asarray(coords)
    _, _, d = WGS84.inv(a[:-1, 1], a[:-1, 0], a[1:, 1], a[1:, 0])
    return float(np.sum(d))


def _via(
    router: SeaRouter,
    start: tuple[float, float],
    end: tuple[float, float],
    mid: tuple[float, float],
) -> list[tuple[float, float]]:
    first = router.route(*start, *mid).coords
    second = router.route(*mid, *end).coords
    return first + second[1:]


def fit_route_length(
    router: SeaRouter,
    start: tuple[float, float],
    end: tuple[float, float],
    target_m: float,
    side: str = "right",
    tolerance: float = 0.03,
) -> DrawnLine:
    """A water route from ``start`` to ``end`` of length ``target_m`` (± ``tolerance``).

    ``side`` says where the waypoint is pushed, looking from start to end ("left" or
    "right"). Raises :class:`GeoError` when even the direct water route is longer than
    the target, or no push within 200 km reaches it.
    """
    direct = router.route(*start, *end).coords
    base = line_length_m(direct)
    if base > target_m * (1 + tolerance):
        raise GeoError(
            f"direct water route is {base / 1000:.1f} km, longer than the published "
            f"{target_m / 1000:.1f} km; move the end points"
        )
    if base >= target_m * (1 - tolerance):
        return DrawnLine(direct, base, 0.0)
    _, _, chord = WGS84.inv(start[1], start[0], end[1], end[0])
    az, _, _ = WGS84.inv(start[1], start[0], end[1], end[0])
    mid = destination(start[0], start[1], float(az), float(chord) / 2.0)
    normal = float(az) + (90.0 if side == "right" else -90.0)
    lo, hi = 0.0, 200_000.0
    best: DrawnLine | None = None
    for _ in range(40):
        push = (lo + hi) / 2.0
        coords = _via(router, start, end, destination(mid[0], mid[1], normal, push))
        length = line_length_m(coords)
        best = DrawnLine(coords, length, push)
        if abs(length - target_m) <= target_m * tolerance / 4:
            return best
        if length < target_m:
            lo = push
        else:
            hi = push
    if best is None or abs(best.length_m - target_m) > target_m * tolerance:
        raise GeoError(f"could not draw a {target_m / 1000:.1f} km water route")
    return best
