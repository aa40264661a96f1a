"""A theatre's geography as one value: water, coast by state, zones, ports, assets, router.

:func:`build_geography` is pure (a :class:`~khazar.geo.theatre.Theatre` and GeoJSON mappings
in, :class:`Geography` out); :func:`khazar.geo.load_geography` is the adapter that reads the
theatre's files (and the settings' replacements).
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
from khazar.geo._proj import LocalProjection
from khazar.geo.assets import Asset, parse_assets
from khazar.geo.coast import (
    UNNAMED_COAST,
    CoastSegment,
    Junction,
    coast_by_nearest_state,
    find_junctions,
    largest_polygon,
    split_coast,
    split_off_lagoon,
)
from khazar.geo.ports import Port, ports_from_assets
from khazar.geo.routing import SeaRouter
from khazar.geo.theatre import Bounds, Theatre
from khazar.geo.zones import (
    SectorLine,
    Zone,
    ZoneBreadths,
    coastal_zones,
    national_sectors,
    treaty_strip,
)

__all__ = ["Geography", "build_geography", "water_from_geojson"]

RouterFactory = Callable[[Polygon, LocalProjection, Theatre], SeaRouter]


class Geography:
    """Everything geographic Khazar knows of a theatre. Geometries in lon/lat (GeoJSON
    order)."""

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
        theatre: Theatre,
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
        self.theatre = theatre
        self._router_factory = router_factory
        shapely.prepare(self.water)

    @cached_property
    def router(self) -> SeaRouter:
        """The sea router (built on first use; cached on disk by the loader)."""
        return self._router_factory(self.water, self.proj, self.theatre)

    def water_mask(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Vectorised: whether each (lat, lon) lies in the open sea (islands and a lagoon
        cut off, such as the Caspian's Garabogazköl, are not sea)."""
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

    @property
    def home_state(self) -> str | None:
        """The state whose zones and assets the theatre protects (``None``: not set)."""
        return self.theatre.home_state

    def coast_of(self, state: str) -> BaseGeometry:
        """The coast (mainland arcs and islands) of a state, lon/lat lines."""
        return shapely.union_all([s.geometry for s in self.coast if s.state == state])


def water_from_geojson(
    data: Mapping[str, Any], source_name: str, extent: Bounds | None = None
) -> Polygon:
    """The sea polygon from a GeoJSON Polygon/MultiPolygon/Feature/FeatureCollection: its
    largest connected piece, which must lie in the theatre's ``extent`` when given."""
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
    if extent is not None:
        w, s, e, n = extent
        minx, miny, maxx, maxy = water.bounds
        tol = 0.01
        if not (minx >= w - tol and maxx <= e + tol and miny >= s - tol and maxy <= n + tol):
            raise InputError(
                f"coastline {source_name}: bounds {tuple(round(b, 3) for b in water.bounds)} "
                f"are not inside the theatre's extent {list(extent)} (W, S, E, N; GeoJSON is "
                "[lon, lat] order): is it the right sea, or the right --theatre?"
            )
    return water


