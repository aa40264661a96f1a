"""The vector decoder (every type and field it reads) against pyais, the reference decoder.

``decode_messages(..., reference=True)`` decodes every message with pyais one at a time; the
default takes the vector paths where it can. Both must give the same rows, rejects and
reasons, message by message, on random payloads of every common type at every length.
"""

from __future__ import annotations

import math
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from khazar.ingest.decode import Decoded, Message, Messages, decode_messages

_ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"
_TYPES = (1, 2, 3, 18, 19, 24, 27, 5, 4, 8)


def _payload(values: list[int], mtype: int, partno: int | None, mmsi: int | None) -> str:
    bits = [(v >> (5 - b)) & 1 for v in values for b in range(6)]
    def put(start: int, width: int, value: int) -> None:
        for b in range(width):
            if start + b < len(bits):
                bits[start + b] = (value >> (width - 1 - b)) & 1
    put(0, 6, mtype)
    if mmsi is not None:
        put(8, 30, mmsi)
    if partno is not None:
        put(38, 2, partno)
    return "".join(_ARMOUR[int("".join(map(str, bits[i:i + 6])), 2)]
                   for i in range(0, len(bits), 6))


def _by_msg(out: Decoded) -> dict[int, dict[str, Any]]:
    pos = out.positions
    if not pos:
        return {}
    cols = [c for c in pos if c != "msg"]
    return {int(k): {c: pos[c][j] for c in cols} for j, k in enumerate(pos["msg"].tolist())}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _legacy_fast(m: Message) -> bool:
    """The 28- and 71-character fast paths, whose keys are not pyais's path's."""
    return (len(m.payload) == 28 and m.fill == 0 and m.payload[0] in "123B") or (
        len(m.payload) == 71 and m.payload[0] == "5")


def _check(items: list[Message]) -> int:
    msgs = Messages()
    for m in items:
        msgs.append(m)
    got = decode_messages(msgs, vector_min=1)
    ref = decode_messages(msgs, reference=True)
    assert sorted(got.rejects, key=str) == sorted(ref.rejects, key=str)
    assert got.no_position == ref.no_position
    g, r = _by_msg(got), _by_msg(ref)
    assert g.keys() == r.keys()
    for k, row in r.items():
        for col, value in row.items():
            if col == "msg_key" and _legacy_fast(items[k]):
                continue
            assert _same(g[k][col], value), (items[k].payload, col, g[k][col], value)
    # static rows come in path order: by message (each message has its own time)
    first = items[0].time_us
    gs = {row[1] - first: row for row in got.statics}
    rs = {row[1] - first: row for row in ref.statics}
    assert len(gs) == len(got.statics) and gs.keys() == rs.keys()
    for k, row in rs.items():
        assert gs[k][:14] == row[:14], (items[k].payload, gs[k], row)
        assert _legacy_fast(items[k]) or gs[k][14] == row[14]
    return len(r) + len(ref.statics)


_message = st.builds(
    lambda mtype, values, fill, partno, aux: (mtype, values, fill, partno, aux),
    st.sampled_from(_TYPES),
    st.lists(st.integers(0, 63), min_size=1, max_size=80),
    st.integers(0, 5),
    st.integers(0, 3),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_message, min_size=1, max_size=12))
def test_random_payloads_of_every_type_match_pyais(specs: list[tuple[Any, ...]]) -> None:
    items = []
    for k, (mtype, values, fill, partno, aux) in enumerate(specs):
        payload = _payload(values, mtype, partno if mtype == 24 else None,
                           981_234_567 if aux else None)
        fill = min(fill, len(payload) * 6 - 1)
        items.append(Message(payload, fill, f"st{k % 3}", 1_700_000_000_000_000 + k, k))
    _check(items)


def test_many_full_length_payloads_per_type_match_pyais() -> None:
    """Every type at its usual length (and a few characters either side), in one batch."""
    rng = random.Random(20)
    usual = {1: 28, 2: 28, 3: 28, 18: 28, 19: 52, 24: 28, 27: 16, 5: 71}
    items = []
    for mtype, chars in usual.items():
        for _ in range(150):
            n = chars + rng.choice((-1, 0, 0, 0, 1, 3))
            values = [rng.randrange(64) for _ in range(n)]
            payload = _payload(values, mtype, rng.choice((0, 0, 1, 1, 2)) if mtype == 24
                               else None, 981_234_567 if rng.random() < 0.1 else None)
            fill = {5: 2, 27: 0, 19: 0}.get(mtype, 0) if n == chars else rng.randrange(6)
            items.append(Message(payload, fill, "AZ", 1_700_000_000_000_000 + len(items),
                                 len(items)))
    assert _check(items) > 800
