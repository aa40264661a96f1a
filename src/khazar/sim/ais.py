"""AIS behaviour of simulated vessels: what they transmit (ITU-R M.1371) and what is received.

Reporting intervals (ITU-R M.1371-5, Annex 1 Table 1 and class B CS):

=====================================================  ==========
class A: at anchor or moored, not faster than 3 kn     3 min
class A: 0–14 kn (changing course: 3⅓ s)               10 s
class A: 14–23 kn (changing course: 2 s)               6 s
class A: over 23 kn                                    2 s
class B (CS): 2 kn or less / over 2 kn                 3 min / 30 s
static data: type 5 (class A, two sentences) and       6 min
type 24 parts A and B (class B)
=====================================================  ==========

Reception: a coastal station receives a transmission with probability
``p_max / (1 + exp((d_nm - range_nm) / falloff_nm))`` (≈ ``p_max`` close in, 50 % at the
nominal range, a few percent 10 nm beyond), independently per station, and not at all during
its outages. Each received copy becomes one line tagged with the station and receive time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyais.encode import encode_dict

from khazar.sim.movement import NAV_AT_ANCHOR, NAV_MOORED, Vessel
from khazar.sim.nmea import frame_payloads
from khazar.units import M_PER_NM, haversine_m, initial_bearing_deg

__all__ = [
    "DEFAULT_STATIONS",
    "ReceptionModel",
    "StaticTransmissions",
    "Station",
    "Transmissions",
    "class_a_interval_s",
    "class_b_interval_s",
    "receive",
    "static_payloads",
    "transmissions",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

STATIC_INTERVAL_S = 360.0
_TURN_WINDOW_S = 30.0
_TURN_MIN_DEG = 15.0


@dataclass(frozen=True, slots=True)
class Station:
    """A coastal AIS base station (receiver) of the network."""

    name: str
    lat: float
    lon: float
    range_nm: float = 40.0


#: Azerbaijani coastal receivers (approximate public positions of the coastal sites)
DEFAULT_STATIONS: tuple[Station, ...] = (
    Station("AZ-BAKU", 40.3500, 49.8400),
    Station("AZ-SANGACHAL", 40.1800, 49.4700),
    Station("AZ-SUMQAYIT", 40.5900, 49.6700),
    Station("AZ-LANKARAN", 38.7500, 48.8600),
    Station("AZ-NEFTDASLARI", 40.2360, 50.8580),
)


@dataclass(frozen=True, slots=True)
class ReceptionModel:
    """Parameters of the receiving network (documented defaults)."""

    p_max: float = 0.95  # close-in reception (random dropouts: 5 %)
    falloff_nm: float = 2.5  # width of the logistic fall-off around the nominal range
    latency_max_s: float = 1.5  # receive time = transmit time + U(0.05, latency_max_s)
    position_noise_m: float = 8.0  # GNSS noise, 1 σ per axis
    outages_per_day: float = 1.5  # per station, each 3–20 min
    outage_min_s: float = 180.0
    outage_max_s: float = 1200.0


def class_a_interval_s(speed_kn: float, status: int) -> float:
    """Class A reporting interval for a speed and navigational status (M.1371 Table 1)."""
    if status in (NAV_AT_ANCHOR, NAV_MOORED) and speed_kn <= 3.0:
        return 180.0
    if speed_kn > 23.0:
        return 2.0
    if speed_kn > 14.0:
        return 6.0
    return 10.0


def class_b_interval_s(speed_kn: float) -> float:
    """Class B "CS" reporting interval: 3 min at 2 kn or less, 30 s above."""
    return 180.0 if speed_kn <= 2.0 else 30.0


def _turn_interval_s(interval_s: float) -> float:
    # changing course: 10 s → 3⅓ s, 6 s → 2 s (2 s stays 2 s)
    return {10.0: 10.0 / 3.0, 6.0: 2.0}.get(interval_s, interval_s)


@dataclass(frozen=True, slots=True)
class Transmissions:
    """Position reports sent by all vessels (columnar)."""

    t_s: F64
    mmsi: I64
    msg_type: I64
    lat: F64
    lon: F64
    sog_kn: F64
    cog_deg: F64
    heading: I64
    status: I64

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def _schedule(v: Vessel, rng: np.random.Generator, t0: float, t1: float) -> F64:
    """Transmission times of one vessel's position reports within [t0, t1)."""
    m = v.movement
    speeds = m.segment_speeds_kn()
    bearings = initial_bearing_deg(m.lat[:-1], m.lon[:-1], m.lat[1:], m.lon[1:])
    out: list[F64] = []
    nxt = m.start_s + float(rng.uniform(0.0, 10.0))
    prev_bearing: float | None = None
    for i in range(len(speeds)):
        a, b = float(m.t_s[i]), float(m.t_s[i + 1])
        sp = float(speeds[i])
        if v.ais_class == "A":
            iv = class_a_interval_s(sp, int(m.status[i]))
        else:
            iv = class_b_interval_s(sp)
        turning = (
            v.ais_class == "A"
            and sp > 2.0
            and prev_bearing is not None
            and abs((float(bearings[i]) - prev_bearing + 180.0) % 360.0 - 180.0) > _TURN_MIN_DEG
        )
        prev_bearing = float(bearings[i]) if sp > 2.0 else None
        if b <= a:
            continue
        if nxt > b:
            continue
        nxt = max(nxt, a) if nxt < a - iv else nxt
        if turning:
            tiv = _turn_interval_s(iv)
            tb = min(b, a + _TURN_WINDOW_S)
            if nxt < tb:
                ts = np.arange(nxt, tb, tiv)
                if m.ais_on[i]:
                    out.append(ts)
                nxt = float(ts[-1]) + tiv
        if nxt < b:
            ts = np.arange(nxt, b, iv)
            if m.ais_on[i]:
                out.append(ts)
            nxt = float(ts[-1]) + iv
    if not out:
        return np.empty(0, dtype=np.float64)
    times = np.concatenate(out)
    times = times + rng.uniform(-0.2, 0.2, times.shape[0])
    return times[(times >= t0) & (times < t1)]


