"""Issue 15, the command line's guards: one test per defect found by trying the CLI as a new
user would. Each failed before its fix (a traceback, a silent wrong answer or exit 0)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.cli import app
from khazar.cli.alerts import _table
from khazar.domain import Event
from khazar.domain.alerts import Alert
from khazar.errors import ConfigError, InputError, KhazarError, NotFoundError
from khazar.store import alerts as repo
from khazar.store import open_store
from khazar.store.audit import list_entries
from khazar.store.events import upsert_events

runner = CliRunner()
T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
NOW = "2026-05-01T09:00:00Z"


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _refused(*args: str, error: type[KhazarError] = InputError) -> str:
    """The command stops with the domain error (`khazar` prints its one line and exits
    with its code, 2 for bad input); returns the message."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, error), (result.output, result.exception)
    return str(result.exception)


def _drag(mmsi: int, asset: str, corridor: str, lat: float, lon: float) -> Event:
    return Event("anchor_drag", mmsi, T0, T0 + timedelta(minutes=40), lat, lon,
                 zone_id=corridor, asset_id=asset,
                 evidence={"speed_in_corridor_kn": 6.4, "fixes": 80})


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two live anchor-drag alerts and one raised from an exercise's event; two operators."""
    path = tmp_path / "k.duckdb"
    add_users(path, ("aysel", "operator"), ("rauf", "operator"))
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    with open_store(path) as store, store.transaction() as conn:
        upsert_events(conn, [_drag(273_123_456, "acg-30in-oil", "acg-30in-oil-corridor",
                                   40.2, 50.6),
                             _drag(273_654_321, "acg-30in-oil", "acg-30in-oil-corridor",
                                   40.21, 50.61)], T0)
        upsert_events(conn, [_drag(273_999_999, "acg-30in-oil", "acg-30in-oil-corridor",
                                   40.22, 50.62)], T0, exercise=True)
    _ok("alerts", "--db", str(path), "--now", NOW, "--format", "json")
    return path


def _alerts(db: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = json.loads(
        _ok("alerts", "--db", str(db), "--no-update", "--format", "json"))
    return out


# -- route -------------------------------------------------------------------------------
def test_route_to_the_same_point_is_refused_not_a_geos_traceback() -> None:
    message = _refused("route", "40.35,49.95", "40.35,49.95")
    assert "same point" in message


def test_route_outside_the_theatre_names_the_allowed_range() -> None:
    # was "0.0 nm" after snapping 6,528 km
    message = _refused("route", "0,0", "1,1")
    assert "'0,0' is outside the theatre" in message and "latitude 36." in message


def test_route_from_far_inland_names_the_snap_distance() -> None:
    # inside the sea's bounding box, but 65 km into the Kazakh steppe
    message = _refused("route", "42.5,53.5", "40.0,50.5")
    assert "km from the sea's water" in message and "at most 10 km" in message
    # a quay in Baku, 5 km from the routing water, is still snapped and routed
    out = _ok("route", "40.4093,49.8671", "40.0,50.5")
    assert "start snapped 5," in out


def test_the_error_line_is_one_line_with_the_users_text_unmangled() -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "from khazar.cli import main; main()", "route", "[/]", "1,1"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "40"}, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "'[/]'" in proc.stderr and "Traceback" not in \
        proc.stderr


# -- plan --------------------------------------------------------------------------------
@pytest.mark.parametrize("boats", ["0", "-1", "13"])
def test_plan_boats_outside_the_fleet_are_refused(boats: str, tmp_path: Path) -> None:
    # 0 was a ValueError traceback, -1 planned 11 boats, 13 planned 12 silently
    message = _refused("plan", "--boats", boats, "--out", str(tmp_path / "p.geojson"))
    assert f"--boats {boats} is out of range: allowed 1..12" in message


@pytest.mark.parametrize("hours", ["1000", "1", "nan"])
def test_plan_hours_outside_what_the_planner_can_do_are_refused(hours: str,
                                                               tmp_path: Path) -> None:
    # 1000 wrote a 41-day route for boats of 14 h endurance; 1 failed with a wrong minimum
    message = _refused("plan", "--hours", hours, "--out", str(tmp_path / "p.geojson"))
    assert "allowed 1.5..14 h" in message


def test_plan_of_the_real_minimum_shift_works(tmp_path: Path) -> None:
    out = tmp_path / "p.geojson"
    _ok("plan", "--hours", "1.5", "--boats", "2", "--out", str(out))
    assert json.loads(out.read_text())["features"]


# -- ingest ------------------------------------------------------------------------------
def test_ingest_of_a_binary_file_exits_non_zero(tmp_path: Path) -> None:
    message = _refused("ingest", "/bin/ls", "--db", str(tmp_path / "k.duckdb"))
    assert "/bin/ls: nothing accepted from" in message and "malformed" in message


def test_ingest_of_a_csv_of_bad_rows_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,timestamp,lat,lon\nabc,xx,1000,2000\n,,,\n")
    message = _refused("ingest", str(bad), "--db", str(tmp_path / "k.duckdb"))
    assert "nothing accepted from 3 lines (2 bad_row)" in message


def test_ingest_kind_given_names_the_columns_the_kind_needs(tmp_path: Path) -> None:
    odd = tmp_path / "radar.csv"
    odd.write_text("foo,bar\n1,2\n")
    message = _refused("ingest", str(odd), "--db", str(tmp_path / "k.duckdb"),
                       "--kind", "radar")
    assert "--kind radar given" in message and "timestamp,lat,lon" in message
    assert "pass --kind" not in message
    assert "nmea, ais" in _ok("ingest", "--help").replace("\n", " ").replace("│", "")


