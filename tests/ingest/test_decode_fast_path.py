"""The vectorised decoder (types 1–3, 18, 5) against pyais, the reference decoder."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS
from tests.ingest.helpers import DATA

from khazar.ingest.decode import Message, Messages, decode_messages
from khazar.ingest.framing import frame_batch

_ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


def _messages(items: list[Message]) -> Messages:
    out = Messages()
    for m in items:
        out.append(m)
    return out


def _raw_bits(payload: str, start: int, width: int) -> int:
    bits = "".join(f"{(ord(c) - 48) - 8 if ord(c) - 48 > 40 else ord(c) - 48:06b}"
                   for c in payload)
    return int(bits[start:start + width], 2)


def _pyais(payload: str, fill: int) -> dict[str, object]:
    t = (ord(payload[0]) - 48) if ord(payload[0]) < 88 else ord(payload[0]) - 56
    return MSG_CLASS[t].from_vector(bit_vector(payload.encode(), fill)).asdict(enum_as_int=True)


def _check_positions(payloads: list[str]) -> int:
    msgs = _messages([Message(p, 0, "", 1_700_000_000_000_000, i)
                      for i, p in enumerate(payloads)])
    out = decode_messages(msgs)
    rejected = {k for k, _, _ in out.rejects}
    pos = out.positions
    got = {int(k): j for j, k in enumerate(pos["msg"].tolist())} if pos else {}
    for k, p in enumerate(payloads):
        ref = _pyais(p, 0)
        lat, lon = ref["lat"], ref["lon"]
        assert isinstance(lat, float) and isinstance(lon, float)
        if lat == 91.0 or lon == 181.0 or abs(lat) > 90 or abs(lon) > 180:
            assert k not in got
            continue
        assert k not in rejected
        j = got[k]
        assert pos["mmsi"][j] == ref["mmsi"]
        assert pos["lat"][j] == lat and pos["lon"][j] == lon  # bit-identical
        speed = ref["speed"]
        assert isinstance(speed, float)
        assert (math.isnan(pos["sog"][j]) if speed >= 102.3 else pos["sog"][j] == speed)
        course = ref["course"]
        assert isinstance(course, float)
        assert (math.isnan(pos["cog"][j]) if course >= 360 else pos["cog"][j] == course)
        heading = ref["heading"]
        assert isinstance(heading, int)
        assert pos["heading"][j] == (heading if heading < 360 else -1)
        assert pos["status"][j] == ref.get("status", -1)
    return len(got)


def test_corpus_position_payloads_match_pyais() -> None:
    lines = [x for f in DATA.glob("*/*") if f.suffix not in (".chk", ".json")
             for x in f.read_text(errors="replace").splitlines()]
    framed = frame_batch(lines, [0] * len(lines))
    singles = framed.singles
    payloads = sorted({p for p, f in zip(singles.payload, singles.fill, strict=True)
                       if len(p) == 28 and f == 0 and p[0] in "123B"})
    assert len(payloads) > 500
    assert _check_positions(payloads) > 500


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("123B"), st.text(alphabet=_ARMOUR, min_size=27, max_size=27))
def test_random_position_payloads_match_pyais(head: str, rest: str) -> None:
    _check_positions([head + rest])


def test_type5_fast_path_matches_pyais() -> None:
    rng = random.Random(5)
    payloads = ["5" + "".join(rng.choice(_ARMOUR) for _ in range(70)) for _ in range(300)]
    payloads.append("55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880")
    msgs = _messages([Message(p, 2, "", 0, i) for i, p in enumerate(payloads)])
    out = decode_messages(msgs)
    assert len(out.statics) == len(payloads)
    for row, p in zip(out.statics, payloads, strict=True):
        ref = _pyais(p, 2)
        mmsi, _, _, name, callsign, imo, ship_type, bow, stern, port, star, draught, dest = row[:13]
        assert mmsi == ref["mmsi"]
        assert name == (ref["shipname"] or None) and callsign == (ref["callsign"] or None)
        assert dest == (ref["destination"] or None)
        assert imo == (ref["imo"] or None)
        # the raw code (bits 232-239), as gpsd prints it: pyais folds codes into its enum
        assert ship_type == (_raw_bits(p, 232, 8) or None)
        assert (bow, stern, port, star) == tuple(
            ref[k] or None for k in ("to_bow", "to_stern", "to_port", "to_starboard"))
        assert draught == (ref["draught"] or None)
