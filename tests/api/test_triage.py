"""The watch floor's triage through a real server (issue 15): the alert list in severity
then age order after an escalation, human titles and names, incidents (one ship dragging
its anchor across two lines), the alert detail, the capped intercept and dispatch routes
stored so they survive a server restart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from tests.api.feed import SHIPS, feed

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import Settings, load_settings
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.services.alerts import escalate_alerts
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.alerts import upsert_alerts
from khazar.store.events import upsert_events
from khazar.store.ingest import IngestRepo

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
AKTAU, TANKER, BALIQCI, SUPPLY = SHIPS[0], SHIPS[1], SHIPS[2], SHIPS[3]
CAP_MIN = 5.0


def _t(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _event(kind: str, mmsi: int, asset: str | None, zone: str | None, first: float,
           last: float, lat: float, lon: float) -> Event:
    return Event(type=kind, mmsi=mmsi, start=_t(first), end=_t(last), lat=lat, lon=lon,
                 zone_id=zone, asset_id=asset, evidence={"test": True})


def _alert(aid: str, kind: str, severity: Severity, state: AlertState, event: Event,
           created: float) -> Alert:
    assert event.mmsi is not None
    return Alert(
        id=aid, rule=f"rule-{kind}", type=kind, severity=severity, score=60.0, state=state,
        mmsi=event.mmsi, other_mmsi=None, asset_id=event.asset_id, zone_id=event.zone_id,
        lat=event.lat, lon=event.lon, first_ts=event.start, last_ts=event.end,
        event_ids=(event.id,), summary=f"{kind} of {event.mmsi}", created_at=_t(created),
        updated_at=_t(created),
    )


ACK = AlertState.acknowledged
#: the tanker drags its anchor across the 24-inch line, then the 30-inch one (overlapping)
DRAG_24 = _event("anchor_drag", TANKER.mmsi, "acg-24in-oil", "acg-24in-oil-corridor",
                 0, 20, TANKER.lat, TANKER.lon)
DRAG_30 = _event("anchor_drag", TANKER.mmsi, "acg-30in-oil", "acg-30in-oil-corridor",
                 10, 25, TANKER.lat, TANKER.lon)
#: hours later, the same tanker again: a new episode
LATER = _event("loitering", TANKER.mmsi, "acg-24in-oil", None, 400, 420,
               TANKER.lat, TANKER.lon)
OLD_HIGH = _event("loitering", AKTAU.mmsi, "sangachal", None, -90, -60,
                  AKTAU.lat, AKTAU.lon)
MEDIUM = _event("zone_entry", BALIQCI.mmsi, None, "aze-territorial-sea", -150, -120,
                BALIQCI.lat, BALIQCI.lon)
ESCAL = _event("spoofing", SUPPLY.mmsi, None, None, -40, -20, SUPPLY.lat, SUPPLY.lon)

ALERTS = (
    _alert("Adrag24", "anchor_drag", Severity.high, ACK, DRAG_24, 20),
    _alert("Adrag30", "anchor_drag", Severity.high, ACK, DRAG_30, 25),
    _alert("Alater", "loitering", Severity.low, ACK, LATER, 420),
    _alert("Aoldhigh", "loitering", Severity.high, ACK, OLD_HIGH, -60),
    _alert("Amedium", "zone_entry", Severity.medium, ACK, MEDIUM, -120),
    # new, unacknowledged: escalated to critical; its last activity is older than the
    # others', so an order by last activity puts it far down
    _alert("Aescal", "spoofing", Severity.high, AlertState.new, ESCAL, -30),
)
#: the watch floor's order: critical, then the highs oldest first, medium, low
EXPECTED = ["Aescal", "Aoldhigh", "Adrag24", "Adrag30", "Amedium", "Alater"]


def build_store(db: Path) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(db) as store:
        add_user(store, "omar", PASSWORD, "operator", actor="test", hasher=fast)
        ing = Ingestor(IngestRepo(store), run_source="test")
        ing.feed(RawLine(line, source="test") for line in feed(START, 30))
        ing.close()
        with store.transaction() as tx:
            upsert_events(tx, [DRAG_24, DRAG_30, LATER, OLD_HIGH, MEDIUM, ESCAL], _t(30))
        upsert_alerts(store, list(ALERTS))
        escalated = escalate_alerts(store, _t(30), timedelta(minutes=15))
        assert [a.id for a in escalated] == ["Aescal"]


def settings_with_cap() -> Settings:
    s = load_settings()
    return s.model_copy(update={"dispatch": s.dispatch.model_copy(
        update={"max_extrapolation_min": CAP_MIN})})


@dataclass
class Triage:
    url: str
    db: Path
    server: KhazarServer

    def login(self) -> tuple[httpx.Client, dict[str, str]]:
        client = httpx.Client(base_url=self.url, timeout=60)
        r = client.post("/api/login", json={"username": "omar", "password": PASSWORD})
        assert r.status_code == 200, r.text
        return client, {"X-CSRF-Token": r.json()["csrf_token"]}


def _post(client: httpx.Client, headers: dict[str, str], path: str, body: Any) -> Any:
    """POST as the logged-in operator; the answer's JSON (its 200 asserted)."""
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _serve(db: Path) -> KhazarServer:
    return KhazarServer(settings_with_cap(),
                        ServeOptions(db=db, port=0, live_period_s=0.5, detect=False))


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Triage]:
    db = tmp_path_factory.mktemp("triage") / "khazar.duckdb"
    build_store(db)
    server = _serve(db)
    url = server.start_background()
    holder = Triage(url, db, server)
    try:
        yield holder
    finally:
        holder.server.stop()


