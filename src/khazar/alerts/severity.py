"""Severity of an alert: behaviour, asset criticality, vessel history, watchlist. Pure.

    score = 100 · min(1, 0.5·b + 0.3·c + 0.2·h + w·watchlisted)

``b`` the rule's behaviour weight (0..1); ``c`` the asset's energy value over the largest
asset value (0 when the alert concerns no asset); ``h = 1 − exp(−n / scale)`` with ``n``
the vessel's earlier alerts; ``w`` the watchlist weight. Levels: ≥ 75 critical, ≥ 50 high,
≥ 25 medium, else low; an escalated alert goes one level up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from khazar.domain.alerts import Severity, severity_for_score

__all__ = ["WEIGHTS", "SeverityInputs", "score_alert", "severity_of"]

#: weights of behaviour, criticality and history in the score
WEIGHTS = (0.5, 0.3, 0.2)


@dataclass(frozen=True, slots=True)
class SeverityInputs:
    behaviour_weight: float
    asset_value: float
    max_asset_value: float
    previous_alerts: int
    watchlisted: bool


def score_alert(inputs: SeverityInputs, watchlist_weight: float, history_scale: float) -> float:
    """The 0..100 score of an alert (see the module docstring for the formula)."""
    wb, wc, wh = WEIGHTS
    crit = inputs.asset_value / inputs.max_asset_value if inputs.max_asset_value > 0 else 0.0
    crit = min(max(crit, 0.0), 1.0)
    hist = 1.0 - math.exp(-max(inputs.previous_alerts, 0) / history_scale)
    raw = wb * inputs.behaviour_weight + wc * crit + wh * hist
    if inputs.watchlisted:
        raw += watchlist_weight
    return 100.0 * min(raw, 1.0)


def severity_of(score: float, escalated: bool) -> Severity:
    """The level of a score, one level up when the alert was escalated."""
    level = severity_for_score(score)
    return level.bumped() if escalated else level
