"""In-band clocks of a log without per-line times, and the receive time they give each line.

Receiver logs often carry no time on the AIS lines themselves, but clocks in between:

- the receiver's GNSS sentences ``$--ZDA,hhmmss.ss,dd,mm,yyyy,…`` and ``$--RMC,hhmmss.ss,A,…,
  ddmmyy,…`` (any talker: GP, GN, GL …; an RMC is read only when its status is ``A``, valid);
- else Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,…`` headers (the Danish Maritime
  Authority's logs; framing also gives each header's time to the sentence right after it).
  They rank below the receiver's own clock because a header dates its one sentence: the AMSA
  log carries headers of satellite reports heard two hours before the log's GNSS time;
- as a clock of last resort, used only when a file has neither: the UTC that AIS base stations
  broadcast in message types 4 and 11. A base station's clock can be wrong, so each reading is
  checked against the median of its neighbours (:data:`_BASE_WINDOW` either side) and dropped
  when more than :data:`_BASE_TOLERANCE_S` seconds away.

A line between two readings gets the time interpolated by line order; a line before the first
reading gets the first, a line after the last gets the last (never extrapolated). Where the
clock steps back (several receivers' clocks interleaved, a log appended to another), the lines
up to the step keep the earlier reading, so times never run backwards between two readings.
Lines with their own time (tag blocks, trailers) keep it: the clock only replaces the one
fallback time a file used to give all its lines (its modification time).
"""

from __future__ import annotations

import calendar
import enum
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from khazar.ingest.framing import MAX_TIME_US, MIN_TIME_US, nmea_checksum

__all__ = ["Clock", "ClockKind", "ClockScan", "clock_reading"]

#: base-station readings: neighbours either side for the median check, and the tolerance
_BASE_WINDOW = 5
_BASE_TOLERANCE_S = 30.0


class ClockKind(enum.StrEnum):
    """Where a file's line times came from (reported in the ingest summary)."""

    #: the receiver's GNSS sentences (ZDA/RMC)
    gnss = "gnss"
    #: Gatehouse ``$PGHP`` headers
    gatehouse = "gatehouse"
    #: AIS base-station reports (types 4 and 11), for want of a receiver clock
    base_station = "base_station"
    #: no clock in the file: lines without their own time got the file's time
    none = "none"


def _hms_us(hms: str) -> int | None:
    """``hhmmss[.ss]`` → µs since midnight."""
    if len(hms) < 6 or not hms[:6].isdigit():
        return None
    h, m = int(hms[0:2]), int(hms[2:4])
    try:
        s = float(hms[4:])
    except ValueError:
        return None
    if h > 23 or m > 59 or not 0 <= s < 61:
        return None
    return (h * 3600 + m * 60) * 1_000_000 + round(s * 1_000_000)


def _day_us(y: int, mo: int, d: int) -> int | None:
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    try:
        return calendar.timegm((y, mo, d, 0, 0, 0, 0, 0, 0)) * 1_000_000
    except (ValueError, OverflowError):
        return None


def _plausible(t: int | None) -> int | None:
    return t if t is not None and MIN_TIME_US <= t < MAX_TIME_US else None


def _receiver_reading(line: str) -> tuple[ClockKind, int] | None:
    star = line.find("*")
    if star < 0 or len(line) < star + 3:
        return None
    body = line[1:star]
    try:
        if int(line[star + 1:star + 3], 16) != nmea_checksum(body):
            return None
    except ValueError:
        return None
    f = body.split(",")
    kind = f[0][-3:] if len(f[0]) == 5 else f[0]
    t: int | None = None
    clock = ClockKind.gnss
    if kind == "ZDA" and len(f) >= 5:
        tod = _hms_us(f[1])
        if tod is not None and f[2].isdigit() and f[3].isdigit() and f[4].isdigit():
            day = _day_us(int(f[4]), int(f[3]), int(f[2]))
            t = None if day is None else day + tod
    elif kind == "RMC" and len(f) >= 10 and f[2] == "A":
        tod = _hms_us(f[1])
        date = f[9]
        if tod is not None and len(date) == 6 and date.isdigit():
            yy = int(date[4:6])
            day = _day_us(2000 + yy if yy < 80 else 1900 + yy, int(date[2:4]), int(date[0:2]))
            t = None if day is None else day + tod
    elif (kind == "PGHP" and len(f) >= 9 and f[1] == "1"
          and all(x.isdigit() for x in f[2:9])):
        clock = ClockKind.gatehouse
        y, mo, d, h, mi, s, ms = (int(x) for x in f[2:9])
        day = _day_us(y, mo, d)
        if day is not None and h < 24 and mi < 60 and s < 61 and ms < 1000:
            t = day + ((h * 60 + mi) * 60 + s) * 1_000_000 + ms * 1000
    t = _plausible(t)
    return None if t is None else (clock, t)


