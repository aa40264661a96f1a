"""Evaluation against a hand-built truth: matching, precision, exemptions, time to detect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from khazar.errors import InputError
from khazar.sim.evaluate import evaluate, parse_events_jsonl
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
