"""One dispatch for the CLI and the API: the same options and recommendation for the same
alert and picture time, one audited ``dispatch.order`` whichever way the boat was sent,
and ``khazar fleet --set`` audited. The audit chain still verifies afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from khazar.api.server import KhazarServer, ServeOptions
from khazar.cli import app
from khazar.config import load_settings
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.domain.fleet import BoatState
from khazar.errors import AuthenticationError, InputError
from khazar.services.alerts import acknowledge_alert
from khazar.services.users import add_user
from khazar.store import Store, open_store
from khazar.store.alerts import get_alert, upsert_alerts
from khazar.store.audit import list_entries
from khazar.store.fleet import fleet_status
from khazar.store.ingest import rebuild_state

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
TARGET = 273000001
ALERT = "Aspine01"
PASSWORD = "correct horse battery"
#: the target's newest fix: the picture time, the decision time
PICTURE_T = T0 + timedelta(minutes=12)
SETTINGS = load_settings()
BOATS = {b.name: b for b in SETTINGS.fleet}

runner = CliRunner()


def _fix(store: Store, mmsi: int, t: datetime, lat: float, lon: float,
         exercise: bool = False) -> None:
    store.conn.execute(
        "INSERT INTO positions (mmsi, ts, lat, lon, msg_type, source, exercise, report_ts, "
        "msg_key) VALUES (?, ?, ?, ?, 1, 'test', ?, ?, ?)",
        [mmsi, t, lat, lon, exercise, t, hash((mmsi, t, exercise)) % 2**63])


def build(path: Path) -> Path:
    """A target heading east at ~10 kn north of Sangachal, an acknowledged alert on it,
    and boats whose AIS fixes test the one rule for where a boat is:

    - SBS-11 (based far east at Neft Daslari) heard 2 min before the picture time, close
      to the target: it starts from that fix, and is the fastest;
    - SBS-12, same base, heard there two hours earlier: too old, it starts from its base;
    - SBS-07 heard close to the target only after the picture time: its base;
    - SBS-08 close to the target in the exercise picture: a live alert ignores it.
    """
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(path) as store:
        add_user(store, "omar", PASSWORD, "operator", actor="test", hasher=fast)
        for i in range(5):
            _fix(store, TARGET, T0 + timedelta(minutes=3 * i), 40.05, 49.60 + 0.011 * i)
        _fix(store, BOATS["SBS-11"].mmsi, PICTURE_T - timedelta(minutes=2), 40.07, 49.70)
        _fix(store, BOATS["SBS-12"].mmsi, PICTURE_T - timedelta(hours=2), 40.07, 49.70)
        _fix(store, BOATS["SBS-07"].mmsi, PICTURE_T + timedelta(minutes=5), 40.07, 49.70)
        _fix(store, BOATS["SBS-08"].mmsi, PICTURE_T - timedelta(minutes=1), 40.07, 49.70,
             exercise=True)
        upsert_alerts(store, [Alert(
            id=ALERT, rule="loitering-corridor", type="loitering", severity=Severity.high,
            score=62.0, state=AlertState.new, mmsi=TARGET, other_mmsi=None,
            asset_id="acg-sangachal", zone_id=None, lat=40.05, lon=49.644, first_ts=T0,
            last_ts=PICTURE_T, event_ids=("ev-1",), summary="loitering over a pipeline",
            created_at=T0, updated_at=T0)])
        acknowledge_alert(store, ALERT, "omar", PICTURE_T + timedelta(minutes=1))
        rebuild_state(store)  # the fixes went in by hand, not through ingest
    return path


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    """omar's password, for the commands that write (authenticated)."""
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)


@pytest.fixture(scope="module")
def api_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("api") / "k.duckdb")


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("cli") / "k.duckdb")


@pytest.fixture(scope="module")
def served(api_db: Path) -> Iterator[tuple[str, KhazarServer]]:
    server = KhazarServer(SETTINGS, ServeOptions(db=api_db, port=0, detect=False))
    url = server.start_background()
    try:
        yield url, server
    finally:
        server.stop()


def _cli_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def _plan_part(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: plan[k] for k in ("alert_id", "decided_at", "exercise", "target", "recommended",
                                 "options", "unavailable")}


def _orders(store: Store) -> list[dict[str, Any]]:
    out = []
    for e in list_entries(store):
        if e.action == "dispatch.order":
            detail = json.loads(e.detail) if isinstance(e.detail, str) else dict(e.detail or {})
            out.append({"actor": e.actor, "target": e.target, **detail})
    return out