def transmissions(
    vessels: list[Vessel], rng: np.random.Generator, t0: float, t1: float, noise_m: float
) -> Transmissions:
    """Every position report the vessels transmit in [t0, t1), with noise as a GNSS gives."""
    cols: dict[str, list[npt.NDArray[np.generic]]] = {
        k: [] for k in ("t", "mmsi", "type", "lat", "lon", "sog", "cog", "hdg", "status")
    }
    for v in vessels:
        if not v.transmits:
            continue
        ts = _schedule(v, rng, t0, t1)
        n = ts.shape[0]
        if n == 0:
            continue
        m = v.movement
        seg = np.clip(np.searchsorted(m.t_s, ts, side="right") - 1, 0, len(m.status) - 1)
        lat, lon = m.position_at(ts)
        coslat = np.cos(np.radians(lat))
        lat = lat + rng.normal(0.0, noise_m, n) / 111_195.0
        lon = lon + rng.normal(0.0, noise_m, n) / (111_195.0 * coslat)
        speeds = m.segment_speeds_kn()[seg]
        bearing = initial_bearing_deg(m.lat[:-1], m.lon[:-1], m.lat[1:], m.lon[1:])[seg]
        sog = np.maximum(0.0, speeds * (1.0 + rng.normal(0.0, 0.02, n)) + rng.normal(0, 0.05, n))
        slow = speeds < 0.5
        cog = np.where(slow, rng.uniform(0.0, 360.0, n), bearing + rng.normal(0.0, 1.5, n)) % 360
        if v.ais_class == "A":
            hdg = np.rint(cog + rng.normal(0.0, 3.0, n)).astype(np.int64) % 360
            mtype = np.where(rng.random(n) < 0.9, 1, 3).astype(np.int64)
            status = m.status[seg]
        else:
            hdg = np.full(n, 511, dtype=np.int64)
            mtype = np.full(n, 18, dtype=np.int64)
            status = np.full(n, 15, dtype=np.int64)
        cols["t"].append(ts)
        cols["mmsi"].append(np.full(n, v.mmsi, dtype=np.int64))
        cols["type"].append(mtype)
        cols["lat"].append(lat)
        cols["lon"].append(lon)
        cols["sog"].append(sog)
        cols["cog"].append(cog)
        cols["hdg"].append(hdg)
        cols["status"].append(status)

    def cat(k: str, dtype: type) -> npt.NDArray[np.generic]:
        return np.concatenate(cols[k]).astype(dtype) if cols[k] else np.empty(0, dtype=dtype)

    return Transmissions(
        t_s=cat("t", np.float64),  # type: ignore[arg-type]
        mmsi=cat("mmsi", np.int64),  # type: ignore[arg-type]
        msg_type=cat("type", np.int64),  # type: ignore[arg-type]
        lat=cat("lat", np.float64),  # type: ignore[arg-type]
        lon=cat("lon", np.float64),  # type: ignore[arg-type]
        sog_kn=cat("sog", np.float64),  # type: ignore[arg-type]
        cog_deg=cat("cog", np.float64),  # type: ignore[arg-type]
        heading=cat("hdg", np.int64),  # type: ignore[arg-type]
        status=cat("status", np.int64),  # type: ignore[arg-type]
    )


