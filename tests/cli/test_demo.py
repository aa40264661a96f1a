"""The main job end to end (short): every stage's output exists and is consistent."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import khazar
from khazar.cli import app
from khazar.cli.demo import MARKER, _prepare_out
from khazar.domain.alerts import AlertState
from khazar.store import open_store
from khazar.store.alerts import list_alerts
from khazar.store.reporting import position_period


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


def _indicators(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for g in payload["goals"] for i in g["indicators"]}


def test_demo_runs_on_the_wall_clock_and_its_scorecard_agrees(tmp_path: Path) -> None:
    """One clock: the simulated period ends at the wall clock's now, so an action taken in
    the console right after the demo measures minutes, and the API's scorecard (the
    console's) gives the report's medians."""
    from khazar.config import load_settings
    from khazar.geo import load_geography
    from khazar.services.alerts import acknowledge_alert, assign_alert
    from khazar.services.scorecard import scorecard_payload

    out = tmp_path / "demo"
    before = datetime.now(UTC)
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--hours", "2", "--seed", "5", "--no-serve"]
    )
    after = datetime.now(UTC)
    assert result.exit_code == 0, result.output
    card = {c["id"]: c for c in json.loads((out / "report/scorecard.json").read_text())}
    with open_store(out / "khazar.duckdb") as store:
        _, last, _ = position_period(store)
        assert last is not None
        assert before - timedelta(minutes=2) <= last <= after  # the day ends at "now"
        settings = load_settings(None)
        geo = load_geography(settings)
        plan = {**json.loads((out / "plan.geojson").read_text()), "source": "plan.geojson"}
        api = _indicators(scorecard_payload(store, settings, geo, plan))
        assert api["response_min"]["value"] == card["response_min"]["value"] == 9.0
        assert {k: v["value"] for k, v in api.items()} == {
            k: v["value"] for k, v in card.items() if k in api}
        # the console's operator takes another alert at the wall clock, moments later
        new = list_alerts(store, [AlertState.new])
        assert new
        busy = {r[0] for r in store.conn.execute(
            "SELECT boat FROM alert_transitions WHERE boat IS NOT NULL").fetchall()}
        boat = next(b.name for b in settings.fleet if b.name not in busy)
        wall = datetime.now(UTC)
        acknowledge_alert(store, new[0].id, "demo", wall)
        assign_alert(store, settings, new[0].id, "demo", boat, wall)
        later = _indicators(scorecard_payload(store, settings, geo, plan))
    minutes = (wall - new[0].created_at).total_seconds() / 60.0
    assert 0 <= minutes < 30  # before: the day was dated May 2026, months before the clock
    assert later["response_min"]["value"] == pytest.approx((9.0 + minutes) / 2, abs=0.1)


def _khazar(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command line, as a user runs it (its exit codes, its stderr)."""
    env = {**os.environ, "PYTHONPATH": str(Path(khazar.__file__).parents[1]), "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-c", "from khazar.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("the user's file")
    done = _khazar("demo", "--out", str(out), "--no-serve")
    assert done.returncode == 2, done.stderr
    assert "not empty" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert (out / "notes.txt").read_text() == "the user's file"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_demo_folder_loses_only_what_the_demo_wrote(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    for name in ("events.jsonl", "khazar.duckdb", "khazar.duckdb.wal", "notes.txt"):
        (out / name).write_text("x")
    (out / "report").mkdir()
    (out / "report" / "index.html").write_text("x")
    (out / MARKER).write_text("events.jsonl\nkhazar.duckdb\nreport\n../outside\n")
    (tmp_path / "outside").write_text("kept")
    theirs = _prepare_out(out)
    assert theirs == {"notes.txt"}  # the user put it there after the last demo: kept
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "notes.txt"]
    assert (tmp_path / "outside").read_text() == "kept"


@pytest.mark.parametrize("kind", ["udp", "port"])
def test_a_port_in_use_stops_the_demo_before_the_job(tmp_path: Path, kind: str) -> None:
    sock_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, sock_type) as held:
        held.bind(("127.0.0.1", 0))
        if kind == "port":
            held.listen()
        taken = held.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "udp"
                           else socket.SOCK_DGRAM) as other:
            other.bind(("127.0.0.1", 0))
            free = other.getsockname()[1]
        ports = {"udp": (free, taken), "port": (taken, free)}[kind]
        out = tmp_path / "demo"
        done = _khazar("demo", "--out", str(out), "--port", str(ports[0]),
                       "--udp", str(ports[1]))
    assert done.returncode == 2, done.stderr
    assert f"--{kind} {taken}" in done.stderr and "in use" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()  # refused before anything ran
