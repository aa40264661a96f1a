"""Tiny builders for alert tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.alerts import AssetInfo, RuleContext
from khazar.config import Settings, WatchEntry, load_settings
from khazar.domain import Event

T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)

# A small world: an ACG platform and a trunk pipeline with their zones.
ZONES = {
    "safety:acg-ca": "platform_safety",
    "corridor:acg-sangachal-oil": "pipeline_corridor",
    "corridor:nd-line": "pipeline_corridor",
    "ts:az": "territorial_sea",
    "border:south": "border_sector",
}
ASSETS = {
    "acg-ca": AssetInfo("acg-ca", "platform", "acg", 20.0),
    "acg-sangachal-oil": AssetInfo("acg-sangachal-oil", "pipeline", "acg", 40.0),
    "nd-line": AssetInfo("nd-line", "pipeline", "neft-daslari", 4.0),
}

SUPPLY_ACG = 423_100_001
SUPPLY_ND = 423_100_201
PATROL = 423_900_001
STRANGER = 273_123_456
OTHER = 273_654_321
WATCHED = 636_000_001


def settings(**overrides: Any) -> Settings:
    return load_settings(
        registry={"watchlist": [WatchEntry(mmsi=WATCHED, reason="sanctions list")]},
        **overrides,
    )


def context(**overrides: Any) -> RuleContext:
    return RuleContext.from_settings(settings(**overrides), ZONES, ASSETS)


def event(
    type_: str,
    mmsi: int | None = STRANGER,
    start_min: float = 0.0,
    duration_min: float = 30.0,
    asset: str | None = None,
    zone: str | None = None,
    other: int | None = None,
    lat: float = 40.1,
    lon: float = 50.5,
) -> Event:
    start = T0 + timedelta(minutes=start_min)
    if zone is None and asset is not None:
        zone = f"corridor:{asset}" if asset != "acg-ca" else "safety:acg-ca"
    return Event(
        type=type_,
        mmsi=mmsi,
        other_mmsi=other,
        start=start,
        end=start + timedelta(minutes=duration_min),
        lat=lat,
        lon=lon,
        zone_id=zone,
        asset_id=asset,
    )
