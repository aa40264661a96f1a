"""Score detected events against a simulation's ground truth (pure: values in, values out).

Matching rule (also in docs/simulator.md):

* an event *matches* a planted behaviour when its time span ``[start, end]`` overlaps
  ``[behaviour.start - tol, behaviour.end + tol]`` (``tol`` = the truth's ``time_tolerance_s``)
  and either one of its vessels (``mmsi`` / ``other_mmsi``) is one of the behaviour's MMSIs,
  or, for a radar-only target, the event's position lies within ``match_radius_m`` (1.5 km) of
  the target's true position at some time within ``[start - 10 min, end + 10 min]``;
* recall of type T = planted behaviours that require T (alone or as one of an "either" group)
  and have a matching event of type T, over the behaviours that require T;
* precision of type T = events of type T that match a behaviour, over events of type T that
  are counted: events by a vessel authorised where the event happened (own fleet anywhere,
  service boats at their own assets) are *exempt*, ``zone_entry`` events outside the run's
  ``zone_entry_scope`` (platform safety zones) are *unscored*, every other event of a scored
  type that matches no behaviour is a false positive, look-alikes included;
* time to detect = ``evidence.detected_at`` of the first matching event when the detector
  records it (live runs), otherwise that event's ``start`` (a lower bound for batch runs),
  minus the behaviour's start, floored at 0.
* pre-alerts (issue 21, :func:`score_prealerts`): for each planted drag with a recorded
  ``first_crossing``, the *lead time* is that crossing minus the ``detected_at`` of the first
  ``anchor_down`` event of its vessel (matched as above); the drag is *pre-alerted* when the
  lead is positive. An ``anchor_down`` event that matches no planted behaviour and is not
  exempt is a *false pre-alert*.

Alerts and an exercise's alerts are matched by the same rule (:func:`matches`), with the
place rule of each (:data:`EVENT_PLACE`, :func:`alert_place`, :data:`EXERCISE_PLACE`): see
:func:`score_alerts` here and :mod:`khazar.services.exercise_score`.
"""

from __future__ import annotations

import enum
import json
import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from khazar.domain.alerts import Alert
from khazar.errors import InputError
from khazar.sim.truth import SCORED_EVENT_TYPES, PlantedBehaviour, Truth, parse_time
from khazar.units import haversine_m

__all__ = [
    "EVENT_PLACE",
    "EXERCISE_PLACE",
    "AlertScore",
    "BehaviourResult",
    "ByPlace",
    "Claim",
    "EvaluationReport",
    "PlaceRule",
    "PreAlertResult",
    "PreAlertScore",
    "ScoredEvent",
    "TypeScore",
    "aggregate",
    "alert_place",
    "evaluate",
    "matches",
    "parse_events_jsonl",
    "score_alerts",
    "score_prealerts",
]

#: radar-only targets: ± window around an event when comparing positions (DESIGN dark_vessel)
RADAR_TIME_WINDOW_S = 600.0


