"""Lead times of the pre-alerts (issue 21), from the stored events alone. Pure.

For each vessel and line an ``anchor_down`` event pointed at (its first one), the report lists
when the anchor was judged down (``evidence.detected_at``), the minutes to impact projected
then, and, when the ship did reach the line's corridor, the *lead time*: from the decision to
the first ``zone_entry`` or ``anchor_drag`` of that vessel at that asset after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from khazar.domain.reporting import EventRow
from khazar.units import epoch_s

__all__ = ["PreAlertRow", "prealert_rows"]

_REACHED = frozenset({"zone_entry", "anchor_drag"})


@dataclass(frozen=True, slots=True)
class PreAlertRow:
    mmsi: int
    asset_id: str
    decided_s: float
    projected_min: float | None
    confidence: float | None
    reached_s: float | None  # the first entry into the line's corridor after the decision

    @property
    def lead_min(self) -> float | None:
        return None if self.reached_s is None else (self.reached_s - self.decided_s) / 60.0


def _decided_s(e: EventRow) -> float:
    said = e.evidence.get("detected_at")
    if isinstance(said, str):
        try:
            return epoch_s(datetime.fromisoformat(said.replace("Z", "+00:00")))
        except ValueError:
            pass
    return e.start_s


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) else None


def prealert_rows(events: Sequence[EventRow]) -> list[PreAlertRow]:
    """One row per (vessel, line) of the ``anchor_down`` events naming a line, earliest
    decision first."""
    first: dict[tuple[int, str], EventRow] = {}
    for e in events:
        if e.type != "anchor_down" or e.mmsi is None or e.asset_id is None:
            continue
        key = (e.mmsi, e.asset_id)
        if key not in first or _decided_s(e) < _decided_s(first[key]):
            first[key] = e
    rows: list[PreAlertRow] = []
    for (mmsi, asset), e in first.items():
        decided = _decided_s(e)
        reached = [x.start_s for x in events if x.type in _REACHED and x.mmsi == mmsi
                   and x.asset_id == asset and x.start_s >= decided]
        rows.append(PreAlertRow(mmsi, asset, decided, _num(e.evidence.get("minutes_to_impact")),
                                _num(e.evidence.get("confidence")),
                                min(reached) if reached else None))
    return sorted(rows, key=lambda r: (r.decided_s, r.mmsi, r.asset_id))
