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

__all__ = ["asset_infos", "criticality_stakes", "criticality_values", "rule_context",
           "shore_distance"]


def criticality_values(settings: Settings, assets: Sequence[Asset]) -> dict[str, float]:
    """Energy value per asset id (``a·bcm/yr + b·kb/d``, DESIGN C5)."""
    return {aid: v for aid, (v, _) in _criticality(settings, assets).items()}


def criticality_stakes(settings: Settings, assets: Sequence[Asset]) -> dict[str, str]:
    """The energy at stake per asset id in words: "31 bcm/yr of gas, 600 kb/d of oil"."""
    return {aid: t for aid, (_, t) in _criticality(settings, assets).items()}


def _criticality(settings: Settings, assets: Sequence[Asset]) -> dict[str, tuple[float, str]]:
    from khazar.energy import asset_criticality

    out: dict[str, tuple[float, str]] = {}
    for aid, c in asset_criticality(settings, list(assets)).items():
        words = [f"{c.gas_bcm_yr:.3g} bcm/yr of gas" if c.gas_bcm_yr > 0 else "",
                 f"{c.oil_kbd:.3g} kb/d of oil" if c.oil_kbd > 0 else ""]
        out[aid] = (float(c.value), ", ".join(w for w in words if w))
    return out


def asset_infos(assets: Sequence[Asset], values: Mapping[str, float],
                stakes: Mapping[str, str] | None = None) -> dict[str, AssetInfo]:
    return {
        a.id: AssetInfo(id=a.id, kind=a.kind, group=a.group, value=values.get(a.id, 0.0),
                        stake=(stakes or {}).get(a.id, ""))
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
    crit = _criticality(settings, geo.assets)
    values = {aid: v for aid, (v, _) in crit.items()}
    stakes = {aid: t for aid, (_, t) in crit.items()}
    zone_kinds = {z.id: z.kind for z in geo.zones}
    return RuleContext.from_settings(
        settings, zone_kinds, asset_infos(geo.assets, values, stakes), shore_distance(geo),
        ship_types,
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
