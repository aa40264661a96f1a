"""End to end on the simulator: simulate → ingest → (detect →) trace / alerts.

The anchor-drag scenarios must put the dragging vessel first in `khazar trace`, and the
alert rules must raise an alert for it while the look-alikes and supply boats raise none.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.cli import app
from khazar.config import load_settings
from khazar.sim.evaluate import score_alerts
from khazar.sim.truth import Truth
from khazar.store import alerts as repo
from khazar.store import open_store
from khazar.store.audit import read_entries, verify_store

pytestmark = pytest.mark.slow  # simulate + ingest + detect twice: ~30 s of CPU
runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module", params=["anchor_drag_yi_peng", "anchor_drag_eagle_s"])
def simulated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Truth]:
    scenario = request.param
    out = tmp_path_factory.mktemp(scenario)
    db = out / "k.duckdb"
    _ok(
        [
            "simulate",
            "--scenario",
            scenario,
            "--hours",
            "8",  # the Eagle S drag starts 20-45 km before its line: it must get there
            "--seed",
            "3",
            "--density",
            "0.1",
            "--out",
            str(out / "sim"),
            "--format",
            "json",
        ]
    )
    _ok(["ingest", str(out / "sim" / "feed.nmea"), "--db", str(db), "--format", "json"])
    truth = Truth.loads((out / "sim" / "truth.json").read_text())
    add_users(db, ("investigator", "analyst"))
    return db, truth


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The investigator's password: `khazar trace` is authenticated."""
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)


def test_trace_ranks_the_dragging_vessel_first(simulated: tuple[Path, Truth]) -> None:
    db, truth = simulated
    [drag] = truth.behaviours
    pack = db.parent / "pack"
    # the investigator asks about the hours around the damage, where it was found: from the
    # drag's first crossing of the corridor (its anchor went down tens of km before, far
    # from the line; over a whole trunk line those hours also hold tankers slowing to berth
    # at its landfall)
    assert drag.first_crossing is not None
    since = drag.first_crossing - timedelta(minutes=30)
    doc = json.loads(
        _ok(
            [
                "trace",
                "--db",
                str(db),
                "--asset",
                str(drag.asset_id),
                "--from",
                since.isoformat(),
                "--to",
                drag.end.isoformat(),
                "--at",
                f"{drag.lat},{drag.lon}",
                "--radius-km",
                "15",
                "--out",
                str(pack),
                "--user",
                "investigator",
                "--format",
                "json",
            ]
        )
    )
    ranking = doc["vessels"]
    assert ranking[0]["mmsi"] == drag.mmsis[0]
    if len(ranking) > 1:
        assert ranking[0]["score"] > ranking[1]["score"] + 0.1  # a clear first, not a tie
    assert ranking[0]["closest_m"] < 200
    assert not set(load_settings().own_fleet_mmsis) & {r["mmsi"] for r in ranking}
    with open_store(db, read_only=True) as store:
        [entry] = [e for e in read_entries(store) if e.action == "trace.evidence"]
        assert entry.actor == "investigator" and entry.target == drag.asset_id
        assert json.loads(entry.detail or "{}")["sha256"] == doc["evidence"]["sha256"]
    assert (pack / "evidence.html").stat().st_size > 1000
    assert str(drag.mmsis[0]) in (pack / "tracks.kml").read_text()


def test_alerts_raise_the_drag_and_nothing_for_lookalikes(simulated: tuple[Path, Truth]) -> None:
    db, truth = simulated
    _ok(["detect", "--db", str(db), "--out", str(db.parent / "events.jsonl"), "--format", "json"])
    listed = json.loads(_ok(["alerts", "--db", str(db), "--format", "json"]))
    again = json.loads(_ok(["alerts", "--db", str(db), "--format", "json"]))
    assert [a["id"] for a in again] == [a["id"] for a in listed]  # idempotent
    with open_store(db) as store:
        alerts = repo.list_alerts(store)
        events, _ = repo.stored_events(store)
        assert verify_store(store).ok
    score = score_alerts(alerts, truth)
    [drag] = truth.behaviours
    drag_events = [e for e in events if e.type == "anchor_drag" and e.mmsi in drag.mmsis]
    if drag_events:  # the detector saw it: the rules must raise it
        assert score.behaviours_alerted == 1
        drag_alerts = [a for a in alerts if a.mmsi in drag.mmsis]
        # the drag at the line, and (issue 21) the anchor down upstream, before it
        assert "anchor-drag" in {a.rule for a in drag_alerts}
        assert {a.rule for a in drag_alerts} <= {"anchor-drag", "anchor-down"}
        pre = [a for a in drag_alerts if a.rule == "anchor-down"]
        first_drag = min(a.first_ts for a in drag_alerts if a.rule == "anchor-drag")
        assert all(a.first_ts < first_drag for a in pre)
        merged = {i for a in drag_alerts for i in a.event_ids}
        assert merged and merged <= {e.id for e in events if e.mmsi in drag.mmsis}
    assert score.lookalike_alerts == 0
    assert score.authorised_alerts == 0
    assert score.false_alerts <= 1  # 8 h of traffic: ≤ 2 a day allows at most one
