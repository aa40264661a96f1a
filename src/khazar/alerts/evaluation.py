"""Score alerts against simulator ground truth: true, false, and raised by look-alikes. Pure.

An alert is *true* when one of its vessels is a planted behaviour's vessel and its time span
overlaps the behaviour's (± the truth's time tolerance); for vessel-less alerts (radar
contacts) when it lies within the truth's match radius of one of the behaviour's radar
targets in that time, or of the behaviour's position (a planted vessel that switched its
AIS off shows up as a radar-only contact). Every other alert is *false*; false alerts whose
vessel is a look-alike's, or an authorised boat of the registry, are counted separately as
well (the done-when wants none of those). Exercise alerts never count.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta

from khazar.domain.alerts import Alert
from khazar.sim.truth import Truth
from khazar.units import haversine_m

__all__ = ["AlertScore", "score_alerts"]


@dataclass(frozen=True, slots=True)
class AlertScore:
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


def _vessels(alert: Alert) -> set[int]:
    return {m for m in (alert.mmsi, alert.other_mmsi) if m is not None}


def score_alerts(
    alerts: Sequence[Alert], truth: Truth, authorised: Collection[int] = ()
) -> AlertScore:
    """Compare ``alerts`` with ``truth`` (see the module docstring for the rules)."""
    tol = timedelta(seconds=truth.time_tolerance_s)
    pool = [a for a in alerts if not a.exercise]
    lookalike_mmsis = {m for la in truth.lookalikes for m in la.mmsis}
    registry = set(authorised) | {int(m) for m in truth.authorised}
    alerted: set[str] = set()
    true_n = 0
    false_ids: list[str] = []
    lookalike_n = authorised_n = 0
    for alert in pool:
        hit = None
        for b in truth.behaviours:
            if alert.first_ts > b.end + tol or alert.last_ts < b.start - tol:
                continue
            if _vessels(alert) & set(b.mmsis):
                hit = b
                break
            if alert.mmsi is None and (
                any(
                    float(haversine_m(alert.lat, alert.lon, lat, lon)) <= truth.match_radius_m
                    for target in b.radar_targets
                    for ts, lat, lon in target.track
                    if alert.first_ts - tol <= ts <= alert.last_ts + tol
                )
                # a planted vessel that switched its AIS off is a radar-only contact too
                or float(haversine_m(alert.lat, alert.lon, b.lat, b.lon)) <= truth.match_radius_m
            ):
                hit = b
                break
        if hit is not None:
            true_n += 1
            alerted.add(hit.id)
            continue
        false_ids.append(alert.id)
        if _vessels(alert) & lookalike_mmsis:
            lookalike_n += 1
        if _vessels(alert) & registry:
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
