"""The fleet's boats and their operational status."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["BoatState", "BoatStatus"]


class BoatState(enum.StrEnum):
    available = "available"
    on_patrol = "on_patrol"
    dispatched = "dispatched"
    maintenance = "maintenance"


@dataclass(frozen=True, slots=True)
class BoatStatus:
    boat: str
    base: str
    mmsi: int
    status: BoatState
    detail: str | None
    updated_at: datetime | None
