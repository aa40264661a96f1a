"""The geography the detectors need, as plain values, and the per-fix annotation.

Detectors never load files: they get a :class:`DetectGeography` (zones, ports, water,
registry) built by an adapter (:func:`khazar.detect.adapters.geography_from_geo`) or by a
test. :func:`annotate` turns positions into per-fix columns (zones containing the fix,
nearest port, on land, authorised there), vectorised: a coarse raster answers most points
of large polygons and only points in boundary cells get an exact test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from khazar.units import haversine_m

__all__ = [
    "EVENT_ZONE_KINDS",
    "PROTECTED_KINDS",
    "Annotation",
    "DetectGeography",
    "PolygonIndex",
    "PortSpec",
    "ZoneSpec",
    "annotate",
]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
I32 = npt.NDArray[np.int32]

#: zone kinds whose entry and exit are events (DESIGN C3)
EVENT_ZONE_KINDS = frozenset(
    {"territorial_sea", "platform_safety", "pipeline_corridor", "border_sector"}
)
#: kinds where loitering and AIS gaps have the shorter thresholds
PROTECTED_KINDS = frozenset({"platform_safety", "pipeline_corridor"})
#: the order in which a fix's zone is reported when it is in several
_KIND_RANK = {"platform_safety": 0, "pipeline_corridor": 1, "border_sector": 2,
              "port_approach": 3, "territorial_sea": 4, "fishery_zone": 5}


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A zone: ``geometry`` is shapely in (lon, lat); ``group`` is the asset group."""

    id: str
    kind: str
    geometry: BaseGeometry
    asset_id: str | None = None
    group: str | None = None
    #: corridor width (2 × half-width) for pipeline/cable corridors, metres
    width_m: float | None = None


@dataclass(frozen=True, slots=True)
class PortSpec:
    id: str
    lat: float
    lon: float
    entry_radius_m: float = 3000.0
    exit_radius_m: float = 4000.0
    approach: BaseGeometry | None = None


class PolygonIndex:
    """Fast vectorised point-in-polygon: bbox filter, raster of inside/outside/boundary
    cells, exact :func:`shapely.contains_xy` only in boundary cells."""

    def __init__(self, geometry: BaseGeometry, cell_deg: float = 0.01) -> None:
        self.geometry = geometry
        shapely.prepare(geometry)
        x0, y0, x1, y1 = geometry.bounds
        self.bounds = (x0, y0, x1, y1)
        self.cell = cell_deg
        nx = max(1, int(np.ceil((x1 - x0) / cell_deg)))
        ny = max(1, int(np.ceil((y1 - y0) / cell_deg)))
        self.raster: npt.NDArray[np.int8] | None = None
        if shapely.get_num_coordinates(geometry) > 64 and nx * ny <= 4_000_000:
            # cells the boundary passes through (sampled every half cell, then grown by one
            # cell) need the exact test; any other cell is wholly inside or wholly outside,
            # which its centre tells
            xs = x0 + (np.arange(nx) + 0.5) * cell_deg
            ys = y0 + (np.arange(ny) + 0.5) * cell_deg
            gx, gy = np.meshgrid(xs, ys, indexing="ij")
            inside = shapely.contains_xy(geometry, gx, gy)
            pts = shapely.get_coordinates(shapely.segmentize(geometry.boundary, cell_deg / 2))
            bx = np.clip(((pts[:, 0] - x0) / cell_deg).astype(np.int64), 0, nx - 1)
            by = np.clip(((pts[:, 1] - y0) / cell_deg).astype(np.int64), 0, ny - 1)
            edge = np.zeros((nx, ny), bool)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    edge[np.clip(bx + dx, 0, nx - 1), np.clip(by + dy, 0, ny - 1)] = True
            # 1 inside, 0 outside, 2 boundary (exact test)
            self.raster = np.where(edge, 2, inside.astype(np.int8)).astype(np.int8)

    def cell_class(self, lat: F64, lon: F64) -> npt.NDArray[np.int8]:
        """0 = certainly outside, 1 = certainly inside, 2 = needs the exact test."""
        x0, y0, x1, y1 = self.bounds
        inbox = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        out = np.zeros(lat.shape[0], np.int8)
        if self.raster is None:
            out[inbox] = 2
            return out
        ix = np.clip(((lon[inbox] - x0) / self.cell).astype(np.int64), 0,
                     self.raster.shape[0] - 1)
        iy = np.clip(((lat[inbox] - y0) / self.cell).astype(np.int64), 0,
                     self.raster.shape[1] - 1)
        out[inbox] = self.raster[ix, iy]
        return out

    def contains(self, lat: F64, lon: F64) -> B:
        """Whether each point lies in the polygon."""
        cls = self.cell_class(lat, lon)
        res = cls == 1
        exact = np.flatnonzero(cls == 2)
        if exact.size:
            res[exact] = shapely.contains_xy(self.geometry, lon[exact], lat[exact])
        return np.asarray(res, dtype=bool)


