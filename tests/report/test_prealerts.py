"""The report's pre-alert lead times (issue 21), from stored events alone."""

from __future__ import annotations

from khazar.domain.reporting import EventRow
from khazar.report.html import _prealerts_table
from khazar.report.prealerts import prealert_rows

T0 = 1_780_000_000.0


def _ev(type_: str, mmsi: int, start_min: float, asset: str | None = "acg-24in-oil",
        **evidence: object) -> EventRow:
    s = T0 + start_min * 60
    return EventRow(f"{type_}-{mmsi}-{start_min}", type_, mmsi, None, s, s + 600, 40.0, 50.0,
                    None, asset, dict(evidence))


def test_lead_time_from_the_decision_to_the_corridor() -> None:
    said = "2026-05-28T20:41:40Z"  # T0 + 15 min (T0 = 2026-05-28T20:26:40Z)
    events = [
        _ev("anchor_down", 1, 0, detected_at=said, minutes_to_impact=48.0, confidence=0.6),
        _ev("anchor_down", 1, 70, detected_at="2026-05-28T21:51:40Z", minutes_to_impact=9.0),
        _ev("zone_entry", 1, 5, asset="acg-24in-oil"),  # before the decision: not the impact
        _ev("zone_entry", 1, 60),
        _ev("anchor_drag", 1, 61),
        _ev("anchor_down", 2, 30, asset="sd2-export", minutes_to_impact=120.0),  # not reached
        _ev("anchor_down", 3, 30, asset=None),  # no line ahead: no pre-alert
    ]
    first, other = prealert_rows(events)
    assert (first.mmsi, first.asset_id, first.projected_min) == (1, "acg-24in-oil", 48.0)
    assert first.lead_min == 45.0  # decided at +15 min, in the corridor at +60
    assert other.mmsi == 2 and other.lead_min is None and other.decided_s == T0 + 30 * 60
    html = _prealerts_table(events, (4.0, "Baku"))
    assert "2 pre-alerts; 1 ships reached the line, median lead 45 min" in html
    assert "not reached" in html
    assert "no pre-alerts" in _prealerts_table([], (0.0, "UTC"))