@dataclass(frozen=True, slots=True)
class ScoredEvent:
    """The fields of a ``khazar detect`` event line that scoring needs."""

    id: str
    type: str
    mmsi: int | None
    other_mmsi: int | None
    start: datetime
    end: datetime
    lat: float
    lon: float
    zone_id: str | None
    asset_id: str | None
    detected_at: datetime | None

    @property
    def vessels(self) -> frozenset[int]:
        return frozenset(m for m in (self.mmsi, self.other_mmsi) if m is not None)


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def parse_events_jsonl(text: str) -> list[ScoredEvent]:
    """Parse DESIGN's event lines (``{"id","type","mmsi",…,"evidence"}``); blank lines skipped."""
    events: list[ScoredEvent] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            evidence = d.get("evidence") or {}
            det = evidence.get("detected_at") if isinstance(evidence, dict) else None
            events.append(
                ScoredEvent(
                    id=str(d.get("id", f"line-{n}")),
                    type=str(d["type"]),
                    mmsi=_opt_int(d.get("mmsi")),
                    other_mmsi=_opt_int(d.get("other_mmsi")),
                    start=parse_time(d["start"]),
                    end=parse_time(d.get("end") or d["start"]),
                    lat=float(d["lat"]) if d.get("lat") is not None else math.nan,
                    lon=float(d["lon"]) if d.get("lon") is not None else math.nan,
                    zone_id=d.get("zone_id"),
                    asset_id=d.get("asset_id"),
                    detected_at=parse_time(det) if isinstance(det, str) else None,
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, InputError) as exc:
            raise InputError(
                f"events line {n}: {exc}; expected a JSON object with at least "
                f'"type", "start" (ISO 8601) and "mmsi" or "lat"/"lon"'
            ) from exc
    return events


@dataclass(frozen=True, slots=True)
class TypeScore:
    """Recall, precision and time to detect for one event type."""

    type: str
    required_by: int
    detected: int
    events: int
    true_positives: int
    false_positives: int
    exempt: int
    unscored: int
    lookalike_hits: int
    ttd_s: tuple[float, ...]

    @property
    def recall(self) -> float | None:
        return self.detected / self.required_by if self.required_by else None

    @property
    def precision(self) -> float | None:
        counted = self.true_positives + self.false_positives
        return self.true_positives / counted if counted else None

    def to_json(self, days: float) -> dict[str, Any]:
        return {
            "type": self.type,
            "recall": _r(self.recall),
            "precision": _r(self.precision),
            "required_by": self.required_by,
            "detected": self.detected,
            "events": self.events,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_positives_per_day": round(self.false_positives / days, 2) if days else None,
            "exempt": self.exempt,
            "unscored": self.unscored,
            "lookalike_hits": self.lookalike_hits,
            "ttd_median_s": _r(statistics.median(self.ttd_s)) if self.ttd_s else None,
            "ttd_max_s": _r(max(self.ttd_s)) if self.ttd_s else None,
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


@dataclass(frozen=True, slots=True)
class BehaviourResult:
    """Per planted behaviour: was it detected, by which types, how fast."""

    id: str
    scenario: str
    detected: bool
    matched_types: tuple[str, ...]
    missing_groups: tuple[tuple[str, ...], ...]
    ttd_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario,
            "detected": self.detected,
            "matched_types": list(self.matched_types),
            "missing": [list(g) for g in self.missing_groups],
            "ttd_s": _r(self.ttd_s),
        }


#: the event type of a pre-alert (an anchor likely down, before the corridor)
PREALERT_TYPE = "anchor_down"


@dataclass(frozen=True, slots=True)
class PreAlertResult:
    """One planted drag: its first corridor crossing and the first ``anchor_down`` of it."""

    id: str
    scenario: str
    first_crossing: datetime
    detected_at: datetime | None
    #: the first matching ``anchor_drag`` (at the corridor), to compare it with the crossing
    drag_at: datetime | None = None

    @property
    def drag_after_s(self) -> float | None:
        """Seconds from the first crossing to the first ``anchor_drag`` (its time to detect
        counted from the corridor, as it was before the drags started upstream)."""
        if self.drag_at is None:
            return None
        return (self.drag_at - self.first_crossing).total_seconds()

    @property
    def lead_s(self) -> float | None:
        """Seconds from the pre-alert to the first crossing (negative: after it)."""
        if self.detected_at is None:
            return None
        return (self.first_crossing - self.detected_at).total_seconds()

    @property
    def prealerted(self) -> bool:
        return self.lead_s is not None and self.lead_s > 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "scenario": self.scenario,
                "first_crossing": self.first_crossing.isoformat().replace("+00:00", "Z"),
                "detected_at": (self.detected_at.isoformat().replace("+00:00", "Z")
                                if self.detected_at else None),
                "lead_min": _r(self.lead_s / 60.0) if self.lead_s is not None else None,
                "prealerted": self.prealerted,
                "drag_after_crossing_min": (_r(self.drag_after_s / 60.0)
                                            if self.drag_after_s is not None else None)}


@dataclass(frozen=True, slots=True)
class PreAlertScore:
    """Pre-alerts of a run: per planted drag, and the false ones."""

    drags: tuple[PreAlertResult, ...]
    false_ids: tuple[str, ...]
    days: float

    def to_json(self) -> dict[str, Any]:
        return _prealert_summary(list(self.drags), len(self.false_ids), self.days) | {
            "per_drag": [d.to_json() for d in self.drags],
            "false_ids": list(self.false_ids)}


