"""``/api/health`` (ready, not ready, and why), ``/metrics`` (values driven through the
runtime state, parsed as Prometheus text) and who may read it, and the failed-login log.

Each test builds its own app over a fresh store (the ``served`` server of the package is
shared, and these tests disturb feeds, locks and counters on purpose); requests go through
httpx's ASGI transport, which sets the client address, so loopback and remote callers can
both be played.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

import khazar.api  # noqa: F401  (the api package first: live.state imports its sessions)
from khazar.api.app import create_app
from khazar.config import Settings, load_settings
from khazar.live.state import ServerState
from khazar.services.users import add_user
from khazar.store import open_store

PASSWORD = "correct horse battery"
LOOPBACK = ("127.0.0.1", 40001)
REMOTE = ("203.0.113.7", 40002)
TOKEN = "scraper-token-0123456789abcdef"


def _build_store(path: Path) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(path) as store:
        add_user(store, "ada", PASSWORD, "admin", actor="test", hasher=fast)
        add_user(store, "vera", PASSWORD, "viewer", actor="test", hasher=fast)


@dataclass
class Ops:
    state: ServerState
    app: FastAPI

    def request(self, method: str, path: str, client: tuple[str, int] = LOOPBACK,
                **kwargs: Any) -> httpx.Response:
        """One request to the app from ``client`` (address, port)."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url="http://khazar") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(go())

    def get(self, path: str, client: tuple[str, int] = LOOPBACK, **kwargs: Any
            ) -> httpx.Response:
        return self.request("GET", path, client, **kwargs)

    def token(self, username: str) -> str:
        r = self.request("POST", "/api/login", json={"username": username,
                                                     "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def scrape(self) -> dict[str, list[Sample]]:
        """``/metrics`` from loopback, parsed: family name → its samples."""
        r = self.get("/metrics")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


@contextmanager
def _ops(path: Path, settings: Settings, read_only: bool = False) -> Iterator[Ops]:
    """An app over a fresh store at ``path`` (users ada, admin, and vera, viewer)."""
    _build_store(path)
    store = open_store(path, read_only=read_only)
    state = ServerState.create(store, settings)
    try:
        yield Ops(state, create_app(state))
    finally:
        store.close()


@pytest.fixture
def ops(tmp_path: Path) -> Iterator[Ops]:
    settings = load_settings(serve={"health_lock_timeout_s": 0.2, "metrics_token": TOKEN,
                                    "health_max_detection_lag_s": 30.0})
    with _ops(tmp_path / "k.duckdb", settings) as ops:
        yield ops


def value(samples: dict[str, list[Sample]], family: str, name: str | None = None,
          **labels: str) -> float:
    """The one sample of ``family`` (sample ``name``, default the family's own) with these
    labels; fails naming what was there when there is not exactly one."""
    wanted = name or family
    found = [s.value for s in samples.get(family, [])
             if s.name == wanted and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (family, wanted, labels, samples.get(family))
    return found[0]


# /api/health ---------------------------------------------------------------------------
def test_health_is_ready_without_a_login(ops: Ops) -> None:
    ops.state.feeds.connected("udp:10110", True)
    r = ops.get("/api/health", client=REMOTE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["live"] is True and body["ready"] is True
    assert set(body["checks"]) == {"store", "feeds", "detection"}
    store = body["checks"]["store"]
    assert store["ok"] is True and store["read_only"] is False and store["file_writable"]
    assert body["checks"]["feeds"] == {"ok": True, "sources": 1, "connected": 1}
    assert body["checks"]["detection"] == {"ok": True, "lag_s": None, "max_lag_s": 30.0}
    assert r.headers["cache-control"] == "no-store"


def test_health_is_not_ready_while_a_feed_is_down(
    ops: Ops, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="khazar.api.routes_ops")
    ops.state.feeds.connected("udp:10110", True)
    assert ops.get("/api/health").status_code == 200
    ops.state.feeds.connected("tcp:ais.example:5631", False)
    r = ops.get("/api/health")
    assert r.status_code == 503, r.text
    feeds = r.json()["checks"]["feeds"]
    assert feeds == {"ok": False, "sources": 2, "connected": 1,
                     "down": ["tcp:ais.example:5631"]}
    # the feed's address is for operations readers only; the state is for anyone
    remote = ops.get("/api/health", client=REMOTE)
    assert remote.status_code == 503
    assert remote.json()["checks"]["feeds"] == {"ok": False, "sources": 2, "connected": 1}
    ops.state.feeds.connected("tcp:ais.example:5631", True)
    assert ops.get("/api/health").status_code == 200
    # one line per change of readiness, not per probe
    changes = [(r.levelname, r.getMessage()) for r in caplog.records
               if r.name == "khazar.api.routes_ops"]
    assert changes == [("WARNING", "health: not ready (feeds)"),
                       ("INFO", "health: ready again")]


def test_health_does_not_wait_behind_a_busy_store(ops: Ops) -> None:
    """Long work holds the store lock: the probe says busy within its timeout (0.2 s
    here), it does not queue behind the work; the liveness answer does not look."""
    held, release = threading.Event(), threading.Event()

    def long_work() -> None:
        with ops.state.locked():
            held.set()
            release.wait(10)

    worker = threading.Thread(target=long_work)
    worker.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        r = ops.get("/api/health")
        assert time.monotonic() - started < 2.0
        assert r.status_code == 503, r.text
        store = r.json()["checks"]["store"]
        assert store["ok"] is False and store["reason"].startswith("busy")
        live = ops.get("/api/health/live")
        assert live.status_code == 200 and live.json() == {"live": True}
    finally:
        release.set()
        worker.join(10)
    assert ops.get("/api/health").status_code == 200


def test_health_is_not_ready_on_a_read_only_store(tmp_path: Path) -> None:
    with _ops(tmp_path / "ro.duckdb", load_settings(), read_only=True) as ops:
        r = ops.get("/api/health")
        assert r.status_code == 503, r.text
        store = r.json()["checks"]["store"]
        assert store["ok"] is False and store["read_only"] is True
        assert "read-only" in store["reason"]


def test_health_is_not_ready_when_the_store_does_not_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _ops(tmp_path / "k.duckdb", load_settings()) as ops:
        ops.state.store.close()  # what a lost disk or a driver failure looks like from here
        r = ops.get("/api/health")
        assert r.status_code == 503, r.text
        assert r.json()["checks"]["store"] == {
            "ok": False, "reason": "the store did not answer (see the server log)"}
        logged = [x for x in caplog.records if x.name == "khazar.api.routes_ops"]
        assert logged and logged[0].levelno == logging.WARNING and logged[0].exc_info


def test_health_is_not_ready_while_detection_lags(ops: Ops) -> None:
    ops.state.detection_lag_s = 45.25
    r = ops.get("/api/health")
    assert r.status_code == 503
    assert r.json()["checks"]["detection"] == {"ok": False, "lag_s": 45.25, "max_lag_s": 30.0}
    ops.state.detection_lag_s = 2.5
    r = ops.get("/api/health")
    assert r.status_code == 200
    assert r.json()["checks"]["detection"]["lag_s"] == 2.5


# /metrics -------------------------------------------------------------------------------
def test_metrics_read_the_runtime_state_at_scrape_time(ops: Ops) -> None:
    state = ops.state
    state.feeds.received("udp:10110", 7)
    state.feeds.ingested("udp:10110", accepted=5, rejected={"bad_checksum": 2})
    state.feeds.dropped("udp:10110", 3)
    state.feeds.connected("udp:10110", True)
    state.feeds.connected("tcp:ais.example:5631", True)
    state.feeds.connected("tcp:ais.example:5631", False)
    state.feeds.connected("tcp:ais.example:5631", True)
    state.feeds.connected("tcp:ais.example:5631", False)
    state.count("positions", 42)
    state.count("exercise.positions", 4)
    state.count("alerts.raised", 2)
    state.detection_lag_s = 1.5

    m = ops.scrape()
    udp, tcp = {"source": "udp:10110"}, {"source": "tcp:ais.example:5631"}
    assert value(m, "khazar_feed_lines_received", "khazar_feed_lines_received_total", **udp) == 7
    assert value(m, "khazar_feed_lines_accepted", "khazar_feed_lines_accepted_total", **udp) == 5
    assert value(m, "khazar_feed_lines_rejected", "khazar_feed_lines_rejected_total", **udp) == 2
    assert value(m, "khazar_feed_lines_dropped", "khazar_feed_lines_dropped_total", **udp) == 3
    assert value(m, "khazar_feed_connected", **udp) == 1
    assert value(m, "khazar_feed_connected", **tcp) == 0
    assert value(m, "khazar_feed_connects", "khazar_feed_connects_total", **tcp) == 2
    assert 0 <= value(m, "khazar_feed_last_line_age_seconds", **udp) < 60
    assert value(m, "khazar_positions_stored", "khazar_positions_stored_total",
                 picture="live") == 42
    assert value(m, "khazar_positions_stored", "khazar_positions_stored_total",
                 picture="exercise") == 4
    assert value(m, "khazar_alerts_raised", "khazar_alerts_raised_total", picture="live") == 2
    assert value(m, "khazar_detection_lag_seconds") == 1.5
    assert value(m, "khazar_live_clients") == 0
    assert value(m, "process_resident_memory_bytes") > 0

    # read again at the next scrape: nothing to keep in step
    state.feeds.received("udp:10110", 1)
    state.count("positions", 8)
    state.detection_lag_s = None
    m = ops.scrape()
    assert value(m, "khazar_feed_lines_received", "khazar_feed_lines_received_total", **udp) == 8
    assert value(m, "khazar_positions_stored", "khazar_positions_stored_total",
                 picture="live") == 50
    assert m.get("khazar_detection_lag_seconds", []) == []  # absent while not running


def test_metrics_count_http_requests_by_route_template(ops: Ops) -> None:
    for alert_id in ("A0001", "A0002"):
        assert ops.get(f"/api/alerts/{alert_id}").status_code == 401
    assert ops.get("/no/such/page-9f3").status_code == 404
    ops.state.feeds.connected("tcp:x", False)
    assert ops.get("/api/health").status_code == 503

    m = ops.scrape()
    total = "khazar_http_requests_total"
    assert value(m, "khazar_http_requests", total, method="GET",
                 route="/api/alerts/{alert_id}", status="401") == 2
    assert value(m, "khazar_http_requests", total, method="GET", route="unmatched",
                 status="404") == 1
    assert value(m, "khazar_http_requests", total, method="GET", route="/api/health",
                 status="503") == 1
    assert value(m, "khazar_http_request_duration_seconds",
                 "khazar_http_request_duration_seconds_count", method="GET",
                 route="/api/alerts/{alert_id}") == 2
    routes = {s.labels.get("route") for s in m["khazar_http_requests"]}
    assert not any("A0001" in str(r) or "page-9f3" in str(r) for r in routes), routes


def test_metrics_count_open_live_streams(ops: Ops) -> None:
    async def with_two_streams() -> str:
        subs = [ops.state.hub.subscribe(), ops.state.hub.subscribe()]
        transport = httpx.ASGITransport(app=ops.app, client=LOOPBACK)
        async with httpx.AsyncClient(transport=transport, base_url="http://khazar") as c:
            text = (await c.get("/metrics")).text
        for sub in subs:
            ops.state.hub.unsubscribe(sub)
        return text

    families = {f.name: f.samples for f in text_string_to_metric_families(
        asyncio.run(with_two_streams()))}
    assert value(families, "khazar_live_clients") == 2
    assert value(ops.scrape(), "khazar_live_clients") == 0


def test_who_may_read_metrics(ops: Ops) -> None:
    """Loopback without a login; from elsewhere the metrics token or an admin's session;
    a request a proxy forwarded is not loopback's even when the proxy is."""
    assert ops.get("/metrics").status_code == 200
    assert ops.get("/metrics", client=("::1", 40003)).status_code == 200
    anonymous = ops.get("/metrics", client=REMOTE)
    assert anonymous.status_code == 401
    assert "metrics_token" in anonymous.json()["detail"]
    forwarded = ops.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
    assert forwarded.status_code == 401
    assert ops.get("/metrics", client=REMOTE,
                   headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert ops.get("/metrics", client=REMOTE,
                   headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    viewer = ops.get("/metrics", client=REMOTE,
                     headers={"Authorization": f"Bearer {ops.token('vera')}"})
    assert viewer.status_code == 403 and viewer.json()["error"] == "PermissionDeniedError"
    admin = ops.get("/metrics", client=REMOTE,
                    headers={"Authorization": f"Bearer {ops.token('ada')}"})
    assert admin.status_code == 200
    assert "\nkhazar_sessions 2.0\n" in admin.text  # the viewer's and the admin's


def test_no_metrics_token_is_configured_by_default(tmp_path: Path) -> None:
    with _ops(tmp_path / "k.duckdb", load_settings()) as ops:
        r = ops.get("/metrics", client=REMOTE, headers={"Authorization": "Bearer " + "x" * 20})
        assert r.status_code == 401


# the failed-login log -------------------------------------------------------------------
def test_a_failed_login_is_logged_without_the_password(
    ops: Ops, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "Wr0ng-but-secret-passphrase"
    caplog.set_level(logging.INFO, logger="khazar")
    for name in ("ada", "nobody"):
        r = ops.request("POST", "/api/login", client=REMOTE,
                        json={"username": name, "password": wrong})
        assert r.status_code == 401
    ops.token("vera")  # a good login is not a warning

    failed = [r for r in caplog.records if r.name == "khazar.api.routes_session"]
    assert [(r.levelno, r.__dict__["username"]) for r in failed] == [
        (logging.WARNING, "ada"), (logging.WARNING, "nobody")]
    for record in failed:
        fields = record.__dict__
        assert fields["client"] == REMOTE[0]
        assert fields["event"] == "login_failed"
        assert "wrong password" in fields["reason"]
        assert fields["username"] in record.getMessage()
        assert REMOTE[0] in record.getMessage()
    everything = "\n".join(caplog.text.splitlines() + [str(vars(r)) for r in caplog.records])
    assert wrong not in everything
    assert PASSWORD not in everything
