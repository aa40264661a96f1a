"""User administration through the API, and sessions that end when the user changes:
a disabled user, a new role or a new password cuts every open session at once."""

from __future__ import annotations

from contextlib import closing

import httpx
from tests.api.conftest import PASSWORD, Served

from khazar.store.audit import list_entries


def _admin(served: Served) -> httpx.Client:
    client, info = served.login("ada")
    client.headers["X-CSRF-Token"] = info["csrf_token"]
    return client


def _add(admin: httpx.Client, name: str, role: str) -> None:
    r = admin.post("/api/users", json={"username": name, "role": role, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == role and PASSWORD not in r.text


def test_disabling_a_user_ends_their_sessions_at_once(served: Served) -> None:
    with closing(_admin(served)) as admin:
        _add(admin, "kamal", "operator")
        browser, _ = served.login("kamal")
        script, _ = served.login("kamal")
        with closing(browser), closing(script):
            assert browser.get("/api/me").status_code == 200
            r = admin.post("/api/users/kamal/disable")
            assert r.status_code == 200 and r.json()["disabled"] is True
            assert r.json()["sessions_ended"] == 2
            # the cookie the browser still holds no longer works, for reads or writes
            assert browser.get("/api/me").status_code == 401
            assert browser.get("/api/vessels").status_code == 401
            assert script.get("/api/alerts").status_code == 401
        # and a disabled user cannot log in again
        r = httpx.post(served.url + "/api/login",
                       json={"username": "kamal", "password": PASSWORD})
        assert r.status_code == 401
        assert admin.post("/api/users/kamal/enable").json()["disabled"] is False
        again, _ = served.login("kamal")
        again.close()
    with served.server.state.locked() as store:
        mine = [(e.action, e.target) for e in list_entries(store) if e.actor == "ada"]
    assert ("users.disable", "kamal") in mine and ("users.enable", "kamal") in mine


def test_a_role_change_ends_the_session_and_the_new_role_applies(served: Served) -> None:
    with closing(_admin(served)) as admin:
        _add(admin, "leyla", "operator")
        client, info = served.login("leyla")
        with closing(client):
            assert "alerts.ack" in info["actions"]
            r = admin.post("/api/users/leyla/role", json={"role": "viewer"})
            assert r.status_code == 200 and r.json()["sessions_ended"] == 1
            # the operator session is gone: it cannot act with the role it was opened with
            assert client.get("/api/me").status_code == 401
        client, info = served.login("leyla")
        with closing(client):
            assert info["role"] == "viewer" and "alerts.ack" not in info["actions"]
            # the same role again changes nothing and ends nothing
            r = admin.post("/api/users/leyla/role", json={"role": "viewer"})
            assert r.json()["sessions_ended"] == 0
            assert client.get("/api/me").status_code == 200


def test_a_new_password_ends_the_sessions(served: Served) -> None:
    with closing(_admin(served)) as admin:
        _add(admin, "murad", "analyst")
        client, _ = served.login("murad")
        with closing(client):
            new = "another long passphrase 7"
            r = admin.post("/api/users/murad/password", json={"password": new})
            assert r.status_code == 200 and r.json()["sessions_ended"] == 1
            assert new not in r.text
            assert client.get("/api/me").status_code == 401
        r = httpx.post(served.url + "/api/login", json={"username": "murad", "password": new})
        assert r.status_code == 200


def test_only_an_admin_manages_users_and_one_admin_stays(served: Served) -> None:
    client, info = served.login("omar")
    with closing(client):
        headers = {"X-CSRF-Token": info["csrf_token"]}
        assert client.get("/api/users").status_code == 403
        r = client.post("/api/users/vera/disable", headers=headers)
        assert r.status_code == 403 and "users.manage" in r.json()["detail"]
    with closing(_admin(served)) as admin:
        names = [u["username"] for u in admin.get("/api/users").json()["users"]]
        assert {"ada", "omar", "vera"} <= set(names)
        r = admin.post("/api/users/ada/disable")
        assert r.status_code == 400 and "last enabled admin" in r.json()["detail"]
        assert admin.post("/api/users/nobody/disable").status_code == 404
        r = admin.post("/api/users", json={"username": "x", "role": "viewer",
                                           "password": PASSWORD})
        assert r.status_code == 400 and "'x'" in r.json()["detail"]
        assert admin.get("/api/me").status_code == 200
