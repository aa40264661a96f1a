"""Fast NMEA framing for the simulator: vectorised AIS position reports (types 1–3, 18).

pyais's encoder builds each message bit by bit in Python (≈ 26k sentences/s here); a simulated
day of Caspian traffic is millions of sentences, so position reports are packed with numpy
into three 64-bit words per message, armoured six bits at a time and framed with precomputed
checksums. Static messages (types 5 and 24) are rare and encoded once per vessel with pyais,
then re-framed here. Tests check every field against pyais's decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, reduce

import numpy as np
import numpy.typing as npt

__all__ = [
    "armour",
    "frame_payloads",
    "nmea_checksum",
    "position_payloads",
    "sentence",
    "tag_block",
    "tagged_position_lines",
]

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# six-bit value → ASCII armour character (ITU-R M.1371 / IEC 61162-1)
_ARMOUR = np.array([v + 48 if v < 40 else v + 56 for v in range(64)], dtype=np.uint8)
_PAYLOAD_BITS = 168
_PAYLOAD_CHARS = 28

# (name, width, signed) in transmission order
_TYPE_1_3 = (
    ("type", 6), ("repeat", 2), ("mmsi", 30), ("status", 4), ("rot", 8), ("sog", 10),
    ("accuracy", 1), ("lon", 28), ("lat", 27), ("cog", 12), ("heading", 9), ("second", 6),
    ("maneuver", 2), ("spare", 3), ("raim", 1), ("radio", 19),
)
_TYPE_18 = (
    ("type", 6), ("repeat", 2), ("mmsi", 30), ("reserved", 8), ("sog", 10), ("accuracy", 1),
    ("lon", 28), ("lat", 27), ("cog", 12), ("heading", 9), ("second", 6), ("regional", 2),
    ("cs", 1), ("display", 1), ("dsc", 1), ("band", 1), ("msg22", 1), ("assigned", 1),
    ("raim", 1), ("radio", 20),
)


def nmea_checksum(body: str) -> str:
    """XOR of the characters between ``!``/``\\`` and ``*``, as two upper-case hex digits."""
    x = 0
    for c in body.encode("ascii"):
        x ^= c
    return f"{x:02X}"


def sentence(
    payload: str, fill_bits: int, part: int = 1, parts: int = 1, seq: str = "", channel: str = "A"
) -> str:
    """One ``!AIVDM`` sentence with its checksum."""
    body = f"AIVDM,{parts},{part},{seq},{channel},{payload},{fill_bits}"
    return f"!{body}*{nmea_checksum(body)}"


def tag_block(station: str, unix_s: int) -> str:
    """An NMEA 4.10 tag block with source station and receive time (Unix seconds)."""
    body = f"s:{station},c:{unix_s}"
    return f"\\{body}*{nmea_checksum(body)}\\"


def frame_payloads(payloads: Sequence[tuple[str, int]], seq: int, channel: str) -> list[str]:
    """Frame the armoured parts of one message (``(payload, fill_bits)``) as sentences."""
    n = len(payloads)
    return list(_frame(tuple(payloads), str(seq % 10) if n > 1 else "", channel))


@lru_cache(maxsize=1 << 16)
def _frame(payloads: tuple[tuple[str, int], ...], seq_s: str, channel: str) -> tuple[str, ...]:
    n = len(payloads)
    return tuple(
        sentence(p, fill, part=i + 1, parts=n, seq=seq_s, channel=channel)
        for i, (p, fill) in enumerate(payloads)
    )


def _put(words: list[U64], offset: int, width: int, values: U64) -> None:
    """OR ``values`` (already masked to ``width`` bits) into the 192-bit words at ``offset``."""
    w, o = divmod(offset, 64)
    end = o + width
    if end <= 64:
        words[w] |= values << np.uint64(64 - end)
    else:
        spill = end - 64
        words[w] |= values >> np.uint64(spill)
        words[w + 1] |= (values & np.uint64((1 << spill) - 1)) << np.uint64(64 - spill)


def _field(values: npt.ArrayLike, width: int, n: int) -> U64:
    arr = np.broadcast_to(np.asarray(values, dtype=np.int64), (n,))
    return (arr & ((1 << width) - 1)).astype(np.uint64)


def armour(words: list[U64], n_chars: int) -> U8:
    """The ASCII armour of the first ``6·n_chars`` bits of 192-bit messages, shape (N, chars)."""
    n = words[0].shape[0]
    out = np.empty((n, n_chars), dtype=np.uint8)
    for k in range(n_chars):
        w, o = divmod(6 * k, 64)
        end = o + 6
        if end <= 64:
            v = (words[w] >> np.uint64(64 - end)) & np.uint64(63)
        else:
            spill = end - 64
            hi = (words[w] & np.uint64((1 << (6 - spill)) - 1)) << np.uint64(spill)
            v = hi | (words[w + 1] >> np.uint64(64 - spill))
        out[:, k] = _ARMOUR[v.astype(np.intp)]
    return out


def position_payloads(
    msg_type: npt.ArrayLike,
    mmsi: npt.ArrayLike,
    lat_deg: F64,
    lon_deg: F64,
    sog_kn: F64,
    cog_deg: F64,
    heading_deg: npt.ArrayLike,
    second: npt.ArrayLike,
    status: npt.ArrayLike = 15,
) -> U8:
    """Armoured 28-character payloads of position reports, shape (N, 28).

    ``msg_type`` 1, 2 or 3 (class A; ``status`` used) or 18 (class B; status ignored), one per
    row. Units as the names say; ``heading_deg`` 511 = not available. SOG is clipped to
    102.2 kn, COG wrapped to [0, 360).
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    n = lat.shape[0]
    mt = np.broadcast_to(np.asarray(msg_type, dtype=np.int64), (n,))
    lon_v = np.rint(np.asarray(lon_deg) * 600000.0).astype(np.int64)
    lat_v = np.rint(lat * 600000.0).astype(np.int64)
    sog_v = np.clip(np.rint(np.asarray(sog_kn) * 10.0), 0, 1022).astype(np.int64)
    cog_v = np.rint(np.mod(np.asarray(cog_deg), 360.0) * 10.0).astype(np.int64) % 3600
    values: dict[str, npt.ArrayLike] = {
        "type": mt, "repeat": 0, "mmsi": mmsi, "status": status, "rot": -128, "sog": sog_v,
        "accuracy": 0, "lon": lon_v, "lat": lat_v, "cog": cog_v, "heading": heading_deg,
        "second": second, "maneuver": 0, "spare": 0, "raim": 0, "radio": 0, "reserved": 0,
        "regional": 0, "cs": 1, "display": 0, "dsc": 1, "band": 1, "msg22": 1, "assigned": 0,
    }
    out = np.empty((n, _PAYLOAD_CHARS), dtype=np.uint8)
    for layout, mask in ((_TYPE_1_3, mt != 18), (_TYPE_18, mt == 18)):
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        m = idx.size
        words = [np.zeros(m, dtype=np.uint64) for _ in range(3)]
        offset = 0
        for name, width in layout:
            v = values[name]
            sub = np.asarray(v)[idx] if np.ndim(v) else v
            _put(words, offset, width, _field(sub, width, m))
            offset += width
        assert offset == _PAYLOAD_BITS
        out[idx] = armour(words, _PAYLOAD_CHARS)
    return out


