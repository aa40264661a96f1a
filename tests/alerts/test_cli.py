"""The alert commands end to end on a small store: events in, alerts out, life cycle,
hand-over, NMEA out and exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyais import decode
from pyais.encode import encode_dict
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.cli import app
from khazar.domain import Event
from khazar.errors import AlertStateError, InputError
from khazar.store import open_store
from khazar.store.audit import verify_store
from khazar.store.events import upsert_events

runner = CliRunner()
T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
NOW = "2026-05-01T09:00:00Z"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(*args: str, error: type[Exception], match: str) -> None:
    """The command raises the domain error (khazar's entry point turns it into an exit code)."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, error), result.output
    assert match in str(result.exception)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "k.duckdb"
    add_users(path, ("aysel", "operator"), ("rauf", "operator"))
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)
    drag = Event(
        "anchor_drag",
        273_123_456,
        T0,
        T0 + timedelta(minutes=40),
        40.2,
        50.6,
        zone_id="acg-30in-oil-corridor",
        asset_id="acg-30in-oil",
        evidence={"speed_in_corridor_kn": 6.4, "fixes": 80},
    )
    zone_exit = Event("zone_exit", 273_000_001, T0, T0, 40.0, 50.0)
    with open_store(path) as store, store.transaction() as conn:
        upsert_events(conn, [drag, zone_exit], T0)
    # one position report, as a receiver would send it (tag block with the receive time)
    [sentence] = encode_dict(
        {
            "msg_type": 1,
            "mmsi": 273_123_456,
            "lat": 40.2,
            "lon": 50.6,
            "speed": 6.45,
            "course": 87.55,
            "heading": 88,
            "status": 1,
            "second": 0,
        },
        talker_id="AI",
        sentence_type="VDM",
    )
    tag = f"s:TEST,c:{int((T0 + timedelta(minutes=40)).timestamp())}"
    feed = tmp_path / "feed.nmea"
    feed.write_text(f"\\{tag}*{_checksum(tag)}\\{sentence}\n")
    _run("ingest", str(feed), "--db", str(path), "--format", "json")
    return path


def _checksum(text: str) -> str:
    value = 0
    for ch in text:
        value ^= ord(ch)
    return f"{value:02X}"


def test_alert_life_cycle_from_the_command_line(db: Path) -> None:
    [alert] = json.loads(_run("alerts", "--db", str(db), "--format", "json", "--now", NOW))
    assert alert["rule"] == "anchor-drag" and alert["state"] == "new"
    assert alert["escalated"] is False  # raised "now": nothing is overdue yet
    aid = alert["id"]
    _fails(
        "alerts",
        "assign",
        aid,
        "--db",
        str(db),
        "--user",
        "aysel",
        "--boat",
        "SBS-01",
        error=AlertStateError,
        match="acknowledge it first",
    )
    _run("alerts", "ack", aid, "--db", str(db), "--user", "aysel", "--now", NOW)
    _run("alerts", "note", aid, "--db", str(db), "--user", "aysel", "--text", "no answer on 16")
    assigned = json.loads(
        _run(
            "alerts",
            "assign",
            aid,
            "--db",
            str(db),
            "--user",
            "aysel",
            "--boat",
            "SBS-07",
            "--format",
            "json",
            "--now",
            NOW,
        )
    )
    assert assigned["state"] == "assigned" and assigned["assigned_boat"] == "SBS-07"
    shown = json.loads(_run("alerts", "show", aid, "--db", str(db), "--format", "json"))
    assert [t["to"] for t in shown["transitions"]] == ["new", "acknowledged", "assigned"]
    assert shown["notes"][0]["text"] == "no answer on 16"
    handover = json.loads(
        _run(
            "handover",
            "--db",
            str(db),
            "--since",
            "2026-05-01T00:00Z",
            "--format",
            "json",
            "--now",
            NOW,
        )
    )
    assert handover["boats_assigned"] == {"SBS-07": [aid]}
    assert handover["open_by_severity"]["critical"] + handover["open_by_severity"]["high"] == 1
    _run(
        "alerts",
        "resolve",
        aid,
        "--db",
        str(db),
        "--user",
        "rauf",
        "--reason",
        "boarded, anchor was down",
        "--now",
        NOW,
    )
    assert json.loads(_run("alerts", "--db", str(db), "--open", "--format", "json")) == []
    with open_store(db, read_only=True) as store:
        assert verify_store(store).ok


def test_listing_later_does_not_escalate_escalate_does_under_its_user(db: Path) -> None:
    late = "2026-05-01T09:20:00Z"  # the alert has waited past alerts.escalate_after_min
    _run("alerts", "--db", str(db), "--format", "json", "--now", NOW)
    [alert] = json.loads(_run("alerts", "--db", str(db), "--format", "json", "--now", late))
    assert alert["escalated"] is False  # a listing only reads (it used to escalate)
    _run("alerts", "escalate", "--db", str(db), "--user", "rauf", "--now", late)
    [alert] = json.loads(_run("alerts", "--db", str(db), "--format", "json", "--now", late))
    assert alert["escalated"] is True
    with open_store(db, read_only=True) as store:
        assert verify_store(store).ok


def test_nmea_out_and_alert_exports(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "picture.nmea"
    _run("nmea-out", "--db", str(db), "--out", str(out))
    [line] = out.read_text().splitlines()
    msg = decode(line).asdict()
    assert (msg["mmsi"], msg["lat"], msg["lon"], msg["speed"], msg["course"]) == (
        273_123_456,
        40.2,
        50.6,
        6.4,
        87.5,
    )
    _run("alerts", "--db", str(db), "--now", NOW)
    kml = tmp_path / "alerts.kml"
    _run("export", "alerts", "--db", str(db), "--format", "kml", "--out", str(kml))
    assert "anchor-drag" in kml.read_text()
    _fails("nmea-out", "--db", str(db), error=InputError, match="exactly one of --to")
    _fails("cot", "--db", str(db), "--to", "http://x:1", error=InputError, match="udp://HOST")