class ShoreDistance:
    """Distance from a water point to the nearest shore, from a raster (≈ 1 km cells)."""

    def __init__(self, index: PolygonIndex) -> None:
        from scipy.ndimage import distance_transform_edt

        self.index = index
        _, y0, _, y1 = index.bounds
        cell_deg = index.cell
        if index.raster is None:
            raise ValueError("ShoreDistance needs a rasterised water polygon")
        wet = index.raster == 1
        lat_mid = (y0 + y1) / 2.0
        sampling = (cell_deg * 111_320.0 * np.cos(np.radians(lat_mid)), cell_deg * 110_574.0)
        self.dist_m = np.asarray(distance_transform_edt(wet, sampling=sampling), np.float64)

    def distance_m(self, lat: F64, lon: F64) -> F64:
        """Metres to the shore (0 on land or in a boundary cell, i.e. within ~1 km)."""
        x0, y0, _, _ = self.index.bounds
        c = self.index.cell
        nx, ny = self.dist_m.shape
        ix = np.clip(((lon - x0) / c).astype(np.int64), 0, nx - 1)
        iy = np.clip(((lat - y0) / c).astype(np.int64), 0, ny - 1)
        return np.asarray(self.dist_m[ix, iy])


@dataclass(frozen=True)
class DetectGeography:
    """Zones, ports, the water polygon and the vessel registry, as plain values."""

    zones: tuple[ZoneSpec, ...] = ()
    ports: tuple[PortSpec, ...] = ()
    water: BaseGeometry | None = None
    own_fleet: frozenset[int] = frozenset()
    #: asset group or asset id → MMSIs allowed to work there
    authorised: Mapping[str, frozenset[int]] = field(default_factory=dict)
    #: areas where a group's authorised boats are exempt (protected areas plus a margin)
    registry_areas: Mapping[str, BaseGeometry] = field(default_factory=dict)
    #: AIS receivers as (lat, lon, reliable range in metres); empty = reception everywhere
    receivers: tuple[tuple[float, float, float], ...] = ()

    @cached_property
    def shore(self) -> ShoreDistance | None:
        wi = self.water_index
        return None if wi is None or wi.raster is None else ShoreDistance(wi)

    @cached_property
    def approach_indexes(self) -> tuple[PolygonIndex | None, ...]:
        return tuple(None if p.approach is None else PolygonIndex(p.approach)
                     for p in self.ports)

    @cached_property
    def zone_indexes(self) -> tuple[PolygonIndex, ...]:
        return tuple(PolygonIndex(z.geometry) for z in self.zones)

    @cached_property
    def water_index(self) -> PolygonIndex | None:
        return None if self.water is None else PolygonIndex(self.water, cell_deg=0.01)

    @cached_property
    def registry_indexes(self) -> dict[str, PolygonIndex]:
        return {k: PolygonIndex(g) for k, g in self.registry_areas.items()}

    @cached_property
    def zone_order(self) -> tuple[int, ...]:
        """Zone indices, most specific kind first."""
        return tuple(sorted(range(len(self.zones)),
                            key=lambda i: (_KIND_RANK.get(self.zones[i].kind, 9), i)))