def _prealert_summary(drags: list[PreAlertResult], false_n: int, days: float) -> dict[str, Any]:
    leads = [d.lead_s / 60.0 for d in drags if d.lead_s is not None and d.prealerted]
    after = [d.drag_after_s / 60.0 for d in drags if d.drag_after_s is not None]
    hit = sum(d.prealerted for d in drags)
    return {
        "drags": len(drags), "prealerted": hit,
        "rate": _r(hit / len(drags)) if drags else None,
        # over every drag: one with no pre-alert (or a late one) counts as a lead of 0
        "lead_median_min": _r(statistics.median(
            [max(0.0, d.lead_s / 60.0) if d.lead_s is not None else 0.0 for d in drags]))
        if drags else None,
        "lead_min_min": _r(min(leads)) if leads else None,
        "false": false_n,
        "false_per_day": round(false_n / days, 3) if days else None,
        "drag_after_crossing_median_min": _r(statistics.median(after)) if after else None,
    }


def score_prealerts(truth: Truth, events: list[ScoredEvent]) -> PreAlertScore:
    """Lead time per planted drag and the false pre-alerts (module docstring)."""
    downs = [e for e in events if e.type == PREALERT_TYPE]
    drags: list[PreAlertResult] = []
    for b in truth.behaviours:
        if b.first_crossing is None:
            continue
        times = [e.detected_at or e.start for e in downs if _matches(e, b, truth)]
        at = [e.detected_at or e.start for e in events
              if e.type == "anchor_drag" and _matches(e, b, truth)]
        drags.append(PreAlertResult(b.id, b.scenario, b.first_crossing,
                                    min(times) if times else None, min(at) if at else None))
    false_ids = tuple(e.id for e in downs
                      if not any(_matches(e, b, truth) for b in truth.behaviours)
                      and not _exempt(e, truth))
    days = max((truth.end - truth.start).total_seconds(), 1.0) / 86400.0
    return PreAlertScore(tuple(drags), false_ids, days)


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """The outcome of :func:`evaluate`."""

    scenario: str
    seed: int
    days: float
    types: tuple[TypeScore, ...]
    behaviours: tuple[BehaviourResult, ...]
    false_positive_ids: tuple[str, ...] = field(default=())
    lookalike_hit_ids: tuple[str, ...] = field(default=())
    prealerts: PreAlertScore | None = None

    @property
    def detected_fraction(self) -> float | None:
        if not self.behaviours:
            return None
        return sum(b.detected for b in self.behaviours) / len(self.behaviours)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "days": round(self.days, 4),
            "behaviours_detected": _r(self.detected_fraction),
            "types": [t.to_json(self.days) for t in self.types],
            "behaviours": [b.to_json() for b in self.behaviours],
            "false_positive_ids": list(self.false_positive_ids),
            "lookalike_hit_ids": list(self.lookalike_hit_ids),
            "prealerts": self.prealerts.to_json() if self.prealerts else None,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """Whatever Khazar said about the sea (a detected event, an alert, an exercise alert),
    reduced to what matching it against the truth needs: whose, when (UTC), where (degrees;
    NaN when unknown)."""

    mmsi: int | None
    other_mmsi: int | None
    start: datetime
    end: datetime
    lat: float
    lon: float

    @property
    def vessels(self) -> frozenset[int]:
        return frozenset(m for m in (self.mmsi, self.other_mmsi) if m is not None)

    @classmethod
    def of_event(cls, ev: ScoredEvent) -> Claim:
        return cls(ev.mmsi, ev.other_mmsi, ev.start, ev.end, ev.lat, ev.lon)

    @classmethod
    def of_alert(cls, alert: Alert) -> Claim:
        return cls(alert.mmsi, alert.other_mmsi, alert.first_ts, alert.last_ts, alert.lat,
                   alert.lon)


