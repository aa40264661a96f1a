"""Exercise mode end to end in the API: a director starts a red-team scenario, its traffic
goes through detection and the alert rules flagged exercise, an operator responds, the
director finishes it and reads the score sheet. Live picture and scorecard stay clean."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from tests.api.conftest import PASSWORD
from tests.exercise_truth import planted_intruder

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.audit import list_entries

USERS = {"xena": "exercise_director", "omar": "operator", "vera": "viewer"}


INTRUDER = planted_intruder()


@pytest.fixture(scope="module")
def url_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, KhazarServer]]:
    db: Path = tmp_path_factory.mktemp("exercise") / "khazar.duckdb"
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(db) as store:
        for name, role in USERS.items():
            add_user(store, name, PASSWORD, role, actor="test", hasher=fast)
    server = KhazarServer(load_settings(), ServeOptions(db=db, port=0, live_period_s=0.5))
    url = server.start_background()
    try:
        yield url, server
    finally:
        server.stop()


def _login(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    r = client.post("/api/login", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def _wait(what: str, probe: object, timeout_s: float = 90.0) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        got = probe()  # type: ignore[operator]
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_exercise_is_detected_flagged_scored(url_server: tuple[str, KhazarServer]) -> None:
    url, server = url_server
    start = {"scenario": "safety_zone_entry", "hours": 1.0, "speed": 900, "seed": 3,
             "density": 0.03}
    director, operator, viewer = (_login(url, u) for u in ("xena", "omar", "vera"))
    with closing(director), closing(operator), closing(viewer):
        assert operator.post("/api/exercises", json=start).status_code == 403
        assert viewer.post("/api/exercises", json=start).status_code == 403
        bad = director.post("/api/exercises", json={**start, "scenario": "picnic"})
        assert bad.status_code == 400 and "picnic" in bad.json()["detail"]
        r = director.post("/api/exercises", json=start)
        assert r.status_code == 200, r.text
        run_id = r.json()["id"]
        assert director.post("/api/exercises", json=start).status_code == 409  # one at a time

        def exercise_alert() -> dict[str, object] | None:
            fc = operator.get("/api/alerts", params={"exercise": "true"}).json()
            hits = [f for f in fc["features"] if f["properties"]["mmsi"] == INTRUDER]
            return hits[0] if hits else None

        alert = _wait("the exercise alert", exercise_alert)
        assert isinstance(alert, dict)
        assert alert["properties"]["exercise"] is True
        live = operator.get("/api/alerts").json()["features"]
        assert all(not f["properties"]["exercise"] for f in live)
        assert operator.get("/api/vessels").json()["numberMatched"] == 0  # live picture clean
        # one clock: a replay at 900 × real time ends at the wall clock, never ahead of it
        picture = operator.get("/api/vessels", params={"exercise": "true"}).json()
        wall = datetime.now(UTC)
        assert datetime.fromisoformat(picture["pictureTime"]) <= wall
        run0 = director.get(f"/api/exercises/{run_id}").json()
        assert datetime.fromisoformat(run0["sim_end"]) <= wall + timedelta(seconds=5)
        assert datetime.fromisoformat(run0["sim_start"]) < datetime.fromisoformat(
            run0["started_at"])
        aid = alert["id"]
        assert operator.post(f"/api/alerts/{aid}/acknowledge").status_code == 200
        plan = operator.get(f"/api/alerts/{aid}/dispatch").json()
        r = operator.post(f"/api/alerts/{aid}/dispatch", json={"boat": plan["recommended"]})
        assert r.status_code == 200, r.text
        eta_s = r.json()["eta_min"] * 60.0  # the ETA at the order (the target moves on)
        assert r.json()["route"]["properties"]["exercise"] is True  # drawn in its picture
        assert operator.post(f"/api/exercises/{run_id}/finish").status_code == 403
        r = director.post(f"/api/exercises/{run_id}/finish")
        assert r.status_code == 200, r.text
        run = r.json()
        assert run["state"] == "finished" and run["finished_by"] == "xena"
        sheet = run["score"]
        assert (sheet["planted"], sheet["raised"], sheet["missed"]) == (1, 1, 0)
        (row,) = sheet["behaviours"]
        assert row["mmsis"] == [INTRUDER] and aid in row["alerts"]
        assert 0 < row["time_to_ack_s"] <= row["time_to_dispatch_s"]
        assert row["boat"] == plan["recommended"]
        assert row["time_to_intercept_s"] == pytest.approx(row["time_to_dispatch_s"] + eta_s,
                                                           abs=6.1)
        assert director.post(f"/api/exercises/{run_id}/finish").status_code == 409
        listed = viewer.get("/api/exercises").json()["exercises"]
        assert [x["id"] for x in listed] == [run_id] and listed[0]["lines_sent"] > 1000
        card = viewer.get("/api/scorecard").json()
        assert card["totals"]["alerts"] == 0 and card["totals"]["vessels"] == 0
    with server.state.locked() as store:
        actions = [e.action for e in list_entries(store, target=run_id)]
    assert actions == ["exercise.start", "exercise.finish"]


def test_a_run_left_open_by_a_stopped_server_is_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "khazar.duckdb"
    with open_store(db) as store:
        store.conn.execute(
            "INSERT INTO exercise_runs (id, scenario, hours, speed, seed, density, state, "
            "started_by, started_at, sim_start, sim_end) VALUES ('Xold', 'spoofing', 1, 60, "
            "1, 0.1, 'running', 'xena', now(), now(), now())")
    server = KhazarServer(load_settings(), ServeOptions(db=db, port=0))
    try:
        (run,) = server.state.exercises.runs()
        assert (run["id"], run["state"]) == ("Xold", "interrupted")
    finally:
        server.store.close()
