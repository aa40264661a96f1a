"""Every route needs a session (401), roles decide (403), cookie writes need CSRF."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from tests.api.conftest import ALERT_IDS, PASSWORD, Served

from khazar.store.audit import list_entries

PUBLIC = {"/api/openapi.json", "/api/login"}


def _all_routes(served: Served) -> list[tuple[str, str]]:
    spec = httpx.get(served.url + "/api/openapi.json").json()
    routes = []
    for path, ops in spec["paths"].items():
        for method in ops:
            if path not in PUBLIC:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    return routes


def test_every_route_but_login_needs_a_session(served: Served) -> None:
    routes = _all_routes(served)
    assert len(routes) >= 20
    with served.client() as client:
        for method, path in routes:
            r = client.request(method, path, json={})
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.json()["error"] == "AuthenticationError"


#: writes every logged-in user may make about their own session
SELF_SERVICE = {("POST", "/api/logout"), ("POST", "/api/me/password")}


def test_every_write_route_is_403_for_a_viewer(served: Served) -> None:
    """Walk the OpenAPI document: a viewer (bearer token, so no CSRF question) is refused
    every unsafe route by its role, whatever the body, before anything is looked up."""
    writes = [(m, p) for m, p in _all_routes(served)
              if m not in ("GET", "HEAD", "OPTIONS") and (m, p) not in SELF_SERVICE]
    assert len(writes) >= 8
    client, info = served.login("vera")
    client.close()
    with served.client() as bare:
        bare.headers["Authorization"] = f"Bearer {info['token']}"
        for method, path in writes:
            r = bare.request(method, path, json={})
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["error"] == "PermissionDeniedError"
        assert bare.get("/api/me").status_code == 200  # still logged in


def test_wrong_password_is_401_and_audited(served: Served) -> None:
    with served.client() as client:
        r = client.post("/api/login", json={"username": "omar", "password": "wrong" * 4})
        assert r.status_code == 401
        assert "khazar_session" not in r.cookies
    with served.server.state.locked() as store:
        failed = [e for e in list_entries(store) if e.action == "session.login_failed"]
    assert failed and failed[-1].actor == "omar"


def test_login_me_logout(served: Served) -> None:
    client, info = served.login("vera")
    with closing(client):
        assert info["role"] == "viewer"
        assert "alerts.ack" not in info["actions"]
        assert client.cookies.get("khazar_session") == info["token"]
        me = client.get("/api/me").json()
        assert me["username"] == "vera" and me["csrf_token"] == info["csrf_token"]
        r = client.post("/api/logout", headers={"X-CSRF-Token": info["csrf_token"]})
        assert r.status_code == 200
        # the server forgot the session: even the old cookie no longer works
        client.cookies.set("khazar_session", info["token"])
        assert client.get("/api/me").status_code == 401


def test_viewer_cannot_acknowledge(served: Served) -> None:
    client, info = served.login("vera")
    with closing(client):
        r = client.post(f"/api/alerts/{ALERT_IDS[0]}/acknowledge",
                        headers={"X-CSRF-Token": info["csrf_token"]})
        assert r.status_code == 403
        assert "alerts.ack" in r.json()["detail"]
        alert = client.get(f"/api/alerts/{ALERT_IDS[0]}").json()
        assert alert["properties"]["state"] == "new"


def test_cookie_write_without_csrf_token_is_refused(served: Served) -> None:
    client, info = served.login("omar")
    with closing(client):
        r = client.post(f"/api/alerts/{ALERT_IDS[1]}/acknowledge")
        assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
        r = client.post(f"/api/alerts/{ALERT_IDS[1]}/acknowledge",
                        headers={"X-CSRF-Token": "forged-" + info["csrf_token"][:10]})
        assert r.status_code == 403
        assert client.get(f"/api/alerts/{ALERT_IDS[1]}").json()["properties"]["state"] == "new"


def test_bearer_token_needs_no_csrf(served: Served) -> None:
    client, info = served.login("anna")  # analysts may add notes
    client.close()
    with served.client() as bare:
        r = bare.post(f"/api/alerts/{ALERT_IDS[3]}/notes", json={"text": "checked AIS history"},
                      headers={"Authorization": f"Bearer {info['token']}"})
        assert r.status_code == 200, r.text
        assert r.json()["author"] == "anna"


def test_operator_life_cycle_is_audited(served: Served) -> None:
    aid = ALERT_IDS[2]
    client, info = served.login("omar")
    headers = {"X-CSRF-Token": info["csrf_token"]}
    with closing(client):
        r = client.post(f"/api/alerts/{aid}/acknowledge", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["properties"]["state"] == "acknowledged"
        # acknowledging twice is a state conflict, not a server error
        assert client.post(f"/api/alerts/{aid}/acknowledge", headers=headers).status_code == 409
        r = client.post(f"/api/alerts/{aid}/assign", json={"boat": "SBS-99"}, headers=headers)
        assert r.status_code == 400 and "SBS-99" in r.json()["detail"]
        r = client.post(f"/api/alerts/{aid}/assign", json={"boat": "SBS-03"}, headers=headers)
        assert r.json()["properties"]["assigned_boat"] == "SBS-03"
        r = client.post(f"/api/alerts/{aid}/notes", json={"text": "boat on its way"},
                        headers=headers)
        assert r.status_code == 200
        r = client.post(f"/api/alerts/{aid}/resolve", json={"reason": "fishing boat, no threat"},
                        headers=headers)
        assert r.json()["properties"]["state"] == "resolved"
        detail = client.get(f"/api/alerts/{aid}").json()["properties"]
        assert [t["to"] for t in detail["transitions"]] == ["acknowledged", "assigned",
                                                            "resolved"]
        assert detail["notes"][0]["text"] == "boat on its way"
        assert client.get("/api/alerts/Anope/acknowledge").status_code == 405
        assert client.post("/api/alerts/Anope/acknowledge", headers=headers).status_code == 404
    with served.server.state.locked() as store:
        mine = [(e.action, e.target) for e in list_entries(store) if e.actor == "omar"]
    for action in ("alerts.ack", "alerts.assign", "alerts.note", "alerts.resolve"):
        assert (action, aid) in mine


@pytest.mark.parametrize("username", ["vera", "omar"])
def test_password_is_never_echoed(served: Served, username: str) -> None:
    client, info = served.login(username)
    with closing(client):
        assert PASSWORD not in str(info)
        assert PASSWORD not in client.get("/api/me").text
