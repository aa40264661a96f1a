"""The asset registry: platforms, subsea pipelines, cables, terminals and ports.

Parsed from a GeoJSON FeatureCollection (the shipped default or the user's file) and
validated: every problem raises :class:`khazar.errors.AssetValidationError` naming the
feature id and what to fix. Pure: the caller reads the file and passes its content.

Feature properties (``id``, ``name``, ``kind`` required):

======================== =====================================================================
``kind``                 platform | pipeline | cable | terminal | port
``safety_radius_m``      required for platform and terminal (platforms: 500 m by convention)
``corridor_half_width_m`` required for pipeline and cable (the no-anchoring corridor; 1 km)
``entry_radius_m``       port visit entry radius (default 3000, GFW); ``exit_radius_m`` 4000
``energy_node(s)``       energy-network node id(s) the asset carries (str or list)
``energy_edges``         ``[[from, to], …]`` network edges the asset carries
``group``                operator group matching the vessel registry ("acg", "shah-deniz", …)
``source``, ``confidence``, ``drawn``  provenance; ``drawn`` says how approximate geometry was made
======================== =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from khazar.errors import AssetValidationError
from khazar.geo._proj import LocalProjection

__all__ = [
    "ASSET_KINDS",
    "LANDFALL_ALLOWANCE_M",
    "OFFSHORE_KINDS",
    "Asset",
    "parse_assets",
]

ASSET_KINDS = ("platform", "pipeline", "cable", "terminal", "port")
OFFSHORE_KINDS = frozenset({"platform", "pipeline", "cable"})
_POINT_KINDS = frozenset({"platform", "terminal", "port"})
_LINE_KINDS = frozenset({"pipeline", "cable"})
#: a pipeline or cable may run on land this far from each end (its landfall)
LANDFALL_ALLOWANCE_M = 8000.0
#: coastline position error tolerated before an offshore asset counts as "on land"
COAST_TOLERANCE_M = 300.0
DEFAULT_ENTRY_RADIUS_M = 3000.0
DEFAULT_EXIT_RADIUS_M = 4000.0


@dataclass(frozen=True, slots=True, eq=False)
class Asset:
    """One protected asset. Geometry in lon/lat; ``protected_area`` is the safety circle
    (platforms, terminals), the corridor (pipelines, cables) or the entry circle (ports)."""

    id: str
    name: str
    kind: str
    geometry: BaseGeometry
    safety_radius_m: float | None
    corridor_half_width_m: float | None
    energy_nodes: tuple[str, ...]
    energy_edges: tuple[tuple[str, str], ...]
    group: str | None
    source: str
    confidence: str
    protected_area: BaseGeometry
    drawn: str | None = None
    entry_radius_m: float | None = None
    exit_radius_m: float | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lat(self) -> float:
        """Latitude of the asset's representative point (the point itself for points)."""
        return float(self._point.y)

    @property
    def lon(self) -> float:
        """Longitude of the asset's representative point."""
        return float(self._point.x)

    @property
    def _point(self) -> Point:
        g = self.geometry
        return g if isinstance(g, Point) else g.representative_point()


def parse_assets(
    collection: Mapping[str, Any],
    water: BaseGeometry,
    proj: LocalProjection,
    source_name: str = "asset file",
) -> list[Asset]:
    """Validate a GeoJSON FeatureCollection and build the assets (lon/lat, metres radii).

    ``water`` is the open-sea polygon (lon/lat) used to reject offshore kinds on land.
    """
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise AssetValidationError(
            f"{source_name}: expected a GeoJSON FeatureCollection with a 'features' list"
        )
    water_xy = proj.geom_to_xy(water).buffer(COAST_TOLERANCE_M)
    shapely.prepare(water_xy)
    assets: list[Asset] = []
    seen: set[str] = set()
    for index, feature in enumerate(collection["features"]):
        asset = _parse_feature(feature, index, water_xy, proj, source_name)
        if asset.id in seen:
            raise AssetValidationError(
                f"{source_name}: asset {asset.id!r} (feature {index}): duplicate id; "
                "give every feature a unique id"
            )
        seen.add(asset.id)
        assets.append(asset)
    return assets


