"""OGC API Features helpers: the ``bbox``/``datetime``/``limit`` parameters and responses.

Pure functions: parse the query parameters (raising :class:`~khazar.errors.InputError`
with the offending value) and shape GeoJSON FeatureCollections the way OGC API – Features
Part 1 does (``numberMatched``, ``numberReturned``, ``timeStamp``, ``links``).
"""

from __future__ import annotations

from datetime import datetime

from khazar.domain.picture import BBox, Interval, parse_instant
from khazar.errors import InputError

__all__ = [
    "parse_bbox",
    "parse_datetime",
]


def parse_bbox(value: str | None) -> BBox | None:
    """``minLon,minLat,maxLon,maxLat`` in degrees, or None when absent."""
    if value is None or value.strip() == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InputError(
            f"bbox {value!r} must have 4 numbers: minLon,minLat,maxLon,maxLat (degrees)"
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"bbox {value!r} has a value that is not a number") from None
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InputError(f"bbox {value!r}: longitudes must be within -180..180")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise InputError(f"bbox {value!r}: need -90 <= minLat <= maxLat <= 90")
    if min_lon > max_lon:
        raise InputError(f"bbox {value!r}: minLon > maxLon (antimeridian boxes not supported)")
    return BBox(min_lon, min_lat, max_lon, max_lat)


def _parse_instant(text: str, whole: str) -> datetime | None:
    if text.strip() in ("", ".."):
        return None
    return parse_instant(text, f"datetime {whole!r}:")


def parse_datetime(value: str | None) -> Interval | None:
    """OGC ``datetime``: an instant, ``start/end``, ``../end`` or ``start/..`` (UTC)."""
    if value is None or value.strip() == "":
        return None
    if "/" in value:
        first, _, second = value.partition("/")
        start = _parse_instant(first, value)
        end = _parse_instant(second, value)
        if start is not None and end is not None and end < start:
            raise InputError(f"datetime {value!r}: the interval ends before it starts")
        return Interval(start, end)
    t = _parse_instant(value, value)
    return Interval(t, t)
