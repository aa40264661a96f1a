"""Value types. Units are in the field names; times are UTC datetimes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "AIS_NOT_AVAILABLE",
    "Detection",
    "Event",
    "Position",
    "VesselState",
    "VesselStatic",
    "event_id",
]

#: AIS "not available" sentinels (ITU-R M.1371), normalised to ``None`` at decode time.
AIS_NOT_AVAILABLE = {
    "lat_deg": 91.0,
    "lon_deg": 181.0,
    "sog_kn": 102.3,
    "cog_deg": 360.0,
    "heading_deg": 511,
}


@dataclass(frozen=True, slots=True)
class Position:
    """One position report after normalisation (None = not available)."""

    mmsi: int
    timestamp: datetime
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None
    heading_deg: int | None = None
    status: int | None = None
    msg_type: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class VesselState(Position):
    """The picture's latest knowledge of one vessel: its last position with its name and
    ship type (from the latest static report), as shown, exported and sent to partners."""

    name: str | None = None
    ship_type: int | None = None


@dataclass(frozen=True, slots=True)
class VesselStatic:
    """Static and voyage data (AIS types 5 and 24, or a CSV's static columns)."""

    mmsi: int
    timestamp: datetime
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    to_bow_m: int | None = None
    to_stern_m: int | None = None
    to_port_m: int | None = None
    to_starboard_m: int | None = None
    draught_m: float | None = None
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """A non-AIS contact: coastal radar or SAR."""

    timestamp: datetime
    lat: float
    lon: float
    length_m: float | None = None
    source: str = "radar"


def event_id(event_type: str, mmsi: int | None, other_mmsi: int | None, start: datetime) -> str:
    """Deterministic id from the event's type, vessel(s) and start only.

    The pair of vessels is ordered so that (a, b) and (b, a) give the same id.
    """
    a, b = mmsi, other_mmsi
    if a is not None and b is not None and b < a:
        a, b = b, a
    key = f"{event_type}|{a if a is not None else ''}|{b if b is not None else ''}|"
    key += start.isoformat()
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Event:
    """A detected behaviour: the output of a detector, the input of alert rules."""

    type: str
    mmsi: int | None
    start: datetime
    end: datetime
    lat: float
    lon: float
    other_mmsi: int | None = None
    zone_id: str | None = None
    asset_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    open: bool = False

    @property
    def id(self) -> str:
        return event_id(self.type, self.mmsi, self.other_mmsi, self.start)
