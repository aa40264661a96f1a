"""A real ``khazar serve`` (uvicorn on a loopback port, UDP listener on another) over a
store holding a small NMEA feed, three users and a few alerts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from tests.api.feed import SHIPS, feed

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import LoginSettings, Settings, load_settings
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.alerts import upsert_alerts
from khazar.store.ingest import IngestRepo

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
FEED_MINUTES = 30
PASSWORD = "correct horse battery"
USERS = {"vera": "viewer", "omar": "operator", "ada": "admin", "anna": "analyst"}
ALERT_IDS = ("Atest0001", "Atest0002", "Atest0003", "Atest0004")
#: alerts on the moving tanker (SHIPS[1]) for the dispatch tests
DISPATCH_IDS = ("Atest0005", "Atest0006")


def make_alert(alert_id: str, mmsi: int, lat: float, lon: float, t: datetime) -> Alert:
    return Alert(
        id=alert_id, rule="loitering-corridor", type="loitering", severity=Severity.high,
        score=62.0, state=AlertState.new, mmsi=mmsi, other_mmsi=None, asset_id="acg-sangachal",
        zone_id=None, lat=lat, lon=lon, first_ts=t, last_ts=t + timedelta(minutes=25),
        event_ids=(f"ev-{alert_id}",), summary=f"vessel {mmsi} loitering over a pipeline",
        created_at=t, updated_at=t,
    )


def build_store(path: Path) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(path) as store:
        for name, role in USERS.items():
            add_user(store, name, PASSWORD, role, actor="test", hasher=fast)
        ingestor = Ingestor(IngestRepo(store), run_source="test")
        ingestor.feed(RawLine(line, source="test") for line in feed(START, FEED_MINUTES))
        ingestor.close()
        ship = SHIPS[2]
        upsert_alerts(store, [
            make_alert(aid, ship.mmsi, ship.lat, ship.lon, START + timedelta(minutes=i))
            for i, aid in enumerate(ALERT_IDS)
        ])
        tanker = SHIPS[1]
        upsert_alerts(store, [
            make_alert(aid, tanker.mmsi, tanker.lat, tanker.lon, START + timedelta(minutes=i))
            for i, aid in enumerate(DISPATCH_IDS)
        ])


@dataclass
class Served:
    url: str
    server: KhazarServer
    udp_port: int
    exercise_udp_port: int

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def token(self, username: str, password: str = PASSWORD) -> str:
        """A bearer token for ``username``. Tests that send wrong logins (the fuzzer, the
        guessers) throttle this address: the login waits as ``Retry-After`` says, as a
        client would (at most a minute)."""
        deadline = time.monotonic() + 60
        while True:
            r = httpx.post(self.url + "/api/login",
                           json={"username": username, "password": password})
            if r.status_code != 429 or time.monotonic() > deadline:
                break
            time.sleep(float(r.headers.get("Retry-After", "1")))
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def login(self, username: str) -> tuple[httpx.Client, dict[str, str]]:
        """A client holding ``username``'s session cookie, and the login answer."""
        client = self.client()
        r = client.post("/api/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return client, r.json()


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = tmp_path_factory.mktemp("serve") / "khazar.duckdb"
    build_store(db)
    server = KhazarServer(
        load_settings(),
        ServeOptions(db=db, port=0, udp_port=0, exercise_udp_port=0, live_period_s=0.2,
                     detect=False),
    )
    url = server.start_background()
    assert server.udp is not None and server.exercise_udp is not None
    try:
        yield Served(url, server, int(server.udp.address[1]),
                     int(server.exercise_udp.address[1]))
    finally:
        server.stop()


@pytest.fixture(scope="package")
def sim_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real server over an hour of simulated traffic (see :mod:`tests.api.simstore`),
    with one user per role (``admin``, ``viewer``, ``operator`` …, password PASSWORD)."""
    from tests.api.simstore import build_sim_store

    db = tmp_path_factory.mktemp("sim") / "khazar.duckdb"
    settings = load_settings()
    build_sim_store(db, settings)
    server = KhazarServer(
        settings,
        ServeOptions(db=db, port=0, udp_port=0, live_period_s=0.5, detect=False),
    )
    url = server.start_background()
    assert server.udp is not None
    try:
        yield Served(url, server, int(server.udp.address[1]), 0)
    finally:
        server.stop()


@contextmanager
def answers_built(server: KhazarServer) -> Iterator[None]:
    """Every ``/api/alerts`` and ``/api/vessels`` answer built from the store meanwhile (as
    with ``serve.answer_cache_s = 0``): for the tests of what the store's reads do under
    load, which a kept answer would skip."""
    kept = [(a, a.ttl_s) for a in (server.state.alert_answers, server.state.vessel_answers)]
    for answers, _ in kept:
        answers.ttl_s = 0.0
    try:
        yield
    finally:
        for answers, ttl in kept:
            answers.ttl_s = ttl


@contextmanager
def login_server(folder: Path, login: LoginSettings, **options: object) -> Iterator[KhazarServer]:
    """A server over :func:`build_store`'s store in ``folder`` with these login settings
    (``options``: further :class:`ServeOptions`), started; ``server.url`` set."""
    db = folder / "khazar.duckdb"
    build_store(db)
    settings = load_settings().model_copy(update={"login": login})
    with background_server(db, settings, **options) as (server, url):
        server.url = url  # type: ignore[attr-defined]
        yield server


@contextmanager
def background_server(db: Path, settings: Settings, **options: object
                      ) -> Iterator[tuple[KhazarServer, str]]:
    """``khazar serve`` on ``db`` in a background thread (no detection; ``options``:
    further :class:`ServeOptions`): the server and its base URL; stopped afterwards."""
    server = KhazarServer(settings, ServeOptions(db=db, port=0, detect=False,
                                                 **options))  # type: ignore[arg-type]
    url = server.start_background()
    try:
        yield server, url
    finally:
        server.stop()