class ByPlace(enum.Enum):
    """Which claims may match a behaviour by where they are rather than by whose they are."""

    #: every claim with a position: a detector may pin a wrong MMSI on a dark contact
    any = "any"
    #: claims naming no vessel (radar contacts): an alert on a named vessel is about it
    unnamed = "unnamed"
    #: claims naming no vessel, and any claim about a behaviour that has no vessel (a boat
    #: without AIS), whose alert names whichever vessel the operators' picture showed
    unnamed_or_vesselless = "unnamed_or_vesselless"


@dataclass(frozen=True, slots=True)
class PlaceRule:
    """How a claim that names none of a behaviour's vessels may still match it by place:
    within the truth's ``match_radius_m`` of one of the behaviour's radar targets, at a
    target sample no more than ``radar_window_s`` outside the claim's span (None: radar
    targets are not looked at), or of the behaviour's planted position (``at_behaviour``)."""

    who: ByPlace
    radar_window_s: float | None
    at_behaviour: bool


#: detected events: any located event near a radar target within ± 10 minutes of it
EVENT_PLACE = PlaceRule(ByPlace.any, RADAR_TIME_WINDOW_S, at_behaviour=False)


def alert_place(truth: Truth) -> PlaceRule:
    """Alerts: vessel-less alerts near a radar target within the truth's time tolerance, or
    near the behaviour (a planted vessel that switched its AIS off is a radar-only contact)."""
    return PlaceRule(ByPlace.unnamed, truth.time_tolerance_s, at_behaviour=True)


#: an exercise's alerts: near the behaviour's position only (an exercise keeps no radar
#: tracks of its behaviours)
EXERCISE_PLACE = PlaceRule(ByPlace.unnamed_or_vesselless, None, at_behaviour=True)


def matches(
    claim: Claim, b: PlantedBehaviour, tolerance_s: float, radius_m: float, place: PlaceRule
) -> bool:
    """Does ``claim`` answer planted behaviour ``b``? Its span overlaps the behaviour's,
    widened by ``tolerance_s`` seconds each side, and it names one of the behaviour's
    vessels or (by ``place``) lies within ``radius_m`` metres of it."""
    if not _spans_overlap(claim.start, claim.end, b.start, b.end, tolerance_s):
        return False
    if claim.vessels & set(b.mmsis):
        return True
    if place.who is ByPlace.unnamed and claim.mmsi is not None:
        return False
    if place.who is ByPlace.unnamed_or_vesselless and claim.mmsi is not None and b.mmsis:
        return False
    if math.isnan(claim.lat) or math.isnan(claim.lon):
        return False
    if place.radar_window_s is not None:
        window = timedelta(seconds=place.radar_window_s)
        lo, hi = claim.start - window, claim.end + window
        for target in b.radar_targets:
            pts = [(lat, lon) for t, lat, lon in target.track if lo <= t <= hi]
            if not pts:
                continue
            arr = np.asarray(pts, dtype=np.float64)
            if float(haversine_m(claim.lat, claim.lon, arr[:, 0], arr[:, 1]).min()) <= radius_m:
                return True
    return place.at_behaviour and float(haversine_m(claim.lat, claim.lon, b.lat, b.lon)) <= radius_m


def _spans_overlap(
    start: datetime, end: datetime, b_start: datetime, b_end: datetime, tolerance_s: float
) -> bool:
    tol = timedelta(seconds=tolerance_s)
    return start <= b_end + tol and end >= b_start - tol


def _matches(ev: ScoredEvent, b: PlantedBehaviour, truth: Truth) -> bool:
    return matches(Claim.of_event(ev), b, truth.time_tolerance_s, truth.match_radius_m,
                   EVENT_PLACE)


def _exempt(ev: ScoredEvent, truth: Truth) -> bool:
    for m in ev.vessels:
        places = truth.authorised.get(m)
        if places is None:
            continue
        if "*" in places or ev.asset_id in places or ev.zone_id in places:
            return True
    return False


def _in_scope(ev: ScoredEvent, truth: Truth) -> bool:
    if ev.type != "zone_entry":
        return True
    scope = set(truth.zone_entry_scope)
    return ev.zone_id in scope or ev.asset_id in scope


