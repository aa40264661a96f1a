"""Decoding assembled AIS payloads into normalised position, static and base-station rows.

The common types take vectorised paths (:mod:`khazar.ingest.sixbit`): 1–3 and 18 with the
usual 28-character payload and 5 with 71 characters (keyed by :func:`payload_hash`), and 1–3,
18, 19, 24 (parts A and B), 27 and 5 at any length that holds every field read (keyed as
pyais's path keys them). Everything else goes through pyais's decoder, one message at a time;
``decode_messages(..., reference=True)`` sends every message there (the tests' oracle).
All paths produce the same raw columns (pyais's scaling: degrees, knots), which are
normalised once in :func:`_finish_positions`:

- latitude 91 / longitude 181 (not available): the report is accepted but has no position;
- |latitude| > 90 or |longitude| > 180: rejected, ``out_of_range``;
- speed 102.3 (63 kn for type 27), course ≥ 360 (511 for type 27), heading 511: ``None``.

Every position also gets a *report time* used to collapse duplicates from several receivers:
the receive time moved to the report's own UTC second (bits "second", 0–59) when that second
is given, else the receive time truncated to the minute.
"""

from __future__ import annotations

import calendar
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from khazar.ingest.framing import VECTOR_MIN_LINES
from khazar.ingest.reasons import Reason
from khazar.ingest.sixbit import SixBit, payload_hash, unpack

__all__ = ["POSITION_TYPES", "STATIC_TYPES", "Decoded", "LineRef", "Message", "Messages",
           "decode_messages"]

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 19, 24})
_KNOWN_TYPES = frozenset(range(1, 28))
_VALID_CHARS = frozenset("0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw")
#: minimum bits for a usable report (through latitude) per position type
_MIN_BITS = {1: 116, 2: 116, 3: 116, 18: 112, 19: 112, 27: 79, 4: 134, 5: 232, 24: 40}
_FAST_POS = frozenset("123B")


@dataclass(slots=True)
class LineRef:
    """A line held back by multipart assembly (it may be resolved in a later batch)."""

    source: str
    line_no: int
    text: str
    received_us: int


@dataclass(slots=True)
class Message:
    """One complete AIS message: a single sentence or assembled fragments."""

    payload: str
    fill: int
    station: str
    time_us: int
    idx: int = -1  # batch line index of a single-sentence message
    refs: tuple[LineRef, ...] = ()  # the fragments of a multi-part message


class Messages:
    """A batch of messages as parallel columns (single sentences come in by the thousand)."""

    __slots__ = ("fill", "idx", "payload", "refs", "station", "time_us")

    def __init__(self) -> None:
        self.payload: list[str] = []
        self.fill: list[int] = []
        self.station: list[str] = []
        self.time_us: list[int] = []
        self.idx: list[int] = []
        self.refs: dict[int, tuple[LineRef, ...]] = {}  # multi-part messages only

    def extend(self, idx: list[int], payload: list[str], fill: list[int], station: list[str],
               time_us: list[int]) -> None:
        """Add single-sentence messages (batch line indexes ``idx``)."""
        self.idx += idx
        self.payload += payload
        self.fill += fill
        self.station += station
        self.time_us += time_us

    def append(self, m: Message) -> None:
        if m.refs:
            self.refs[len(self.payload)] = m.refs
        self.idx.append(m.idx)
        self.payload.append(m.payload)
        self.fill.append(m.fill)
        self.station.append(m.station)
        self.time_us.append(m.time_us)

    def __len__(self) -> int:
        return len(self.payload)

    def __getitem__(self, k: int) -> Message:
        return Message(self.payload[k], self.fill[k], self.station[k], self.time_us[k],
                       self.idx[k], self.refs.get(k, ()))