def _parse_feature(
    feature: Any, index: int, water_xy: BaseGeometry, proj: LocalProjection, source_name: str
) -> Asset:
    props = feature.get("properties") if isinstance(feature, Mapping) else None
    if not isinstance(props, Mapping):
        raise AssetValidationError(f"{source_name}: feature {index} has no properties object")
    fid = props.get("id")
    if not isinstance(fid, str) or not fid:
        raise AssetValidationError(
            f"{source_name}: feature {index}: missing 'id' (a non-empty string)"
        )

    def fail(problem: str) -> AssetValidationError:
        return AssetValidationError(f"{source_name}: asset {fid!r} (feature {index}): {problem}")

    kind = props.get("kind")
    if kind not in ASSET_KINDS:
        raise fail(f"unknown kind {kind!r}; expected one of {', '.join(ASSET_KINDS)}")
    name = props.get("name")
    if not isinstance(name, str) or not name:
        raise fail("missing 'name'")
    geom = _geometry(feature.get("geometry"), fail)
    if kind in _POINT_KINDS and not isinstance(geom, Point | Polygon):
        raise fail(f"a {kind} needs a Point or Polygon geometry, got {geom.geom_type}")
    if kind in _LINE_KINDS and not isinstance(geom, LineString | MultiLineString):
        raise fail(f"a {kind} needs a LineString geometry, got {geom.geom_type}")
    geom_xy = proj.geom_to_xy(shapely.segmentize(geom, 0.01))
    if kind in OFFSHORE_KINDS:
        _check_offshore(kind, geom_xy, water_xy, fail)

    safety = _positive(props, "safety_radius_m", fail)
    corridor = _positive(props, "corridor_half_width_m", fail)
    entry = _positive(props, "entry_radius_m", fail)
    exit_ = _positive(props, "exit_radius_m", fail)
    if kind in _LINE_KINDS and corridor is None:
        raise fail(
            f"missing corridor_half_width_m (a {kind} needs its protection corridor, e.g. 1000)"
        )
    if kind in ("platform", "terminal") and safety is None:
        raise fail(f"missing safety_radius_m (a {kind} needs its safety zone, e.g. 500)")
    if kind == "port":
        entry = entry or DEFAULT_ENTRY_RADIUS_M
        exit_ = exit_ or DEFAULT_EXIT_RADIUS_M
        if exit_ <= entry:
            raise fail(f"exit_radius_m {exit_} must exceed entry_radius_m {entry}")

    if kind in _LINE_KINDS:
        assert corridor is not None
        area_xy = geom_xy.buffer(corridor, quad_segs=8)
    else:
        radius = safety if kind != "port" else entry
        assert radius is not None
        area_xy = geom_xy.buffer(radius, quad_segs=16)

    return Asset(
        id=fid,
        name=name,
        kind=kind,
        geometry=geom,
        safety_radius_m=safety,
        corridor_half_width_m=corridor,
        energy_nodes=_nodes(props, fail),
        energy_edges=_edges(props.get("energy_edges"), fail),
        group=_opt_str(props, "group", fail),
        source=_opt_str(props, "source", fail) or "",
        confidence=_opt_str(props, "confidence", fail) or "unknown",
        protected_area=proj.geom_to_lonlat(area_xy),
        drawn=_opt_str(props, "drawn", fail),
        entry_radius_m=entry,
        exit_radius_m=exit_,
        properties=dict(props),
    )


def _geometry(raw: Any, fail: Any) -> BaseGeometry:
    if not isinstance(raw, Mapping):
        raise fail("missing geometry")
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise fail(f"invalid geometry ({exc})") from None
    if geom.is_empty or not geom.is_valid:
        raise fail(f"invalid geometry: {shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise fail(f"coordinates out of range {geom.bounds}; GeoJSON order is [lon, lat]")
    return geom


def _check_offshore(kind: str, geom_xy: BaseGeometry, water_xy: BaseGeometry, fail: Any) -> None:
    if kind == "platform":
        if not water_xy.covers(geom_xy):
            raise fail(
                "platform is on land (more than "
                f"{COAST_TOLERANCE_M:g} m inland of the coastline); check the coordinates "
                "([lon, lat] order) or use kind 'terminal' for onshore sites"
            )
        return
    lines = list(getattr(geom_xy, "geoms", [geom_xy]))
    ends = [Point(c) for line in lines for c in (line.coords[0], line.coords[-1])]
    landfalls = shapely.union_all([p.buffer(LANDFALL_ALLOWANCE_M) for p in ends])
    offshore_part = shapely.difference(geom_xy, landfalls)
    on_land = shapely.difference(offshore_part, water_xy)
    if not on_land.is_empty and on_land.length > 1.0:
        lon_lat = on_land.representative_point()
        raise fail(
            f"{kind} runs {on_land.length / 1000:.1f} km over land away from its landfalls "
            f"(near x={lon_lat.x:.0f} m, y={lon_lat.y:.0f} m in the local plane); "
            "route it through water"
        )


def _positive(props: Mapping[str, Any], key: str, fail: Any) -> float | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise fail(f"{key} must be a positive number of metres, got {value!r}")
    return float(value)


def _opt_str(props: Mapping[str, Any], key: str, fail: Any) -> str | None:
    value = props.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(f"{key} must be a string, got {value!r}")
    return value


def _nodes(props: Mapping[str, Any], fail: Any) -> tuple[str, ...]:
    raw: Any = props.get("energy_nodes", props.get("energy_node"))
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, Sequence) and all(isinstance(n, str) for n in raw):
        return tuple(raw)
    raise fail(f"energy_nodes must be a string or a list of strings, got {raw!r}")


def _edges(raw: Any, fail: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    out: list[tuple[str, str]] = []
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        for e in raw:
            if (
                isinstance(e, Sequence)
                and not isinstance(e, str)
                and len(e) == 2
                and all(isinstance(n, str) for n in e)
            ):
                out.append((e[0], e[1]))
            else:
                raise fail(f"energy_edges entries must be [from, to] pairs of node ids, got {e!r}")
        return tuple(out)
    raise fail(f"energy_edges must be a list of [from, to] pairs, got {raw!r}")
