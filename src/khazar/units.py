"""Units and geodesy helpers: the one place where conversions live.

Names carry their units: ``_m`` metres, ``_nm`` nautical miles, ``_kn`` knots,
``_s`` seconds, ``_h`` hours, ``_deg`` degrees. Times are timezone-aware UTC datetimes
or integer epoch seconds/milliseconds where arrays are involved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt
from pyproj import Geod

__all__ = [
    "BAKU_TZ",
    "EARTH_RADIUS_M",
    "KN_TO_MS",
    "MS_TO_KN",
    "M_PER_NM",
    "WGS84",
    "deg_decimal_minutes",
    "epoch_s",
    "from_epoch_s",
    "geodesic_distance_m",
    "haversine_m",
    "initial_bearing_deg",
    "km_to_nm",
    "kn_to_ms",
    "m_to_nm",
    "ms_to_kn",
    "nm_to_m",
    "to_utc",
]

M_PER_NM = 1852.0
KN_TO_MS = M_PER_NM / 3600.0
MS_TO_KN = 1.0 / KN_TO_MS
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), for the spherical fast path
BAKU_TZ = timezone(timedelta(hours=4), "AZT")
WGS84 = Geod(ellps="WGS84")


def nm_to_m(nm: float) -> float:
    return nm * M_PER_NM


def m_to_nm(m: float) -> float:
    return m / M_PER_NM


def km_to_nm(km: float) -> float:
    return km * 1000.0 / M_PER_NM


def kn_to_ms(kn: float) -> float:
    return kn * KN_TO_MS


def ms_to_kn(ms: float) -> float:
    return ms * MS_TO_KN


def to_utc(t: datetime) -> datetime:
    """A timezone-aware UTC datetime; naive datetimes are taken to be UTC already."""
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def epoch_s(t: datetime) -> float:
    return to_utc(t).timestamp()


def from_epoch_s(s: float) -> datetime:
    return datetime.fromtimestamp(s, tz=UTC)


def geodesic_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on the WGS84 ellipsoid (Karney's algorithm via PROJ), metres."""
    _, _, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(dist)


FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lat1: FloatArray | float,
    lon1: FloatArray | float,
    lat2: FloatArray | float,
    lon2: FloatArray | float,
) -> FloatArray:
    """Great-circle distance on a sphere of the mean Earth radius, metres (vectorised).

    Within 0.5 % of the geodesic: good for detectors' thresholds, not for legal limits.
    """
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def initial_bearing_deg(
    lat1: FloatArray | float,
    lon1: FloatArray | float,
    lat2: FloatArray | float,
    lon2: FloatArray | float,
) -> FloatArray:
    """Initial great-circle bearing from point 1 to point 2, degrees true in [0, 360)."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


def deg_decimal_minutes(value_deg: float, is_lat: bool) -> str:
    """Format a coordinate as degrees and decimal minutes, e.g. ``40°21.834′N``."""
    hemi = ("N" if value_deg >= 0 else "S") if is_lat else ("E" if value_deg >= 0 else "W")
    v = abs(value_deg)
    deg = int(v)
    minutes = (v - deg) * 60.0
    if round(minutes, 3) >= 60.0:
        deg += 1
        minutes = 0.0
    width = 2 if is_lat else 3
    return f"{deg:0{width}d}°{minutes:06.3f}′{hemi}"
