"""Small route geometry for the simulator: lengths, cuts and offsets on (lat, lon) polylines."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from khazar.units import haversine_m, initial_bearing_deg

__all__ = ["cumulative_m", "cut_route", "destination", "point_along", "route_length_m"]

F64 = npt.NDArray[np.float64]
_M_PER_DEG = 111_195.0


def cumulative_m(route: F64) -> F64:
    """Distance from the start at each vertex, metres."""
    d = haversine_m(route[:-1, 0], route[:-1, 1], route[1:, 0], route[1:, 1])
    return np.concatenate(([0.0], np.cumsum(d)))


def route_length_m(route: F64) -> float:
    return float(cumulative_m(route)[-1]) if len(route) > 1 else 0.0


def point_along(route: F64, at_m: float) -> tuple[float, float]:
    """The point ``at_m`` metres along the route (clamped to its ends)."""
    cum = cumulative_m(route)
    at = min(max(at_m, 0.0), float(cum[-1]))
    return float(np.interp(at, cum, route[:, 0])), float(np.interp(at, cum, route[:, 1]))


def cut_route(route: F64, at_m: float) -> tuple[F64, F64]:
    """Split a route at ``at_m`` metres from its start: (head, tail), sharing the cut point."""
    cum = cumulative_m(route)
    at = min(max(at_m, 0.0), float(cum[-1]))
    p = np.asarray([point_along(route, at)], dtype=np.float64)
    head = np.concatenate((route[cum < at], p))
    tail = np.concatenate((p, route[cum > at]))
    return head, tail


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """Point reached from (lat, lon) along a bearing (local flat approximation, < 100 km)."""
    b = np.radians(bearing_deg)
    dlat = distance_m * np.cos(b) / _M_PER_DEG
    dlon = distance_m * np.sin(b) / (_M_PER_DEG * np.cos(np.radians(lat)))
    return float(lat + dlat), float(lon + dlon)


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(initial_bearing_deg(a[0], a[1], b[0], b[1]))
