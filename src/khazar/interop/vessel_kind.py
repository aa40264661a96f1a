"""Vessel categories for the console's colours, from AIS ship type and the registry."""

from __future__ import annotations

from collections.abc import Collection

__all__ = ["KINDS", "vessel_kind"]

#: categories the console colours, in legend order
KINDS = (
    "patrol",
    "service",
    "tanker",
    "cargo",
    "passenger",
    "fishing",
    "tug",
    "highspeed",
    "pleasure",
    "other",
    "unknown",
)


def vessel_kind(
    mmsi: int,
    ship_type: int | None,
    own_fleet: Collection[int] = (),
    authorised: Collection[int] = (),
) -> str:
    """The console category of a vessel: own patrol boats and authorised service vessels
    first (from the registry), then the ITU-R M.1371 ship-type code."""
    if mmsi in own_fleet:
        return "patrol"
    if mmsi in authorised:
        return "service"
    if ship_type is None or ship_type <= 0:
        return "unknown"
    if 80 <= ship_type <= 89:
        return "tanker"
    if 70 <= ship_type <= 79:
        return "cargo"
    if 60 <= ship_type <= 69:
        return "passenger"
    if ship_type == 30:
        return "fishing"
    if ship_type in (31, 32, 52):
        return "tug"
    if 40 <= ship_type <= 49:
        return "highspeed"
    if ship_type in (36, 37):
        return "pleasure"
    if ship_type in (53, 54, 56, 57, 58, 59):
        return "service"
    if ship_type == 55 or ship_type == 35:
        return "patrol"
    return "other"
