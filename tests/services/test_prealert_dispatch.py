"""A pre-alert (issue 21) on the watch floor: the countdown and projected track the alert list
gives, and dispatch planned to the point where the ship will meet the line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from khazar.config import load_settings
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.geo import load_geography
from khazar.services.dispatch import plan_for_alert
from khazar.services.triage import alert_features, place_names
from khazar.store import open_store
from khazar.store.alerts import upsert_alerts
from khazar.store.events import upsert_events

SAID = datetime(2026, 2, 1, 3, 22, 30, tzinfo=UTC)
#: where the published Eagle S scenario's tanker was judged and where it meets the 24-inch line
AT, ON_LINE = (39.8231, 49.7961), (39.8555, 49.8339)


def test_countdown_track_and_a_boat_to_the_point_on_the_line(tmp_path: Path) -> None:
    settings = load_settings()
    geo = load_geography(settings)
    ahead = [{"zone_id": "acg-24in-oil-corridor", "asset_id": "acg-24in-oil",
              "distance_km": 5.8, "minutes": 30.0, "on_course": True,
              "lat": ON_LINE[0], "lon": ON_LINE[1]}]
    ev = Event("anchor_down", 620800001, SAID - timedelta(minutes=15), SAID, 39.8098, 49.7809,
               zone_id="acg-24in-oil-corridor", asset_id="acg-24in-oil",
               evidence={"detected_at": "2026-02-01T03:22:30Z", "minutes_to_impact": 30.0,
                         "confidence": 0.6, "speed_kn": 6.3, "course_deg": 41.7,
                         "lat_at_detection": AT[0], "lon_at_detection": AT[1], "ahead": ahead})
    alert = Alert(id="Adown", rule="anchor-down", type="anchor_down", severity=Severity.high,
                  score=50.0, state=AlertState.new, mmsi=620800001, other_mmsi=None,
                  asset_id="acg-24in-oil", zone_id="acg-24in-oil-corridor", lat=ev.lat,
                  lon=ev.lon, first_ts=ev.start, last_ts=ev.end, event_ids=(ev.id,),
                  summary="anchor-down", created_at=SAID, updated_at=SAID)
    with open_store(tmp_path / "k.duckdb") as store:
        with store.transaction() as tx:
            upsert_events(tx, [ev], SAID)
        upsert_alerts(store, [alert])
        (feat,) = alert_features(store, settings, place_names(geo), [alert])
        p = feat["properties"]
        im = p["impact"]
        assert im["impact_at"] == (SAID + timedelta(minutes=30)).isoformat()
        assert im["track"] == [[AT[1], AT[0]], [ON_LINE[1], ON_LINE[0]]]
        assert p["title"] == ("MMSI 620800001, anchor likely down, heading for the ACG 24-inch "
                              "oil export line, in about 30 min")
        view = plan_for_alert(store, settings, geo.router, alert.id)
    # planned to the point on the line, as the picture stood at the alert
    assert (view.plan.target.lat, view.plan.target.lon) == ON_LINE
    assert view.impact_at == SAID + timedelta(minutes=30)
    rec = view.recommended()
    assert rec is not None
    left_min = (view.impact_at - view.decided_at).total_seconds() / 60.0
    assert rec["before_ship_min"] == round(left_min - rec["eta_min"], 1)
    # the boat recommended is the one there first
    etas = [o.eta_s for o in view.plan.options if o.eta_s is not None]
    assert rec["eta_min"] == round(min(etas) / 60.0, 1)
