"""Framing: one raw line → an AIS sentence (with its wrapper's station and time) or a reason.

Wrappers understood (all may appear in one file):

- NMEA 4.0 tag blocks ``\\s:STATION,c:1700000000,g:1-2-42*hh\\!AIVDM…``; ``c`` in seconds or
  milliseconds (values above 10^11 are milliseconds), the tag-block checksum is verified;
- USCG/NAIS trailers after the checksum ``…,0*28,d-109,S2105,t050056.00,T56.13,r003669946,
  1325394060``: ``r``/``b`` field = station, first 10-digit field = unix time;
- Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,…*hh`` lines, whose time applies to the next sentence;
- anything else: blank lines and ``#`` comments (``empty``), other NMEA (``not_ais``), junk
  (``malformed``).

Checksums of a whole batch are computed at once with NumPy (XOR ``reduceat``), which is what
keeps framing at a few microseconds per line in pure Python.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np

from khazar.ingest.reasons import Reason

__all__ = [
    "MAX_TIME_US",
    "MIN_TIME_US",
    "Framed",
    "Sentence",
    "Singles",
    "frame_batch",
    "nmea_checksum",
]

#: plausible wrapper times: 1990-01-01 … 2100-01-01 (UTC), in microseconds since the epoch
MIN_TIME_US = 631_152_000 * 1_000_000
MAX_TIME_US = 4_102_444_800 * 1_000_000
_MS_THRESHOLD = 100_000_000_000  # c: values above this are milliseconds (10^11 s = year 5138)
_HEX = frozenset("0123456789ABCDEFabcdef")
_FILLS = frozenset("012345")


def nmea_checksum(body: str) -> int:
    """XOR of the characters between the leading ``!``/``$`` and ``*`` (or of a tag block)."""
    value = 0
    for ch in body.encode("latin-1", "replace"):
        value ^= ch
    return value


@dataclass(slots=True)
class Sentence:
    """One AIS sentence that passed framing and checksums (a fragment when ``count > 1``)."""

    idx: int  # index of the line in its batch
    count: int
    num: int
    seq_id: str
    channel: str
    payload: str
    fill: int
    station: str
    time_us: int  # wrapper time, or the line's receive time
    group: str  # tag-block group id ("" when none)
    tag_station: str  # station named by the tag block (the trailer's may be on one part only)
    own_time: bool  # time_us came from the line's wrapper, not from its receive time


@dataclass(slots=True)
class Singles:
    """Single-sentence AIS messages of a batch, as parallel columns (the hot path)."""

    idx: list[int] = field(default_factory=list)
    payload: list[str] = field(default_factory=list)
    fill: list[int] = field(default_factory=list)
    station: list[str] = field(default_factory=list)
    time_us: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Framed:
    """The framing of one batch: per line a reason (``None`` = accepted so far), the
    single-sentence messages and the fragments of multi-part ones."""

    reasons: list[Reason | None]
    details: list[str]
    singles: Singles = field(default_factory=Singles)
    sentences: list[Sentence] = field(default_factory=list)  # fragments only
    line_times_us: list[int] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)
    own_time: list[bool] = field(default_factory=list)  # the line's time is its wrapper's


def _gatehouse_time_us(fields: list[str]) -> int | None:
    # $PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,country,region,pss,online,cksum
    if len(fields) < 9 or fields[1] != "1":
        return None
    try:
        y, mo, d, h, mi, s, ms = (int(x) for x in fields[2:9])
        if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
            return None
        secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    return secs * 1_000_000 + ms * 1000


def frame_batch(texts: list[str], received_us: list[int]) -> Framed:
    """Frame a batch of lines. ``received_us[i]`` is line i's receive time (µs since epoch)."""
    n = len(texts)
    reasons: list[Reason | None] = [None] * n
    details: list[str] = [""] * n
    times = list(received_us)
    own = [False] * n
    stations = [""] * n
    # checksum work, done at once below: (line index, checked text, expected hex)
    chk_idx: list[int] = []
    chk_text: list[str] = []
    chk_want: list[str] = []
    singles = Singles()
    s_idx, s_payload, s_fill, s_station, s_time = (
        singles.idx, singles.payload, singles.fill, singles.station, singles.time_us)
    # multi-part candidates: (line index, fields, station, own time or None, group, tag station)
    frags: list[tuple[int, list[str], str, int | None, str, str]] = []
    gatehouse_time: int | None = None
    malformed = Reason.malformed
    out_of_range = Reason.out_of_range
    fills = _FILLS
    for i, raw in enumerate(texts):
        line = raw.strip()
        if not line or line[0] == "#":
            reasons[i] = Reason.empty
            continue
        station = ""
        t_us: int | None = None
        group = ""
        tag_station = ""
        head = line[0]
        if head == "\\":
            end = line.find("\\", 1)
            star = line.rfind("*", 0, end)
            if end < 0 or star < 0 or end - star != 3:
                reasons[i] = malformed
                details[i] = "tag block without *hh\\ checksum"
                continue
            tag = line[1:star]
            chk_idx.append(i)
            chk_text.append(tag)
            chk_want.append(line[star + 1 : end])
            for item in tag.split(","):
                key = item[:2]
                if key == "c:":
                    value = item[2:]
                    if not value.isdigit():
                        reasons[i] = malformed
                        details[i] = f"tag-block time {item!r} is not an integer"
                        break
                    t_us = int(value)
                    t_us = t_us * 1000 if t_us >= _MS_THRESHOLD else t_us * 1_000_000
                elif key == "s:":
                    station = tag_station = item[2:]
                elif key == "g:":
                    group = item[2:]
            if reasons[i] is not None:
                continue
            line = line[end + 1 :]
            if not line:
                reasons[i] = malformed
                details[i] = "tag block without a sentence"
                continue
            head = line[0]
        if head != "!" and head != "$":
            reasons[i] = malformed
            details[i] = "not an NMEA sentence"
            continue
        star = line.find("*")
        if star < 0 or len(line) < star + 3:
            reasons[i] = malformed
            details[i] = "no *hh checksum"
            continue
        body = line[1:star]
        chk_idx.append(i)
        chk_text.append(body)
        chk_want.append(line[star + 1 : star + 3])
        fields = body.split(",")
        talker = fields[0]
        if head == "$":
            if talker == "PGHP":
                gatehouse_time = _gatehouse_time_us(fields)
                if gatehouse_time is not None:
                    times[i] = gatehouse_time
                    own[i] = True
            else:
                reasons[i] = Reason.not_ais
                details[i] = talker[:8]
            continue
        if len(talker) != 5 or (talker[2:] != "VDM" and talker[2:] != "VDO"):
            reasons[i] = Reason.not_ais
            details[i] = talker[:8]
            continue
        if len(line) > star + 3:
            for item in line[star + 3 :].split(","):
                if not item:
                    continue
                c = item[0]
                if (c == "r" or c == "b") and len(item) > 1 and item[1:].isalnum():
                    station = station or item
                elif t_us is None and len(item) == 10 and item.isdigit():
                    t_us = int(item) * 1_000_000
        if t_us is None:
            t_us = gatehouse_time
        gatehouse_time = None
        if t_us is not None:
            if not MIN_TIME_US <= t_us < MAX_TIME_US:
                reasons[i] = out_of_range
                details[i] = f"wrapper time {t_us // 1_000_000} s is outside 1990–2100"
                continue
            times[i] = t_us
            own[i] = True
        stations[i] = station
        if len(fields) == 7 and fields[1] == "1" and fields[2] == "1":
            payload = fields[5]
            fill_s = fields[6]
            if payload and fill_s in fills:
                s_idx.append(i)
                s_payload.append(payload)
                s_fill.append(ord(fill_s) - 48)
                s_station.append(station)
                s_time.append(times[i])
                continue
        frags.append((i, fields, station, t_us, group, tag_station))
    _check_sums(chk_idx, chk_text, chk_want, reasons, details)
    if any(reasons[i] is not None for i in s_idx):
        keep = [k for k, i in enumerate(s_idx) if reasons[i] is None]
        singles = Singles([s_idx[k] for k in keep], [s_payload[k] for k in keep],
                          [s_fill[k] for k in keep], [s_station[k] for k in keep],
                          [s_time[k] for k in keep])
    sentences: list[Sentence] = []
    for i, fields, station, t_us, group, tag_station in frags:
        if reasons[i] is not None:
            continue
        sentence = _sentence(i, fields, station, times[i], group, tag_station, t_us is not None)
        if isinstance(sentence, str):
            reasons[i] = malformed
            details[i] = sentence
        else:
            sentences.append(sentence)
    return Framed(reasons, details, singles, sentences, times, stations, own)


