"""The recognised picture's value types: query bounds and each vessel's latest state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from khazar.errors import InputError

__all__ = ["BBox", "Interval", "TrackRow", "VesselRow", "parse_instant"]


def parse_instant(text: str, what: str) -> datetime:
    """An ISO 8601 instant as a UTC datetime (one without an offset is taken as UTC; ``Z``
    and ``z`` are UTC). :class:`InputError` starting with ``what`` (the option or the query
    parameter) when ``text`` is not one, or falls outside years 1..9999 once in UTC."""
    value = text.strip()
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 time, e.g. 2026-05-01T06:00Z") from None
    try:
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC (found by fuzzing)
        raise InputError(f"{what} {text!r} falls outside years 1..9999 in UTC") from None


@dataclass(frozen=True, slots=True)
class BBox:
    """Longitude/latitude box, degrees (OGC order: minLon, minLat, maxLon, maxLat)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed time interval; ``None`` bounds are open (``..`` in OGC syntax)."""

    start: datetime | None
    end: datetime | None

    def contains(self, t: datetime) -> bool:
        return (self.start is None or t >= self.start) and (self.end is None or t <= self.end)


@dataclass(frozen=True, slots=True)
class VesselRow:
    """A vessel's latest position and static data."""

    mmsi: int
    ts: datetime
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None
    heading_deg: int | None
    status: int | None
    name: str | None
    callsign: str | None
    imo: int | None
    ship_type: int | None
    destination: str | None
    length_m: int | None


@dataclass(frozen=True, slots=True)
class TrackRow:
    mmsi: int
    times: list[datetime]
    lats: list[float]
    lons: list[float]
    sogs_kn: list[float | None]