@dataclass(slots=True)
class Decoded:
    """Column arrays of a batch's decoded messages, and the messages rejected (by index)."""

    positions: dict[str, Any] = field(default_factory=dict)
    statics: list[tuple[Any, ...]] = field(default_factory=list)
    bases: list[tuple[Any, ...]] = field(default_factory=list)
    rejects: list[tuple[int, Reason, str]] = field(default_factory=list)
    no_position: int = 0
    detections: list[tuple[int, float, float, float | None, str]] = field(default_factory=list)


# raw position columns, in pyais scaling: lists built by both paths, then concatenated
_RAW_POS = ("msg", "mmsi", "msg_type", "lat", "lon", "sog", "cog", "heading", "status", "second")


def decode_messages(msgs: Messages, *, reference: bool = False,
                    vector_min: int = VECTOR_MIN_LINES) -> Decoded:
    """Decode a batch of messages. Never raises for bad data: rejects carry the reason.

    ``reference``: every message through pyais, one at a time (the oracle the tests hold the
    vector paths to; their keys differ, see :func:`_classify`). Batches of fewer than
    ``vector_min`` messages take the per-message classification (cheaper when short)."""
    out = Decoded()
    fast_pos: list[int] = []
    fast_static: list[int] = []
    vector: _Block | None = None
    if reference:
        slow = list(range(len(msgs)))
    else:
        fast_pos, fast_static, vector, slow = _classify(msgs, vector_min)
    parts: list[dict[str, Any]] = []
    keys: list[npt.NDArray[np.uint64]] = []
    if fast_pos:
        part, key = _fast_positions(msgs, fast_pos, out)
        parts.append(part)
        keys.append(key)
    if fast_static:
        _fast_statics(msgs, fast_static, out)
    if vector is not None:
        part, key, more_slow = _vector_types(msgs, vector, out)
        parts.append(part)
        keys.append(key)
        slow = sorted(slow + more_slow)
    if slow:
        part, key = _slow(msgs, slow, out)
        parts.append(part)
        keys.append(key)
    if parts:
        raw = {c: np.concatenate([np.asarray(p[c]) for p in parts]) for c in _RAW_POS}
        _finish_positions(msgs, raw, np.concatenate(keys), out)
    return out


#: the six-bit value of each armouring character (-1: not one)
_SIX = np.full(256, -1, dtype=np.int16)
for _c in range(48, 88):
    _SIX[_c] = _c - 48
for _c in range(96, 120):
    _SIX[_c] = _c - 56
#: types decoded by the vector path at any payload length, and the bits each needs: every
#: field read lies inside the payload (a shorter one goes to pyais, which reads what is there)
_VECTOR_BITS = {1: 143, 2: 143, 3: 143, 18: 139, 19: 301, 27: 94, 5: 422, 24: 162}
_VECTOR_NEED = np.full(64, 1 << 30, dtype=np.int64)
for _t, _b in _VECTOR_BITS.items():
    _VECTOR_NEED[_t] = _b


@dataclass(slots=True)
class _Block:
    """The messages of the vector path: their six-bit values, padded to the longest, and
    types, fills and stable keys."""

    idx: npt.NDArray[np.int64]  # message indexes
    six: SixBit
    mtype: npt.NDArray[np.int64]
    keys: npt.NDArray[np.uint64]


