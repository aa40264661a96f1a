"""CLI commands reach a running ``khazar serve`` through its API.

The server is the real command in its own process (it holds the store's lock); the CLI
runs here, finds the store locked, reads the holder's address from its command line and
acts as the ``--user`` given, with the password from ``KHAZAR_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import ALERT_IDS, DISPATCH_IDS, PASSWORD, SHIPS, START, build_store
from tests.api.feed import position_lines
from tests.serving import wait_until_serving
from typer.testing import CliRunner

from khazar.api.remote import server_url_from_args
from khazar.cli import app
from khazar.domain import Event
from khazar.errors import InputError, PermissionDeniedError, StoreLockedError
from khazar.store import open_store
from khazar.store.audit import list_entries
from khazar.store.events import upsert_events

KHAZAR = Path(sys.executable).with_name("khazar")


@dataclass
class Running:
    db: Path
    url: str
    process: subprocess.Popen[bytes]
    udp_port: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    db = tmp_path_factory.mktemp("remote") / "khazar.duckdb"
    build_store(db)
    ship = SHIPS[2]
    with open_store(db) as store, store.transaction() as conn:
        upsert_events(conn, [
            Event("loitering", ship.mmsi, START, START + timedelta(minutes=25), ship.lat,
                  ship.lon, asset_id="acg-sangachal", evidence={"radius_m": 800.0}),
            Event("ais_gap", SHIPS[0].mmsi, START + timedelta(minutes=5),
                  START + timedelta(minutes=20), SHIPS[0].lat, SHIPS[0].lon),
        ], START + timedelta(minutes=30))
    port, udp = _free_port(), _free_udp_port()
    log = (db.parent / "serve.log").open("wb")
    # a feed port whose senders may each send 50 lines a second (bursts of 100)
    process = subprocess.Popen(
        [str(KHAZAR), "serve", "--db", str(db), "--port", str(port), "--udp", str(udp)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "KHAZAR_INGEST__RATE_LINES_S": "50",
             "KHAZAR_INGEST__RATE_BURST_S": "2"})
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, url, db.parent / "serve.log", 60.0, "/api/openapi.json")
    try:
        yield Running(db, url, process, udp)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _cli(args: list[str], password: str | None = PASSWORD, stdin: str | None = None) -> object:
    env = {"KHAZAR_PASSWORD": password} if password else {}
    result = CliRunner().invoke(app, args, env=env, input=stdin)
    return result


def _ok(args: list[str], stdin: str | None = None) -> str:
    result = _cli(args, stdin=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)  # type: ignore[attr-defined]
    return str(result.stdout)  # type: ignore[attr-defined]


def test_the_store_is_locked_by_the_server(running: Running) -> None:
    with pytest.raises(StoreLockedError, match=r"PID \d+ \(.*khazar serve"):
        open_store(running.db)


def test_alert_life_cycle_through_the_api(running: Running) -> None:
    db = ["--db", str(running.db)]
    listed = json.loads(_ok(["alerts", *db, "--user", "omar", "--format", "json"]))
    assert set(ALERT_IDS) <= {a["id"] for a in listed}
    aid = ALERT_IDS[0]
    acked = json.loads(_ok(["alerts", "ack", aid, *db, "--user", "omar", "--format", "json"]))
    assert acked["id"] == aid and acked["state"] == "acknowledged"
    assigned = json.loads(_ok(["alerts", "assign", aid, *db, "--user", "omar",
                               "--boat", "SBS-03", "--format", "json"]))
    assert assigned["state"] == "assigned" and assigned["assigned_boat"] == "SBS-03"
    assert "note added to" in _ok(["alerts", "note", aid, *db, "--user", "anna",
                                   "--text", "AIS history checked"])
    resolved = json.loads(_ok(["alerts", "resolve", aid, *db, "--user", "omar",
                               "--reason", "fishing boat, no threat", "--format", "json"]))
    assert resolved["state"] == "resolved"
    shown = json.loads(_ok(["alerts", "show", aid, *db, "--user", "vera", "--format", "json"]))
    assert [t["to"] for t in shown["transitions"]] == ["acknowledged", "assigned", "resolved"]
    assert [(n["author"], n["text"]) for n in shown["notes"]] == [("anna",
                                                                  "AIS history checked")]
    table = _ok(["alerts", "show", aid, *db, "--user", "vera"])
    assert "omar: assigned → resolved boat SBS-03" in table
    handover = json.loads(_ok(["handover", *db, "--user", "omar", "--since",
                               (START - timedelta(hours=1)).isoformat(), "--format", "json"]))
    assert aid not in {a["id"] for a in handover["open"]}
    assert {r["id"] for r in handover["resolved_since"]} >= {aid}
    # the role is the server's to check: a viewer cannot acknowledge through the CLI
    refused = _cli(["alerts", "ack", ALERT_IDS[1], *db, "--user", "vera"])
    assert isinstance(refused.exception, PermissionDeniedError)  # type: ignore[attr-defined]
    assert "alerts.ack" in str(refused.exception)  # type: ignore[attr-defined]
    # the server stamps actions with its own clock
    clocked = _cli(["alerts", "ack", ALERT_IDS[1], *db, "--user", "omar",
                    "--now", "2026-11-20T09:00Z"])
    assert isinstance(clocked.exception, InputError)  # type: ignore[attr-defined]


def test_events_through_the_api(running: Running) -> None:
    db = ["--db", str(running.db)]
    events = json.loads(_ok(["events", *db, "--user", "vera", "--format", "json"]))
    assert [e["type"] for e in events] == ["loitering", "ais_gap"]  # oldest first
    assert events[0]["evidence"] == {"radius_m": 800.0}
    only = json.loads(_ok(["events", *db, "--user", "vera", "--type", "ais_gap",
                           "--format", "json"]))
    assert [e["mmsi"] for e in only] == [SHIPS[0].mmsi]


def test_users_through_the_api(running: Running) -> None:
    db = ["--db", str(running.db)]
    admin = ["--user", "ada"]
    out = _ok(["users", "add", "kamal", "--role", "operator", "--password-stdin", *db, *admin],
              stdin=PASSWORD + "\n")
    assert "user kamal added with role operator" in out
    names = {u["username"]: u for u in
             json.loads(_ok(["users", "list", *db, *admin, "--format", "json"]))}
    assert names["kamal"]["role"] == "operator" and not names["kamal"]["disabled"]
    # kamal logs in to the console; disabling kamal ends that session at once
    session = httpx.post(running.url + "/api/login",
                         json={"username": "kamal", "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {session['token']}"}
    assert httpx.get(running.url + "/api/me", headers=bearer).status_code == 200
    out = _ok(["users", "disable", "kamal", *db, *admin])
    assert "user kamal is disabled (1 open session ended)" in out
    assert httpx.get(running.url + "/api/me", headers=bearer).status_code == 401
    assert "enabled" in _ok(["users", "enable", "kamal", *db, *admin])
    assert "now has role viewer" in _ok(["users", "role", "kamal", "viewer", *db, *admin])
    # only an admin may: an operator's login is refused by role
    refused = _cli(["users", "disable", "vera", *db, "--user", "omar"])
    assert isinstance(refused.exception, PermissionDeniedError)  # type: ignore[attr-defined]


def test_without_a_user_the_error_says_how(running: Running) -> None:
    result = _cli(["users", "list", "--db", str(running.db)], password=None)
    assert isinstance(result.exception, InputError)  # type: ignore[attr-defined]
    message = str(result.exception)  # type: ignore[attr-defined]
    assert running.url in message and "--user" in message and "KHAZAR_PASSWORD" in message


def test_dispatch_and_fleet_through_the_api(running: Running) -> None:
    db = ["--db", str(running.db)]
    aid = DISPATCH_IDS[0]
    _ok(["alerts", "ack", aid, *db, "--user", "omar"])
    plan = json.loads(_ok(["dispatch", *db, "--alert", aid, "--user", "omar",
                           "--format", "json"]))
    served = httpx.Client(base_url=running.url, timeout=60)
    with served:
        served.post("/api/login", json={"username": "omar", "password": PASSWORD})
        assert plan == {**served.get(f"/api/alerts/{aid}/dispatch").json(), "replan": None}
    sent = json.loads(_ok(["dispatch", *db, "--alert", aid, "--assign", "--user", "omar",
                           "--format", "json"]))
    assert sent["assigned"]["boat"] == plan["recommended"]
    rows = json.loads(_ok(["fleet", *db, "--set", "SBS-09", "--status", "maintenance",
                           "--user", "omar", "--format", "json"]))
    status = {r["boat"]: (r["status"], r["detail"]) for r in rows}
    assert status["SBS-09"] == ("maintenance", None)
    assert status[plan["recommended"]] == ("dispatched", aid)
    clocked = _cli(["dispatch", *db, "--alert", aid, "--user", "omar", "--now",
                    "2026-11-20T09:00Z"])
    assert isinstance(clocked.exception, InputError)  # type: ignore[attr-defined]


def test_sessions_and_own_password_through_the_cli(running: Running) -> None:
    db = ["--db", str(running.db)]
    _ok(["users", "add", "rasul", "--role", "viewer", "--password-stdin", *db, "--user", "ada"],
        stdin="dark water near shah deniz\n")
    with httpx.Client(base_url=running.url, timeout=30) as other:
        assert other.post("/api/login", json={"username": "rasul", "password":
                                              "dark water near shah deniz"}).status_code == 200
        listed = json.loads(_ok(["users", "sessions", *db, "--user", "ada", "--format",
                                 "json"]))
        handle = next(s["handle"] for s in listed if s["username"] == "rasul")
        assert "ended" in _ok(["users", "end-session", handle, *db, "--user", "ada"])
        assert other.get("/api/me").status_code == 401
    refused = _cli(["users", "sessions", *db, "--user", "vera"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output  # type: ignore[attr-defined]
    # the user's own password: logs in with the current one, gives the new one on stdin
    changed = _cli(["users", "change-password", "--password-stdin", *db, "--user", "rasul"],
                   password="dark water near shah deniz", stdin="light rain over the bay\n")
    assert changed.exit_code == 0, changed.output  # type: ignore[attr-defined]
    assert "password of rasul changed" in changed.stdout  # type: ignore[attr-defined]
    assert httpx.post(running.url + "/api/login", json={
        "username": "rasul", "password": "light rain over the bay"}).status_code == 200
    weak = _cli(["users", "change-password", "--password-stdin", *db, "--user", "rasul"],
                password="light rain over the bay", stdin="password1234\n")
    assert weak.exit_code != 0 and "too common" in str(weak.exception)  # type: ignore[attr-defined]


def test_status_shows_the_lines_refused_per_sender(running: Running) -> None:
    """A sender flooding the feed port is refused over its own rate; another sender's lines
    all go in; `khazar status` through the server says who was refused, and why."""
    ship = SHIPS[3]
    honest = position_lines(ship.mmsi, START + timedelta(hours=2), ship.lat, ship.lon,
                            ship.sog_kn, ship.cog_deg)
    flood = position_lines(SHIPS[4].mmsi, START + timedelta(hours=2), SHIPS[4].lat,
                           SHIPS[4].lon, SHIPS[4].sog_kn, SHIPS[4].cog_deg)[0]
    for sender, lines in (("127.0.0.2", [flood] * 300), ("127.0.0.1", honest * 5)):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            tx.bind((sender, 0))
            tx.sendto(("\r\n".join(lines) + "\r\n").encode(), ("127.0.0.1", running.udp_port))
    want = 300 + 5 * len(honest)
    token = httpx.post(running.url + "/api/login",
                       json={"username": "ada", "password": PASSWORD}).json()["token"]
    deadline = time.monotonic() + 30
    while True:
        feeds = httpx.get(running.url + "/api/status",
                          headers={"Authorization": f"Bearer {token}"}).json()["feeds"]
        (row,) = [f for f in feeds if f["source"] == f"udp:{running.udp_port}"] or [None]
        if row is not None and row["accepted"] + row["rejected"] >= want:
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.1)
    assert row["by_reason"] == {"rate_limited": 200}
    assert row["accepted"] == 100 + 5 * len(honest)  # the other sender's lines, every one
    assert row["refused_by_sender"] == {"127.0.0.2": {"rate_limited": 200}}
    shown = _ok(["status", "--db", str(running.db), "--user", "ada"])
    assert "127.0.0.2" in shown and "rate_limited 200" in shown
    listed = json.loads(_ok(["status", "--db", str(running.db), "--user", "ada",
                             "--format", "json"]))
    (mine,) = [f for f in listed["feeds"] if f["source"] == f"udp:{running.udp_port}"]
    assert mine["refused_by_sender"] == {"127.0.0.2": {"rate_limited": 200}}


def test_actions_are_the_named_users_in_the_audit_log(running: Running) -> None:
    """Last in this module: stops the server to read the store it held."""
    running.process.terminate()
    running.process.wait(timeout=20)
    with open_store(running.db) as store:
        entries = [(e.actor, e.action, e.target) for e in list_entries(store)]
    assert ("omar", "alerts.ack", ALERT_IDS[0]) in entries
    assert ("anna", "alerts.note", ALERT_IDS[0]) in entries
    assert ("ada", "users.disable", "kamal") in entries
    assert [e for e in entries if e[1] == "dispatch.order"] == [
        ("omar", "dispatch.order", DISPATCH_IDS[0])]
    assert ("omar", "fleet.status", "SBS-09") in entries
    verified = CliRunner().invoke(app, ["audit", "verify", "--db", str(running.db)])
    assert verified.exit_code == 0, verified.output


def test_server_address_from_the_holders_command_line() -> None:
    assert server_url_from_args(["/v/python", "/v/khazar", "serve", "--db", "k.duckdb"]) == (
        "http://127.0.0.1:8000")
    assert server_url_from_args(["khazar", "serve", "--host=0.0.0.0", "--port", "9001"]) == (
        "http://127.0.0.1:9001")
    assert server_url_from_args(["khazar", "demo", "--port", "8100"]) == "http://127.0.0.1:8100"
    # an ingest holding the store serves nothing: the lock error stands
    assert server_url_from_args(["khazar", "ingest", "feed.nmea", "--db", "k.duckdb"]) is None
    assert os.environ.get("KHAZAR_SERVER") is None
