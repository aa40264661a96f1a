"""Tiny builders of AIS NMEA for API and console tests (pyais encode, real framing).

Every line carries a ``\\s:…,c:UNIX*hh\\`` tag block like a real receiver, so the
ingest pipeline stores the report time given here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyais.encode import encode_dict


def _tag(station: str, t: datetime) -> str:
    body = f"s:{station},c:{int(t.timestamp())}"
    checksum = 0
    for ch in body:
        checksum ^= ord(ch)
    return f"\\{body}*{checksum:02X}\\"


def position_lines(
    mmsi: int, t: datetime, lat: float, lon: float, sog_kn: float, cog_deg: float,
    station: str = "test",
) -> list[str]:
    """One class A position report (type 1) at ``t``."""
    sentences = encode_dict(
        {"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": sog_kn,
         "course": cog_deg, "heading": round(cog_deg) % 360, "status": 0},
        sentence_type="VDM", radio_channel="A",
    )
    return [_tag(station, t) + s for s in sentences]


def static_lines(
    mmsi: int, t: datetime, name: str, imo: int, ship_type: int, destination: str,
    callsign: str = "4JAB", station: str = "test", seq_id: int = 1,
) -> list[str]:
    """Static and voyage data (type 5, two sentences)."""
    sentences = encode_dict(
        {"type": 5, "mmsi": mmsi, "imo": imo, "callsign": callsign, "shipname": name,
         "ship_type": ship_type, "destination": destination, "to_bow": 90, "to_stern": 30,
         "to_port": 10, "to_starboard": 10, "ais_version": 0},
        sentence_type="VDM", radio_channel="A", seq_id=seq_id,
    )
    return [_tag(station, t) + s for s in sentences]


@dataclass(frozen=True)
class Ship:
    mmsi: int
    name: str
    imo: int
    ship_type: int
    destination: str
    lat: float
    lon: float
    sog_kn: float
    cog_deg: float

    def at(self, dt_s: float) -> tuple[float, float]:
        """Dead-reckoned (lat, lon) ``dt_s`` seconds later (flat-earth, fine for minutes)."""
        d_nm = self.sog_kn * dt_s / 3600.0
        c = math.radians(self.cog_deg)
        lat = self.lat + d_nm * math.cos(c) / 60.0
        lon = self.lon + d_nm * math.sin(c) / (60.0 * math.cos(math.radians(self.lat)))
        return lat, lon


#: a few vessels on Caspian waters off Baku and Sangachal, and one patrol boat
SHIPS = (
    Ship(273451001, "AKTAU EXPRESS", 9100001, 70, "ALAT", 40.10, 50.20, 12.0, 250.0),
    Ship(423451002, "XAZAR TANKER", 9100002, 80, "BAKU", 40.25, 50.55, 10.5, 300.0),
    Ship(423451003, "BALIQCI 7", 0, 30, "", 39.90, 49.95, 3.0, 45.0),
    Ship(423100001, "ACG SUPPLY 1", 9100004, 53, "ACG", 40.05, 50.95, 8.0, 100.0),
    Ship(423900001, "SBS-01", 0, 55, "", 40.33, 49.90, 16.0, 120.0),
)


def feed(start: datetime, minutes: int, step_s: int = 60, ships: tuple[Ship, ...] = SHIPS
         ) -> list[str]:
    """Static reports once, then a position of each ship every ``step_s`` seconds."""
    lines: list[str] = []
    for i, ship in enumerate(ships):
        lines += static_lines(ship.mmsi, start, ship.name, ship.imo, ship.ship_type,
                              ship.destination, seq_id=i % 10)
    for k in range(0, minutes * 60 + 1, step_s):
        t = start + timedelta(seconds=k)
        for ship in ships:
            lat, lon = ship.at(k)
            lines += position_lines(ship.mmsi, t, lat, lon, ship.sog_kn, ship.cog_deg)
    return lines
