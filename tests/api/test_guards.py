"""Hostile HTTP input (issue 18, finding 6): NaN/Infinity and huge integers in JSON, huge
MMSIs, foreign Origins, X-Forwarded-For from an untrusted peer."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD, Served, build_store

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import ServeSettings, load_settings
from khazar.store.logins import select_rows

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", [
    '{"username": "omar", "password": NaN}',
    '{"username": "omar", "password": "x", "extra": Infinity}',
    '{"username": "omar", "password": "x", "n": -Infinity}',
    '{"username": "omar", "password": "x", "n": 1e400}',
    '{"username": "omar", "password": "x", "n": 340282366920938463463374607431768211457}',
    '{"username": "omar", "password": "x", "n": [9223372036854775808]}',
])
def test_unacceptable_json_is_422_without_a_traceback(served: Served, body: str) -> None:
    r = httpx.post(served.url + "/api/login", content=body, headers=JSON)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "InputError"
    assert "Traceback" not in r.text and len(r.text) < 400


def test_json_guard_passes_good_bodies_and_bounds_the_big_ones(served: Served) -> None:
    r = httpx.post(served.url + "/api/login", headers=JSON,
                   content=b'{"username": "vera", "password": "%s", "n": 9223372036854775807}'
                   % PASSWORD.encode())
    assert r.status_code == 200, r.text
    r = httpx.post(served.url + "/api/login", headers=JSON,
                   content=b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}')
    assert r.status_code == 413


def test_huge_mmsi_is_422(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        for path in (f"/api/vessels/{2**129}", f"/api/tracks?mmsi={2**129}",
                     f"/api/events?mmsi={2**129}", "/api/vessels/-1"):
            r = client.get(path)
            assert r.status_code == 422, (path, r.status_code, r.text[:200])


def test_foreign_origin_may_not_write(served: Served) -> None:
    creds = {"username": "vera", "password": PASSWORD}
    evil = httpx.post(served.url + "/api/login", json=creds,
                      headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"] == "PermissionDeniedError"
    assert httpx.post(served.url + "/api/login", json=creds,
                      headers={"Origin": "null"}).status_code == 403
    # the console's own origin, and scripts that send none
    assert httpx.post(served.url + "/api/login", json=creds,
                      headers={"Origin": served.url}).status_code == 200
    assert httpx.post(served.url + "/api/login", json=creds).status_code == 200
    # reads are not state-changing
    client, _ = served.login("vera")
    with closing(client):
        assert client.get("/api/me", headers={"Origin": "https://evil.example"}
                          ).status_code == 200


def _addresses(server: KhazarServer) -> set[str]:
    with server.state.locked() as store:
        rows = select_rows(store, ["addr:127.0.0.1", "addr:6.6.6.6"])
    return {k.split(":", 1)[1] for k in rows}


def test_forwarded_for_is_not_believed_from_an_untrusted_peer(served: Served) -> None:
    r = httpx.post(served.url + "/api/login", json={"username": "nobody-here",
                                                    "password": "wrong wrong wrong"},
                   headers={"X-Forwarded-For": "6.6.6.6"})
    assert r.status_code == 401
    assert _addresses(served.server) == {"127.0.0.1"}


def test_forwarded_for_is_believed_from_a_configured_proxy(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    build_store(db)
    settings = load_settings().model_copy(update={"serve": ServeSettings(
        trusted_proxies=["127.0.0.0/8"], allowed_origins=["https://console.example.org"])})
    server = KhazarServer(settings, ServeOptions(db=db, port=0, detect=False))
    url = server.start_background()
    try:
        r = httpx.post(url + "/api/login", json={"username": "nobody-here",
                                                 "password": "wrong wrong wrong"},
                       headers={"X-Forwarded-For": "6.6.6.6",
                                "Origin": "https://console.example.org"})
        assert r.status_code == 401
        assert _addresses(server) == {"6.6.6.6"}
    finally:
        server.stop()


def test_every_answer_carries_the_browser_rules(served: Served) -> None:
    """The content security policy, nosniff and no-referrer on the API, the console, a
    guard's refusal and the live stream; ``no-store`` on the API only."""
    client, _ = served.login("vera")
    with closing(client):
        answers = {
            "api": client.get("/api/me"),
            "console": httpx.get(served.url + "/"),
            "refused": httpx.post(served.url + "/api/login", json={},
                                  headers={"Origin": "https://evil.example"}),
        }
        with client.stream("GET", "/api/live", timeout=30) as stream:
            answers["stream"] = stream
    for name, r in answers.items():
        assert "default-src 'self'" in r.headers["content-security-policy"], name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "no-referrer", name
        assert r.headers.get("cache-control") == (None if name == "console" else "no-store")
    assert answers["refused"].status_code == 403
    assert len(answers["api"].headers.get_list("content-security-policy")) == 1
