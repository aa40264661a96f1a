"""Alert value types: severity levels, states, the alert itself and its transitions."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "Alert",
    "AlertState",
    "Note",
    "Severity",
    "Transition",
    "alert_id",
    "severity_for_score",
    "triage_key",
    "triage_order",
]


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def bumped(self) -> Severity:
        """One level up (critical stays critical): what escalation does."""
        return _SEVERITY_ORDER[min(self.rank + 1, len(_SEVERITY_ORDER) - 1)]


_SEVERITY_ORDER = [Severity.low, Severity.medium, Severity.high, Severity.critical]

#: lower bounds of the score (0..100) for each level
SEVERITY_THRESHOLDS = {Severity.critical: 75.0, Severity.high: 50.0, Severity.medium: 25.0}


def severity_for_score(score: float) -> Severity:
    """The level of a 0..100 score: ≥ 75 critical, ≥ 50 high, ≥ 25 medium, else low."""
    for level, bound in SEVERITY_THRESHOLDS.items():
        if score >= bound:
            return level
    return Severity.low


class AlertState(enum.StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    assigned = "assigned"
    resolved = "resolved"


def alert_id(
    rule: str,
    event_type: str,
    mmsi: int | None,
    other_mmsi: int | None,
    place: str,
    first: datetime,
) -> str:
    """Deterministic id from the rule, behaviour, vessel(s), place (asset or zone) and first
    event start: the same parts as the merge key, so two behaviours never share an id."""
    a, b = mmsi, other_mmsi
    if a is not None and b is not None and b < a:
        a, b = b, a
    key = (f"{rule}|{event_type}|{'' if a is None else a}|{'' if b is None else b}|{place}|"
           f"{first.isoformat()}")
    return "A" + hashlib.sha256(key.encode()).hexdigest()[:15]


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert: one episode of one vessel (or pair) doing one thing at one place."""

    id: str
    rule: str
    type: str
    severity: Severity
    score: float
    state: AlertState
    mmsi: int | None
    other_mmsi: int | None
    asset_id: str | None
    zone_id: str | None
    lat: float
    lon: float
    first_ts: datetime
    last_ts: datetime
    event_ids: tuple[str, ...]
    summary: str
    created_at: datetime
    updated_at: datetime
    assigned_boat: str | None = None
    resolution: str | None = None
    escalated: bool = False
    exercise: bool = False

    @property
    def event_count(self) -> int:
        return len(self.event_ids)

    @property
    def is_open(self) -> bool:
        return self.state is not AlertState.resolved

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (ISO 8601 UTC times), as the CLI and API print it."""
        return {
            "id": self.id,
            "rule": self.rule,
            "type": self.type,
            "severity": self.severity.value,
            "score": round(self.score, 1),
            "state": self.state.value,
            "mmsi": self.mmsi,
            "other_mmsi": self.other_mmsi,
            "asset_id": self.asset_id,
            "zone_id": self.zone_id,
            "lat": self.lat,
            "lon": self.lon,
            "first_ts": self.first_ts.isoformat(),
            "last_ts": self.last_ts.isoformat(),
            "event_ids": list(self.event_ids),
            "event_count": self.event_count,
            "summary": self.summary,
            "assigned_boat": self.assigned_boat,
            "resolution": self.resolution,
            "escalated": self.escalated,
            "exercise": self.exercise,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def triage_key(alert: Alert) -> tuple[int, datetime, datetime, str]:
    """The watch floor's order: most severe first (critical, high, medium, low), then the
    longest waiting first (oldest ``created_at``, then oldest first event), then the id."""
    return (-alert.severity.rank, alert.created_at, alert.first_ts, alert.id)


def triage_order(alerts: Iterable[Alert]) -> list[Alert]:
    """``alerts`` in :func:`triage_key` order: what the API, the CLI and the console show."""
    return sorted(alerts, key=triage_key)


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of an alert: a state change, an assignment or an escalation."""

    alert_id: str
    ts: datetime
    actor: str
    from_state: AlertState | None
    to_state: AlertState
    boat: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as the CLI, the API and the handover show it."""
        return {"alert_id": self.alert_id, "ts": self.ts.isoformat(), "actor": self.actor,
                "from": self.from_state.value if self.from_state else None,
                "to": self.to_state.value, "boat": self.boat, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Note:
    alert_id: str
    ts: datetime
    author: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "ts": self.ts.isoformat(), "author": self.author,
                "text": self.text}
