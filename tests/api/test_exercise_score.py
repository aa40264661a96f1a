"""The exercise score sheet, pure: matching alerts to planted behaviours, response times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from khazar.services.exercise_score import AlertFacts, facts_from_truth, score_exercise
from khazar.sim.truth import PlantedBehaviour

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _behaviour(bid: str, mmsis: tuple[int, ...], lat: float = 40.0, lon: float = 50.5
               ) -> PlantedBehaviour:
    return PlantedBehaviour(bid, bid.split("-")[0], mmsis, T0, T0 + timedelta(hours=1), lat, lon)


def _alert(aid: str, mmsi: int | None, *, at_min: float = 10, ack_s: float | None = None,
           assign_s: float | None = None, eta_s: float | None = None, lat: float = 40.0,
           lon: float = 50.5) -> AlertFacts:
    created = T0 + timedelta(minutes=at_min, seconds=30)
    return AlertFacts(
        aid, "zone_entry", mmsi, None, lat, lon, T0 + timedelta(minutes=at_min), created,
        None if ack_s is None else created + timedelta(seconds=ack_s),
        None if assign_s is None else created + timedelta(seconds=assign_s),
        "SBS-05" if assign_s is not None else None, eta_s)


def test_raised_acknowledged_dispatched_missed_and_false_alarms() -> None:
    behaviours = [_behaviour("safety_zone_entry-1", (667800001,)),
                  _behaviour("fast_dark_boat-1", (), lat=40.3, lon=50.0),
                  _behaviour("spoofing-1", (273000001,))]
    alerts = [
        _alert("A1", 667800001, ack_s=40, assign_s=100, eta_s=600),
        _alert("A2", 667800001, at_min=20),  # a later alert on the same behaviour
        _alert("A3", None, lat=40.305, lon=50.0, ack_s=70),  # radar-only: matched by place
        _alert("A4", 999000001),  # answers nothing: a false alarm of the exercise
        _alert("A5", 273000001, at_min=200),  # outside the behaviour's time tolerance
    ]
    sheet = score_exercise(behaviours, alerts, tolerance_s=1800, radius_m=1500)
    rows = {r["behaviour"]: r for r in sheet["behaviours"]}
    first = rows["safety_zone_entry-1"]
    assert first["raised"] and first["alerts"] == ["A1", "A2"]
    assert (first["time_to_ack_s"], first["time_to_dispatch_s"]) == (40.0, 100.0)
    assert first["time_to_intercept_s"] == 700.0 and first["boat"] == "SBS-05"
    dark = rows["fast_dark_boat-1"]
    assert dark["raised"] and dark["time_to_ack_s"] == 70.0 and dark["time_to_dispatch_s"] is None
    assert not rows["spoofing-1"]["raised"]
    assert (sheet["planted"], sheet["raised"], sheet["missed"]) == (3, 2, 1)
    assert sheet["missed_behaviours"] == ["spoofing-1"]
    assert sheet["other_alerts"] == ["A4", "A5"]
    assert sheet["median_time_to_ack_s"] == 55.0
    assert "estimate" in sheet["intercept_is_estimate"]


def test_no_alerts_means_every_behaviour_missed() -> None:
    sheet = score_exercise([_behaviour("spoofing-1", (1,))], [], 1800, 1500)
    assert (sheet["raised"], sheet["missed"], sheet["median_time_to_ack_s"]) == (0, 1, None)


def test_truth_document_to_facts() -> None:
    truth = {"behaviours": [{"id": "b-1", "scenario": "spoofing", "mmsis": [5],
                             "start": "2026-11-26T12:00:00Z", "end": "2026-11-26T13:00:00Z",
                             "lat": 40.0, "lon": 50.0}]}
    (b,) = facts_from_truth(truth)
    assert b.mmsis == (5,) and b.start == T0 and b.end - b.start == timedelta(hours=1)
