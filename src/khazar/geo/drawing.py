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
import shapely
from shapely.geometry import LineString

from khazar.errors import GeoError
from khazar.geo.routing import SeaRouter
from khazar.units import WGS84

__all__ = ["DrawnLine", "destination", "fit_arc_length", "fit_route_length", "line_length_m"]

_ARC_POINTS = 64


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


def fit_arc_length(
    router: SeaRouter,
    start: tuple[float, float],
    end: tuple[float, float],
    target_m: float,
    side: str = "left",
    tolerance: float = 0.03,
) -> DrawnLine:
    """A smooth arc (quadratic Bézier in the local plane) from ``start`` to ``end`` bowed to
    ``side`` until it is ``target_m`` long; it must stay in the router's (inset) water.

    Raises :class:`GeoError` when the straight line is already too long or when the arc
    that has the right length touches land (then use :func:`fit_route_length`).
    """
    proj = router.proj
    x, y = proj.to_xy([start[1], end[1]], [start[0], end[0]])
    a = np.array([x[0], y[0]])
    b = np.array([x[1], y[1]])
    chord = b - a
    normal = np.array([-chord[1], chord[0]]) / np.hypot(*chord)
    if side == "right":
        normal = -normal
    t = np.linspace(0.0, 1.0, _ARC_POINTS)[:, None]

    def arc(push: float) -> list[tuple[float, float]]:
        ctrl = (a + b) / 2.0 + normal * 2.0 * push  # the curve's apex is ``push`` off the chord
        pts = (1 - t) ** 2 * a + 2 * (1 - t) * t * ctrl + t**2 * b
        lon, lat = proj.to_lonlat(pts[:, 0], pts[:, 1])
        return [(float(la), float(lo)) for la, lo in zip(lat, lon, strict=True)]

    def wet(push: float) -> bool:
        ctrl = (a + b) / 2.0 + normal * 2.0 * push
        pts = (1 - t) ** 2 * a + 2 * (1 - t) * t * ctrl + t**2 * b
        return bool(shapely.within(LineString(pts), router.polygon))

    base = line_length_m(arc(0.0))
    if base > target_m * (1 + tolerance):
        raise GeoError(
            f"the straight line is {base / 1000:.1f} km, longer than the published "
            f"{target_m / 1000:.1f} km; move the end points"
        )
    lo, hi = 0.0, 200_000.0
    push = 0.0
    if base < target_m * (1 - tolerance):
        for _ in range(50):
            push = (lo + hi) / 2.0
            length = line_length_m(arc(push))
            if abs(length - target_m) <= target_m * tolerance / 10:
                break
            lo, hi = (push, hi) if length < target_m else (lo, push)
    if not wet(push):
        raise GeoError(f"an arc of {target_m / 1000:.1f} km from {start} to {end} crosses land")
    coords = arc(push)
    return DrawnLine(coords, line_length_m(coords), push)