def _sentence(i: int, fields: list[str], station: str, t_us: int, group: str,
              tag_station: str, own_time: bool) -> Sentence | str:
    if len(fields) != 7:
        return f"{len(fields)} fields, AIVDM has 7"
    _, count_s, num_s, seq_id, channel, payload, fill_s = fields
    if not payload:
        return "empty payload"
    if len(count_s) != 1 or len(num_s) != 1 or len(fill_s) != 1:
        return f"bad fragment count/number/fill {count_s!r},{num_s!r},{fill_s!r}"
    count = ord(count_s) - 48
    num = ord(num_s) - 48
    fill = ord(fill_s) - 48
    if not (1 <= count <= 9 and 1 <= num <= count and 0 <= fill <= 5):
        return f"bad fragment count/number/fill {count_s!r},{num_s!r},{fill_s!r}"
    return Sentence(i, count, num, seq_id, channel, payload, fill, station, t_us, group,
                    tag_station, own_time)


def _check_sums(
    idx: list[int],
    texts: list[str],
    wants: list[str],
    reasons: list[Reason | None],
    details: list[str],
) -> None:
    if not idx:
        return
    encoded = [t.encode("latin-1", "replace") for t in texts]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    buf = np.frombuffer(b"".join(encoded) + b"\0", dtype=np.uint8)
    starts = np.zeros(len(encoded), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    got = np.bitwise_xor.reduceat(buf, starts)
    got[lengths == 0] = 0
    got_list = got.tolist()
    for k, i in enumerate(idx):
        if reasons[i] is not None:
            continue
        want = wants[k]
        if len(want) != 2 or want[0] not in _HEX or want[1] not in _HEX:
            reasons[i] = Reason.malformed
            details[i] = f"checksum {want!r} is not two hex digits"
        elif int(want, 16) != got_list[k]:
            reasons[i] = Reason.bad_checksum
            details[i] = f"checksum {want.upper()} does not match {got_list[k]:02X}"
