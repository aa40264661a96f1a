"""``GET /api/alerts`` and ``/api/vessels`` give the same answer to consoles polling the same
list while nothing it shows changed (issue 20), and never hide a change: this server's own
writes and the changes other servers relay show at the next request; the picture at the
publisher's next tick."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import ALERT_IDS, PASSWORD, background_server, build_store

from khazar.api.server import KhazarServer
from khazar.config import load_settings


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[KhazarServer, str]]:
    db = tmp_path / "khazar.duckdb"
    build_store(db)
    with background_server(db, load_settings(serve={"answer_cache_s": 60})) as served:
        yield served


def _states(answer: dict[str, object]) -> dict[str, str]:
    feats = answer["features"]
    assert isinstance(feats, list)
    return {f["properties"]["id"]: f["properties"]["state"] for f in feats}


def test_the_list_is_kept_until_an_alert_changes(server: tuple[KhazarServer, str]) -> None:
    served, url = server
    answers = served.state.alert_answers
    with closing(httpx.Client(base_url=url, timeout=30)) as client:
        info = client.post("/api/login", json={"username": "omar", "password": PASSWORD}
                           ).json()
        first = client.get("/api/alerts")
        again = client.get("/api/alerts")
        assert first.status_code == again.status_code == 200
        assert again.content == first.content and (answers.misses, answers.hits) == (1, 1)
        assert _states(first.json())[ALERT_IDS[0]] == "new"
        # another list is another answer
        client.get("/api/alerts", params={"state": "new"})
        assert answers.misses == 2

        # this server's own write shows at once
        r = client.post(f"/api/alerts/{ALERT_IDS[0]}/acknowledge",
                        headers={"X-CSRF-Token": info["csrf_token"]})
        assert r.status_code == 200, r.text
        after = client.get("/api/alerts")
        assert _states(after.json())[ALERT_IDS[0]] == "acknowledged"
        assert answers.misses == 3

        # a change another server relays makes the kept list stale too
        served.state.hub.publish("alert", {"id": ALERT_IDS[1]}, relay=False)
        client.get("/api/alerts")
        assert answers.misses == 4
        # the counts reach /metrics
        ada = httpx.post(url + "/api/login", json={"username": "ada", "password": PASSWORD}
                         ).json()["token"]
        text = client.get("/metrics", headers={"Authorization": f"Bearer {ada}"}).text
        assert 'khazar_list_answers_total{how="built",list="alerts"} 4.0' in text


def test_the_picture_is_kept_until_the_publisher_moves_it(server: tuple[KhazarServer, str]
                                                          ) -> None:
    served, url = server
    answers = served.state.vessel_answers
    token = httpx.post(url + "/api/login", json={"username": "vera", "password": PASSWORD}
                       ).json()["token"]
    with closing(httpx.Client(base_url=url, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})) as client:
        first = client.get("/api/vessels").json()
        assert first["numberMatched"] > 0
        assert client.get("/api/vessels").json() == first
        assert (answers.misses, answers.hits) == (1, 1)
        served.state.hub.publish("positions", {"vessels": []})
        client.get("/api/vessels")
        assert answers.misses == 2
        # the exercise picture announces nothing here: built every time
        for _ in range(2):
            client.get("/api/vessels", params={"exercise": "true"})
        assert answers.misses == 2 and answers.hits == 1