def evaluate(truth: Truth, events: list[ScoredEvent]) -> EvaluationReport:
    """Score ``events`` (a detector's output) against ``truth``; see the module docstring."""
    scored = [e for e in events if e.type in SCORED_EVENT_TYPES]
    matched_by: dict[str, list[ScoredEvent]] = {b.id: [] for b in truth.behaviours}
    counts: dict[str, dict[str, int]] = {
        t: {"events": 0, "tp": 0, "fp": 0, "exempt": 0, "unscored": 0, "look": 0}
        for t in SCORED_EVENT_TYPES
    }
    fp_ids: list[str] = []
    look_ids: list[str] = []
    for ev in scored:
        c = counts[ev.type]
        c["events"] += 1
        hits = [b for b in truth.behaviours if _matches(ev, b, truth)]
        for b in hits:
            matched_by[b.id].append(ev)
        if hits:
            c["tp"] += 1
        elif _exempt(ev, truth):
            c["exempt"] += 1
        elif not _in_scope(ev, truth):
            c["unscored"] += 1
        else:
            c["fp"] += 1
            fp_ids.append(ev.id)
            if any(
                ev.vessels & set(la.mmsis)
                and _spans_overlap(ev.start, ev.end, la.start, la.end, truth.time_tolerance_s)
                for la in truth.lookalikes
            ):
                c["look"] += 1
                look_ids.append(ev.id)

    results: list[BehaviourResult] = []
    ttd_by_type: dict[str, list[float]] = {t: [] for t in SCORED_EVENT_TYPES}
    detected_by_type: dict[str, int] = dict.fromkeys(SCORED_EVENT_TYPES, 0)
    required_by_type: dict[str, int] = dict.fromkeys(SCORED_EVENT_TYPES, 0)
    for b in truth.behaviours:
        evs = matched_by[b.id]
        types_seen = {e.type for e in evs}
        missing = tuple(g for g in b.expected.required if not types_seen & set(g))
        first: float | None = None
        for t in sorted(b.expected.types):
            required_by_type[t] += 1
            of_type = [e for e in evs if e.type == t]
            if not of_type:
                continue
            detected_by_type[t] += 1
            ttd = min(
                max(0.0, ((e.detected_at or e.start) - b.start).total_seconds()) for e in of_type
            )
            ttd_by_type[t].append(ttd)
            first = ttd if first is None else min(first, ttd)
        results.append(
            BehaviourResult(
                id=b.id,
                scenario=b.scenario,
                detected=not missing,
                matched_types=tuple(sorted(types_seen)),
                missing_groups=missing,
                ttd_s=first if not missing else None,
            )
        )

    types = tuple(
        TypeScore(
            type=t,
            required_by=required_by_type[t],
            detected=detected_by_type[t],
            events=counts[t]["events"],
            true_positives=counts[t]["tp"],
            false_positives=counts[t]["fp"],
            exempt=counts[t]["exempt"],
            unscored=counts[t]["unscored"],
            lookalike_hits=counts[t]["look"],
            ttd_s=tuple(ttd_by_type[t]),
        )
        for t in SCORED_EVENT_TYPES
    )
    days = max((truth.end - truth.start).total_seconds(), 1.0) / 86400.0
    return EvaluationReport(
        scenario=truth.scenario,
        seed=truth.seed,
        days=days,
        types=types,
        behaviours=tuple(results),
        false_positive_ids=tuple(fp_ids),
        lookalike_hit_ids=tuple(look_ids),
        prealerts=score_prealerts(truth, events),
    )


