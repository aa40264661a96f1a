"""Evaluation against a hand-built truth: matching, precision, exemptions, time to detect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.errors import InputError
from khazar.sim.evaluate import (
    EVENT_PLACE,
    EXERCISE_PLACE,
    Claim,
    alert_place,
    evaluate,
    matches,
    parse_events_jsonl,
    score_alerts,
)
from khazar.sim.truth import LookAlike, PlantedBehaviour, RadarTarget, Truth

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _truth() -> Truth:
    drag = PlantedBehaviour(
        id="anchor_drag_eagle_s-1", scenario="anchor_drag_eagle_s", mmsis=(273000001,),
        start=_t(60), end=_t(180), lat=40.1, lon=50.0,
    )
    dark = PlantedBehaviour(
        id="fast_dark_boat-1", scenario="fast_dark_boat", mmsis=(),
        start=_t(100), end=_t(200), lat=38.6, lon=49.0,
        radar_targets=(
            RadarTarget(
                id="r1", length_m=9.0,
                track=tuple((_t(100 + k), 38.6 + 0.005 * k, 49.0) for k in range(0, 101, 5)),
            ),
        ),
    )
    rdv = PlantedBehaviour(
        id="dark_rendezvous-1", scenario="dark_rendezvous", mmsis=(422000002,),
        start=_t(300), end=_t(400), lat=38.5, lon=49.2,
    )
    sts = PlantedBehaviour(
        id="sts_transfer-1", scenario="sts_transfer", mmsis=(273000010, 273000011),
        start=_t(700), end=_t(900), lat=40.6, lon=50.7,
    )
    look = LookAlike(
        id="ferry-alat-1", kind="ferry_slowing_alat", mmsis=(423000050,),
        start=_t(0), end=_t(120), lat=39.95, lon=49.41,
    )
    return Truth(
        scenario="mixed", seed=1, start=T0, end=T0 + timedelta(days=1),
        behaviours=(drag, dark, rdv, sts), lookalikes=(look,),
        authorised={423100001: ("acg-chirag-1",), 423900001: ("*",)},
        zone_entry_scope=("acg-chirag-1", "sd-alpha"),
    )


def _line(type_: str, mmsi: int | None, start: datetime, end: datetime, **kw: object) -> str:
    d = {"id": f"{type_}-{mmsi}-{start:%H%M}", "type": type_, "mmsi": mmsi, "other_mmsi": None,
         "start": start.isoformat(), "end": end.isoformat(), "lat": kw.get("lat", 40.0),
         "lon": kw.get("lon", 50.0), "zone_id": kw.get("zone_id"),
         "asset_id": kw.get("asset_id"), "evidence": kw.get("evidence", {})}
    return json.dumps(d)


def test_truth_round_trips_through_json() -> None:
    truth = _truth()
    again = Truth.loads(truth.dumps())
    assert again.dumps() == truth.dumps()
    assert [b.id for b in again.behaviours] == [b.id for b in truth.behaviours]
    assert again.behaviours[0].start == truth.behaviours[0].start
    assert again.authorised == truth.authorised


def test_matching_precision_recall_and_ttd() -> None:
    lines = [
        # anchor drag found 10 min after it started: TP, ttd 600 s
        _line("anchor_drag", 273000001, _t(70), _t(150)),
        # radar-only target matched by position (within 1.5 km of the track at t=130)
        _line("dark_vessel", None, _t(130), _t(140), lat=38.6 + 0.005 * 30 + 0.005, lon=49.0),
        # the rendezvous partner named by an encounter: accepted (not a false positive), but
        # the rendezvous needs its dark partner seen as a dark contact
        _line("encounter", 422000002, _t(320), _t(360)),
        # the transfer found by an encounter naming its second ship
        _line("encounter", 273000010, _t(720), _t(800)),
        # look-alike ferry slowing across the pipeline flagged: FP and a look-alike hit
        _line("anchor_drag", 423000050, _t(30), _t(50)),
        # unrelated loitering: FP
        _line("loitering", 211000000, _t(500), _t(600)),
        # supply boat at its own platform: exempt; own patrol boat anywhere: exempt
        _line("zone_entry", 423100001, _t(10), _t(20), asset_id="acg-chirag-1"),
        _line("loitering", 423900001, _t(10), _t(90)),
        # zone_entry into a territorial sea: outside the scope, unscored
        _line("zone_entry", 273999999, _t(10), _t(20), zone_id="az-territorial-sea"),
        # the drag vessel outside the time tolerance: FP
        _line("anchor_drag", 273000001, _t(600), _t(620)),
        # not a scored type: ignored
        _line("port_visit", 273999999, _t(10), _t(20)),
    ]
    report = evaluate(_truth(), parse_events_jsonl("\n".join(lines) + "\n\n"))
    by = {t.type: t for t in report.types}
    assert by["anchor_drag"].recall == 1.0
    assert by["anchor_drag"].true_positives == 1
    assert by["anchor_drag"].false_positives == 2
    assert by["anchor_drag"].lookalike_hits == 1
    assert by["anchor_drag"].ttd_s == (600.0,)
    assert by["dark_vessel"].recall == 0.5  # fast boat yes, rendezvous no
    assert by["encounter"].recall == 1.0 and by["encounter"].false_positives == 0
    assert by["loitering"].false_positives == 1 and by["loitering"].exempt == 1
    assert by["zone_entry"].exempt == 1 and by["zone_entry"].unscored == 1
    assert by["zone_entry"].precision is None
    assert [b.id for b in report.behaviours if not b.detected] == ["dark_rendezvous-1"]
    assert report.detected_fraction == 0.75
    assert report.lookalike_hit_ids == ("anchor_drag-423000050-0030",)


def test_missed_behaviours_and_detected_at() -> None:
    lines = [
        _line("anchor_drag", 273000001, _t(30), _t(150),
              evidence={"detected_at": _t(95).isoformat()}),
        # far from the radar track: not a match
        _line("dark_vessel", None, _t(130), _t(140), lat=39.5, lon=49.0),
    ]
    report = evaluate(_truth(), parse_events_jsonl("\n".join(lines)))
    res = {b.id: b for b in report.behaviours}
    assert res["anchor_drag_eagle_s-1"].ttd_s == 35 * 60.0
    assert not res["fast_dark_boat-1"].detected
    assert res["fast_dark_boat-1"].missing_groups == (("dark_vessel",),)
    assert not res["dark_rendezvous-1"].detected
    by = {t.type: t for t in report.types}
    assert by["dark_vessel"].false_positives == 1 and by["dark_vessel"].recall == 0.0


def test_bad_event_line_names_the_line() -> None:
    with pytest.raises(InputError, match="events line 2"):
        parse_events_jsonl('{"type":"loitering","start":"2026-01-01T00:00:00Z"}\n{"type":1}\n')


def test_bad_truth_format_is_rejected() -> None:
    with pytest.raises(InputError, match="khazar-truth/1"):
        Truth.loads('{"format": "other"}')


# -- the one truth matcher, under the place rule of each use

def _claim(mmsi: int | None, at: float, lat: float, lon: float, *, until: float | None = None
           ) -> Claim:
    return Claim(mmsi, None, _t(at), _t(at if until is None else until), lat, lon)


def test_a_named_vessel_matches_only_inside_the_widened_span() -> None:
    drag = _truth().behaviours[0]  # 60–180 min, tolerance 30 min
    for place in (EVENT_PLACE, alert_place(_truth()), EXERCISE_PLACE):
        assert matches(_claim(273000001, 35, 0.0, 0.0), drag, 1800.0, 1500.0, place)
        assert not matches(_claim(273000001, 211, 40.1, 50.0), drag, 1800.0, 1500.0, place)


def test_place_rules_differ_only_where_each_use_needs_it() -> None:
    truth = _truth()
    dark = truth.behaviours[1]  # no MMSI; radar target from 38.6 N at minute 100, north
    drag = truth.behaviours[0]  # MMSI 273000001 at 40.1 N 50.0 E
    # a named contact on the radar track: an event may carry a wrong MMSI (any), an alert on
    # a named vessel is about that vessel (unnamed), an exercise credits the vesselless boat
    on_track = _claim(999, 120, 38.6 + 0.005 * 20, 49.0)
    assert matches(on_track, dark, 1800.0, 1500.0, EVENT_PLACE)
    assert not matches(on_track, dark, 1800.0, 1500.0, alert_place(truth))
    # the exercise rule looks at the planted position only (38.6 N): 11 km away, no match
    assert not matches(on_track, dark, 1800.0, 1500.0, EXERCISE_PLACE)
    at_start = _claim(999, 120, 38.6, 49.0)
    assert matches(at_start, dark, 1800.0, 1500.0, EXERCISE_PLACE)
    # an unnamed contact where a named vessel was planted: alerts and exercises count it
    # (the vessel switched its AIS off), events need a radar target
    dark_drag = _claim(None, 90, 40.1, 50.0)
    assert not matches(dark_drag, drag, 1800.0, 1500.0, EVENT_PLACE)
    assert matches(dark_drag, drag, 1800.0, 1500.0, alert_place(truth))
    assert matches(dark_drag, drag, 1800.0, 1500.0, EXERCISE_PLACE)
    # radar samples count only within the rule's window around the claim's span: the event
    # rule's 10 minutes miss a sample 20 minutes later, the alert rule's 30 do not
    late = _claim(None, 80, 38.6, 49.0)
    assert not matches(late, dark, 1800.0, 1500.0, EVENT_PLACE)
    assert matches(late, dark, 1800.0, 1500.0, alert_place(truth))


def _alert(aid: str, mmsi: int | None, at: float, lat: float, lon: float,
           exercise: bool = False) -> Alert:
    return Alert(aid, "rule", "loitering", Severity.high, 60.0, AlertState.new, mmsi, None,
                 None, None, lat, lon, _t(at), _t(at + 10), (), "", _t(at), _t(at),
                 exercise=exercise)


def test_score_alerts_true_false_lookalike_authorised_and_exercise() -> None:
    truth = _truth()
    alerts = [
        _alert("drag", 273000001, 90, 40.1, 50.0),
        _alert("drag-again", 273000001, 120, 40.1, 50.0),
        _alert("dark", None, 130, 38.6 + 0.005 * 30, 49.0),
        _alert("ferry", 423000050, 30, 39.95, 49.41),
        _alert("service", 423100001, 500, 40.0, 50.0),
        _alert("stranger", 111000111, 500, 40.0, 50.0),
        _alert("drill", 111000111, 500, 40.0, 50.0, exercise=True),
    ]
    score = score_alerts(alerts, truth, authorised={111000111})
    assert (score.alerts, score.true_alerts, score.false_alerts) == (6, 3, 3)
    assert score.false_ids == ("ferry", "service", "stranger")
    assert (score.lookalike_alerts, score.authorised_alerts) == (1, 2)
    assert (score.behaviours, score.behaviours_alerted) == (4, 2)
    assert score.to_dict()["false_per_day"] == 3.0


def test_prealert_lead_times_and_false_prealerts() -> None:
    import dataclasses

    from khazar.sim.evaluate import aggregate

    base = _truth()
    drag = dataclasses.replace(base.behaviours[0], first_crossing=_t(150),
                               line_crossing=_t(155))
    truth = dataclasses.replace(base, behaviours=(drag, *base.behaviours[1:]))
    again = Truth.loads(truth.dumps())  # the crossings round-trip through truth.json
    assert again.behaviours[0].first_crossing == _t(150)
    assert again.behaviours[0].line_crossing == _t(155)
    said = {"detected_at": _t(75).isoformat()}
    text = "\n".join([
        # decided 15 min after the drop (batch: its start is the drop): 75 min before
        _line("anchor_down", 273000001, _t(60), _t(140), evidence=said),
        _line("anchor_down", 273000001, _t(160), _t(170)),  # after the crossing: not earlier
        _line("anchor_down", 423000050, _t(10), _t(40)),  # the ferry slowing: a false one
        _line("anchor_down", 423900001, _t(10), _t(40)),  # own patrol boat: exempt
        _line("anchor_drag", 273000001, _t(152), _t(160)),  # at the corridor, 2 min in
    ])
    report = evaluate(truth, parse_events_jsonl(text))
    pre = report.prealerts
    assert pre is not None
    (d,) = pre.drags  # only drags with a recorded crossing are pre-alert drags
    assert d.id == "anchor_drag_eagle_s-1" and d.lead_s == 75 * 60.0 and d.prealerted
    assert d.drag_after_s == 2 * 60.0
    assert pre.false_ids == ("anchor_down-423000050-0010",)
    j = report.to_json()["prealerts"]
    assert (j["drags"], j["prealerted"], j["lead_median_min"], j["false_per_day"],
            j["drag_after_crossing_median_min"]) == (1, 1, 75.0, 1.0, 2.0)
    assert not {t["type"] for t in report.to_json()["types"]} & {"anchor_down"}  # not scored
    # pooled, a drag pre-alerted too late counts a lead of 0 in the median
    late = evaluate(truth, parse_events_jsonl(_line("anchor_down", 273000001, _t(160),
                                                      _t(170))))
    pooled = aggregate([report, late])["prealerts"]
    assert (pooled["drags"], pooled["prealerted"], pooled["lead_median_min"],
            pooled["lead_min_min"], pooled["false"]) == (2, 1, 37.5, 75.0, 1)
