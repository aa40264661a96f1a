"""Cursor-on-Target (CoT 2.0) for TAK clients: vessels and alerts.

Builders return CoT XML text; :func:`to_protobuf` turns it into TAK Protocol v1 (mesh or
stream framing) with takproto. Vessel CoT types: own patrol boats ``a-f-S`` (friendly
surface), everyone else ``a-u-S`` (unknown surface); alerts are points of interest
``b-m-p-s-p-i`` with the severity and summary in the callsign and remarks.
Speeds in CoT ``<track>`` are metres per second.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Literal

import takproto

from khazar.domain import VesselState
from khazar.domain.alerts import Alert
from khazar.units import kn_to_ms

__all__ = [
    "ALERT_TYPE",
    "FRIENDLY_TYPE",
    "UNKNOWN_TYPE",
    "VesselState",
    "alert_cot",
    "cot_time",
    "to_protobuf",
    "vessel_cot",
]

FRIENDLY_TYPE = "a-f-S"
UNKNOWN_TYPE = "a-u-S"
ALERT_TYPE = "b-m-p-s-p-i"
VESSEL_STALE = timedelta(minutes=10)
ALERT_STALE = timedelta(hours=1)


def cot_time(ts: datetime) -> str:
    """CoT time: UTC, millisecond precision, ``Z`` suffix."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _event(
    uid: str, cot_type: str, ts: datetime, stale: datetime, lat: float, lon: float, ce_m: float
) -> ET.Element:
    ev = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": cot_type,
            "how": "m-g",
            "time": cot_time(ts),
            "start": cot_time(ts),
            "stale": cot_time(stale),
        },
    )
    ET.SubElement(
        ev,
        "point",
        {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}", "hae": "0", "ce": f"{ce_m:g}", "le": "9999999"},
    )
    return ev


def vessel_cot(vessel: VesselState, own_fleet: Collection[int] = ()) -> str:
    """CoT XML for one vessel's latest position (uid ``khazar-vessel-<MMSI>``)."""
    cot_type = FRIENDLY_TYPE if vessel.mmsi in own_fleet else UNKNOWN_TYPE
    ev = _event(
        f"khazar-vessel-{vessel.mmsi}",
        cot_type,
        vessel.timestamp,
        vessel.timestamp + VESSEL_STALE,
        vessel.lat,
        vessel.lon,
        10.0,
    )
    detail = ET.SubElement(ev, "detail")
    ET.SubElement(detail, "contact", {"callsign": vessel.name or f"MMSI {vessel.mmsi}"})
    track: dict[str, str] = {}
    if vessel.cog_deg is not None:
        track["course"] = f"{vessel.cog_deg:.1f}"
    if vessel.sog_kn is not None:
        track["speed"] = f"{kn_to_ms(vessel.sog_kn):.3f}"
    if track:
        ET.SubElement(detail, "track", track)
    remarks = ET.SubElement(detail, "remarks")
    remarks.text = f"MMSI {vessel.mmsi}" + (
        f", AIS status {vessel.status}" if vessel.status is not None else ""
    )
    return ET.tostring(ev, encoding="unicode")


def alert_cot(alert: Alert, now: datetime | None = None) -> str:
    """CoT XML for one alert (uid ``khazar-alert-<id>``), stale an hour after ``now``."""
    ts = now or alert.updated_at
    ev = _event(
        f"khazar-alert-{alert.id}", ALERT_TYPE, ts, ts + ALERT_STALE, alert.lat, alert.lon, 100.0
    )
    detail = ET.SubElement(ev, "detail")
    callsign = f"{alert.severity.value.upper()} {alert.rule}"
    ET.SubElement(detail, "contact", {"callsign": callsign})
    remarks = ET.SubElement(detail, "remarks")
    remarks.text = f"{alert.summary} [state {alert.state.value}, score {alert.score:.0f}]"
    return ET.tostring(ev, encoding="unicode")


def to_protobuf(xml: str, framing: Literal["mesh", "stream"] = "mesh") -> bytes:
    """TAK Protocol v1 bytes of a CoT XML event (mesh: UDP SA; stream: TCP to a server)."""
    ver = takproto.TAKProtoVer.MESH if framing == "mesh" else takproto.TAKProtoVer.STREAM
    return bytes(takproto.xml2proto(xml, ver))
