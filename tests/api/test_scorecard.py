"""The Charter scorecard from the API: five goals, definitions, exercise traffic left out."""

from __future__ import annotations

import dataclasses
from contextlib import closing
from datetime import timedelta

from tests.api.conftest import START, Served, make_alert
from tests.api.feed import SHIPS

from khazar.report import GOALS
from khazar.store.alerts import upsert_alerts


def test_scorecard_lists_indicators_by_goal_without_exercise_alerts(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        r = client.get("/api/scorecard")
        assert r.status_code == 200, r.text
        card = r.json()
        assert [g["goal"] for g in card["goals"]] == [k for k, _ in GOALS]
        indicators = [i for g in card["goals"] for i in g["indicators"]]
        assert len(indicators) >= 8
        assert all(i["definition"] and i["name"] and i["unit"] is not None for i in indicators)
        assert card["totals"]["vessels"] >= len(SHIPS)
        assert card["period"]["start"].startswith(START.date().isoformat())
        assert any("plan" in n for n in card["notes"])
        before = card["totals"]["alerts"]
        ship = SHIPS[0]
        drill = dataclasses.replace(
            make_alert("Xdrill0001", ship.mmsi, ship.lat, ship.lon, START + timedelta(hours=1)),
            exercise=True)
        with served.server.state.locked() as store:
            upsert_alerts(store, [drill])
        after = client.get("/api/scorecard").json()
        assert after["totals"]["alerts"] == before
        assert after["goals"] == card["goals"]
        listed = client.get("/api/alerts", params={"exercise": "true"}).json()
        assert "Xdrill0001" in [f["id"] for f in listed["features"]]
