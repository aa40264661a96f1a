"""Severity of an alert: behaviour, asset criticality, vessel history, watchlist. Pure.

    score = 100 · min(1, 0.5·b + 0.3·c + 0.2·h + w·watchlisted)

``b`` the rule's behaviour weight (0..1), for a pre-alert (``anchor_down``, issue 21) times
its urgency ``u`` (1 up to 30 minutes to impact, then down by 1/300 a minute to 0.5: the
sooner the ship reaches the line, the higher); ``c`` the asset's energy value over the largest
asset value (0 when the alert concerns no asset); ``h = 1 − exp(−n / scale)`` with ``n``
the vessel's earlier alerts; ``w`` the watchlist weight. Levels: ≥ 75 critical, ≥ 50 high,
≥ 25 medium, else low; an escalated alert goes one level up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from khazar.domain.alerts import Severity, severity_for_score

__all__ = ["WEIGHTS", "SeverityInputs", "score_alert", "severity_of", "urgency"]

#: weights of behaviour, criticality and history in the score
WEIGHTS = (0.5, 0.3, 0.2)


@dataclass(frozen=True, slots=True)
class SeverityInputs:
    behaviour_weight: float
    asset_value: float
    max_asset_value: float
    previous_alerts: int
    watchlisted: bool
    #: a pre-alert's minutes until the ship reaches the asset (None: not a pre-alert)
    minutes_to_impact: float | None = None


def urgency(minutes_to_impact: float | None) -> float:
    """1 for no countdown or ≤ 30 min to impact, then linearly down to 0.5 at 180 min."""
    if minutes_to_impact is None:
        return 1.0
    return min(1.0, max(0.5, 1.0 - (minutes_to_impact - 30.0) / 300.0))


def score_alert(inputs: SeverityInputs, watchlist_weight: float, history_scale: float) -> float:
    """The 0..100 score of an alert (see the module docstring for the formula)."""
    wb, wc, wh = WEIGHTS
    crit = inputs.asset_value / inputs.max_asset_value if inputs.max_asset_value > 0 else 0.0
    crit = min(max(crit, 0.0), 1.0)
    hist = 1.0 - math.exp(-max(inputs.previous_alerts, 0) / history_scale)
    raw = wb * inputs.behaviour_weight * urgency(inputs.minutes_to_impact) + wc * crit + wh * hist
    if inputs.watchlisted:
        raw += watchlist_weight
    return 100.0 * min(raw, 1.0)


def severity_of(score: float, escalated: bool) -> Severity:
    """The level of a score, one level up when the alert was escalated."""
    level = severity_for_score(score)
    return level.bumped() if escalated else level
