"""Sessions end everywhere at once in the server profile: two ``khazar serve`` (in this
process, each with its own store handle, session memory and link) on one PostgreSQL
database. A user disabled on server A loses the live stream open on server B within 1 s;
an admin on A ends a session B holds; the CLI writing a new role straight to the database
ends the user's stream on B. A change no server hears of (written to the table without a
word on the channel, as if the message were lost) is found by B's periodic check of its
sessions against the users table. Another user's stream on B stays open throughout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher
from tests.api.streams import Feed, Stream, ended_reason
from typer.testing import CliRunner

from khazar.api.server import KhazarServer, ServeOptions
from khazar.cli import app
from khazar.config import load_settings
from khazar.services.users import add_user, disable_user
from khazar.store import open_store

#: wall-clock bounds: run alone, not beside another test (Makefile's `test`)
pytestmark = pytest.mark.serial


PASSWORD = "two servers, one session rule"
USERS = {"ada": "admin", "vera": "viewer", "kamal": "operator", "rita": "analyst",
         "sami": "admin", "nina": "operator"}
LIMIT_S = 1.0


@dataclass
class Pair:
    a: KhazarServer
    a_url: str
    b: KhazarServer
    b_url: str
    b_udp: int


@pytest.fixture
def pair(pg_url: str) -> Iterator[Pair]:
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(pg_url) as store:
        for name, role in USERS.items():
            add_user(store, name, PASSWORD, role, actor="test", hasher=fast)
    servers: list[KhazarServer] = []
    try:
        urls = []
        for udp in (None, 0):
            server = KhazarServer(load_settings(), ServeOptions(
                db=pg_url, port=0, udp_port=udp, live_period_s=0.2, detect=False))
            servers.append(server)
            urls.append(server.start_background())
        a, b = servers
        assert a.runtime.link is not None and b.runtime.link is not None
        assert b.udp is not None
        yield Pair(a, urls[0], b, urls[1], int(b.udp.address[1]))
    finally:
        for server in reversed(servers):
            server.stop()


def _login(url: str, name: str) -> httpx.Client:
    r = httpx.post(url + "/api/login", json={"username": name, "password": PASSWORD},
                   timeout=30)
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=url, timeout=30,
                        headers={"Authorization": f"Bearer {r.json()['token']}"})


def _token(client: httpx.Client) -> str:
    return str(client.headers["Authorization"]).removeprefix("Bearer ")


def _ends_within(stream: Stream, since: float, reason: str) -> float:
    end = stream.wait_end(timeout=10)
    assert ended_reason(stream)["reason"] == reason
    assert stream.error is None
    return end - since


def test_revoked_on_one_server_the_stream_on_the_other_ends_within_a_second(
        pair: Pair, pg_url: str) -> None:
    with Feed([pair.b_udp], 423_880_201), closing(_login(pair.a_url, "ada")) as admin_a, \
            closing(_login(pair.b_url, "ada")) as admin_b, \
            closing(_login(pair.b_url, "vera")) as vera, \
            closing(_login(pair.b_url, "kamal")) as kamal, \
            closing(_login(pair.b_url, "rita")) as rita, \
            closing(_login(pair.b_url, "sami")) as sami, \
            closing(_login(pair.b_url, "nina")) as nina:
        streams = {c: Stream(pair.b_url, _token(c)).start()
                   for c in (vera, kamal, rita, sami, nina)}
        try:
            for s in streams.values():
                s.wait_for("positions")

            # 1. disabled through server A: B's stream and session end
            sent = time.monotonic()
            r = admin_a.post("/api/users/kamal/disable")
            assert r.status_code == 200, r.text
            took = _ends_within(streams[kamal], sent, "disabled")
            print(f"disable on A → stream on B ended after {took:.3f} s")
            assert took <= LIMIT_S
            assert kamal.get("/api/me").status_code == 401

            # 2. an admin on A ends a session only B holds (its handle, listed by B)
            listed = admin_b.get("/api/sessions").json()["sessions"]
            handle = next(s["handle"] for s in listed if s["username"] == "rita")
            sent = time.monotonic()
            r = admin_a.delete(f"/api/sessions/{handle}")
            assert r.status_code == 200, r.text
            assert r.json() == {"handle": handle, "username": None, "ended": False,
                                "relayed": True}
            took = _ends_within(streams[rita], sent, "ended_by_admin")
            print(f"end-session on A → stream on B ended after {took:.3f} s")
            assert took <= LIMIT_S
            assert rita.get("/api/me").status_code == 401

            # 3. the CLI writes a role straight to the database (no server in between):
            # the admin's stream on B, which carried admin-only events, ends
            result = CliRunner().invoke(app, ["users", "role", "sami", "viewer",
                                              "--db", pg_url, "--user", "ada"],
                                        env={"KHAZAR_PASSWORD": PASSWORD})
            written = time.monotonic()
            assert result.exit_code == 0, result.output
            assert "were told to end sami's sessions" in result.output
            took = _ends_within(streams[sami], written, "role_changed")
            print(f"CLI role change → stream on B ended after {took:.3f} s")
            assert took <= LIMIT_S
            assert sami.get("/api/me").status_code == 401

            # 4. disabled in the table with no word on the channel (a lost message): B's
            # check of its sessions against the users table (every 5 s) ends it
            with open_store(pg_url) as store:
                disable_user(store, "nina", actor="test")
            written = time.monotonic()
            took = _ends_within(streams[nina], written, "disabled")
            print(f"silent disable → stream on B ended after {took:.3f} s")
            link = pair.b.runtime.link
            assert link is not None and took <= link.session_check_s + 2.0
            assert nina.get("/api/me").status_code == 401

            # the other user's stream on B never ended and still receives positions
            streams[vera].wait_for("positions", after=time.monotonic() + 0.3, timeout=10)
            assert streams[vera].ended_at is None
            assert vera.get("/api/me").status_code == 200
            counters = admin_b.get("/api/status").json()["counters"]
            assert counters["live.sessions_ended"] == 4
            # relayed, or (when B's check ran between a change and its message) rechecked
            assert counters["link.sessions_rechecked"] >= 1
            assert (counters.get("link.sessions_ended", 0)
                    + counters["link.sessions_rechecked"]) == 4
        finally:
            for s in streams.values():
                s.close()
