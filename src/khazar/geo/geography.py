"""The Caspian geography as one value: water, coast by state, zones, ports, assets, router.

:func:`build_geography` is pure (GeoJSON mappings in, :class:`Geography` out);
:func:`khazar.geo.load_geography` is the adapter that reads the files named by the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from khazar.errors import InputError
from khazar.geo._proj import CASPIAN_AEQD, LocalProjection
from khazar.geo.assets import Asset, parse_assets
from khazar.geo.coast import (
    CoastSegment,
    Junction,
    find_junctions,
    largest_polygon,
    split_coast,
    split_off_lagoon,
)
from khazar.geo.ports import Port, ports_from_assets
from khazar.geo.routing import SeaRouter
from khazar.geo.zones import SectorLine, Zone, coastal_zones, national_sectors, treaty_strip

__all__ = ["HOME_STATE", "Geography", "build_geography", "water_from_geojson"]

HOME_STATE = "AZE"
RouterFactory = Callable[[Polygon, LocalProjection], SeaRouter]


class Geography:
    """Everything geographic Khazar knows. Geometries in lon/lat (GeoJSON order)."""

    def __init__(
        self,
        *,
        water: Polygon,
        lagoon: BaseGeometry | None,
        coast: list[CoastSegment],
        junctions: list[Junction],
        sectors: dict[str, BaseGeometry],
        zones: list[Zone],
        sector_lines: list[SectorLine],
        territorial_limit: BaseGeometry,
        fishery_limit: BaseGeometry,
        ports: list[Port],
        assets: list[Asset],
        proj: LocalProjection,
        router_factory: RouterFactory,
        coastline_source: str,
        assets_source: str,
    ) -> None:
        self.water = water
        self.lagoon = lagoon
        self.coast = coast
        self.junctions = junctions
        self.sectors = sectors
        self.zones = zones
        self.sector_lines = sector_lines
        self.territorial_limit = territorial_limit
        self.fishery_limit = fishery_limit
        self.ports = ports
        self.assets = assets
        self.proj = proj
        self.coastline_source = coastline_source
        self.assets_source = assets_source
        self._router_factory = router_factory
        shapely.prepare(self.water)

    @cached_property
    def router(self) -> SeaRouter:
        """The sea router (built on first use; cached on disk by the loader)."""
        return self._router_factory(self.water, self.proj)

    def water_mask(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Vectorised: whether each (lat, lon) lies in the open sea (islands and
        Garabogazköl are not sea)."""
        la = np.asarray(lats, dtype=float)
        lo = np.asarray(lons, dtype=float)
        return np.asarray(shapely.contains_xy(self.water, lo, la))

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id (``KeyError`` naming it otherwise)."""
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(f"no zone {zone_id!r}; known: {', '.join(z.id for z in self.zones)}")

    def asset(self, asset_id: str) -> Asset:
        """The asset with this id (``KeyError`` naming it otherwise)."""
        for a in self.assets:
            if a.id == asset_id:
                return a
        raise KeyError(f"no asset {asset_id!r}; known: {', '.join(a.id for a in self.assets)}")

    def coast_of(self, state: str) -> BaseGeometry:
        """The coast (mainland arcs and islands) of a state, lon/lat lines."""
        return shapely.union_all([s.geometry for s in self.coast if s.state == state])


def water_from_geojson(data: Mapping[str, Any], source_name: str) -> Polygon:
    """The sea polygon from a GeoJSON Polygon/MultiPolygon/Feature/FeatureCollection."""
    geoms: list[BaseGeometry] = []
    kind = data.get("type")
    try:
        if kind == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in data.get("features", [])]
        elif kind == "Feature":
            geoms = [shape(data["geometry"])]
        else:
            geoms = [shape(data)]
    except Exception as exc:  # malformed GeoJSON: several shapely/KeyError types
        raise InputError(f"coastline {source_name}: not valid GeoJSON geometry ({exc})") from None
    polys = [g for g in geoms if isinstance(g, Polygon | MultiPolygon)]
    if not polys:
        raise InputError(
            f"coastline {source_name}: no Polygon or MultiPolygon of water found; the file "
            "must hold the sea as a polygon (islands as holes), lon/lat"
        )
    water = largest_polygon(shapely.make_valid(shapely.union_all(polys)))
    minx, miny, maxx, maxy = water.bounds
    if not (
        45.0 < minx < 50.0 and 50.0 < maxx < 56.0 and 35.0 < miny < 40.0 and 44.0 < maxy < 48.5
    ):
        raise InputError(
            f"coastline {source_name}: bounds {water.bounds} are not the Caspian Sea's "
            "(expected about lon 46.5-55, lat 36.5-47.2, GeoJSON [lon, lat] order)"
        )
    return water


def build_geography(
    *,
    water_raw: Polygon,
    borders: Mapping[str, Any],
    states: Mapping[str, Any],
    seabed: Mapping[str, Any],
    assets: Mapping[str, Any],
    router_factory: RouterFactory,
    coastline_source: str,
    assets_source: str,
    proj: LocalProjection = CASPIAN_AEQD,
) -> Geography:
    """Compute the geography from the parsed GeoJSON inputs (pure, ~2 s)."""
    water, lagoon = split_off_lagoon(water_raw)
    border_lines = [
        (f["properties"]["left_a3"], f["properties"]["right_a3"], shape(f["geometry"]))
        for f in borders["features"]
    ]
    state_polys = {f["properties"]["iso_a3"]: shape(f["geometry"]) for f in states["features"]}
    junctions = find_junctions(water, border_lines)
    coast = split_coast(water, junctions, state_polys)
    water_xy = proj.geom_to_xy(water)
    coast_xy = [CoastSegment(s.state, proj.geom_to_xy(s.geometry), s.island) for s in coast]
    sectors_xy = national_sectors(coast_xy, water_xy)
    home = coastal_zones(HOME_STATE, coast_xy, water_xy, sectors_xy, proj)
    zones = list(home.zones)
    lines = list(home.lateral_limits)
    for f in seabed.get("features", []):
        g = shape(f["geometry"])
        if isinstance(g, LineString):
            props = f.get("properties", {})
            lines.append(
                SectorLine(
                    "aze-kaz-seabed-treaty",
                    "AZ-KZ seabed median line (2003 protocol; endpoints only, straight between)",
                    g,
                    True,
                    str(props.get("source", "KZ-AZ Protocol of 27 Feb 2003")),
                )
            )
            zones.append(
                treaty_strip(
                    g,
                    "aze-border-kaz-treaty",
                    "AZ-KZ seabed line border sector (±5 nm)",
                    "2003 AZ-KZ protocol endpoints; straight line between them (approximate path)",
                    proj,
                    water_xy,
                )
            )
    asset_list = parse_assets(assets, water, proj, assets_source)
    ports = ports_from_assets(asset_list, water_xy, proj)
    zones.extend(_asset_zones(asset_list, ports, water))
    return Geography(
        water=water,
        lagoon=lagoon,
        coast=coast,
        junctions=junctions,
        sectors={s: proj.geom_to_lonlat(g) for s, g in sectors_xy.items()},
        zones=zones,
        sector_lines=lines,
        territorial_limit=home.territorial_limit,
        fishery_limit=home.fishery_limit,
        ports=ports,
        assets=asset_list,
        proj=proj,
        router_factory=router_factory,
        coastline_source=coastline_source,
        assets_source=assets_source,
    )


def _asset_zones(assets: list[Asset], ports: list[Port], water: Polygon) -> list[Zone]:
    zones: list[Zone] = []
    for a in assets:
        how = f"{a.source} (confidence {a.confidence})"
        if a.kind == "platform":
            zones.append(
                Zone(
                    f"{a.id}-safety",
                    f"{a.name} safety zone ({a.safety_radius_m:g} m)",
                    "platform_safety",
                    a.protected_area,
                    False,
                    how,
                    asset_id=a.id,
                )
            )
        elif a.kind in ("pipeline", "cable"):
            zones.append(
                Zone(
                    f"{a.id}-corridor",
                    f"{a.name} protection corridor (±{a.corridor_half_width_m:g} m)",
                    "pipeline_corridor",
                    a.protected_area,
                    False,
                    how,
                    asset_id=a.id,
                )
            )
        elif a.kind == "terminal":
            wet = shapely.intersection(a.protected_area, water)
            if not wet.is_empty:
                zones.append(
                    Zone(
                        f"{a.id}-safety",
                        f"{a.name} safety zone at sea ({a.safety_radius_m:g} m)",
                        "terminal_safety",
                        wet,
                        False,
                        how,
                        asset_id=a.id,
                    )
                )
    for p in ports:
        if p.approach is not None:
            zones.append(
                Zone(
                    f"{p.id}-approach",
                    f"{p.name} approach area",
                    "port_approach",
                    p.approach,
                    True,
                    "drawn: sector seaward of the port, 12 km radius, ±45°",
                    asset_id=p.id,
                )
            )
    return zones
