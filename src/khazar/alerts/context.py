"""Build the rule engine's :class:`RuleContext` from the settings, geography and energy model.

The adapter between :mod:`khazar.geo` / :mod:`khazar.energy` and the pure rule engine:
zone kinds by zone id, each asset's kind, group and energy criticality value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import shapely

from khazar.alerts.rules import AssetInfo, RuleContext
from khazar.config import Settings

if TYPE_CHECKING:
    from khazar.geo import Asset, Geography

__all__ = ["asset_infos", "criticality_values", "rule_context", "shore_distance"]


def criticality_values(settings: Settings, assets: Sequence[Asset]) -> dict[str, float]:
    """Energy value per asset id (``a·bcm/yr + b·kb/d``, DESIGN C5)."""
    from khazar.energy import asset_criticality

    return {aid: float(c.value) for aid, c in asset_criticality(settings, list(assets)).items()}


def asset_infos(assets: Sequence[Asset], values: Mapping[str, float]) -> dict[str, AssetInfo]:
    return {
        a.id: AssetInfo(id=a.id, kind=a.kind, group=a.group, value=values.get(a.id, 0.0))
        for a in assets
    }


def rule_context(
    settings: Settings,
    geo: Geography | None = None,
    ship_types: Mapping[int, int] | None = None,
) -> RuleContext:
    """The rules, registry, zone kinds, asset criticality and shore distance for
    ``settings``' geography; ``ship_types`` (MMSI → AIS ship type) from the store's static
    data, for the rules' ``exempt_ship_types``."""
    if geo is None:
        from khazar.geo import load_geography

        geo = load_geography(settings)
    values = criticality_values(settings, geo.assets)
    zone_kinds = {z.id: z.kind for z in geo.zones}
    return RuleContext.from_settings(
        settings, zone_kinds, asset_infos(geo.assets, values), shore_distance(geo), ship_types
    )


def shore_distance(geo: Geography) -> Callable[[float, float], float]:
    """Metres from a point to the nearest shore (mainland or island) of the water polygon,
    in the geography's local projection; 0 on land."""
    shore_xy = geo.proj.geom_to_xy(geo.water.boundary)
    water_xy = geo.proj.geom_to_xy(geo.water)
    shapely.prepare(shore_xy)
    shapely.prepare(water_xy)

    def distance_m(lat: float, lon: float) -> float:
        x, y = geo.proj.to_xy_scalar(lon, lat)
        point = shapely.Point(x, y)
        if not water_xy.contains(point):
            return 0.0
        return float(shore_xy.distance(point))

    return distance_m