@dataclass(frozen=True, slots=True)
class Annotation:
    """Per-fix geography columns (same order as the fixes annotated)."""

    zbits: npt.NDArray[np.uint64]  # (n, words): bit z set when in zone z
    zone: I32  # most specific zone containing the fix, -1 none
    prot_zone: I32  # protected zone (safety zone or corridor) containing the fix, -1 none
    corridor: I32  # pipeline/cable corridor containing the fix, -1 none
    port: I32  # nearest port within 15 km, -1 none
    port_dist_m: F64  # distance to that port (inf when none)
    approach: B  # in a port's approach area
    land: B  # certainly on land (a whole raster cell of land: ≥ ~1 km inland)
    exempt: B  # own patrol boat, or an authorised boat in its own group's area
    shore_m: F64  # distance to the shore (inf when the geography has no water polygon)
    covered: B  # within reliable range of one of our AIS receivers
    prot: B  # in a protected zone (platform safety zone or pipeline corridor)


_PORT_SEARCH_M = 15_000.0


def annotate(geo: DetectGeography, mmsi: npt.NDArray[np.int64], lat: F64, lon: F64) -> Annotation:
    """Geography of each fix (pure, vectorised over fixes; loops over zones and ports)."""
    n = lat.shape[0]
    nz = len(geo.zones)
    words = max(1, (nz + 63) // 64)
    zbits = np.zeros((n, words), np.uint64)
    zone = np.full(n, -1, np.int32)
    prot_zone = np.full(n, -1, np.int32)
    corridor = np.full(n, -1, np.int32)
    approach = np.zeros(n, bool)
    for zi in reversed(geo.zone_order):
        z = geo.zones[zi]
        inside = geo.zone_indexes[zi].contains(lat, lon)
        if not inside.any():
            continue
        zbits[inside, zi // 64] |= np.uint64(1 << (zi % 64))
        zone[inside] = zi  # reversed order: the most specific kind is written last
        if z.kind in PROTECTED_KINDS:
            prot_zone[inside] = zi
        if z.kind == "pipeline_corridor":
            corridor[inside] = np.where(corridor[inside] >= 0, corridor[inside], zi)
        if z.kind == "port_approach":
            approach |= inside
    port = np.full(n, -1, np.int32)
    port_dist = np.full(n, np.inf)
    dlat = _PORT_SEARCH_M / 111_000.0
    for pi, p in enumerate(geo.ports):
        dlon = dlat / max(0.2, np.cos(np.radians(p.lat)))
        near = np.flatnonzero((np.abs(lat - p.lat) < dlat) & (np.abs(lon - p.lon) < dlon))
        if near.size:
            d = haversine_m(lat[near], lon[near], p.lat, p.lon)
            better = d < np.minimum(port_dist[near], _PORT_SEARCH_M)
            port_dist[near[better]] = d[better]
            port[near[better]] = pi
        ai = geo.approach_indexes[pi]
        if ai is not None:
            approach |= ai.contains(lat, lon)
    land = np.zeros(n, bool)
    if geo.water_index is not None:
        land = geo.water_index.cell_class(lat, lon) == 0
    exempt = np.isin(mmsi, np.fromiter(geo.own_fleet, np.int64, len(geo.own_fleet)))
    for key, idx in geo.registry_indexes.items():
        boats = geo.authorised.get(key)
        if not boats:
            continue
        mine = np.flatnonzero(np.isin(mmsi, np.fromiter(boats, np.int64, len(boats))))
        if mine.size:
            exempt[mine] |= idx.contains(lat[mine], lon[mine])
    shore = np.full(n, np.inf) if geo.shore is None else geo.shore.distance_m(lat, lon)
    covered = np.ones(n, bool)
    if geo.receivers:
        covered[:] = False
        for r_lat, r_lon, r_m in geo.receivers:
            dl = r_m / 110_574.0
            dlo = dl / max(0.2, float(np.cos(np.radians(r_lat))))
            near = np.flatnonzero(~covered & (np.abs(lat - r_lat) < dl)
                                  & (np.abs(lon - r_lon) < dlo))
            if near.size:
                covered[near] = haversine_m(lat[near], lon[near], r_lat, r_lon) <= r_m
    return Annotation(zbits, zone, prot_zone, corridor, port, port_dist, approach, land, exempt,
                      shore, covered, prot_zone >= 0)
