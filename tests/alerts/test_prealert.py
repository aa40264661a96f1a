"""Issue 21: an ``anchor_down`` event heading for a line is a pre-alert that says which line,
how soon and what is at stake; the sooner and the bigger, the higher it ranks."""

from __future__ import annotations

import dataclasses

from khazar.alerts import AssetInfo, RuleContext, alerts_for_events
from khazar.alerts.titles import alert_titles
from khazar.domain import Event

from .builders import OTHER, STRANGER, ZONES, event, settings

ASSETS = {
    "acg-sangachal-oil": AssetInfo("acg-sangachal-oil", "pipeline", "acg", 40.0,
                                   stake="31 bcm/yr of gas"),
    "nd-line": AssetInfo("nd-line", "pipeline", "neft-daslari", 4.0),
}
CTX = RuleContext.from_settings(settings(), ZONES, ASSETS)


def _down(minutes: float | None, asset: str | None = "acg-sangachal-oil",
          mmsi: int = STRANGER, confidence: float = 0.6) -> Event:
    ev = event("anchor_down", mmsi=mmsi, asset=asset, duration_min=20.0)
    return dataclasses.replace(ev, evidence={"minutes_to_impact": minutes,
                                             "confidence": confidence})


def test_a_pre_alert_says_the_line_the_time_and_the_stake() -> None:
    [alert] = alerts_for_events([_down(48.0)], CTX)
    assert alert.rule == "anchor-down" and alert.type == "anchor_down"
    assert alert.summary == ("anchor-down: MMSI 273123456, anchor likely down, crosses "
                             "acg-sangachal-oil in about 48 min, 31 bcm/yr of gas at stake")


def test_sooner_and_bigger_rank_higher() -> None:
    by = {a.mmsi: a for a in alerts_for_events(
        [_down(30.0), _down(170.0, mmsi=OTHER), _down(30.0, asset="nd-line", mmsi=1)], CTX)}
    soon, late, small = by[STRANGER], by[OTHER], by[1]
    assert soon.score > late.score  # the same line, an hour and a half later
    assert soon.score > small.score  # as soon, a tenth of the energy
    assert soon.score == 80.0  # 0.5·1.0 (30 min: full urgency) + 0.3·(40/40)


def test_no_pre_alert_without_a_line_ahead_or_with_a_weak_signature() -> None:
    assert alerts_for_events([_down(None, asset=None)], CTX) == []
    assert alerts_for_events([_down(40.0, confidence=0.3)], CTX) == []


def test_title_with_the_countdown() -> None:
    t = alert_titles("anchor_down", "EAGLE S", 230_000_001, "ACG 24-inch oil export line",
                     minutes=48.4)
    assert t.en == "EAGLE S, anchor likely down, heading for the ACG 24-inch oil export line, " \
                   "in about 48 min"
    assert t.az.endswith("təxminən 48 dəq ərzində")
    assert alert_titles("anchor_down", None, 230_000_001, None, minutes=48).en == \
        "MMSI 230000001, anchor likely down"
