"""The main job end to end (short): every stage's output exists and is consistent."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from khazar.cli import app
from khazar.store import open_store


def test_demo_runs_the_main_job(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--hours", "3", "--seed", "5", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    for name in ("sim/feed.nmea", "sim/truth.json", "events.jsonl", "plan.geojson", "plan.gpx",
                 "plan.kml", "report/index.html", "report/scorecard.json"):
        assert (out / name).is_file(), name
    plan = json.loads((out / "plan.geojson").read_text())
    assert len([f for f in plan["features"] if f["geometry"]["type"] == "LineString"]) == 12
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert events and {"id", "type", "mmsi", "start", "end", "evidence"} <= set(events[0])
    with open_store(out / "khazar.duckdb", read_only=True) as store:
        counts = store.table_counts()
        assigned = store.conn.execute(
            "SELECT count(*) FROM alert_transitions WHERE to_state = 'assigned'"
        ).fetchone()
    assert counts["positions"] > 10_000 and counts["alerts"] > 0 and counts["users"] == 1
    assert assigned is not None and assigned[0] == 1  # the scripted watch officer's dispatch
    card = {c["id"]: c["value"] for c in json.loads((out / "report/scorecard.json").read_text())}
    assert card["response_min"] == 9.0  # raised at the end of the data, assigned 9 min later
    assert card["audit_integrity"] == 100.0