def build_geography(
    *,
    theatre: Theatre,
    water_raw: Polygon,
    borders: Mapping[str, Any] | None,
    states: Mapping[str, Any] | None,
    lines: Mapping[str, Any] | None,
    assets: Mapping[str, Any] | None,
    router_factory: RouterFactory,
    coastline_source: str,
    assets_source: str,
) -> Geography:
    """Compute the theatre's geography from the parsed GeoJSON inputs (pure, ~2 s)."""
    proj = LocalProjection(*theatre.projection)
    lagoon: Polygon | None = None
    water = water_raw
    if theatre.lagoon_box is not None:
        water, lagoon = split_off_lagoon(water_raw, proj, theatre.lagoon_box)
    state_polys = _state_polygons(states, theatre)
    frame = shapely.box(*theatre.extent)
    if borders is not None and state_polys:
        border_lines = [
            (f["properties"]["left_a3"], f["properties"]["right_a3"], shape(f["geometry"]))
            for f in borders["features"]
        ]
        junctions = find_junctions(water, border_lines)
        coast = split_coast(water, junctions, state_polys)
    else:
        junctions = []
        coast = coast_by_nearest_state(water, state_polys, frame,
                                       theatre.home_state or UNNAMED_COAST)
    water_xy = proj.geom_to_xy(water)
    coast_xy = [CoastSegment(s.state, proj.geom_to_xy(s.geometry), s.island) for s in coast]
    coastal = sorted({s.state for s in coast})
    if len(coastal) > 1:
        sectors_xy = national_sectors(coast_xy, water_xy)
    else:
        sectors_xy = {state: water_xy for state in coastal}
    wanted = theatre.zone_states if theatre.zone_states is not None else tuple(coastal)
    zones: list[Zone] = []
    sector_lines: list[SectorLine] = []
    seen_lines: set[frozenset[str]] = set()
    ts_limits: list[BaseGeometry] = []
    outer_limits: list[BaseGeometry] = []
    breadths = ZoneBreadths(theatre.territorial_nm, theatre.outer_nm, theatre.outer_kind,
                            theatre.outer_name, theatre.caveat)
    for state in wanted:
        if state not in sectors_xy:
            continue  # a listed state without coast in this theatre
        cz = coastal_zones(state, coast_xy, water_xy, sectors_xy, proj, breadths)
        zones.extend(cz.zones)
        for line in cz.lateral_limits:
            pair = frozenset(line.id.split("-")[:2])
            if pair not in seen_lines:
                seen_lines.add(pair)
                sector_lines.append(line)
        ts_limits.append(cz.territorial_limit)
        outer_limits.append(cz.fishery_limit)
    for f in (lines or {}).get("features", []):
        g = shape(f["geometry"])
        if not isinstance(g, LineString):
            continue
        props = f.get("properties", {})
        line_id = str(props.get("id", f"line-{len(sector_lines)}"))
        source = str(props.get("source", ""))
        sector_lines.append(SectorLine(line_id, str(props.get("line_name", props.get(
            "name", line_id))), g, True, source))
        if props.get("zone_id"):
            zones.append(treaty_strip(g, str(props["zone_id"]),
                                      str(props.get("zone_name", props["zone_id"])),
                                      str(props.get("zone_source", source)), proj, water_xy))
    asset_list = (parse_assets(assets, water, proj, assets_source) if assets is not None
                  else [])
    ports = ports_from_assets(asset_list, water_xy, proj)
    zones.extend(_asset_zones(asset_list, ports, water))
    return Geography(
        water=water,
        lagoon=lagoon,
        coast=coast,
        junctions=junctions,
        sectors={s: proj.geom_to_lonlat(g) for s, g in sectors_xy.items()},
        zones=zones,
        sector_lines=sector_lines,
        territorial_limit=shapely.union_all(ts_limits) if ts_limits else LineString(),
        fishery_limit=shapely.union_all(outer_limits) if outer_limits else LineString(),
        ports=ports,
        assets=asset_list,
        proj=proj,
        router_factory=router_factory,
        coastline_source=coastline_source,
        assets_source=assets_source,
        theatre=theatre,
    )


def _state_polygons(states: Mapping[str, Any] | None, theatre: Theatre
                    ) -> dict[str, BaseGeometry]:
    """Coastal states' land polygons by code (``iso_a3``, ``iso_a2`` or ``code``)."""
    if states is None:
        return {}
    out: dict[str, list[BaseGeometry]] = {}
    for i, f in enumerate(states.get("features", [])):
        props = f.get("properties") or {}
        code = props.get("iso_a3") or props.get("code") or props.get("iso_a2")
        if not isinstance(code, str) or not code:
            raise InputError(f"theatre {theatre.name}: states feature {i} has no iso_a3, "
                             "iso_a2 or code property naming its state")
        try:
            out.setdefault(code, []).append(shape(f["geometry"]))
        except Exception as exc:  # malformed geometry: several shapely/KeyError types
            raise InputError(f"theatre {theatre.name}: states feature {i} ({code}): invalid "
                             f"geometry ({exc})") from None
    return {k: shapely.make_valid(shapely.union_all(v)) for k, v in out.items()}


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