def test_the_cli_and_the_api_plan_the_same_dispatch(
    cli_db: Path, served: tuple[str, KhazarServer]
) -> None:
    url, _ = served
    cli_plan = _cli_json("dispatch", "--db", str(cli_db), "--alert", ALERT)
    with closing(httpx.Client(base_url=url, timeout=60)) as client:
        r = client.post("/api/login", json={"username": "omar", "password": PASSWORD})
        assert r.status_code == 200, r.text
        api_plan = client.get(f"/api/alerts/{ALERT}/dispatch").json()
    assert _plan_part(cli_plan) == _plan_part(api_plan)
    assert api_plan["decided_at"] == PICTURE_T.isoformat(timespec="seconds")
    start = {o["boat"]: o["from"] for o in api_plan["options"]}
    # the one rule for where a boat is (see build)
    assert start["SBS-11"] == [40.07, 49.70]
    for name in ("SBS-12", "SBS-07", "SBS-08"):
        assert start[name] == [BOATS[name].base_lat, BOATS[name].base_lon], name
    assert api_plan["recommended"] == "SBS-11"


def test_dispatch_through_the_cli_and_the_api_leaves_one_order_each(
    cli_db: Path, api_db: Path, served: tuple[str, KhazarServer]
) -> None:
    url, server = served
    sent = _cli_json("dispatch", "--db", str(cli_db), "--alert", ALERT, "--assign",
                     "--user", "omar")
    assert sent["assigned"]["boat"] == sent["recommended"] == "SBS-11"
    with closing(httpx.Client(base_url=url, timeout=60)) as client:
        login = client.post("/api/login", json={"username": "omar", "password": PASSWORD})
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        r = client.post(f"/api/alerts/{ALERT}/dispatch", json={"boat": "SBS-11"},
                        headers=headers)
        assert r.status_code == 200, r.text
    server.stop()  # release the store to read it
    results = []
    for db in (cli_db, api_db):
        with open_store(db, read_only=True) as store:
            orders = _orders(store)
            actions = [e.action for e in list_entries(store) if e.target == ALERT]
            alert = get_alert(store, ALERT)
            boats = {s.boat: s for s in fleet_status(store, SETTINGS.fleet)}
        assert len(orders) == 1, orders
        # one record of the dispatch: no separate alerts.assign entry
        assert actions == ["alerts.ack", "dispatch.order"], actions
        assert alert.state is AlertState.assigned and alert.assigned_boat == "SBS-11"
        assert boats["SBS-11"].status is BoatState.dispatched
        assert boats["SBS-11"].detail == ALERT
        results.append(orders[0])
        verified = runner.invoke(app, ["audit", "verify", "--db", str(db)])
        assert verified.exit_code == 0, verified.output
    cli_order, api_order = results
    for key in ("actor", "target", "boat", "eta_s", "distance_m", "recommended", "decided_at"):
        assert cli_order[key] == api_order[key], key
    assert cli_order["decided_at"] == PICTURE_T.isoformat()
    assert cli_order["recommended"] == "SBS-11" and cli_order["eta_s"] > 0


def test_cli_dispatch_refuses_bad_input_clearly(tmp_path: Path) -> None:
    db = build(tmp_path / "k.duckdb")
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--alert", ALERT, "--assign"])
    assert isinstance(res.exception, AuthenticationError) and "--user" in str(res.exception)
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--alert", ALERT, "--assign",
                              "--user", "omar", "--boat", "SBS-99"])
    assert isinstance(res.exception, InputError) and "SBS-99" in str(res.exception)
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--mmsi", str(TARGET), "--assign",
                              "--user", "omar"])
    assert isinstance(res.exception, InputError) and "--alert" in str(res.exception)
    with open_store(db, read_only=True) as store:
        assert _orders(store) == []


def test_fleet_set_is_audited(tmp_path: Path) -> None:
    db = build(tmp_path / "k.duckdb")
    rows = _cli_json("fleet", "--db", str(db), "--set", "SBS-03", "--status", "maintenance",
                     "--detail", "engine", "--user", "omar")
    assert next(r for r in rows if r["boat"] == "SBS-03")["status"] == "maintenance"
    res = runner.invoke(app, ["fleet", "--db", str(db), "--set", "SBS-04", "--status",
                              "maintenance"])
    assert isinstance(res.exception, AuthenticationError) and "--user" in str(res.exception)
    res = runner.invoke(app, ["fleet", "--db", str(db), "--set", "SBS-99", "--status",
                              "available", "--user", "omar"])
    assert isinstance(res.exception, InputError) and "SBS-99" in str(res.exception)
    with open_store(db, read_only=True) as store:
        entries = [e for e in list_entries(store) if e.action == "fleet.status"]
    assert [(e.actor, e.target) for e in entries] == [("omar", "SBS-03")]
    detail = entries[0].detail
    parsed = json.loads(detail) if isinstance(detail, str) else dict(detail or {})
    assert parsed == {"status": "maintenance", "detail": "engine"}
    verified = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert verified.exit_code == 0, verified.output