def _classify(msgs: Messages, vector_min: int
              ) -> tuple[list[int], list[int], _Block | None, list[int]]:
    """Message indexes per path: the 28-character position and 71-character type 5 fast
    paths (keyed by :func:`payload_hash`), the vector path of the other lengths and types 19,
    24 and 27 (keyed like pyais's path, :func:`_slow_key`, so stored keys do not change) and
    pyais for everything else."""
    payloads = msgs.payload
    n = len(payloads)
    if n < max(vector_min, 1):
        return _classify_lines(msgs)
    joined = "".join(payloads)
    if not joined.isascii():
        return _classify_lines(msgs)
    lens = np.fromiter(map(len, payloads), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    B = np.frombuffer(joined.encode("ascii") + b"0", dtype=np.uint8)
    fill = np.asarray(msgs.fill, dtype=np.int64)
    first = np.where(lens > 0, B[np.minimum(starts, len(B) - 1)], 0)
    fast_pos = (lens == 28) & (fill == 0) & np.isin(first, np.frombuffer(b"123B", np.uint8))
    fast_static = (lens == 71) & (first == 53)
    six_first = _SIX[first].astype(np.int64)
    rest = ~(fast_pos | fast_static)
    vec = rest & (six_first >= 0) & (lens * 6 - fill >= _VECTOR_NEED[six_first & 63])
    if vec.any():  # every character an armouring one (pyais's path rejects the others)
        bad = np.zeros(len(B) + 1, dtype=np.int64)
        np.cumsum(_SIX[B] < 0, out=bad[1:])
        vec &= bad[starts + lens] == bad[starts]
    slow = np.flatnonzero(rest & ~vec).tolist()
    block = None
    sel = np.flatnonzero(vec)
    if len(sel):
        width = max(int(lens[sel].max()), 72)  # every field of every type lies inside
        span = np.arange(width)
        chars = np.where(span < lens[sel][:, None],
                         B[np.minimum(starts[sel][:, None] + span, len(B) - 1)], 48)
        six = SixBit(_SIX[chars].astype(np.uint8))
        keys = np.fromiter((_slow_key(payloads[k], msgs.fill[k]) for k in sel.tolist()),
                           dtype=np.uint64, count=len(sel))
        block = _Block(sel, six, six_first[sel], keys)
    return (np.flatnonzero(fast_pos).tolist(), np.flatnonzero(fast_static).tolist(), block,
            slow)


def _classify_lines(msgs: Messages) -> tuple[list[int], list[int], _Block | None, list[int]]:
    """:func:`_classify` one message at a time (a batch with non-ASCII payloads)."""
    fast_pos: list[int] = []
    fast_static: list[int] = []
    slow: list[int] = []
    for k, (p, fill) in enumerate(zip(msgs.payload, msgs.fill, strict=True)):
        n = len(p)
        if n == 28 and fill == 0 and p[0] in _FAST_POS and p.isascii():
            fast_pos.append(k)
        elif n == 71 and p[0] == "5" and p.isascii():
            fast_static.append(k)
        else:
            slow.append(k)
    return fast_pos, fast_static, None, slow


def _vector_types(
    msgs: Messages, block: _Block, out: Decoded
) -> tuple[dict[str, Any], npt.NDArray[np.uint64], list[int]]:
    """Positions (1–3, 18, 19, 27) and static data (5, 19, 24 parts A and B) of the vector
    block, bit-identical to pyais; also the messages left to pyais (type 24 part numbers 2
    and 3, which pyais refuses)."""
    six, mtype, idx, keys = block.six, block.mtype, block.idx, block.keys
    is13 = mtype <= 3
    is1819 = (mtype == 18) | (mtype == 19)
    is27 = mtype == 27
    pos = is13 | is1819 | is27
    lon27 = np.floor_divide(10000 * six.sint(44, 18) + 3, 6) / 1e6
    lat27 = np.floor_divide(10000 * six.sint(62, 17) + 3, 6) / 1e6
    lon = np.where(is27, lon27, np.floor_divide(
        10 * np.where(is13, six.sint(61, 28), six.sint(57, 28)) + 3, 6) / 1e6)
    lat = np.where(is27, lat27, np.floor_divide(
        10 * np.where(is13, six.sint(89, 27), six.sint(85, 27)) + 3, 6) / 1e6)
    sog = np.where(is27, six.uint(79, 6).astype(np.float64),
                   np.where(is13, six.uint(50, 10), six.uint(46, 10)) / 10.0)
    cog = np.where(is27, six.uint(85, 9).astype(np.float64),
                   np.where(is13, six.uint(116, 12), six.uint(112, 12)) / 10.0)
    heading = np.where(is27, -1, np.where(is13, six.uint(128, 9), six.uint(124, 9)))
    second = np.where(is27, -1, np.where(is13, six.uint(137, 6), six.uint(133, 6)))
    status = np.where(is13, six.uint(38, 4), np.where(is27, six.uint(40, 4), -1))
    mmsi = six.uint(8, 30)
    part = {"msg": idx[pos], "mmsi": mmsi[pos], "msg_type": mtype[pos], "lat": lat[pos],
            "lon": lon[pos], "sog": sog[pos], "cog": cog[pos], "heading": heading[pos],
            "status": status[pos], "second": second[pos]}
    partno = six.uint(38, 2)
    refused = (mtype == 24) & (partno > 1)
    static = ((mtype == 5) | (mtype == 19) | (mtype == 24)) & ~refused
    if static.any():
        _vector_statics(msgs, six, mtype, idx, keys, mmsi, partno, static, out)
    return part, keys[pos], idx[refused].tolist()


def _vector_statics(
    msgs: Messages, six: SixBit, mtype: npt.NDArray[np.int64], idx: npt.NDArray[np.int64],
    keys: npt.NDArray[np.uint64], mmsi: npt.NDArray[np.int64], partno: npt.NDArray[np.int64],
    static: npt.NDArray[np.bool_], out: Decoded,
) -> None:
    sel = np.flatnonzero(static)
    sub = SixBit(six.values[sel])
    t = mtype[sel]
    is5, is19 = t == 5, t == 19
    part_a = (t == 24) & (partno[sel] == 0)
    part_b = (t == 24) & (partno[sel] == 1)
    m = mmsi[sel]
    dims = ~(part_a | (part_b & (m >= 980_000_000) & (m <= 989_999_999)))  # pyais: auxiliary
    name = np.where(is5, _np_text(sub, 112, 20), np.where(
        is19, _np_text(sub, 143, 20), np.where(part_a, _np_text(sub, 40, 20), "")))
    callsign = np.where(is5, _np_text(sub, 70, 7), np.where(part_b, _np_text(sub, 90, 7), ""))
    destination = np.where(is5, _np_text(sub, 302, 20), "")
    imo = np.where(is5, sub.uint(40, 30), 0)
    ship_type = np.where(is5, sub.uint(232, 8), np.where(
        is19, sub.uint(263, 8), np.where(part_b, sub.uint(40, 8), 0)))

    def dim(at5: int, at19: int, at24: int, width: int) -> npt.NDArray[np.int64]:
        return np.where(dims, np.where(is5, sub.uint(at5, width), np.where(
            is19, sub.uint(at19, width), sub.uint(at24, width))), 0)

    bow, stern = dim(240, 271, 132, 9), dim(249, 280, 141, 9)
    port, starboard = dim(258, 289, 150, 6), dim(264, 295, 156, 6)
    draught = np.where(is5, sub.uint(294, 8), 0) / 10.0
    times, stations = msgs.time_us, msgs.station
    for k, key, mm, ty, nm, cs, im, st, b, s, p, sb, dr, de in zip(
            idx[sel].tolist(), keys[sel].tolist(), m.tolist(), t.tolist(), name.tolist(),
            callsign.tolist(), imo.tolist(), ship_type.tolist(), bow.tolist(), stern.tolist(),
            port.tolist(), starboard.tolist(), draught.tolist(), destination.tolist(),
            strict=True):
        out.statics.append((
            mm, times[k], ty, nm or None, cs or None, im or None, st or None, b or None,
            s or None, p or None, sb or None, dr or None, de or None, stations[k], key))


def _np_text(six: SixBit, start: int, chars: int) -> npt.NDArray[np.str_]:
    return np.asarray(six.text(start, chars), dtype=np.str_)


def _fast_positions(
    msgs: Messages, sel: list[int], out: Decoded
) -> tuple[dict[str, Any], npt.NDArray[np.uint64]]:
    payloads = msgs.payload
    six, valid = unpack([payloads[k] for k in sel], 28)
    idx = np.asarray(sel, dtype=np.int64)
    if not valid.all():
        for k in idx[~valid].tolist():
            out.rejects.append((k, Reason.malformed, "payload has a character outside 0-W, `-w"))
        six = SixBit(six.values[valid])
        idx = idx[valid]
    mtype = six.uint(0, 6)
    is18 = mtype == 18
    mmsi = six.uint(8, 30)
    # types 1-3 and 18 differ by a 4-bit offset after the MMSI
    lon_raw = np.where(is18, six.sint(57, 28), six.sint(61, 28))
    lat_raw = np.where(is18, six.sint(85, 27), six.sint(89, 27))
    sog_raw = np.where(is18, six.uint(46, 10), six.uint(50, 10))
    cog_raw = np.where(is18, six.uint(112, 12), six.uint(116, 12))
    heading = np.where(is18, six.uint(124, 9), six.uint(128, 9))
    second = np.where(is18, six.uint(133, 6), six.uint(137, 6))
    status = np.where(is18, -1, six.uint(38, 4))
    part = {
        "msg": idx,
        "mmsi": mmsi,
        "msg_type": mtype,
        # bit-identical to pyais: round(v / 600000, 6) computed in integers
        "lat": np.floor_divide(10 * lat_raw + 3, 6) / 1e6,
        "lon": np.floor_divide(10 * lon_raw + 3, 6) / 1e6,
        "sog": sog_raw / 10.0,
        "cog": cog_raw / 10.0,
        "heading": heading,
        "status": status,
        "second": second,
    }
    return part, payload_hash(six, np.zeros(len(idx), dtype=np.int64))


def _fast_statics(msgs: Messages, sel: list[int], out: Decoded) -> None:
    payloads, fills = msgs.payload, msgs.fill
    six, valid = unpack([payloads[k] for k in sel], 71)
    fill = np.asarray([fills[k] for k in sel], dtype=np.int64)
    keys = payload_hash(six, fill).tolist()
    mmsi = six.uint(8, 30).tolist()
    imo = six.uint(40, 30).tolist()
    callsign = six.text(70, 7)
    name = six.text(112, 20)
    ship_type = six.uint(232, 8).tolist()
    bow = six.uint(240, 9).tolist()
    stern = six.uint(249, 9).tolist()
    port = six.uint(258, 6).tolist()
    starboard = six.uint(264, 6).tolist()
    draught = six.uint(294, 8).tolist()
    destination = six.text(302, 20)
    ok = valid.tolist()
    times, stations = msgs.time_us, msgs.station
    for j, k in enumerate(sel):
        if not ok[j]:
            out.rejects.append((k, Reason.malformed, "payload has a character outside 0-W, `-w"))
            continue
        out.statics.append((
            mmsi[j], times[k], 5, name[j] or None, callsign[j] or None, imo[j] or None,
            ship_type[j] or None, bow[j] or None, stern[j] or None, port[j] or None,
            starboard[j] or None, draught[j] / 10.0 or None, destination[j] or None,
            stations[k], keys[j]))


def _static_row(
    m: Message, key: int, mmsi: int, msg_type: int, name: str | None, callsign: str | None,
    imo: int | None, ship_type: int | None, bow: int | None, stern: int | None,
    port: int | None, starboard: int | None, draught_m: float | None, destination: str | None,
) -> tuple[Any, ...]:
    # 0 / empty mean "not available" in every one of these fields (ITU-R M.1371); the ship
    # type is the raw code (as gpsd prints it; pyais folds some codes into its enum)
    return (
        mmsi, m.time_us, msg_type, name or None, callsign or None, imo or None,
        ship_type or None, bow or None, stern or None, port or None, starboard or None,
        draught_m or None, destination or None, m.station, key,
    )


def _slow_key(payload: str, fill: int) -> int:
    # 64-bit: crc32 of the payload and of its reverse; distinct from the vectorised keys'
    # space is not needed, a payload always takes the same path
    data = payload.encode("ascii")
    return (zlib.crc32(data) << 32 | zlib.crc32(data[::-1])) ^ fill


def _slow(
    msgs: Messages, sel: list[int], out: Decoded
) -> tuple[dict[str, Any], npt.NDArray[np.uint64]]:
    cols: dict[str, list[Any]] = {c: [] for c in _RAW_POS}
    keys: list[int] = []
    for k in sel:
        m = msgs[k]
        p = m.payload
        if not p.isascii() or not _VALID_CHARS.issuperset(p):
            out.rejects.append((k, Reason.malformed, "payload has a character outside 0-W, `-w"))
            continue
        mtype = (ord(p[0]) - 48) if ord(p[0]) < 88 else (ord(p[0]) - 56)
        if mtype not in _KNOWN_TYPES:
            out.rejects.append((k, Reason.unknown_type, f"message type {mtype}"))
            continue
        nbits = len(p) * 6 - m.fill
        need = _MIN_BITS.get(mtype, 38)
        if nbits < need:
            out.rejects.append(
                (k, Reason.truncated, f"type {mtype} has {nbits} bits, needs at least {need}")
            )
            continue
        try:
            d = MSG_CLASS[mtype].from_vector(bit_vector(p.encode("ascii"), m.fill)).asdict(
                enum_as_int=True
            )
        except Exception as exc:  # pyais's errors on odd payloads: the line is at fault
            out.rejects.append((k, Reason.malformed, f"pyais: {type(exc).__name__}: {exc}"))
            continue
        key = _slow_key(p, m.fill)
        if mtype in POSITION_TYPES:
            if d.get("lat") is None or d.get("lon") is None or d.get("mmsi") is None:
                out.rejects.append((k, Reason.truncated, f"type {mtype} without a position"))
                continue
            cols["msg"].append(k)
            cols["mmsi"].append(d["mmsi"])
            cols["msg_type"].append(mtype)
            cols["lat"].append(d["lat"])
            cols["lon"].append(d["lon"])
            cols["sog"].append(_num(d.get("speed"), 102.3 if mtype != 27 else 63.0))
            cols["cog"].append(_num(d.get("course"), 360.0 if mtype != 27 else 511.0))
            cols["heading"].append(_int(d.get("heading")))
            cols["status"].append(_int(d.get("status")))
            cols["second"].append(_int(d.get("second")))
            keys.append(key)
        if mtype in STATIC_TYPES:
            out.statics.append(_slow_static(m, key, mtype, d))
        elif mtype == 4:
            out.bases.append(_base_row(m, key, d))
    part: dict[str, Any] = {
        "msg": np.asarray(cols["msg"], dtype=np.int64),
        "mmsi": np.asarray(cols["mmsi"], dtype=np.int64),
        "msg_type": np.asarray(cols["msg_type"], dtype=np.int64),
        "lat": np.asarray(cols["lat"], dtype=np.float64),
        "lon": np.asarray(cols["lon"], dtype=np.float64),
        "sog": np.asarray(cols["sog"], dtype=np.float64),
        "cog": np.asarray(cols["cog"], dtype=np.float64),
        "heading": np.asarray(cols["heading"], dtype=np.int64),
        "status": np.asarray(cols["status"], dtype=np.int64),
        "second": np.asarray(cols["second"], dtype=np.int64),
    }
    return part, np.asarray(keys, dtype=np.uint64)


def _num(value: Any, not_available: float) -> float:
    if value is None:
        return float("nan")
    v = float(value)
    return float("nan") if v >= not_available else v


def _int(value: Any) -> int:
    return -1 if value is None else int(value)


#: bit offset of the 8-bit ship type code, per static message type
_SHIP_TYPE_BIT = {5: 232, 19: 263, 24: 40}


def _raw_ship_type(m: Message, mtype: int, d: dict[str, Any]) -> int | None:
    if d.get("ship_type") is None:
        return None
    start = _SHIP_TYPE_BIT[mtype]
    value = 0
    for ch in m.payload[start // 6:(start + 8) // 6 + 1]:
        c = ord(ch) - 48
        value = value << 6 | (c - 8 if c > 40 else c)
    end_bits = ((start + 8) // 6 + 1) * 6
    return (value >> (end_bits - start - 8)) & 0xFF


def _slow_static(m: Message, key: int, mtype: int, d: dict[str, Any]) -> tuple[Any, ...]:
    draught = d.get("draught")
    return _static_row(
        m, key, int(d["mmsi"]), mtype, d.get("shipname"), d.get("callsign"),
        _opt_int(d.get("imo")), _raw_ship_type(m, mtype, d), _opt_int(d.get("to_bow")),
        _opt_int(d.get("to_stern")), _opt_int(d.get("to_port")),
        _opt_int(d.get("to_starboard")), float(draught) if draught is not None else None,
        d.get("destination"),
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _base_row(m: Message, key: int, d: dict[str, Any]) -> tuple[Any, ...]:
    lat = d.get("lat")
    lon = d.get("lon")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        lat = lon = None
    station_us = _station_time_us(d)
    report_s = station_us // 1_000_000 if station_us is not None else m.time_us // 60_000_000 * 60
    return (int(d["mmsi"]), m.time_us, lat, lon, station_us, m.station, key, report_s)


def _station_time_us(d: dict[str, Any]) -> int | None:
    try:
        y, mo, da = int(d["year"]), int(d["month"]), int(d["day"])
        h, mi, s = int(d["hour"]), int(d["minute"]), int(d["second"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (1990 <= y < 2100 and 1 <= mo <= 12 and 1 <= da <= 31 and h < 24 and mi < 60
            and s < 60):
        return None
    try:
        return calendar.timegm((y, mo, da, h, mi, s, 0, 0, 0)) * 1_000_000
    except (ValueError, OverflowError):
        return None


def _finish_positions(
    msgs: Messages, raw: dict[str, Any], keys: npt.NDArray[np.uint64], out: Decoded
) -> None:
    lat = raw["lat"]
    lon = raw["lon"]
    missing = (lat == 91.0) | (lon == 181.0)
    bad = ~missing & ((np.abs(lat) > 90.0) | (np.abs(lon) > 180.0) | np.isnan(lat))
    for k, la, lo in zip(
        raw["msg"][bad].tolist(), lat[bad].tolist(), lon[bad].tolist(), strict=True
    ):
        out.rejects.append((k, Reason.out_of_range, f"position {la}, {lo} is off the globe"))
    out.no_position += int(missing.sum())
    keep = ~(missing | bad)
    msg = raw["msg"][keep]
    sel = msg.tolist()
    times = msgs.time_us
    time_us = np.asarray([times[k] for k in sel], dtype=np.int64)
    mtype = raw["msg_type"][keep]
    sog = raw["sog"][keep]
    sog = np.where(sog >= np.where(mtype == 27, 63.0, 102.3), np.nan, sog)
    cog = raw["cog"][keep]
    cog = np.where(cog >= np.where(mtype == 27, 511.0, 360.0), np.nan, cog)
    heading = raw["heading"][keep]
    heading = np.where(heading > 359, -1, heading)
    second = raw["second"][keep]
    recv_s = time_us // 1_000_000
    base = recv_s - recv_s % 60 + second
    shift = np.where(base - recv_s > 30, -60, np.where(recv_s - base > 30, 60, 0))
    report_s = np.where((second >= 0) & (second < 60), base + shift, recv_s - recv_s % 60)
    out.positions = {
        "msg": msg,
        "mmsi": raw["mmsi"][keep],
        "ts_us": time_us,
        "report_s": report_s,
        "lat": lat[keep],
        "lon": lon[keep],
        "sog": sog,
        "cog": cog,
        "heading": heading,
        "status": raw["status"][keep],
        "msg_type": mtype,
        "msg_key": keys[keep],
        "station": [msgs.station[k] for k in sel],
    }
