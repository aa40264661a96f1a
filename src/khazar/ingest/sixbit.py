"""Vectorised AIS six-bit unpacking: many equal-length payloads at once, with NumPy.

A payload of ``L`` armoured characters becomes a ``(n, L)`` array of six-bit values; a bit
field is read by gathering the few characters it spans into an int64 and shifting. This is
the vector path of the common message types (1–3, 5, 18, 19, 24, 27); pyais decodes
everything else and is the oracle the tests compare this module with.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["SixBit", "payload_hash", "unpack"]

IntArray = npt.NDArray[np.int64]
_TEXT = np.frombuffer(
    b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?", np.uint8)
# fixed odd multipliers (a SplitMix64 stream from seed 0x4B48415A4152): payload_hash must be
# stable across processes and versions, since it is stored as part of the dedupe key.
_MULT = np.empty(128, dtype=np.uint64)
_state = 0x4B48415A4152
for _k in range(128):
    _state = (_state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    _z = _state
    _z = ((_z ^ (_z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    _z = ((_z ^ (_z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    _MULT[_k] = (_z ^ (_z >> 31)) | 1


class SixBit:
    """Six-bit values of ``n`` payloads of equal length, and readers for their bit fields."""

    def __init__(self, values: npt.NDArray[np.uint8]) -> None:
        self.values = values

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    def uint(self, start: int, width: int) -> IntArray:
        """Unsigned field of ``width`` bits (≤ 48) starting at bit ``start``."""
        first = start // 6
        last = (start + width - 1) // 6
        acc = self.values[:, first].astype(np.int64)
        for k in range(first + 1, last + 1):
            acc = (acc << 6) | self.values[:, k]
        shift = (last + 1) * 6 - (start + width)
        return (acc >> shift) & ((1 << width) - 1)

    def sint(self, start: int, width: int) -> IntArray:
        """Two's-complement signed field."""
        raw = self.uint(start, width)
        return np.where(raw >= (1 << (width - 1)), raw - (1 << width), raw)

    def text(self, start: int, chars: int) -> list[str]:
        """Six-bit text, trimmed like pyais (trailing ``@`` then surrounding spaces)."""
        codes = np.stack([self.uint(start + 6 * j, 6) for j in range(chars)], axis=1)
        ascii_ = _TEXT[codes]
        raw = ascii_.tobytes()
        return [
            raw[i * chars : (i + 1) * chars].decode("ascii").rstrip("@").strip()
            for i in range(self.n)
        ]


def unpack(payloads: list[str], length: int) -> tuple[SixBit, npt.NDArray[np.bool_]]:
    """Six-bit values of payloads that all have ``length`` ASCII characters.

    Returns the values and a mask of payloads made only of valid armouring characters
    (``0``–``W`` and `````–``w``); rows outside the mask hold garbage.
    """
    raw = np.frombuffer("".join(payloads).encode("ascii"), dtype=np.uint8)
    chars = raw.reshape(len(payloads), length)
    valid = np.asarray(
        (((chars >= 48) & (chars <= 87)) | ((chars >= 96) & (chars <= 119))).all(axis=1),
        dtype=np.bool_)
    vals = chars - np.uint8(48)
    vals = np.where(vals > 40, vals - np.uint8(8), vals).astype(np.uint8) & np.uint8(63)
    return SixBit(vals), valid


def payload_hash(six: SixBit, fill: IntArray) -> npt.NDArray[np.uint64]:
    """A stable 64-bit key of each payload (its six-bit values and fill bits)."""
    width = six.values.shape[1]
    mult = _MULT[:width]
    h = (six.values.astype(np.uint64) * mult).sum(axis=1, dtype=np.uint64)
    out: npt.NDArray[np.uint64] = h ^ (fill.astype(np.uint64) * _MULT[127]) ^ np.uint64(width)
    return out
