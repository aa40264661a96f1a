"""The fast position-report encoder against pyais's decoder, and NMEA framing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import decode

from khazar.sim.nmea import (
    frame_payloads,
    nmea_checksum,
    position_payloads,
    tag_block,
    tagged_position_lines,
)

REPORT = st.fixed_dictionaries(
    {
        "msg_type": st.sampled_from([1, 2, 3, 18]),
        "mmsi": st.integers(200_000_000, 775_999_999),
        "lat": st.floats(-90.0, 90.0),
        "lon": st.floats(-180.0, 180.0),
        "sog": st.floats(0.0, 102.2),
        "cog": st.floats(0.0, 359.9),
        "heading": st.one_of(st.integers(0, 359), st.just(511)),
        "second": st.integers(0, 59),
        "status": st.integers(0, 15),
    }
)


def _check_line(line: str) -> dict[str, object]:
    tag, rest = line[1:].split("\\", 1)
    body, cs = tag.split("*")
    assert nmea_checksum(body) == cs
    body2, cs2 = rest[1:].split("*")
    assert nmea_checksum(body2) == cs2
    return decode(rest).asdict()


@settings(max_examples=60, deadline=None)
@given(st.lists(REPORT, min_size=1, max_size=20), st.integers(1_700_000_000, 1_900_000_000))
def test_fast_encoder_matches_pyais_decode(reports: list[dict[str, float]], unix: int) -> None:
    col = {k: np.asarray([r[k] for r in reports]) for k in reports[0]}
    payloads = position_payloads(
        col["msg_type"], col["mmsi"], col["lat"].astype(float), col["lon"].astype(float),
        col["sog"].astype(float), col["cog"].astype(float), col["heading"], col["second"],
        col["status"],
    )
    chan = np.arange(len(reports)) % 2 == 1
    lines = tagged_position_lines("AZ-BAKU", np.full(len(reports), unix), chan, payloads)
    for r, raw in zip(reports, lines, strict=True):
        line = raw.decode("ascii")
        assert line.startswith(f"\\s:AZ-BAKU,c:{unix}*")
        d = _check_line(line)
        assert d["msg_type"] == r["msg_type"]
        assert d["mmsi"] == r["mmsi"]
        assert abs(float(d["lat"]) - r["lat"]) <= 1e-6 + 1 / 600000  # type: ignore[arg-type]
        assert abs(float(d["lon"]) - r["lon"]) <= 1e-6 + 1 / 600000  # type: ignore[arg-type]
        assert abs(float(d["speed"]) - round(r["sog"] * 10) / 10) < 1e-9  # type: ignore[arg-type]
        cog = round(r["cog"] * 10) % 3600 / 10
        assert abs(float(d["course"]) - cog) < 1e-9  # type: ignore[arg-type]
        assert d["heading"] == r["heading"]
        assert d["second"] == r["second"]
        if r["msg_type"] != 18:
            assert int(d["status"]) == r["status"]  # type: ignore[call-overload]


def test_known_sentence_and_tag_block() -> None:
    # MMSI 423100001 at 40.1 N 50.2 E, 10.1 kn, course 0.0, heading 359, second 59
    p = position_payloads(
        np.array([1]), np.array([423100001]), np.array([40.1]), np.array([50.2]),
        np.array([10.1]), np.array([0.0]), np.array([359]), np.array([59]), np.array([0]),
    )
    (line,) = tagged_position_lines("Baku", np.array([1767225600]), np.array([False]), p)
    assert line == (
        b"\\s:Baku,c:1767225600*05\\!AIVDM,1,1,,A,16COvH@P1U3Uk20FtPH00;?n0000,0*28"
    )
    assert tag_block("Baku", 1767225600) == "\\s:Baku,c:1767225600*05\\"


def test_multipart_framing_decodes() -> None:
    from pyais.encode import encode_dict

    msg = {"type": 5, "mmsi": 423200001, "shipname": "FERRY 001", "callsign": "4J0001",
           "ship_type": 70, "to_bow": 100, "to_stern": 60, "destination": "AKTAU"}
    parts = []
    for s in encode_dict(msg, talker_id="AI", sentence_type="VDM"):
        f = s.split("*")[0].split(",")
        parts.append((f[5], int(f[6])))
    sentences = frame_payloads(parts, seq=7, channel="B")
    assert [s.split(",")[1:4] for s in sentences] == [["2", "1", "7"], ["2", "2", "7"]]
    for s in sentences:
        body, cs = s[1:].split("*")
        assert nmea_checksum(body) == cs
    d = decode(*sentences).asdict()
    assert d["mmsi"] == 423200001 and d["shipname"] == "FERRY 001" and d["destination"] == "AKTAU"
