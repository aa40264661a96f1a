"""The report's read model: events, alerts and positions as plain values, times in epoch
seconds (float) so the pure report code can vectorise. Filled by
:func:`khazar.store.reporting.load_snapshot`; exercise traffic is never in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["AlertRow", "EventRow", "ReportSnapshot"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EventRow:
    id: str
    type: str
    mmsi: int | None
    other_mmsi: int | None
    start_s: float
    end_s: float
    lat: float
    lon: float
    zone_id: str | None
    asset_id: str | None
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: str
    type: str
    severity: str
    state: str
    mmsi: int | None
    asset_id: str | None
    zone_id: str | None
    first_s: float
    created_s: float
    resolution: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class ReportSnapshot:
    """Everything the report needs, read in one go from the store."""

    position_lat: FloatArray
    position_lon: FloatArray
    position_ts_s: FloatArray
    vessel_count: int
    detection_count: int
    events: list[EventRow]
    alerts: list[AlertRow]
    #: alert id → epoch seconds of its first transition to each state
    first_transition_s: dict[str, dict[str, float]]
    #: MMSI → latest AIS destination (upper case), for vessels with live positions
    destinations: dict[int, str] = field(default_factory=dict)
