"""The shift handover summary: what the next watch officer must know. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from khazar.alerts.lifecycle import escalate_due
from khazar.domain.alerts import Alert, AlertState, Note, Severity, Transition

__all__ = ["Handover", "handover_summary"]


@dataclass(frozen=True, slots=True)
class Handover:
    since: datetime
    now: datetime
    open_by_severity: dict[str, int]
    open_alerts: tuple[Alert, ...]  # most severe first
    unacknowledged: tuple[Alert, ...]
    escalated: tuple[Alert, ...]  # open and escalated
    boats_assigned: dict[str, tuple[str, ...]]  # boat → open alert ids
    changes: tuple[Transition, ...]  # since ``since``, in time order
    new_since: tuple[Alert, ...]
    resolved_since: tuple[Alert, ...]
    notes: tuple[Note, ...]
    #: still ``new`` past the escalation delay but not yet escalated (the handover only
    #: reports them: the server escalates, or ``khazar alerts escalate``, audited)
    overdue: tuple[Alert, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "now": self.now.isoformat(),
            "open_by_severity": self.open_by_severity,
            "open": [a.to_dict() for a in self.open_alerts],
            "unacknowledged": [a.id for a in self.unacknowledged],
            "escalated": [a.id for a in self.escalated],
            "boats_assigned": {b: list(ids) for b, ids in self.boats_assigned.items()},
            "new_since": [a.id for a in self.new_since],
            "resolved_since": [
                {"id": a.id, "resolution": a.resolution} for a in self.resolved_since
            ],
            "changes": [t.to_dict() for t in self.changes],
            "notes": [n.to_dict() for n in self.notes],
            "overdue": [a.id for a in self.overdue],
        }


def handover_summary(
    alerts: Sequence[Alert],
    transitions: Sequence[Transition],
    notes: Sequence[Note],
    since: datetime,
    now: datetime,
    include_exercise: bool = False,
    escalate_after: timedelta | None = None,
) -> Handover:
    """Summarise the alert queue for a shift change (exercise alerts left out by default).
    With ``escalate_after``, the alerts overdue for escalation at ``now`` are listed, not
    escalated: a handover only reads."""
    pool = [a for a in alerts if include_exercise or not a.exercise]
    ids = {a.id for a in pool}
    open_alerts = sorted(
        (a for a in pool if a.is_open), key=lambda a: (-a.severity.rank, -a.score, a.id)
    )
    counts = Counter(a.severity.value for a in open_alerts)
    by_sev = {s.value: counts.get(s.value, 0) for s in reversed(list(Severity))}
    boats: dict[str, list[str]] = {}
    for a in open_alerts:
        if a.state is AlertState.assigned and a.assigned_boat:
            boats.setdefault(a.assigned_boat, []).append(a.id)
    changes = tuple(
        sorted(
            (t for t in transitions if t.ts >= since and t.alert_id in ids),
            key=lambda t: (t.ts, t.alert_id),
        )
    )
    new_ids = {t.alert_id for t in changes if t.from_state is None}
    return Handover(
        since=since,
        now=now,
        open_by_severity=by_sev,
        open_alerts=tuple(open_alerts),
        unacknowledged=tuple(a for a in open_alerts if a.state is AlertState.new),
        escalated=tuple(a for a in open_alerts if a.escalated),
        boats_assigned={b: tuple(v) for b, v in sorted(boats.items())},
        changes=changes,
        new_since=tuple(a for a in pool if a.id in new_ids),
        resolved_since=tuple(
            a for a in pool if a.state is AlertState.resolved and a.updated_at >= since
        ),
        notes=tuple(n for n in notes if n.ts >= since and n.alert_id in ids),
        overdue=(() if escalate_after is None
                 else tuple(a for a, _ in escalate_due(open_alerts, now, escalate_after))),
    )
