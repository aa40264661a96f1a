"""Users change their own password; admins list and end sessions (issue 18, finding 6)."""

from __future__ import annotations

from contextlib import closing

from tests.api.conftest import PASSWORD, Served

from khazar.store.audit import list_entries


def _add(served: Served, name: str, password: str) -> None:
    admin, info = served.login("ada")
    with closing(admin):
        r = admin.post("/api/users", json={"username": name, "role": "viewer",
                                           "password": password},
                       headers={"X-CSRF-Token": info["csrf_token"]})
        assert r.status_code == 200, r.text


def test_a_user_changes_their_own_password(served: Served) -> None:
    first, second = "slow boat to astara", "grey gulls over neft daslari"
    _add(served, "selma", first)
    with served.client() as a, served.client() as b:
        info = a.post("/api/login", json={"username": "selma", "password": first}).json()
        b.post("/api/login", json={"username": "selma", "password": first})
        csrf = {"X-CSRF-Token": info["csrf_token"]}
        url = "/api/me/password"
        # the cookie needs its CSRF token; a wrong current password changes nothing
        assert a.post(url, json={"current_password": first, "new_password": second}
                      ).status_code == 403
        r = a.post(url, json={"current_password": "not my password", "new_password": second},
                   headers=csrf)
        assert r.status_code == 403 and "current password is wrong" in r.json()["detail"]
        # the policy applies
        for weak in ("aaaaaaaaaaaa", "password1234", "short"):
            r = a.post(url, json={"current_password": first, "new_password": weak},
                       headers=csrf)
            assert r.status_code == 400, (weak, r.text)
        r = a.post(url, json={"current_password": first, "new_password": second},
                   headers=csrf)
        assert r.status_code == 200, r.text
        assert r.json() == {"username": "selma", "sessions_ended": 1}
        assert a.get("/api/me").status_code == 200  # this session stays
        assert b.get("/api/me").status_code == 401  # the other one ended
    with served.client() as c:
        assert c.post("/api/login", json={"username": "selma", "password": first}
                      ).status_code == 401
        assert c.post("/api/login", json={"username": "selma", "password": second}
                      ).status_code == 200
    with served.server.state.locked() as store:
        changes = [e for e in list_entries(store) if e.action == "users.passwd"]
    assert (changes[-1].actor, changes[-1].target) == ("selma", "selma")


def test_admins_list_and_end_sessions(served: Served) -> None:
    _add(served, "tariq", PASSWORD)
    victim, _ = served.login("tariq")
    admin, info = served.login("ada")
    with closing(victim), closing(admin):
        listed = admin.get("/api/sessions").json()["sessions"]
        mine = [s for s in listed if s["current"]]
        assert len(mine) == 1 and mine[0]["username"] == "ada"
        target = [s for s in listed if s["username"] == "tariq"]
        assert len(target) == 1
        # the handle is not the credential
        assert victim.cookies.get("khazar_session") not in {s["handle"] for s in listed}
        handle = target[0]["handle"]
        viewer, vinfo = served.login("vera")
        with closing(viewer):
            assert viewer.get("/api/sessions").status_code == 403
            assert viewer.delete(f"/api/sessions/{handle}",
                                 headers={"X-CSRF-Token": vinfo["csrf_token"]}
                                 ).status_code == 403
        r = admin.delete(f"/api/sessions/{handle}", headers={"X-CSRF-Token": info["csrf_token"]})
        assert r.status_code == 200 and r.json()["username"] == "tariq"
        assert victim.get("/api/me").status_code == 401
        assert admin.delete(f"/api/sessions/{handle}", headers={"X-CSRF-Token":
                                                              info["csrf_token"]}
                            ).status_code == 404
    with served.server.state.locked() as store:
        ended = [e for e in list_entries(store) if e.action == "session.end"]
    assert (ended[-1].actor, ended[-1].target) == ("ada", "tariq")