# -- alert ids ---------------------------------------------------------------------------
def test_tables_show_whole_alert_ids_even_in_a_narrow_terminal(db: Path) -> None:
    with open_store(db, read_only=True) as store:
        stored: list[Alert] = repo.list_alerts(store)
    buf = io.StringIO()
    Console(file=buf, width=60).print(_table(stored, "t"))
    assert len(stored) == 3
    for a in stored:
        assert a.id in buf.getvalue()
    assert all(len(str(a["id"])) == 16 for a in _alerts(db))  # and whole in JSON


def test_alert_commands_take_a_unique_prefix(db: Path) -> None:
    live = sorted(str(a["id"]) for a in _alerts(db))
    target = live[0]
    k = next(k for k in range(2, 16) if sum(i.startswith(target[:k]) for i in live) == 1)
    shown = json.loads(_ok("alerts", "show", target[:k].lower(), "--db", str(db),
                           "--format", "json"))
    assert shown["id"] == target
    _ok("alerts", "ack", target[:k], "--db", str(db), "--user", "aysel", "--now", NOW)
    _ok("alerts", "note", target[:k], "--db", str(db), "--user", "aysel", "--text", "seen")
    assert next(a for a in _alerts(db) if a["id"] == target)["state"] == "acknowledged"


def test_an_ambiguous_prefix_lists_the_matches_and_an_unknown_one_is_not_found(
        db: Path) -> None:
    ids = [str(a["id"]) for a in _alerts(db)]
    message = _refused("alerts", "show", "A", "--db", str(db))
    assert "ambiguous" in message and all(i in message for i in ids)
    _refused("alerts", "ack", "Azzzz", "--db", str(db), "--user", "aysel",
             error=NotFoundError)
    _refused("alerts", "show", "%", "--db", str(db), error=NotFoundError)


def test_dispatch_takes_an_alert_id_prefix(db: Path) -> None:
    target = sorted(str(a["id"]) for a in _alerts(db) if not a["exercise"])[0]
    others = [str(a["id"]) for a in _alerts(db) if a["id"] != target]
    k = next(k for k in range(2, 16) if not any(o.startswith(target[:k]) for o in others))
    plan = json.loads(_ok("dispatch", "--db", str(db), "--alert", target[:k], "--now", NOW,
                          "--format", "json"))
    assert plan["options"]


# -- exercise alerts ---------------------------------------------------------------------
def test_exercise_alerts_are_marked_in_the_list(db: Path) -> None:
    listed = _alerts(db)
    assert sorted(bool(a["exercise"]) for a in listed) == [False, False, True]
    result = runner.invoke(app, ["alerts", "--db", str(db), "--no-update"],
                           env={"COLUMNS": "200"})
    exercise_id = next(str(a["id"]) for a in listed if a["exercise"])
    row = next(line for line in result.stdout.splitlines() if exercise_id in line)
    assert "EXERCISE" in row
    assert "1 of them EXERCISE" in result.stdout
    live_row = next(line for line in result.stdout.splitlines()
                    if str(next(a["id"] for a in listed if not a["exercise"])) in line)
    assert "EXERCISE" not in live_row


# -- reading commands do not write -------------------------------------------------------
def test_handover_does_not_escalate_and_escalate_is_an_audited_command(db: Path) -> None:
    later = "2026-05-01T12:00:00Z"  # hours after the alerts were raised: all overdue
    doc = json.loads(_ok("handover", "--db", str(db), "--since", "2026-05-01T00:00Z",
                         "--now", later, "--format", "json"))
    assert doc["escalated"] == [] and len(doc["overdue"]) == 2
    assert not any(a["escalated"] for a in _alerts(db))
    with open_store(db, read_only=True) as store:
        assert not [e for e in list_entries(store, limit=1000)
                    if e.action.startswith("alerts.escalate")]
    done = json.loads(_ok("alerts", "escalate", "--db", str(db), "--user", "rauf",
                          "--now", later, "--format", "json"))
    assert len(done) == 3 and all(a["escalated"] for a in done)
    with open_store(db, read_only=True) as store:
        runs = list_entries(store, action="alerts.escalate.run", limit=10)
    assert [e.actor for e in runs] == ["rauf"]


# -- ports, numbers, files ---------------------------------------------------------------
def test_listen_refuses_a_port_out_of_range_before_binding(tmp_path: Path) -> None:
    # was OverflowError from bind() after the runtime had started
    message = _refused("listen", "--db", str(tmp_path / "k.duckdb"), "--udp", "70000")
    assert message == "--udp 70000 is out of range: allowed 0..65535"


def test_serve_refuses_a_port_out_of_range_before_starting(tmp_path: Path) -> None:
    message = _refused("serve", "--db", str(tmp_path / "k.duckdb"), "--port", "70000")
    assert message == "--port 70000 is out of range: allowed 0..65535"


def test_map_refuses_an_absurd_resolution(tmp_path: Path) -> None:
    # 10**30 dpi was a TypeError from matplotlib's renderer
    message = _refused("map", "--out", str(tmp_path / "m.png"), "--dpi", str(10**30))
    assert "allowed 30..600" in message


def test_a_config_that_is_not_toml_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "k.toml"
    bad.write_bytes(b"\xff\xfe binary")
    _refused("zones", "--config", str(bad), error=ConfigError)
    bad.write_text("mmsi,timestamp\n")
    _refused("zones", "--config", str(bad), error=ConfigError)


def test_a_binary_file_where_text_is_expected_is_bad_input() -> None:
    # was a UnicodeDecodeError traceback
    message = _refused("solve-game", "/bin/ls")
    assert "not UTF-8 text" in message
