"""The patrol commands through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.cli import app
from khazar.store import open_store

runner = CliRunner()

GAME = {
    "resources": 1,
    "zero_sum": False,
    "targets": [
        {"id": i, "defender_covered": dc, "defender_uncovered": du, "attacker_covered": ac,
         "attacker_uncovered": au}
        for i, dc, du, ac, au in [("a", 2, -10, -7, 4), ("b", 7, -4, -1, 3), ("c", 6, -1, -6, 5),
                                  ("d", 9, -9, -3, 7), ("e", 9, -9, -10, 3)]
    ],
}


def test_solve_game_prints_the_contract(tmp_path: Path) -> None:
    f = tmp_path / "g.json"
    f.write_text(json.dumps(GAME))
    for solver in ("origami", "multiple-lp", "eraser"):
        res = runner.invoke(app, ["solve-game", str(f), "--solver", solver])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert out["status"] == "optimal"
        assert abs(out["defender_utility"] - 0.614850) < 1e-6
        assert out["attacked_target"] == "c"
        assert abs(out["coverage"]["d"] - 0.4538) < 1e-4


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operators' password, for the commands that write (authenticated)."""
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)


def test_solve_game_names_the_bad_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(GAME))
    del bad["targets"][2]["attacker_covered"]
    f = tmp_path / "g.json"
    f.write_text(json.dumps(bad))
    res = runner.invoke(app, ["solve-game", str(f)])
    assert res.exit_code != 0
    assert "targets[2].attacker_covered" in str(res.exception)


def test_fleet_and_dispatch_to_a_tracked_vessel(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    add_users(db, ("omar", "operator"))
    t0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with open_store(db) as store:
        for i in range(5):  # a vessel heading east at ~10 kn north of Sangachal
            store.conn.execute(
                "INSERT INTO positions (mmsi, ts, lat, lon, msg_type, source, report_ts, "
                "msg_key) VALUES (?, ?, ?, ?, 1, 'test', ?, ?)",
                [273000001, t0 + timedelta(minutes=3 * i), 40.05, 49.60 + 0.011 * i,
                 t0 + timedelta(minutes=3 * i), i])
    res = runner.invoke(app, ["fleet", "--db", str(db), "--set", "SBS-04", "--status",
                              "maintenance", "--user", "omar", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert next(r for r in rows if r["boat"] == "SBS-04")["status"] == "maintenance"
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--mmsi", "273000001",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert 8.0 < out["target"]["speed_kn"] < 12.0
    boats = [o["boat"] for o in out["options"]]
    assert "SBS-04" not in boats and len(boats) == 11
    etas = [o["eta_min"] for o in out["options"]]
    assert etas == sorted(etas)
    assert out["recommended"] == boats[0]
    assert out["options"][0]["base"] in ("Sangachal", "Baku")


def test_dispatch_to_an_alert(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    add_users(db, ("omar", "operator"))
    t0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with open_store(db) as store:
        store.conn.execute(
            "INSERT INTO alerts (id, rule, type, severity, score, state, mmsi, lat, lon, first_ts, "
            "last_ts, event_ids, event_count, summary, created_at, updated_at) VALUES "
            "('al-1', 'r', 'loitering', 'high', 0.9, 'new', NULL, 40.0, 50.2, ?, ?, '[]', 1, "
            "'loitering over SD pipeline', ?, ?)", [t0, t0, t0, t0])
    res = runner.invoke(app, ["alerts", "ack", "al-1", "--db", str(db), "--user", "omar"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--alert", "al-1", "--now",
                              t0.isoformat(), "--assign", "--user", "omar", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["target"]["speed_kn"] == 0.0
    rec = out["recommended"]
    res = runner.invoke(app, ["fleet", "--db", str(db), "--format", "json"])
    status = {r["boat"]: (r["status"], r["detail"]) for r in json.loads(res.stdout)}
    assert status[rec] == ("dispatched", "al-1")
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--alert", "nope"])
    assert res.exit_code != 0 and "nope" in str(res.exception)


def test_dispatch_assign_stores_its_route_and_prints_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`khazar dispatch --assign` stores the route as the console's dispatch does (it is
    read back after the store is re-opened), and says when the intercept was capped."""
    from khazar.store.dispatches import list_routes

    monkeypatch.setenv("KHAZAR_DISPATCH__MAX_EXTRAPOLATION_MIN", "1")
    db = tmp_path / "k.duckdb"
    add_users(db, ("omar", "operator"))
    t0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with open_store(db) as store:
        for i in range(5):  # heading east at ~10 kn north of Sangachal
            store.conn.execute(
                "INSERT INTO positions (mmsi, ts, lat, lon, msg_type, source, report_ts, "
                "msg_key) VALUES (?, ?, ?, ?, 1, 'test', ?, ?)",
                [273000001, t0 + timedelta(minutes=3 * i), 40.05, 49.60 + 0.011 * i,
                 t0 + timedelta(minutes=3 * i), i])
        store.conn.execute(
            "INSERT INTO alerts (id, rule, type, severity, score, state, mmsi, lat, lon, "
            "first_ts, last_ts, event_ids, event_count, summary, created_at, updated_at) "
            "VALUES ('al-2', 'r', 'loitering', 'high', 0.9, 'acknowledged', 273000001, 40.05, "
            "49.64, ?, ?, '[]', 1, 'loitering', ?, ?)", [t0, t0, t0, t0])
    res = runner.invoke(app, ["dispatch", "--db", str(db), "--alert", "al-2", "--assign",
                              "--user", "omar", "--now",
                              (t0 + timedelta(minutes=12)).isoformat()])
    assert res.exit_code == 0, res.output
    assert "capped at 1.0 min" in res.stdout
    assert "at most 1.0 min past its last fix" in res.stdout
    with open_store(db, read_only=True) as store:
        routes = list_routes(store)
    assert len(routes) == 1
    route = routes[0]
    assert route.alert_id == "al-2" and route.actor == "omar" and route.capped
    assert route.cap_s == 60.0 and route.extrapolated_s == 60.0
    assert len(route.coords) >= 2
    assert route.coords[-1] == pytest.approx((route.intercept_lon, route.intercept_lat),
                                             abs=1e-5)