def _list(client: httpx.Client) -> list[dict[str, Any]]:
    r = client.get("/api/alerts")
    assert r.status_code == 200, r.text
    return [f["properties"] for f in r.json()["features"]]


def test_alerts_most_severe_first_then_the_longest_waiting(triage: Triage) -> None:
    client, _ = triage.login()
    with closing(client):
        props = _list(client)
    assert [p["id"] for p in props] == EXPECTED
    top = props[0]
    assert top["severity"] == "critical" and top["escalated"] is True
    assert datetime.fromisoformat(top["escalated_at"]) == _t(30)
    assert all(p["escalated_at"] is None and p["escalated"] is False for p in props[1:])


def test_titles_and_names_are_human(triage: Triage) -> None:
    client, _ = triage.login()
    with closing(client):
        by_id = {p["id"]: p for p in _list(client)}
    drag = by_id["Adrag24"]
    assert drag["title"] == "Anchor drag by XAZAR TANKER across the ACG 24-inch oil export line"
    assert drag["title_az"].startswith("Lövbərin sürüklənməsi: XAZAR TANKER")
    assert "ACG 24-inch oil export line" in drag["title_az"]
    assert drag["vessel_name"] == "XAZAR TANKER"
    assert drag["asset_name"] == "ACG 24-inch oil export line Chirag-1 → Sangachal"
    for p in by_id.values():
        assert "_" not in p["title"] and p["title_az"] and p["title"] != p["title_az"]
    assert by_id["Amedium"]["title"] == "BALIQCI 7 entered the AZE territorial sea"


def test_one_ship_dragging_across_two_lines_is_one_incident(triage: Triage) -> None:
    client, _ = triage.login()
    with closing(client):
        by_id = {p["id"]: p for p in _list(client)}
    a, b = by_id["Adrag24"], by_id["Adrag30"]
    assert a["incident_id"] == b["incident_id"] and a["incident_size"] == 2
    # the same tanker hours later is another episode; other vessels are their own
    assert by_id["Alater"]["incident_id"] != a["incident_id"]
    assert by_id["Alater"]["incident_size"] == 1
    assert len({p["incident_id"] for p in by_id.values()}) == 5


