"""OGC API Features helpers: the ``bbox``/``datetime``/``limit`` parameters and responses.

Pure functions: parse the query parameters (raising :class:`~khazar.errors.InputError`
with the offending value) and shape GeoJSON FeatureCollections the way OGC API – Features
Part 1 does (``numberMatched``, ``numberReturned``, ``timeStamp``, ``links``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from khazar.domain.picture import BBox, Interval
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
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"datetime {whole!r}: {text!r} is not ISO 8601 (e.g. 2026-11-26T08:00:00Z)"
        ) from None
    try:
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC (found by fuzzing)
        raise InputError(
            f"datetime {whole!r}: {text!r} falls outside years 1..9999 in UTC"
        ) from None


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
