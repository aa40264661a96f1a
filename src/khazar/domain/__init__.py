"""Frozen value types shared by every stage of the pipeline."""

from khazar.domain.types import (
    AIS_NOT_AVAILABLE,
    Detection,
    Event,
    Position,
    VesselState,
    VesselStatic,
    event_id,
)

__all__ = [
    "AIS_NOT_AVAILABLE",
    "Detection",
    "Event",
    "Position",
    "VesselState",
    "VesselStatic",
    "event_id",
]