def static_payloads(v: Vessel) -> list[list[tuple[str, int]]]:
    """The armoured static messages of a vessel: one type 5, or types 24 A and 24 B.

    Each message is a list of ``(payload, fill_bits)`` parts (type 5 has two).
    """
    s = v.static
    bow = round(s.length_m * 0.6)
    stern = round(s.length_m - bow)
    port = round(s.beam_m / 2)
    star = round(s.beam_m - port)
    messages: list[dict[str, str | int | float | bytes | bool]]
    if v.ais_class == "A":
        data: dict[str, str | int | float | bytes | bool] = {
            "type": 5, "mmsi": v.mmsi, "ais_version": 2, "imo": s.imo, "callsign": s.callsign,
            "shipname": s.name, "ship_type": s.ship_type, "to_bow": bow, "to_stern": stern,
            "to_port": port, "to_starboard": star, "epfd": 1, "month": 0, "day": 0,
            "hour": 24, "minute": 60, "draught": s.draught_m, "destination": s.destination,
            "dte": 0,
        }
        messages = [data]
    else:
        messages = [
            {"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": s.name},
            {
                "type": 24, "mmsi": v.mmsi, "partno": 1, "ship_type": s.ship_type,
                "vendorid": "KHZ", "callsign": s.callsign, "to_bow": bow, "to_stern": stern,
                "to_port": port, "to_starboard": star,
            },
        ]
    out: list[list[tuple[str, int]]] = []
    for msg in messages:
        parts: list[tuple[str, int]] = []
        for line in encode_dict(msg, talker_id="AI", sentence_type="VDM", radio_channel="A"):
            fields = line.split("*")[0].split(",")
            parts.append((fields[5], int(fields[6])))
        out.append(parts)
    return out


@dataclass(frozen=True, slots=True)
class StaticTransmissions:
    """Static messages sent: time, position (for reception) and the framed sentences."""

    t_s: F64
    lat: F64
    lon: F64
    sentences: list[list[str]]  # per transmission, the sentences of one message


def static_transmissions(
    vessels: list[Vessel], rng: np.random.Generator, t0: float, t1: float
) -> StaticTransmissions:
    """Static messages every 6 min while AIS is on (type 5, or 24 A then 24 B)."""
    ts_all: list[float] = []
    lat_all: list[float] = []
    lon_all: list[float] = []
    sents: list[list[str]] = []
    seq = 0
    for v in vessels:
        if not v.transmits:
            continue
        m = v.movement
        start = max(t0, m.start_s) + float(rng.uniform(0.0, STATIC_INTERVAL_S))
        times = np.arange(start, min(t1, m.end_s), STATIC_INTERVAL_S)
        if times.size == 0:
            continue
        seg = np.clip(np.searchsorted(m.t_s, times, side="right") - 1, 0, len(m.status) - 1)
        times = times[m.ais_on[seg]]
        if times.size == 0:
            continue
        msgs = static_payloads(v)
        lat, lon = m.position_at(times)
        for k, t in enumerate(times):
            for j, parts in enumerate(msgs):
                seq += 1
                channel = "B" if (k + j) % 2 else "A"
                sents.append(frame_payloads(parts, seq, channel))
                ts_all.append(float(t) + 0.05 * j)
                lat_all.append(float(lat[k]))
                lon_all.append(float(lon[k]))
    return StaticTransmissions(
        np.asarray(ts_all, dtype=np.float64),
        np.asarray(lat_all, dtype=np.float64),
        np.asarray(lon_all, dtype=np.float64),
        sents,
    )


def outages(
    stations: tuple[Station, ...], model: ReceptionModel, rng: np.random.Generator,
    t0: float, t1: float,
) -> list[list[tuple[float, float]]]:
    """Random receiver outages per station within [t0, t1)."""
    days = (t1 - t0) / 86400.0
    out: list[list[tuple[float, float]]] = []
    for _ in stations:
        n = int(rng.poisson(model.outages_per_day * days))
        spans = []
        for _ in range(n):
            a = float(rng.uniform(t0, t1))
            spans.append((a, a + float(rng.uniform(model.outage_min_s, model.outage_max_s))))
        out.append(sorted(spans))
    return out


def receive(
    t_s: F64,
    lat: F64,
    lon: F64,
    stations: tuple[Station, ...],
    model: ReceptionModel,
    down: list[list[tuple[float, float]]],
    rng: np.random.Generator,
) -> tuple[I64, I64, F64]:
    """Which station received which transmission: (transmission index, station index, rx_s)."""
    idx: list[I64] = []
    sta: list[I64] = []
    rx: list[F64] = []
    for k, s in enumerate(stations):
        d_nm = haversine_m(lat, lon, s.lat, s.lon) / M_PER_NM
        p = model.p_max / (1.0 + np.exp((d_nm - s.range_nm) / model.falloff_nm))
        ok = rng.random(t_s.shape[0]) < p
        for a, b in down[k]:
            ok &= ~((t_s >= a) & (t_s < b))
        hit = np.flatnonzero(ok)
        idx.append(hit.astype(np.int64))
        sta.append(np.full(hit.shape[0], k, dtype=np.int64))
        rx.append(t_s[hit] + rng.uniform(0.05, model.latency_max_s, hit.shape[0]))
    return np.concatenate(idx), np.concatenate(sta), np.concatenate(rx)
