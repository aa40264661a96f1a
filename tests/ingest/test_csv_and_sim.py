"""Decoded CSV layouts, radar/SAR detections, --kind, and the simulator's NMEA format."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.ingest.helpers import checksum, export, ingest, sentence, tagged
from typer.testing import CliRunner

from khazar.cli import app

DMA = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D\n"
    "01/03/2024 00:00:00,Class A,219000873,56.990907,10.304580,Under way using engine,0.0,"
    "11.2,30.2,207,Unknown,OXGY2,SKAGEN,Fishing,,6,20,GPS,3.2,HANSTHOLM,01/03/2024 05:00:00,"
    "AIS,10,10,3,3\n"
    "01/03/2024 00:00:05,Class B,219000999,91.000000,181.000000,Unknown value,,,,,,,,,,,,,,,,"
    "AIS,,,,\n"
    "31/02/2024 00:00:05,Class A,219000873,56.99,10.30,Moored,,0,0,0,,,,,,,,,,,,AIS,,,,\n"
)
MARINECADASTRE = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass\n"
    "367004170,2023-01-01T00:00:03,29.93469,-90.05963,0.0,273.6,511,TRADITION,IMO8975316,"
    "WDC4963,31,0,20,8,2.4,31,A\n"
    "367004170,2023-01-01T00:01:03,29.93470,-90.05960,102.3,360.0,90,TRADITION,IMO8975316,"
    "WDC4963,31,0,20,8,2.4,31,A\n"
)


def test_dma_layout(tmp_path: Path) -> None:
    f = tmp_path / "aisdk.csv"
    f.write_text(DMA)
    total = ingest(db := tmp_path / "k.duckdb", f)["total"]
    assert total["accepted"] == 2  # header + one row
    assert total["by_reason"] == {"out_of_range": 1, "bad_row": 1}
    [p] = export(db, "positions")
    assert (p["mmsi"], p["lat"], p["lon"], p["sog"], p["cog"], p["heading"], p["status"]) == (
        219000873, 56.990907, 10.30458, 11.2, 30.2, 207, 0)
    assert p["timestamp"] == "2024-03-01T00:00:00Z" and p["msg_type"] == 1
    [v] = export(db, "vessels")
    assert (v["name"], v["callsign"], v["ship_type"], v["length_m"], v["beam_m"]) == (
        "SKAGEN", "OXGY2", 30, 20, 6)


def test_marinecadastre_layout_normalises_not_available(tmp_path: Path) -> None:
    f = tmp_path / "AIS_2023_01_01.csv"
    f.write_text(MARINECADASTRE)
    ingest(db := tmp_path / "k.duckdb", f)
    a, b = export(db, "positions")
    assert a["heading"] is None and a["cog"] == 273.6
    assert b["sog"] is None and b["cog"] is None and b["heading"] == 90
    [v] = export(db, "vessels")
    assert v["imo"] == 8975316 and v["ship_type"] == 31 and v["draught_m"] == 2.4


def test_radar_csv_and_kind_override(tmp_path: Path) -> None:
    f = tmp_path / "contacts.csv"
    f.write_text("timestamp,lat,lon,length_m,source\n"
                 "2025-03-01T10:00:00Z,40.2,50.3,35,coastal-radar-1\n"
                 "2025-03-01T10:00:00Z,40.2,50.3,35,coastal-radar-1\n"
                 "1741000000,40.25,50.35,,sar\n")
    total = ingest(db := tmp_path / "k.duckdb", f, extra=("--kind", "radar"))["total"]
    assert total["detections"] == 2 and total["duplicates"] == 1
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("SELECT lat, lon, length_m, source FROM detections ORDER BY ts"
                            ).fetchall()
    assert rows == [(40.2, 50.3, 35.0, "coastal-radar-1"), (40.25, 50.35, None, "sar")]
    # the same file forced to AIS is refused with a clear message
    result = CliRunner().invoke(app, ["ingest", str(f), "--db", str(tmp_path / "x.duckdb"),
                                      "--kind", "ais", "--force"])
    assert result.exit_code != 0


def test_unknown_layout_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "weird.csv"
    f.write_text("foo,bar\n1,2\n")
    result = CliRunner().invoke(app, ["ingest", str(f), "--db", str(tmp_path / "k.duckdb")])
    assert result.exit_code != 0
    assert "known CSV layout" in str(result.exception)


@pytest.mark.parametrize("grouped", [True, False])
def test_simulator_format_ingests_with_zero_rejects(tmp_path: Path, grouped: bool) -> None:
    """The simulator writes tag-blocked sentences, multipart with g: groups or plain."""
    part1 = "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8"
    part2 = "88888888880"
    t = 1_700_000_000
    lines = [tagged(sentence("15RTgt0PAso;90TKcjM8h6g208CQ"), "SIM-BAKU", t),
             tagged(sentence("B3KLehP0B@LTN6`Vl;rrBE063P06"), "SIM-ALAT", t + 1)]
    if grouped:
        lines.append(tagged(sentence(part1, 0, 2, 1, "", "B"), "SIM-BAKU", t + 2, "1-2-77"))
        # the second part's tag block carries only the group, as real receivers write it
        lines.append(f"\\g:2-2-77*{checksum('g:2-2-77')}\\" + sentence(part2, 2, 2, 2, "", "B"))
    else:
        lines.append(tagged(sentence(part1, 0, 2, 1, "4", "B"), "SIM-BAKU", t + 2))
        lines.append(tagged(sentence(part2, 2, 2, 2, "4", "B"), "SIM-BAKU", t + 2))
    f = tmp_path / "feed.nmea"
    f.write_text("\n".join(lines) + "\n")
    total = ingest(db := tmp_path / "k.duckdb", f)["total"]
    assert total["rejected"] == 0 and total["accepted"] == 4
    assert total["positions"] == 2 and total["vessels_static"] == 1
    stations = {p["station"] for p in export(db, "positions")}
    assert stations == {"SIM-BAKU", "SIM-ALAT"}


def test_junk_before_nmea_is_still_nmea(tmp_path: Path) -> None:
    f = tmp_path / "capture.txt"
    f.write_text("foobar\nIamNotAnAisMessage\n" + sentence("15RTgt0PAso;90TKcjM8h6g208CQ") + "\n")
    total = ingest(tmp_path / "k.duckdb", f)["total"]
    assert total["by_reason"] == {"malformed": 2} and total["positions"] == 1
