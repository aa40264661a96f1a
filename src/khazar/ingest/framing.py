"""Framing: one raw line → an AIS sentence (with its wrapper's station and time) or a reason.

Wrappers understood (all may appear in one file):

- NMEA 4.0 tag blocks ``\\s:STATION,c:1700000000,g:1-2-42*hh\\!AIVDM…``; ``c`` in seconds or
  milliseconds (values above 10^11 are milliseconds), the tag-block checksum is verified;
- USCG/NAIS trailers after the checksum ``…,0*28,d-109,S2105,t050056.00,T56.13,r003669946,
  1325394060``: ``r``/``b`` field = station, first 10-digit field = unix time;
- Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,…*hh`` lines, whose time applies to the next sentence;
- anything else: blank lines and ``#`` comments (``empty``), other NMEA (``not_ais``), junk
  (``malformed``).

A batch of a few hundred lines or more is framed at once with NumPy over its bytes
(:func:`_frame_vector`: tag blocks, NMEA fields, both checksums by a prefix XOR); the lines it
cannot classify go through the per-line path (:func:`_frame_lines`), which alone gives reasons
and wrappers other than tag blocks. Both frame every line alike (tests/ingest/
test_vector_framing.py holds them to it).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from khazar.ingest.reasons import Reason

__all__ = [
    "MAX_TIME_US",
    "MIN_TIME_US",
    "VECTOR_MIN_LINES",
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
#: batches shorter than this are framed line by line: the vector path's fixed cost (a few
#: dozen NumPy calls) is worth it from a few hundred lines on
VECTOR_MIN_LINES = 256
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


def frame_batch(texts: list[str], received_us: list[int], *,
                vector_min: int = VECTOR_MIN_LINES) -> Framed:
    """Frame a batch of lines. ``received_us[i]`` is line i's receive time (µs since epoch).

    Lines of the common form (an optional tag block with ``s:``/``c:``/``g:`` items, then an
    ``!xxVDM``/``!xxVDO`` sentence with nothing after its checksum) are framed all at once
    with NumPy over the batch's bytes (:func:`_frame_vector`); the others (trailers, other
    NMEA, Gatehouse headers, junk, bad checksums …) take the per-line path
    (:func:`_frame_lines`), which also gives every reason and its detail.
    """
    n = len(texts)
    if n < max(vector_min, 1):  # short batches: line by line is cheaper
        return _frame_lines(texts, received_us)
    fast = _frame_vector(texts, received_us)
    if fast is None:
        return _frame_lines(texts, received_us)
    if not fast.slow:
        return fast.framed
    return _merge_slow(fast, texts, received_us)


def _frame_lines(texts: list[str], received_us: list[int]) -> Framed:
    """The per-line framing: every wrapper and every reason (the reference for the vector
    path, and the path of the lines it leaves)."""
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


# ---------------------------------------------------------------- the vector path
_WS = np.zeros(256, dtype=np.bool_)
_WS[list(b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")] = True  # what str.strip() removes (ASCII)
_HEXVAL = np.full(256, -1, dtype=np.int16)
for _c in b"0123456789":
    _HEXVAL[_c] = _c - 48
for _c in b"ABCDEF":
    _HEXVAL[_c] = _c - 55
for _c in b"abcdef":
    _HEXVAL[_c] = _c - 87
_PAD = 32  # zero bytes after the batch: gathers a few bytes past a line stay in the buffer
_MAX_C_DIGITS = 13  # a ``c:`` value longer than this is out of range (the per-line path says so)
_BS, _STAR, _COMMA, _BANG = 92, 42, 44, 33
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(slots=True)
class _Vector:
    framed: Framed
    slow: list[int]  # lines left to the per-line path


def _count(pos: IntArray, lo: IntArray, hi: IntArray) -> IntArray:
    """How many of the sorted positions ``pos`` lie in each ``[lo, hi)``."""
    return np.asarray(np.searchsorted(pos, hi) - np.searchsorted(pos, lo), dtype=np.int64)


def _texts(B: npt.NDArray[np.uint8], joined: str, sel: IntArray, lo: IntArray, hi: IntArray,
           n: int) -> npt.NDArray[np.object_]:
    """Per line the text ``joined[lo:hi]`` for the lines ``sel`` ("" elsewhere), as an object
    array: the few distinct values (stations) are decoded once."""
    out = np.full(n, "", dtype=object)
    if not len(sel):
        return out
    a, b = lo[sel], hi[sel]
    width = int((b - a).max())
    if width > 64:
        out[sel] = [joined[x:y] for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        return out
    span = np.arange(width)
    rows = np.where(span < (b - a)[:, None], B[a[:, None] + span], 0).astype(np.uint8)
    uniq, inverse = np.unique(np.ascontiguousarray(rows).view(f"S{width}").ravel(),
                              return_inverse=True)
    names = np.array([u.decode("ascii") for u in uniq.tolist()] + [""], dtype=object)
    out[sel] = names[inverse]
    return out


def _frame_vector(texts: list[str], received_us: list[int]) -> _Vector | None:
    """Frame the common lines of a batch at once; None when the whole batch must go the
    per-line way (a Gatehouse header's time carries over to the next line)."""
    joined = "".join(texts)
    if "$PGHP" in joined:
        return None
    n = len(texts)
    if not joined.isascii():  # non-ASCII lines go the per-line way; the rest is bytes
        texts = [t if t.isascii() else "" for t in texts]
        joined = "".join(texts)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    S = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=S[1:])
    E = S + lens
    B = np.frombuffer(joined.encode("ascii") + bytes(_PAD), dtype=np.uint8)
    while True:  # trailing whitespace (str.strip); a leading one sends the line the slow way
        trail = (E > S) & _WS[B[np.maximum(E - 1, 0)]]
        if not trail.any():
            break
        E = E - trail
    first = B[S]
    tagged = first == _BS
    pos_bs = np.flatnonzero(B == _BS)
    pos_star = np.flatnonzero(B == _STAR)
    pos_comma = np.flatnonzero(B == _COMMA)
    # tag block: exactly two backslashes, one star three before the second
    nbs = _count(pos_bs, S, E)
    j_bs = np.minimum(np.searchsorted(pos_bs, S), max(len(pos_bs) - 2, 0))
    T = np.where(tagged & (nbs == 2), pos_bs[j_bs + 1] if len(pos_bs) >= 2 else S, S)
    ok = np.where(tagged, nbs == 2, nbs == 0)
    if "\0" in joined:  # NUL ends a NumPy bytes value: such lines go line by line
        ok &= _count(np.flatnonzero(B[:-_PAD] == 0), S, E) == 0
    TS = T - 3
    ok &= ~tagged | ((B[TS] == _STAR) & (_count(pos_star, S, T) == 1) & (TS > S))
    P = np.where(tagged, T + 1, S)  # the sentence's "!"
    ok &= (B[P] == _BANG) & (E - P >= 10)
    # the sentence: one star, at the end (no trailer), six commas
    Q = E - 3
    ok &= (B[Q] == _STAR) & (_count(pos_star, P, E) == 1)
    ok &= _count(pos_comma, P, Q) == 6
    j_c = np.minimum(np.searchsorted(pos_comma, P), max(len(pos_comma) - 6, 0))
    if len(pos_comma) < 6 or not ok.any():
        return None
    c = [pos_comma[j_c + k] for k in range(6)]
    ok &= (c[0] - P == 6) & (B[P + 3] == 86) & (B[P + 4] == 68) & (
        (B[P + 5] == 77) | (B[P + 5] == 79))  # xxVDM / xxVDO
    count = B[c[0] + 1].astype(np.int64) - 48
    num = B[c[1] + 1].astype(np.int64) - 48
    fill = B[c[5] + 1].astype(np.int64) - 48
    ok &= (c[1] - c[0] == 2) & (c[2] - c[1] == 2) & (Q - c[5] == 2)
    ok &= (count >= 1) & (count <= 9) & (num >= 1) & (num <= count) & (fill >= 0) & (fill <= 5)
    ok &= c[5] - c[4] > 1  # a payload
    # checksums: prefix XOR over the batch
    px = np.zeros(len(B) + 1, dtype=np.uint8)
    np.bitwise_xor.accumulate(B, out=px[1:])
    hi, lo = _HEXVAL[B[Q + 1]], _HEXVAL[B[Q + 2]]
    ok &= (hi >= 0) & (lo >= 0) & ((px[Q] ^ px[P + 1]) == hi * 16 + lo)
    thi, tlo = _HEXVAL[B[TS + 1]], _HEXVAL[B[TS + 2]]
    ok &= ~tagged | ((thi >= 0) & (tlo >= 0) & ((px[TS] ^ px[S + 1]) == thi * 16 + tlo))
    # tag-block items: s: station, c: time, g: group (each at most once)
    t_c = np.full(n, -1, dtype=np.int64)
    st_lo = np.zeros(n, dtype=np.int64)
    st_hi = np.zeros(n, dtype=np.int64)
    g_lo = np.zeros(n, dtype=np.int64)
    g_hi = np.zeros(n, dtype=np.int64)
    tag_lines = np.flatnonzero(tagged & ok)
    if len(tag_lines):
        line_of = np.searchsorted(S, pos_comma, side="right") - 1
        in_tag = tagged[line_of] & ok[line_of] & (pos_comma < TS[line_of])
        starts = np.concatenate([S[tag_lines] + 1, pos_comma[in_tag] + 1])
        owner = np.concatenate([tag_lines, line_of[in_tag]])
        order = np.argsort(starts, kind="stable")
        starts, owner = starts[order], owner[order]
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:] - 1
        ends[-1] = TS[owner[-1]]
        last = np.ones(len(starts), dtype=np.bool_)
        last[:-1] = owner[1:] != owner[:-1]
        ends[last] = TS[owner[last]]
        colon = B[starts + 1] == 58
        key = B[starts]
        for letter, lo_arr, hi_arr in ((115, st_lo, st_hi), (103, g_lo, g_hi)):
            sel = colon & (key == letter)
            ok &= np.bincount(owner[sel], minlength=n) <= 1
            lo_arr[owner[sel]] = starts[sel] + 2
            hi_arr[owner[sel]] = ends[sel]
        sel = colon & (key == 99)
        ok &= np.bincount(owner[sel], minlength=n) <= 1
        c_own, c_lo, c_len = owner[sel], starts[sel] + 2, ends[sel] - starts[sel] - 2
        good = (c_len >= 1) & (c_len <= _MAX_C_DIGITS)
        value = np.zeros(len(c_own), dtype=np.int64)
        for k in range(_MAX_C_DIGITS):
            d = B[c_lo + np.minimum(k, np.maximum(c_len - 1, 0))].astype(np.int64) - 48
            inside = k < c_len
            good &= ~inside | ((d >= 0) & (d <= 9))
            value = np.where(inside, value * 10 + d, value)
        ok[c_own[~good]] = False
        t_c[c_own] = np.where(value >= _MS_THRESHOLD, value * 1000, value * 1_000_000)
        timed = t_c >= 0
        ok &= ~timed | ((t_c >= MIN_TIME_US) & (t_c < MAX_TIME_US))
    else:
        timed = np.zeros(n, dtype=np.bool_)
    # the framed lines' columns
    recv = np.asarray(received_us, dtype=np.int64)
    times_arr = np.where(ok & timed, t_c, recv)
    own_arr = ok & timed
    slow = np.flatnonzero(~ok).tolist()
    st_obj = _texts(B, joined, np.flatnonzero(ok & (st_hi > st_lo)), st_lo, st_hi, n)
    stations: list[str] = st_obj.tolist()
    s_idx = np.flatnonzero(ok & (count == 1))
    s_list = s_idx.tolist()
    pa_, pb_ = (c[4][s_idx] + 1).tolist(), c[5][s_idx].tolist()
    singles = Singles(s_list, [joined[a:b] for a, b in zip(pa_, pb_, strict=True)],
                      fill[s_idx].tolist(), st_obj[s_idx].tolist(), times_arr[s_idx].tolist())
    f_idx = np.flatnonzero(ok & (count > 1))
    times = times_arr.tolist()
    own = own_arr.tolist()
    sentences = [
        Sentence(i, cnt, nm, joined[a:b], joined[b + 1:d], joined[d + 1:e], fl, stations[i],
                 times[i], joined[ga:gb], stations[i], own[i])
        for i, cnt, nm, a, b, d, e, fl, ga, gb in zip(
            f_idx.tolist(), count[f_idx].tolist(), num[f_idx].tolist(),
            (c[2][f_idx] + 1).tolist(), c[3][f_idx].tolist(), c[4][f_idx].tolist(),
            c[5][f_idx].tolist(), fill[f_idx].tolist(), g_lo[f_idx].tolist(),
            g_hi[f_idx].tolist(), strict=True)]
    framed = Framed([None] * n, [""] * n, singles, sentences, times, stations, own)
    return _Vector(framed, slow)


def _merge_slow(fast: _Vector, texts: list[str], received_us: list[int]) -> Framed:
    """The vector framing with the lines it left framed one by one."""
    out = fast.framed
    slow = fast.slow
    part = _frame_lines([texts[i] for i in slow], [received_us[i] for i in slow])
    for k, i in enumerate(slow):
        out.reasons[i] = part.reasons[k]
        out.details[i] = part.details[k]
        out.line_times_us[i] = part.line_times_us[k]
        out.stations[i] = part.stations[k]
        out.own_time[i] = part.own_time[k]
    ps = part.singles
    if ps.idx:
        s = out.singles
        rows = sorted(
            [*zip(s.idx, s.payload, s.fill, s.station, s.time_us, strict=True),
             *zip([slow[k] for k in ps.idx], ps.payload, ps.fill, ps.station, ps.time_us,
                  strict=True)])
        out.singles = Singles(*(list(col) for col in zip(*rows, strict=True)))
    if part.sentences:
        for sentence in part.sentences:
            sentence.idx = slow[sentence.idx]
        out.sentences = sorted([*out.sentences, *part.sentences], key=lambda s: s.idx)
    return out
