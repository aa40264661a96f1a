"""NMEA 0183 AIS out (``!AIVDM``), encoded with pyais, for OpenCPN and chart plotters.

Each vessel of the picture becomes a type 1 position report, and a type 5 static report
when its name is known. Values are quantised to AIS resolution by the encoding:
positions 1/10000 minute, speed 0.1 kn (102.2 max), course 0.1°.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyais.encode import encode_dict

from khazar.domain import VesselState

__all__ = ["AIS_SPEED_MAX_KN", "vessel_sentences"]

AIS_SPEED_MAX_KN = 102.2


def _nearest_step(value: float, steps_per_unit: float) -> float:
    """The value pyais will encode as the *nearest* AIS step: it truncates speed and course
    toward zero, so hand it the middle of the wanted step."""
    n = round(value * steps_per_unit)
    return (n + (0.5 if n >= 0 else -0.5)) / steps_per_unit


def _position(v: VesselState, channel: str) -> list[str]:
    speed = 102.3 if v.sog_kn is None else _nearest_step(min(v.sog_kn, AIS_SPEED_MAX_KN), 10)
    course = 360.0
    if v.cog_deg is not None:
        course = _nearest_step(v.cog_deg % 360.0, 10)
        if course >= 360.0:  # 359.96° rounds to 360.0, which AIS reserves for "unknown"
            course = 0.05
    data: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 1,
        "mmsi": v.mmsi,
        "lat": v.lat,  # pyais rounds positions to the nearest 1/10000 minute itself
        "lon": v.lon,
        # AIS "not available" sentinels where unknown (ITU-R M.1371)
        "speed": speed,
        "course": course,
        "heading": v.heading_deg if v.heading_deg is not None else 511,
        "status": v.status if v.status is not None else 15,
        "second": v.timestamp.second,
        "turn": -128,
    }
    return encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel)


def _static(v: VesselState, channel: str, seq_id: int) -> list[str]:
    data: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 5,
        "mmsi": v.mmsi,
        "shipname": (v.name or "")[:20].upper(),
        "ship_type": v.ship_type or 0,
        "ais_version": 0,
    }
    return encode_dict(
        data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq_id
    )


def vessel_sentences(
    vessels: Iterable[VesselState], with_static: bool = True, channel: str = "A"
) -> Iterator[str]:
    """``!AIVDM`` sentences for each vessel: position (type 1), then static (type 5)."""
    seq = 0
    for v in vessels:
        yield from _position(v, channel)
        if with_static and v.name:
            yield from _static(v, channel, seq)
            seq = (seq + 1) % 10