def test_alert_detail_has_vessel_assets_events_history_notes_incident(triage: Triage) -> None:
    client, headers = triage.login()
    with closing(client):
        _post(client, headers, "/api/alerts/Adrag24/notes", {"text": "MRCC informed"})
        r = client.get("/api/alerts/Adrag24")
        assert r.status_code == 200, r.text
        p = r.json()["properties"]
        listed = {q["id"]: q for q in _list(client)}
        escal = client.get("/api/alerts/Aescal").json()["properties"]
    assert p["vessel"] == {"mmsi": TANKER.mmsi, "name": "XAZAR TANKER", "imo": TANKER.imo,
                           "callsign": "4JAB", "flag": "Azerbaijan", "ship_type": "tanker",
                           "ship_type_code": 80, "length_m": 120}
    assert p["assets"] == [{"id": "acg-24in-oil",
                            "name": "ACG 24-inch oil export line Chirag-1 → Sangachal",
                            "kind": "pipeline"}]
    assert [(e["id"], e["type"], e["asset_id"]) for e in p["events"]] == [
        (DRAG_24.id, "anchor_drag", "acg-24in-oil")]
    assert datetime.fromisoformat(p["events"][0]["start"]) == DRAG_24.start
    assert [n["text"] for n in p["notes"]] == ["MRCC informed"]
    assert p["notes"][0]["author"] == "omar" and p["notes"][0]["ts"]
    assert listed["Adrag24"]["notes_count"] == 1
    assert p["incident"]["size"] == 2
    assert [a["id"] for a in p["incident"]["alerts"]] == ["Adrag24", "Adrag30"]
    assert p["incident"]["alerts"][1]["title"].endswith("ACG 30-inch oil export line")
    rec = p["recommended"]
    assert rec is not None and rec["boat"].startswith("SBS-") and rec["eta_min"] > 0
    assert set(rec["intercept"]) == {"lat", "lon", "extrapolated_min", "capped", "cap_min"}
    assert rec["intercept"]["cap_min"] == CAP_MIN
    # the escalation is in the history, by the system, with its reason
    step = escal["history"][-1]
    assert set(step) == {"ts", "actor", "from", "to", "boat", "reason"}
    assert step["from"] == "new" and step["to"] == "new" and step["actor"] == "system"
    assert step["reason"].startswith("escalated")
    assert escal["vessel"]["name"] == "ACG SUPPLY 1"


def test_intercept_is_capped_and_says_so(triage: Triage) -> None:
    client, _ = triage.login()
    with closing(client):
        plan = client.get("/api/alerts/Adrag30/dispatch").json()
    assert plan["max_extrapolation_min"] == CAP_MIN
    reachable = [o for o in plan["options"] if o["eta_min"] is not None]
    assert reachable
    for o in reachable:
        assert o["cap_min"] == CAP_MIN and o["extrapolated_min"] <= CAP_MIN + 1e-6
        # a boat more than the cap away meets the target where the cap held it
        assert o["capped"] is (o["eta_min"] > CAP_MIN)
    assert any(o["capped"] for o in reachable)


def test_dispatch_route_is_stored_and_survives_a_restart(triage: Triage) -> None:
    client, headers = triage.login()
    with closing(client):
        sent = _post(client, headers, "/api/alerts/Adrag30/dispatch", {"boat": "SBS-05"})["route"]
        routes = client.get("/api/dispatches").json()["features"]
    assert [f["properties"]["alert_id"] for f in routes] == ["Adrag30"]
    assert routes[0] == sent
    p = sent["properties"]
    assert p["boat"] == "SBS-05" and p["by"] == "omar" and p["eta_min"] > 0
    assert sent["geometry"]["type"] == "LineString"
    assert len(sent["geometry"]["coordinates"]) >= 2
    end = sent["geometry"]["coordinates"][-1]
    assert end == pytest.approx([p["intercept"]["lon"], p["intercept"]["lat"]], abs=1e-4)
    # a restart: the store re-opened by a new server answers the same route
    triage.server.stop()
    triage.server = _serve(triage.db)
    triage.url = triage.server.start_background()
    client, headers = triage.login()
    with closing(client):
        again = client.get("/api/dispatches").json()["features"]
        assert again == routes
        # set back to available: no longer drawn, still stored
        _post(client, headers, "/api/fleet/SBS-05/status", {"status": "available"})
        assert client.get("/api/dispatches").json()["features"] == []
        assert len(client.get("/api/dispatches", params={"all": "true"})
                   .json()["features"]) == 1
