"""Alerts (DESIGN C4): rules that turn events into alerts, severity, life cycle, handover,
escalation, and fault back-tracing.

- :mod:`~khazar.alerts.rules`: the pure rule engine, :func:`alerts_for_events`.
- :mod:`~khazar.alerts.severity`: the score formula and levels.
- :mod:`~khazar.alerts.lifecycle`: allowed transitions, escalation (pure).
- :mod:`~khazar.alerts.handover`: the shift handover summary (pure).
- :mod:`~khazar.services.alerts`: the same actions against the store, audited.
- :mod:`~khazar.alerts.backtrace`: rank vessels near an asset fault (pure);
  :mod:`~khazar.interop.evidence` writes the evidence pack.
"""

from khazar.alerts.handover import Handover, handover_summary
from khazar.alerts.lifecycle import ALLOWED, acknowledge, assign, escalate_due, resolve
from khazar.alerts.rules import (
    WATCHLIST_RULE,
    AssetInfo,
    RuleContext,
    alerts_for_events,
    match_rule,
)
from khazar.alerts.severity import SeverityInputs, score_alert
from khazar.domain.alerts import Alert, AlertState, Note, Severity, Transition, severity_for_score

__all__ = [
    "ALLOWED",
    "WATCHLIST_RULE",
    "Alert",
    "AlertState",
    "AssetInfo",
    "Handover",
    "Note",
    "RuleContext",
    "Severity",
    "SeverityInputs",
    "Transition",
    "acknowledge",
    "alerts_for_events",
    "assign",
    "escalate_due",
    "handover_summary",
    "match_rule",
    "resolve",
    "score_alert",
    "severity_for_score",
]
