"""Events repository (upsert by id, filters) and the `khazar detect` / `khazar events` CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from khazar.cli import app
from khazar.domain import Event
from khazar.store import open_store
from khazar.store.events import event_record, list_events, upsert_events
from khazar.store.ingest import rebuild_state

T = datetime(2026, 5, 1, tzinfo=UTC)


def ev(etype: str, mmsi: int, start_min: int, end_min: int, is_open: bool = False) -> Event:
    return Event(etype, mmsi, T + timedelta(minutes=start_min), T + timedelta(minutes=end_min),
                 40.0, 50.0, evidence={"duration_h": (end_min - start_min) / 60}, open=is_open)


def test_upsert_by_id_keeps_the_closed_version(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        upsert_events(store.conn, [ev("loitering", 1, 0, 30, True)], T)
        upsert_events(store.conn, [ev("loitering", 1, 0, 50, True), ev("ais_gap", 2, 5, 70)], T)
        assert [(e.type, e.end, e.open) for e in list_events(store.conn)] == [
            ("loitering", T + timedelta(minutes=50), True), ("ais_gap", T + timedelta(minutes=70),
                                                             False)]
        upsert_events(store.conn, [ev("loitering", 1, 0, 80)], T)
        upsert_events(store.conn, [ev("loitering", 1, 0, 60, True)], T)  # stale open version
        (lo,) = list_events(store.conn, type="loitering")
        assert lo.end == T + timedelta(minutes=80) and not lo.open
        assert [e.mmsi for e in list_events(store.conn, mmsi=2)] == [2]
        assert list_events(store.conn, since=T + timedelta(minutes=75)) == [lo]


def test_event_record_is_the_design_line() -> None:
    rec = event_record(ev("encounter", 7, 0, 45))
    assert list(rec)[:11] == ["id", "type", "mmsi", "other_mmsi", "start", "end", "lat", "lon",
                              "zone_id", "asset_id", "evidence"]
    assert rec["start"] == "2026-05-01T00:00:00Z"


def test_detect_and_events_commands(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with open_store(db) as store:
        store.conn.execute(
            "INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
            "source, report_ts, msg_key) SELECT 273000001, "
            "TIMESTAMPTZ '2026-05-01 00:00:00+00' + to_seconds(i * 60), 40.0 + i * 1e-5, "
            "51.5, 0.5, 0, 0, 1, 'test', TIMESTAMPTZ '2026-05-01 00:00:00+00' + "
            "to_seconds(i * 60), i FROM range(0, 150) t(i)")
    out = tmp_path / "events.jsonl"
    runner = CliRunner()
    res = runner.invoke(app, ["detect", "--db", str(db), "--out", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    # 2.5 h at 0.5 kn, 50 nm offshore, within 170 m: loitering, and a stop (no alert)
    assert [x["type"] for x in lines] == ["loitering", "stop"]
    assert json.loads(res.stdout)["by_type"] == {"loitering": 1, "stop": 1}
    res = runner.invoke(app, ["events", "--db", str(db), "--type", "loitering", "--format",
                              "json"])
    assert res.exit_code == 0, res.output
    assert [e["id"] for e in json.loads(res.stdout)] == [lines[0]["id"]]


def _drifting_pair(db: Path, fishing: tuple[int, ...]) -> list[dict[str, object]]:
    """Two class B boats (no navigational status) 100 m apart for 90 min, 50 nm offshore;
    the MMSIs in ``fishing`` have sent a static report with ship type 30."""
    with open_store(db) as store:
        for n, mmsi in enumerate((423500059, 423500068)):
            store.conn.execute(
                "INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
                "source, report_ts, msg_key) SELECT ?, TIMESTAMPTZ '2026-05-01 00:00:00+00' "
                "+ to_seconds(i * 60), 40.0 + i * 1e-5, 51.5 + ? * 0.0012, 0.5, 0, NULL, 18, "
                "'test', TIMESTAMPTZ '2026-05-01 00:00:00+00' + to_seconds(i * 60), i "
                "FROM range(0, 90) t(i)", [mmsi, n])
        for mmsi in fishing:
            store.conn.execute(
                "INSERT INTO vessels_static (mmsi, ts, msg_type, ship_type, source, msg_key) "
                "VALUES (?, TIMESTAMPTZ '2026-05-01 00:00:00+00', 24, 30, 'test', 1)", [mmsi])
        rebuild_state(store)  # the rows went in by hand, not through ingest
    out = db.with_suffix(".jsonl")
    res = CliRunner().invoke(app, ["detect", "--db", str(db), "--out", str(out),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in out.read_text().splitlines()]


def test_detect_reads_fishing_boats_from_the_static_reports(tmp_path: Path) -> None:
    one = _drifting_pair(tmp_path / "one.duckdb", (423500059,))
    assert [x["mmsi"] for x in one if x["type"] == "encounter"] == [423500059]
    both = _drifting_pair(tmp_path / "both.duckdb", (423500059, 423500068))
    assert not [x for x in both if x["type"] == "encounter"]
