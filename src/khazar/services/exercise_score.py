"""The score sheet of a red-team exercise: pure, from the planted behaviours (the
simulator's truth), the exercise alerts, their transitions and the dispatch orders.

An alert answers a behaviour when it is an exercise alert raised after the exercise
started, about one of the behaviour's MMSIs (or, when the alert names no vessel or the
behaviour has none — a boat without AIS — within the truth's match radius of the
behaviour's position), and its first event falls within the behaviour's time span widened
by the truth's time tolerance (the one truth matcher, :func:`khazar.sim.evaluate.matches`,
with :data:`~khazar.sim.evaluate.EXERCISE_PLACE`). Response times run from the
moment the alert was raised (wall clock): to its acknowledgement, to its assignment to a
boat (dispatch), and to the intercept — estimated as the dispatch time plus the boat's ETA
over water at the order, since no boat sails in an exercise.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khazar.sim.evaluate import EXERCISE_PLACE, Claim, matches
from khazar.sim.truth import PlantedBehaviour

__all__ = ["AlertFacts", "facts_from_truth", "score_exercise"]


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """One exercise alert and what the operators did with it."""

    id: str
    type: str
    mmsi: int | None
    other_mmsi: int | None
    lat: float
    lon: float
    first_ts: datetime
    created_at: datetime
    acknowledged_at: datetime | None
    assigned_at: datetime | None
    boat: str | None
    eta_s: float | None  # the boat's ETA at the dispatch order, when dispatched from Khazar


def _matches(a: AlertFacts, b: PlantedBehaviour, tolerance_s: float, radius_m: float) -> bool:
    # the alert's first event is the moment it claims: an exercise scores when Khazar first
    # saw the behaviour, not how long the alert stayed open
    claim = Claim(a.mmsi, a.other_mmsi, a.first_ts, a.first_ts, a.lat, a.lon)
    return matches(claim, b, tolerance_s, radius_m, EXERCISE_PLACE)


def _secs(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else round((later - earlier).total_seconds(), 1)


def _median(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(statistics.median(got), 1) if got else None


def score_exercise(
    behaviours: Sequence[PlantedBehaviour],
    alerts: Sequence[AlertFacts],
    tolerance_s: float,
    radius_m: float,
) -> dict[str, Any]:
    """The score sheet: one row per planted behaviour, the totals, the alerts that
    answered no behaviour (false alarms of the exercise)."""
    used: set[str] = set()
    rows: list[dict[str, Any]] = []
    for b in behaviours:
        hits = sorted((a for a in alerts if _matches(a, b, tolerance_s, radius_m)),
                      key=lambda a: a.created_at)
        used.update(a.id for a in hits)
        row: dict[str, Any] = {
            "behaviour": b.id, "scenario": b.scenario, "mmsis": list(b.mmsis),
            "start": b.start.isoformat(), "end": b.end.isoformat(),
            "raised": bool(hits), "alerts": [a.id for a in hits],
            "alert_types": sorted({a.type for a in hits}),
            "raised_at": None, "time_to_ack_s": None, "time_to_dispatch_s": None,
            "time_to_intercept_s": None, "boat": None,
        }
        if hits:
            first = hits[0]
            acked = [a for a in hits if a.acknowledged_at is not None]
            sent = [a for a in hits if a.assigned_at is not None]
            row["raised_at"] = first.created_at.isoformat()
            if acked:
                a = min(acked, key=lambda x: x.acknowledged_at or x.created_at)
                row["time_to_ack_s"] = _secs(a.acknowledged_at, first.created_at)
            if sent:
                a = min(sent, key=lambda x: x.assigned_at or x.created_at)
                to_dispatch = _secs(a.assigned_at, first.created_at)
                row["time_to_dispatch_s"] = to_dispatch
                row["boat"] = a.boat
                if a.eta_s is not None and to_dispatch is not None:
                    row["time_to_intercept_s"] = round(to_dispatch + a.eta_s, 1)
        rows.append(row)
    raised = sum(r["raised"] for r in rows)
    return {
        "behaviours": rows,
        "planted": len(rows),
        "raised": raised,
        "missed": len(rows) - raised,
        "missed_behaviours": [r["behaviour"] for r in rows if not r["raised"]],
        "acknowledged": sum(r["time_to_ack_s"] is not None for r in rows),
        "dispatched": sum(r["time_to_dispatch_s"] is not None for r in rows),
        "median_time_to_ack_s": _median([r["time_to_ack_s"] for r in rows]),
        "median_time_to_dispatch_s": _median([r["time_to_dispatch_s"] for r in rows]),
        "median_time_to_intercept_s": _median([r["time_to_intercept_s"] for r in rows]),
        "other_alerts": sorted(a.id for a in alerts if a.id not in used),
        "intercept_is_estimate": "time to intercept = time to dispatch + the boat's ETA over "
                                 "water at the order (an estimate: no boat sails in an "
                                 "exercise)",
    }


def facts_from_truth(truth: Mapping[str, Any]) -> list[PlantedBehaviour]:
    """The behaviours of a ``truth.json`` document (the simulator's own reader)."""
    return [PlantedBehaviour.from_json(b) for b in truth.get("behaviours", [])]
