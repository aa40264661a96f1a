"""Decoded AIS CSV (Danish Maritime Authority, MarineCadastre, generic) and radar/SAR CSV.

The layout is recognised from the header; values are normalised as for NMEA (speed 102.3,
course 360, heading 511 → ``None``; a row whose position is off the globe is
``out_of_range``; a row that cannot be read is ``bad_row``). Parsing is pure: lines in,
rows and reasons out.

The generic layout also takes a dataset's own vessel identity instead of an MMSI (a column
``id``, ``vessel_id`` or ``ship_id``, an integer, as in anonymised data such as the Ever Given
positions): each such number is one vessel by the dataset's word, so its rows are not flagged
as invalid MMSIs. Its times may be ISO 8601, epoch seconds or day-first ``dd/mm/yyyy
HH:MM[:SS]`` (UTC), as DMA and VesselsValue write them.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from khazar.domain.vessels import mmsi_valid
from khazar.ingest.decode import Decoded
from khazar.ingest.framing import MAX_TIME_US, MIN_TIME_US
from khazar.ingest.reasons import Reason

__all__ = ["CsvLayout", "detect_layout", "parse_csv_lines"]


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """A recognised CSV layout: its name, kind (``ais`` / ``radar``) and column indexes."""

    name: str
    kind: str
    columns: dict[str, int]
    time_format: str | None  # strptime format, or None for ISO 8601 / epoch seconds


def _norm(name: str) -> str:
    return name.strip().lstrip("#").strip().lower().replace(" ", "_")


_DMA = {"timestamp": "timestamp", "type_of_mobile": "class", "mmsi": "mmsi",
        "latitude": "lat", "longitude": "lon", "navigational_status": "status_text",
        "sog": "sog", "cog": "cog", "heading": "heading", "imo": "imo", "callsign": "callsign",
        "name": "name", "ship_type": "ship_type_text", "draught": "draught",
        "destination": "destination", "a": "bow", "b": "stern", "c": "port", "d": "starboard"}
_MC = {"mmsi": "mmsi", "basedatetime": "timestamp", "lat": "lat", "lon": "lon", "sog": "sog",
       "cog": "cog", "heading": "heading", "vesselname": "name", "imo": "imo",
       "callsign": "callsign", "vesseltype": "ship_type", "status": "status", "draft": "draught",
       "transceiverclass": "class"}
_GENERIC = {"mmsi": "mmsi", "timestamp": "timestamp", "time": "timestamp", "ts": "timestamp",
            "lat": "lat", "latitude": "lat", "lon": "lon", "longitude": "lon", "sog": "sog",
            "sog_kn": "sog", "speed": "sog", "cog": "cog", "cog_deg": "cog", "course": "cog",
            "heading": "heading", "heading_deg": "heading", "status": "status",
            "name": "name", "ship_type": "ship_type", "id": "vessel_id",
            "vessel_id": "vessel_id", "ship_id": "vessel_id", "ais_pos_timestamp": "timestamp"}
#: columns that only detection files have: a file with them and an ``id`` is not AIS
_RADAR_ONLY = frozenset({"length_m", "source"})
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
_RADAR = {"timestamp": "timestamp", "time": "timestamp", "ts": "timestamp", "lat": "lat",
          "latitude": "lat", "lon": "lon", "longitude": "lon", "length_m": "length_m",
          "source": "source"}

_STATUS_TEXT = {
    "under way using engine": 0, "at anchor": 1, "not under command": 2,
    "restricted manoeuverability": 3, "restricted maneuverability": 3,
    "constrained by her draught": 4, "moored": 5, "aground": 6, "engaged in fishing": 7,
    "under way sailing": 8, "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10, "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12, "ais-sart": 14,
    "unknown value": 15,
}
_SHIP_TEXT = {"wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33,
              "diving": 34, "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40,
              "pilot": 50, "sar": 51, "tug": 52, "port tender": 53, "anti-pollution": 54,
              "law enforcement": 55, "medical": 58, "passenger": 60, "cargo": 70, "tanker": 80,
              "other": 90}


def detect_layout(header: str, kind: str | None = None) -> CsvLayout | None:
    """The layout named by a header line, or ``None``. ``kind`` forces ``ais`` or ``radar``."""
    names = [_norm(c) for c in next(csv.reader([header]))]
    if "type_of_mobile" in names and "mmsi" in names and kind != "radar":
        return _layout("dma", "ais", names, _DMA, "%d/%m/%Y %H:%M:%S")
    if "basedatetime" in names and kind != "radar":
        return _layout("marinecadastre", "ais", names, _MC, None)
    if "mmsi" in names and kind != "radar":
        return _layout("generic", "ais", names, _GENERIC, None)
    if (any(n in names for n in ("id", "vessel_id", "ship_id")) and kind != "radar"
            and (kind == "ais" or not _RADAR_ONLY.intersection(names))):
        return _layout("generic", "ais", names, _GENERIC, None)
    if kind != "ais":
        return _layout("radar", "radar", names, _RADAR, None)
    return None


def _layout(name: str, kind: str, names: list[str], table: dict[str, str],
            fmt: str | None) -> CsvLayout | None:
    cols: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in table and table[n] not in cols:
            cols[table[n]] = i
    if "mmsi" in cols:
        cols.pop("vessel_id", None)  # an MMSI column wins over a dataset's own id
    elif "vessel_id" in cols:
        cols["mmsi"] = cols["vessel_id"]
    need = ("timestamp", "lat", "lon") if kind == "radar" else ("mmsi", "timestamp", "lat", "lon")
    if any(k not in cols for k in need):
        return None
    return CsvLayout(name, kind, cols, fmt)


def _time_us(value: str, fmt: str | None) -> int:
    v = value.strip()
    if fmt is not None:
        t = datetime.strptime(v, fmt).replace(tzinfo=UTC)
    elif v.replace(".", "", 1).isdigit():
        return int(float(v) * 1_000_000)
    elif len(v) > 2 and v[2] == "/":
        for day_first in _DAY_FIRST:
            try:
                t = datetime.strptime(v, day_first).replace(tzinfo=UTC)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"time {v!r} is not dd/mm/yyyy HH:MM[:SS]")
    else:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
        t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return int(t.timestamp() * 1_000_000)


def _float(row: list[str], cols: dict[str, int], key: str) -> float | None:
    i = cols.get(key)
    if i is None or i >= len(row):
        return None
    v = row[i].strip()
    if not v or v.lower() in ("unknown", "nan", "na", "null"):
        return None
    return float(v)


def _text(row: list[str], cols: dict[str, int], key: str) -> str | None:
    i = cols.get(key)
    if i is None or i >= len(row):
        return None
    v = row[i].strip()
    return v if v and v.lower() not in ("unknown", "undefined") else None


def parse_csv_lines(layout: CsvLayout, texts: list[str], header_line: int, first_line_no: int,
                    received_us: int) -> tuple[Decoded, list[Reason | None], list[str]]:
    """Rows of one batch. The line numbered ``header_line`` (the header) is accepted as is."""
    out = Decoded()
    reasons: list[Reason | None] = [None] * len(texts)
    details = [""] * len(texts)
    pos: dict[str, list[Any]] = {k: [] for k in (
        "mmsi", "ts_us", "report_s", "lat", "lon", "sog", "cog", "heading", "status",
        "msg_type", "msg_key", "station", "mmsi_valid")}
    own_ids = "vessel_id" in layout.columns
    detections: list[tuple[int, float, float, float | None, str]] = []
    for i, text in enumerate(texts):
        line = text.strip()
        if first_line_no + i == header_line:
            continue
        if not line or line.startswith("#"):
            reasons[i] = Reason.empty
            continue
        try:
            row = next(csv.reader([line]))
            c = layout.columns
            t_us = _time_us(row[c["timestamp"]], layout.time_format)
            lat = _float(row, c, "lat")
            lon = _float(row, c, "lon")
            mmsi = int(row[c["mmsi"]]) if "mmsi" in c else 0
            sog = _float(row, c, "sog")
            cog = _float(row, c, "cog")
            heading = _float(row, c, "heading")
            length = _float(row, c, "length_m")
            status = _status(row, c) if layout.kind != "radar" else None
            static = _static(row, c, mmsi, t_us) if layout.kind != "radar" else None
        except (ValueError, IndexError, KeyError) as exc:
            reasons[i] = Reason.bad_row
            details[i] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        if lat is None or lon is None or not (abs(lat) <= 90 and abs(lon) <= 180):
            reasons[i] = Reason.out_of_range
            details[i] = f"position {lat}, {lon} is missing or off the globe"
            continue
        if not MIN_TIME_US <= t_us < MAX_TIME_US or not 0 <= mmsi < 1_000_000_000:
            reasons[i] = Reason.out_of_range
            details[i] = f"time {t_us // 1_000_000} s or MMSI {mmsi} out of range"
            continue
        if layout.kind == "radar":
            src = _text(row, c, "source") or "radar"
            detections.append((t_us, lat, lon, length, src))
            continue
        key = zlib.crc32(f"{mmsi},{t_us},{lat},{lon},{sog},{cog},{heading},{status}".encode())
        klass = (_text(row, c, "class") or "").upper()
        msg_type = 18 if klass.endswith("B") else 1 if klass.endswith("A") else 0
        pos["mmsi"].append(mmsi)
        pos["ts_us"].append(t_us)
        pos["report_s"].append(t_us // 1_000_000)
        pos["lat"].append(lat)
        pos["lon"].append(lon)
        pos["sog"].append(np.nan if sog is None or sog >= 102.3 or sog < 0 else sog)
        pos["cog"].append(np.nan if cog is None or cog >= 360 or cog < 0 else cog)
        pos["heading"].append(-1 if heading is None or not 0 <= heading < 360 else int(heading))
        pos["status"].append(-1 if status is None else status)
        pos["msg_type"].append(msg_type)
        pos["msg_key"].append(key)
        pos["station"].append("")
        pos["mmsi_valid"].append(own_ids or mmsi_valid(mmsi))
        if static is not None:
            out.statics.append((*static[:2], msg_type, *static[3:]))
    if pos["mmsi"]:
        out.positions = {
            "mmsi": np.asarray(pos["mmsi"], dtype=np.int64),
            "ts_us": np.asarray(pos["ts_us"], dtype=np.int64),
            "report_s": np.asarray(pos["report_s"], dtype=np.int64),
            "lat": np.asarray(pos["lat"], dtype=np.float64),
            "lon": np.asarray(pos["lon"], dtype=np.float64),
            "sog": np.asarray(pos["sog"], dtype=np.float64),
            "cog": np.asarray(pos["cog"], dtype=np.float64),
            "heading": np.asarray(pos["heading"], dtype=np.int64),
            "status": np.asarray(pos["status"], dtype=np.int64),
            "msg_type": np.asarray(pos["msg_type"], dtype=np.int64),
            "msg_key": np.asarray(pos["msg_key"], dtype=np.uint64),
            "station": pos["station"],
            "mmsi_valid": np.asarray(pos["mmsi_valid"], dtype=bool),
        }
    out.detections = detections
    return out, reasons, details


def _status(row: list[str], c: dict[str, int]) -> int | None:
    text = _text(row, c, "status_text")
    if text is not None:
        return _STATUS_TEXT.get(text.lower())
    v = _float(row, c, "status")
    return int(v) if v is not None and 0 <= v <= 15 else None


def _static(row: list[str], c: dict[str, int], mmsi: int, t_us: int) -> tuple[Any, ...] | None:
    name = _text(row, c, "name")
    callsign = _text(row, c, "callsign")
    imo_text = _text(row, c, "imo")
    imo = None
    if imo_text is not None:
        digits = imo_text.upper().removeprefix("IMO")
        imo = int(digits) if digits.isdigit() and int(digits) > 0 else None
    ship_type: int | None = None
    st = _text(row, c, "ship_type_text")
    if st is not None:
        ship_type = _SHIP_TEXT.get(st.lower())
    else:
        v = _float(row, c, "ship_type")
        ship_type = int(v) if v is not None and 0 < v < 256 else None
    dims = [_float(row, c, k) for k in ("bow", "stern", "port", "starboard")]
    bow, stern, port, starboard = (int(d) if d is not None and d > 0 else None for d in dims)
    draught = _float(row, c, "draught")
    destination = _text(row, c, "destination")
    values = (name, callsign, imo, ship_type, bow, stern, port, starboard, draught, destination)
    if all(v is None for v in values):
        return None
    key = zlib.crc32(repr(values).encode())
    return (mmsi, t_us, 0, name, callsign, imo, ship_type, bow, stern, port, starboard,
            draught or None, destination, "", key)