def _xor_bytes(text: str) -> int:
    return reduce(lambda a, c: a ^ c, text.encode("ascii"), 0)


_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def tagged_position_lines(
    station: str, rx_unix_s: I64, channel_b: npt.NDArray[np.bool_], payloads: U8
) -> list[bytes]:
    """Complete lines ``\\s:STATION,c:UNIX*hh\\!AIVDM,1,1,,A,<payload>,0*hh`` for one station.

    Built as one fixed-width byte matrix (times must have 10 digits, i.e. 2001–2286).
    """
    n = payloads.shape[0]
    if n == 0:
        return []
    t = np.asarray(rx_unix_s, dtype=np.int64)
    if t.min() < 1_000_000_000 or t.max() > 9_999_999_999:
        raise ValueError("tag-block times must have 10 digits (2001-09-09 … 2286-11-20)")
    digits = np.empty((n, 10), dtype=np.uint8)
    rest = t.copy()
    for k in range(9, -1, -1):
        digits[:, k] = (rest % 10 + 48).astype(np.uint8)
        rest //= 10
    tag_head = f"\\s:{station},c:".encode("ascii")
    tag_x = np.uint8(_xor_bytes(f"s:{station},c:")) ^ np.bitwise_xor.reduce(digits, axis=1)
    chan = np.where(channel_b, ord("B"), ord("A")).astype(np.uint8)
    body_x = (
        np.uint8(_xor_bytes("AIVDM,1,1,,,") ^ _xor_bytes(",0"))
        ^ chan
        ^ np.bitwise_xor.reduce(payloads, axis=1)
    )
    head = np.frombuffer(tag_head, dtype=np.uint8)
    parts = [
        np.broadcast_to(head, (n, head.size)),
        digits,
        np.broadcast_to(np.frombuffer(b"*", dtype=np.uint8), (n, 1)),
        _HEX[tag_x >> 4][:, None],
        _HEX[tag_x & 15][:, None],
        np.broadcast_to(np.frombuffer(b"\\!AIVDM,1,1,,", dtype=np.uint8), (n, 13)),
        chan[:, None],
        np.broadcast_to(np.frombuffer(b",", dtype=np.uint8), (n, 1)),
        payloads,
        np.broadcast_to(np.frombuffer(b",0*", dtype=np.uint8), (n, 3)),
        _HEX[body_x >> 4][:, None],
        _HEX[body_x & 15][:, None],
    ]
    mat = np.ascontiguousarray(np.concatenate(parts, axis=1))
    width = mat.shape[1]
    rows: list[bytes] = mat.view(f"S{width}").ravel().tolist()
    return rows
