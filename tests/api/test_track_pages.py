"""``GET /api/tracks`` answers in pages bounded by ``serve.track_page_points``, each with a
``next`` link while more follow (issue 18: one request's answer was every track at once,
10 MB for four viewers, while everyone's alerts waited); the API client follows the links
back to the whole answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from tests.api.conftest import background_server

from khazar.api.client import ApiClient
from khazar.api.server import KhazarServer
from khazar.config import load_settings
from khazar.domain.picture import Interval
from khazar.interop.features import track_feature
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.ingest import rebuild_state
from khazar.store.queries import tracks

INSERT = ("INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
          "source, report_ts, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
T0 = datetime(2026, 11, 20, 6, tzinfo=UTC)
VESSELS, POINTS, PAGE = 7, 900, 2000
SPAN = f"{T0.isoformat()}/{(T0 + timedelta(hours=3)).isoformat()}".replace("+00:00", "Z")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, KhazarServer]]:
    db = tmp_path_factory.mktemp("pages") / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "vera", "a long test passphrase", "viewer", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        with store.transaction() as tx:
            tx.executemany(INSERT, [
                (423000100 + v, T0 + timedelta(seconds=10 * i), 40.0 + 1e-4 * i,
                 50.0 + 0.01 * v, 4.0, 90.0, 0, 1, "feed", T0 + timedelta(seconds=10 * i), i)
                for v in range(VESSELS) for i in range(POINTS)])
        rebuild_state(store)  # the rows went in by hand, not through ingest
    with background_server(db, load_settings(serve={"track_page_points": PAGE})) as (srv, url):
        yield url, srv


def test_one_answer_is_one_bounded_page_with_a_next_link(server: tuple[str, KhazarServer]) -> None:
    url, _ = server
    with ApiClient(url) as api:
        api.login("vera", "a long test passphrase")
        first = api.get("/tracks", datetime=SPAN, limit=5000)
    assert first["numberMatched"] == VESSELS
    points = sum(f["properties"]["points"] for f in first["features"])
    assert 0 < points <= PAGE and first["numberReturned"] < VESSELS
    (nxt,) = [link["href"] for link in first["links"] if link["rel"] == "next"]
    assert f"after={first['features'][-1]['properties']['mmsi']}" in nxt


def test_the_pages_together_are_the_whole_answer(server: tuple[str, KhazarServer]) -> None:
    url, srv = server
    with ApiClient(url) as api:
        api.login("vera", "a long test passphrase")
        whole = api.items("/tracks", datetime=SPAN, limit=5000)
        # without datetime the interval is the picture's last hours: the next links fix it
        recent = api.items("/tracks", hours=1, limit=3)
    with srv.state.reading() as store:  # the server's own store
        want, matched = tracks(store, Interval(T0, T0 + timedelta(hours=3)), limit=5000)
        last_hour, _ = tracks(store, Interval(T0 + timedelta(seconds=10 * (POINTS - 1))
                                              - timedelta(hours=1), None), limit=5000)
    assert whole["numberMatched"] == matched == VESSELS
    assert whole["numberReturned"] == VESSELS
    assert [f["geometry"] for f in whole["features"]] == [
        track_feature(t)["geometry"] for t in want]
    assert [f["properties"]["times"] for f in whole["features"]] == [
        track_feature(t)["properties"]["times"] for t in want]
    assert [f["properties"]["points"] for f in recent["features"]] == [
        len(t.times) for t in last_hour]
    assert not [link for link in whole["links"] if link["rel"] == "next"]