def _six(payload: str, start: int, bits: int) -> int:
    value = 0
    for ch in payload[start // 6:(start + bits - 1) // 6 + 1]:
        c = ord(ch) - 48
        value = value << 6 | (c - 8 if c > 40 else c)
    end = ((start + bits - 1) // 6 + 1) * 6
    return (value >> (end - start - bits)) & ((1 << bits) - 1)


def _base_reading(line: str) -> int | None:
    """The UTC of a single-sentence type 4 / 11 report (``!xxVDM,1,1,…,4…``)."""
    star = line.find("*")
    if star < 0 or len(line) < star + 3:
        return None
    body = line[1:star]
    f = body.split(",")
    if len(f) != 7 or f[1] != "1" or len(f[5]) < 24 or f[5][0] not in "4;":
        return None
    try:
        if int(line[star + 1:star + 3], 16) != nmea_checksum(body):
            return None
    except ValueError:
        return None
    p = f[5]
    if not all(48 <= ord(c) <= 119 and not 88 <= ord(c) <= 95 for c in p[:13]):
        return None
    day = _day_us(_six(p, 38, 14), _six(p, 52, 4), _six(p, 56, 5))
    h, mi, s = _six(p, 61, 5), _six(p, 66, 6), _six(p, 72, 6)
    if day is None or h > 23 or mi > 59 or s > 59:
        return None
    return _plausible(day + ((h * 60 + mi) * 60 + s) * 1_000_000)


def clock_reading(line: str) -> tuple[ClockKind, int] | None:
    """The clock a line carries, as (kind, µs since the epoch), or None. A tag block or
    other wrapper in front of the sentence is skipped."""
    line = line.strip()
    if line[:1] == "\\":
        end = line.find("\\", 1)
        if end < 0:
            return None
        line = line[end + 1:]
    head = line[:1]
    if head == "$":
        return _receiver_reading(line)
    if head == "!" and line[3:6] in ("VDM", "VDO"):
        t = _base_reading(line)
        return None if t is None else (ClockKind.base_station, t)
    return None


@dataclass(slots=True)
class Clock:
    """Clock readings of one file: sorted line numbers and their times (µs)."""

    kind: ClockKind
    line_no: npt.NDArray[np.int64]
    time_us: npt.NDArray[np.int64]

    @property
    def readings(self) -> int:
        return len(self.line_no)

    def times(self, first_line_no: int, n: int) -> list[int]:
        """Receive times of lines ``first_line_no … first_line_no + n − 1``: interpolated by
        line order between readings, held before the first and after the last."""
        lines = np.arange(first_line_no, first_line_no + n, dtype=np.int64)
        ln, tu = self.line_no, self.time_us
        right = np.searchsorted(ln, lines, side="left")  # first reading at or after the line
        left = np.clip(right - 1, 0, len(ln) - 1)
        right = np.clip(right, 0, len(ln) - 1)
        l0, l1 = ln[left], ln[right]
        t0, t1 = tu[left], tu[right]
        span = np.maximum(l1 - l0, 1)
        frac = np.clip((lines - l0) / span, 0.0, 1.0)
        forward = t1 >= t0
        out = np.where(forward, t0 + np.round((t1 - t0) * frac).astype(np.int64), t0)
        out = np.where(l1 == lines, t1, out)  # a reading's own line
        out = np.where(lines <= ln[0], tu[0], out)  # before the first reading: held
        out = np.where(lines >= ln[-1], tu[-1], out)  # after the last: held
        return [int(x) for x in out.tolist()]


class ClockScan:
    """Collects the clock readings of a file's lines, fed in order (a pre-pass)."""

    def __init__(self) -> None:
        self._cols: dict[ClockKind, tuple[array[int], array[int]]] = {
            k: (array("q"), array("q"))
            for k in (ClockKind.gnss, ClockKind.gatehouse, ClockKind.base_station)}

    def feed(self, first_line_no: int, texts: Iterable[str]) -> None:
        texts = texts if isinstance(texts, list) else list(texts)
        for k in _candidates(texts):
            text = texts[k]
            head = text[:1]
            if head != "$" and head != "\\" and head != "!":
                continue
            got = clock_reading(text)
            if got is None:
                continue
            kind, t = got
            cols = self._cols[kind]
            cols[0].append(first_line_no + k)
            cols[1].append(t)

    def clock(self) -> Clock | None:
        """The file's clock: the receiver's GNSS when it has one, else Gatehouse headers,
        else base stations' (checked against their neighbours), else None."""
        for kind in (ClockKind.gnss, ClockKind.gatehouse):
            lines, times = self._cols[kind]
            if len(lines):
                return Clock(kind, np.frombuffer(lines, np.int64).copy(),
                             np.frombuffer(times, np.int64).copy())
        lines, times = self._cols[ClockKind.base_station]
        if not len(lines):
            return None
        ln = np.frombuffer(lines, np.int64).copy()
        tu = np.frombuffer(times, np.int64).copy()
        keep = _agrees_with_neighbours(tu)
        if not keep.any():
            return None
        return Clock(ClockKind.base_station, ln[keep], tu[keep])


#: what a line with a clock has: a ``$`` sentence, or a payload starting ``4`` or ``;``
#: (types 4 and 11) right after a field's comma
_MAY_HAVE_CLOCK = ("$", ",4", ",;")


def _candidates(texts: list[str]) -> list[int]:
    """Indexes of the lines that may carry a clock, found by a few substring searches over
    the whole batch (the others cannot give a reading: :func:`clock_reading` is called on
    these only)."""
    joined = "\n".join(texts)
    hits: list[int] = []
    for needle in _MAY_HAVE_CLOCK:
        at = joined.find(needle)
        while at >= 0:
            hits.append(at)
            at = joined.find(needle, at + 1)
    if not hits:
        return []
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1)
    lines: list[int] = np.unique(np.searchsorted(ends, hits, side="right")).tolist()
    return lines


def _agrees_with_neighbours(t_us: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True where a reading lies within the tolerance of the median of the readings around
    it (itself included): one base station with a wrong clock is outvoted by the others."""
    n = len(t_us)
    if n < 3:
        return np.ones(n, dtype=bool)
    w = _BASE_WINDOW
    padded = np.pad(t_us.astype(np.float64), w, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)
    med = np.median(windows, axis=1)
    return np.asarray(np.abs(t_us - med) <= _BASE_TOLERANCE_S * 1e6)