def aggregate(reports: list[EvaluationReport]) -> dict[str, Any]:
    """Pool several runs' reports: sums of counts, pooled recall/precision, FP per day,
    detection rate per scenario, median time to detect."""
    days = sum(r.days for r in reports)
    types: list[dict[str, Any]] = []
    for t in SCORED_EVENT_TYPES:
        scores = [s for r in reports for s in r.types if s.type == t]
        req = sum(s.required_by for s in scores)
        det = sum(s.detected for s in scores)
        tp = sum(s.true_positives for s in scores)
        fp = sum(s.false_positives for s in scores)
        ttd = [x for s in scores for x in s.ttd_s]
        types.append({
            "type": t,
            "recall": _r(det / req) if req else None,
            "precision": _r(tp / (tp + fp)) if tp + fp else None,
            "required_by": req,
            "detected": det,
            "true_positives": tp,
            "false_positives": fp,
            "false_positives_per_day": round(fp / days, 2) if days else None,
            "exempt": sum(s.exempt for s in scores),
            "lookalike_hits": sum(s.lookalike_hits for s in scores),
            "ttd_median_s": _r(statistics.median(ttd)) if ttd else None,
        })
    scenarios: dict[str, list[bool]] = {}
    for r in reports:
        for b in r.behaviours:
            scenarios.setdefault(b.scenario, []).append(b.detected)
    pre = [r.prealerts for r in reports if r.prealerts is not None]
    return {
        "prealerts": _prealert_summary([d for p in pre for d in p.drags],
                                       sum(len(p.false_ids) for p in pre), days),
        "runs": [{"scenario": r.scenario, "seed": r.seed,
                  "behaviours_detected": _r(r.detected_fraction)} for r in reports],
        "days": round(days, 3),
        "types": types,
        "scenarios": {k: {"planted": len(v), "detected": sum(v), "rate": _r(sum(v) / len(v))}
                      for k, v in sorted(scenarios.items())},
    }


@dataclass(frozen=True, slots=True)
class AlertScore:
    """Alerts against the truth: true, false, and false ones raised on look-alikes or
    authorised boats (the done-when wants none of those); ``days`` is the run's length."""

    alerts: int
    true_alerts: int
    false_alerts: int
    lookalike_alerts: int  # false alerts on a look-alike's vessel
    authorised_alerts: int  # false alerts on an authorised (registry) vessel
    behaviours: int
    behaviours_alerted: int
    days: float
    false_ids: tuple[str, ...]

    @property
    def false_per_day(self) -> float:
        return self.false_alerts / self.days if self.days > 0 else float(self.false_alerts)

    def to_dict(self) -> dict[str, object]:
        return {
            "alerts": self.alerts,
            "true_alerts": self.true_alerts,
            "false_alerts": self.false_alerts,
            "false_per_day": round(self.false_per_day, 3),
            "lookalike_alerts": self.lookalike_alerts,
            "authorised_alerts": self.authorised_alerts,
            "behaviours": self.behaviours,
            "behaviours_alerted": self.behaviours_alerted,
            "days": round(self.days, 3),
            "false_ids": list(self.false_ids),
        }


def score_alerts(
    alerts: Sequence[Alert], truth: Truth, authorised: Collection[int] = ()
) -> AlertScore:
    """Compare ``alerts`` with ``truth``. An alert is true when it :func:`matches` a planted
    behaviour under :func:`alert_place` (the first such behaviour is the one it alerted);
    every other alert is false. Exercise alerts never count (an exercise is scored by
    :mod:`khazar.services.exercise_score`)."""
    place = alert_place(truth)
    pool = [a for a in alerts if not a.exercise]
    lookalike_mmsis = {m for la in truth.lookalikes for m in la.mmsis}
    registry = set(authorised) | {int(m) for m in truth.authorised}
    alerted: set[str] = set()
    true_n = 0
    false_ids: list[str] = []
    lookalike_n = authorised_n = 0
    for alert in pool:
        claim = Claim.of_alert(alert)
        hit = next((b for b in truth.behaviours
                    if matches(claim, b, truth.time_tolerance_s, truth.match_radius_m, place)),
                   None)
        if hit is not None:
            true_n += 1
            alerted.add(hit.id)
            continue
        false_ids.append(alert.id)
        if claim.vessels & lookalike_mmsis:
            lookalike_n += 1
        if claim.vessels & registry:
            authorised_n += 1
    days = (truth.end - truth.start).total_seconds() / 86_400.0
    return AlertScore(
        alerts=len(pool),
        true_alerts=true_n,
        false_alerts=len(false_ids),
        lookalike_alerts=lookalike_n,
        authorised_alerts=authorised_n,
        behaviours=len(truth.behaviours),
        behaviours_alerted=len(alerted),
        days=days,
        false_ids=tuple(false_ids),
    )
