"""Re-ingesting changes nothing; copies of one transmission from several receivers collapse."""

from __future__ import annotations

from pathlib import Path

import duckdb
from tests.ingest.helpers import DATA, export, ingest, sentence, table_contents, tagged

DATA_TABLES = ("raw_sentences", "positions", "vessels_static", "base_stations", "detections",
               "rejects", "ingest_runs")
FILES = [DATA / "gpsd" / "sample.aivdm", DATA / "libais" / "typeexamples.nmea",
         DATA / "libais" / "tagblock.nmea", DATA / "pyais" / "mixed.txt",
         DATA / "pyais" / "gatehouse.nmea", DATA / "gpsd" / "ais-18-27.log"]


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {t: table_contents(conn, t) for t in DATA_TABLES}


def _csvs(tmp: Path) -> list[Path]:
    ais = tmp / "generic.csv"
    ais.write_text("mmsi,timestamp,lat,lon,sog,cog,heading\n"
                   "423000001,2025-03-01T10:00:00Z,40.30,50.10,12.5,90.0,91\n"
                   "423000001,2025-03-01T10:01:00Z,40.30,50.13,12.4,90.5,511\n"
                   "423000002,2025-03-01T10:00:30Z,95.00,50.00,1,1,1\n"
                   "not,a,row\n")
    radar = tmp / "radar.csv"
    radar.write_text("timestamp,lat,lon,length_m,source\n"
                     "2025-03-01T10:00:00Z,40.2,50.3,35,coastal-radar-1\n"
                     "2025-03-01T10:05:00Z,40.21,50.31,,sar\n")
    return [ais, radar]


def test_second_ingest_leaves_every_table_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    files = [*FILES, *_csvs(tmp_path)]
    first = ingest(db, *files)["total"]
    assert first["positions"] > 0 and first["detections"] == 2
    before = _snapshot(db)
    again = ingest(db, *files)
    assert all(f["skipped"] for f in again["files"])
    assert _snapshot(db) == before
    forced = ingest(db, *files, extra=("--force",))["total"]
    assert forced["positions"] == 0 and forced["vessels_static"] == 0
    assert forced["detections"] == 0
    assert _snapshot(db) == before


def test_several_receivers_collapse_into_one_position(tmp_path: Path) -> None:
    line = sentence("15RTgt0PAso;90TKcjM8h6g208CQ")  # MMSI 371798000, second = 33
    f = tmp_path / "two_receivers.nmea"
    f.write_text("\n".join([
        tagged(line, "AZ-BAKU", 1_700_000_012),
        tagged(line, "AZ-ALAT", 1_700_000_013),
        tagged(line, "AZ-NEFT", 1_700_000_012_500),  # milliseconds
    ]) + "\n")
    summary = ingest(db := tmp_path / "k.duckdb", f)["total"]
    assert summary["accepted"] == 3 and summary["duplicates"] == 2
    rows = export(db, "positions")
    assert len(rows) == 1
    assert rows[0]["mmsi"] == 371798000 and rows[0]["station"] == "AZ-BAKU"
    assert rows[0]["timestamp"] == "2023-11-14T22:13:32Z"
