"""The geography the detectors need, as plain values, and the per-fix annotation.

Detectors never load files: they get a :class:`DetectGeography` (zones, ports, water,
registry) built by an adapter (:func:`khazar.detect.adapters.geography_from_geo`) or by a
test. :func:`annotate` turns positions into per-fix columns (zones containing the fix,
nearest port, on land, authorised there), vectorised: a coarse raster answers most points
of large polygons and only points in boundary cells get an exact test.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from khazar.detect.reception import Reception, within_receivers
from khazar.units import haversine_m

__all__ = [
    "EVENT_ZONE_KINDS",
    "PROTECTED_KINDS",
    "Annotation",
    "DetectGeography",
    "PolygonIndex",
    "PortSpec",
    "ZoneGrid",
    "ZoneSpec",
    "annotate",
    "isin_mmsi",
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
              "port_approach": 3, "territorial_sea": 4, "fishery_zone": 5, "contiguous_zone": 5}


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
        # within a cell outside the bounds is as near the boundary as an edge cell inside:
        # "certainly outside" (on land, for the water) starts a cell away on every side
        c = self.cell
        out[~inbox & (lon >= x0 - c) & (lon <= x1 + c) & (lat >= y0 - c) & (lat <= y1 + c)] = 2
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


class ZoneGrid:
    """One raster (0.0025° cells) over many polygons ("layers"), boxes and circles at once.

    Each cell gets a *signature*: the layers that certainly contain the whole cell and the
    layers whose boundary may pass through it (the cells a boundary sampled every half cell
    touches, grown by one cell, as :class:`PolygonIndex` does; boxes: any cell they touch;
    circles: cells within a cell's size of the rim). Layer numbers: polygons, then boxes,
    then circles.
    A point in a cell with no boundary layer is answered by its signature, so annotating
    ``n`` fixes over ``L`` layers costs one lookup per fix instead of ``L`` passes; only the
    fixes near a boundary get exact tests.
    """

    def __init__(self, layers: tuple[BaseGeometry, ...],
                 boxes: tuple[tuple[float, float, float, float], ...] = (),
                 circles: tuple[tuple[float, float, float], ...] = (),
                 cell_deg: float = 0.0025) -> None:
        c = cell_deg
        circle_boxes = [_circle_box(*ci) for ci in circles]
        bounds = [g.bounds for g in layers if not g.is_empty] + list(boxes) + circle_boxes
        if not bounds:
            bounds = [(0.0, 0.0, c, c)]
        self.x0 = float(np.floor(min(b[0] for b in bounds) / c) - 2) * c
        self.y0 = float(np.floor(min(b[1] for b in bounds) / c) - 2) * c
        self.nx = int(np.ceil((max(b[2] for b in bounds) - self.x0) / c)) + 3
        self.ny = int(np.ceil((max(b[3] for b in bounds) - self.y0) / c)) + 3
        self.cell = c
        self.n_layers = len(layers) + len(boxes) + len(circles)
        raster = np.zeros((self.nx, self.ny), np.int32)
        # signature s > 0 is its parent signature with one more (layer, state): 1 in, 2 edge
        defs: list[tuple[int, int, int]] = [(-1, -1, 0)]
        for li, g in enumerate(layers):
            if not g.is_empty:
                self._add(raster, defs, li, *self._polygon_states(g))
        for bi, box in enumerate(boxes):
            ia, ja, ib, jb = self._window(box)
            state = np.full((ib - ia, jb - ja), 2, np.int8)
            self._add(raster, defs, len(layers) + bi, ia, ja, state)
        for ci, circle in enumerate(circles):
            self._add(raster, defs, len(layers) + len(boxes) + ci,
                      *self._circle_states(circle, circle_boxes[ci]))
        self.raster = raster if len(defs) > 32_000 else raster.astype(np.int16)
        self.inside = np.zeros((len(defs), self.n_layers), bool)
        self.edge = np.zeros((len(defs), self.n_layers), bool)
        for sig in range(1, len(defs)):
            parent, layer, st = defs[sig]
            self.inside[sig] = self.inside[parent]
            self.edge[sig] = self.edge[parent]
            (self.inside if st == 1 else self.edge)[sig, layer] = True

    def _ix(self, x: float) -> int:
        return int(np.clip(np.floor((x - self.x0) / self.cell), 0, self.nx - 1))

    def _iy(self, y: float) -> int:
        return int(np.clip(np.floor((y - self.y0) / self.cell), 0, self.ny - 1))

    def _window(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Cell index ranges [ia, ib) × [ja, jb) covering ``bounds`` with one cell to spare."""
        x0, y0, x1, y1 = bounds
        return (max(self._ix(x0) - 1, 0), max(self._iy(y0) - 1, 0),
                min(self._ix(x1) + 2, self.nx), min(self._iy(y1) + 2, self.ny))

    def _circle_states(self, circle: tuple[float, float, float],
                       box: tuple[float, float, float, float]
                       ) -> tuple[int, int, npt.NDArray[np.int8]]:
        lat, lon, r_m = circle
        ia, ja, ib, jb = self._window(box)
        xs = self.x0 + np.arange(ia, ib + 1) * self.cell  # cell corners
        ys = self.y0 + np.arange(ja, jb + 1) * self.cell
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        corner = haversine_m(gy, gx, lat, lon)
        far = np.maximum.reduce([corner[:-1, :-1], corner[1:, :-1], corner[:-1, 1:],
                                 corner[1:, 1:]])
        centre = haversine_m(gy[:-1, :-1] + self.cell / 2, gx[:-1, :-1] + self.cell / 2,
                             lat, lon)
        # a cell spans less than 2 × its size in metres (at these latitudes): margins of
        # that much make "certainly inside" and "certainly outside" safe from rounding
        margin_m = 2.0 * self.cell * 111_320.0
        state = np.where(far <= r_m - margin_m, 1, np.where(centre > r_m + margin_m, 0, 2))
        return ia, ja, state.astype(np.int8)

    def _polygon_states(self, g: BaseGeometry) -> tuple[int, int, npt.NDArray[np.int8]]:
        ia, ja, ib, jb = self._window(g.bounds)
        xs = self.x0 + (np.arange(ia, ib) + 0.5) * self.cell
        ys = self.y0 + (np.arange(ja, jb) + 0.5) * self.cell
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        inside = shapely.contains_xy(g, gx, gy)
        pts = shapely.get_coordinates(shapely.segmentize(g.boundary, self.cell / 2))
        bx = np.floor((pts[:, 0] - self.x0) / self.cell).astype(np.int64) - ia
        by = np.floor((pts[:, 1] - self.y0) / self.cell).astype(np.int64) - ja
        edge = np.zeros(inside.shape, bool)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                edge[np.clip(bx + dx, 0, ib - ia - 1), np.clip(by + dy, 0, jb - ja - 1)] = True
        return ia, ja, np.where(edge, 2, inside.astype(np.int8)).astype(np.int8)

    @staticmethod
    def _add(raster: npt.NDArray[np.int32], defs: list[tuple[int, int, int]], layer: int,
             ia: int, ja: int, state: npt.NDArray[np.int8]) -> None:
        ib, jb = ia + state.shape[0], ja + state.shape[1]
        sub = raster[ia:ib, ja:jb]
        touched = state != 0
        pairs = sub[touched].astype(np.int64) * 3 + state[touched]
        uniq, inv = np.unique(pairs, return_inverse=True)
        base = len(defs)
        defs.extend((int(u) // 3, layer, int(u) % 3) for u in uniq.tolist())
        sub[touched] = base + inv.astype(np.int32)

    def lookup(self, lat: F64, lon: F64) -> I32:
        """The signature of each point's cell (0: no layer near)."""
        ix = np.floor((lon - self.x0) / self.cell)
        iy = np.floor((lat - self.y0) / self.cell)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        out = np.zeros(lat.shape[0], np.int32)
        if ok.all():
            out[:] = self.raster[ix.astype(np.int64), iy.astype(np.int64)]
        else:
            out[ok] = self.raster[ix[ok].astype(np.int64), iy[ok].astype(np.int64)]
        return out


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
    #: MMSIs whose static data gives AIS ship type 30 (fishing): class B boats report no
    #: navigational status, so "engaged in fishing" alone misses them. Batch reads it from
    #: the store; the live server adds to the same set as static reports arrive.
    fishing: Collection[int] = frozenset()
    #: (W, S, E, N) where a position off the water is on land; ``None``: everywhere (an
    #: enclosed sea). Outside it a position is only outside the theatre, never "on land".
    land_known: tuple[float, float, float, float] | None = None
    #: reception learned from the stored positions (:mod:`khazar.detect.reception`): where
    #: it has data it overrides the receivers' nominal range
    reception: Reception = field(default_factory=Reception)

    def covered_at(self, lat: F64, lon: F64) -> B:
        """Where AIS reception is reliable: the learned map's cells, the receivers' range
        where it has no data."""
        nominal = (within_receivers(self.receivers, lat, lon) if self.receivers
                   else np.ones(lat.shape[0], bool))
        return self.reception.covered(lat, lon, nominal)

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

    @cached_property
    def zone_grid(self) -> ZoneGrid:
        """Layers: the zones, then the ports' approach areas; boxes: each port's search
        box; circles: each receiver's reliable range."""
        approaches = tuple(p.approach for p in self.ports if p.approach is not None)
        return ZoneGrid(tuple(z.geometry for z in self.zones) + approaches,
                        tuple(_port_box(p.lat, p.lon) for p in self.ports), self.receivers)

    @cached_property
    def grid_columns(self) -> _GridColumns:
        """The zone columns of every grid signature (for fixes away from boundaries)."""
        g = self.zone_grid
        nz = len(self.zones)
        layers = nz + sum(p.approach is not None for p in self.ports)
        cols = _zone_columns(self, lambda layer: g.inside[:, layer], g.inside.shape[0])
        return _GridColumns(
            *cols,
            dirty=np.asarray(g.edge[:, :layers].any(axis=1), dtype=bool),
            near_port=np.asarray(g.edge[:, layers: layers + len(self.ports)].any(axis=1),
                                 dtype=bool),
            covered=np.asarray(g.inside[:, layers + len(self.ports):].any(axis=1), dtype=bool),
            near_receiver=np.asarray(g.edge[:, layers + len(self.ports):].any(axis=1)
                                     & ~g.inside[:, layers + len(self.ports):].any(axis=1),
                                     dtype=bool))


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


def _port_box(lat: float, lon: float) -> tuple[float, float, float, float]:
    """The box :func:`annotate` searches for a port's nearby fixes (lon0, lat0, lon1, lat1)."""
    dlat = _PORT_SEARCH_M / 111_000.0
    dlon = dlat / max(0.2, float(np.cos(np.radians(lat))))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _circle_box(lat: float, lon: float, r_m: float) -> tuple[float, float, float, float]:
    dl = r_m / 110_574.0
    dlo = dl / max(0.2, float(np.cos(np.radians(lat))))
    return lon - dlo, lat - dl, lon + dlo, lat + dl


@dataclass(frozen=True, slots=True)
class _GridColumns:
    zbits: npt.NDArray[np.uint64]
    zone: I32
    prot_zone: I32
    corridor: I32
    approach: B
    dirty: B  # a zone or approach boundary may pass through the cell: exact tests
    near_port: B
    covered: B  # certainly within range of a receiver
    near_receiver: B  # near the rim of a receiver's range (and not certainly within another)


def _zone_columns(geo: DetectGeography, contains: Callable[[int], B], n: int
                  ) -> tuple[npt.NDArray[np.uint64], I32, I32, I32, B]:
    """zbits, zone, prot_zone, corridor, approach of ``n`` points, from ``contains(layer)``
    (layer = zone index, then ``len(zones)`` + index among ports with an approach)."""
    nz = len(geo.zones)
    words = max(1, (nz + 63) // 64)
    zbits = np.zeros((n, words), np.uint64)
    zone = np.full(n, -1, np.int32)
    prot_zone = np.full(n, -1, np.int32)
    corridor = np.full(n, -1, np.int32)
    approach = np.zeros(n, bool)
    for zi in reversed(geo.zone_order):
        z = geo.zones[zi]
        inside = contains(zi)
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
    layer = nz
    for p in geo.ports:
        if p.approach is not None:
            approach |= contains(layer)
            layer += 1
    return zbits, zone, prot_zone, corridor, approach


def isin_mmsi(mmsi: npt.NDArray[np.int64], values: Collection[int]) -> B:
    """``np.isin`` that tests each run of equal MMSIs once (fixes come sorted by MMSI)."""
    vals = np.fromiter(values, np.int64)
    n = mmsi.shape[0]
    if n == 0 or vals.size == 0:
        return np.zeros(n, bool)
    starts = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
    if starts.size * 4 > n:
        return np.asarray(np.isin(mmsi, vals), dtype=bool)
    hit = np.isin(mmsi[starts], vals)
    return np.asarray(np.repeat(hit, np.diff(np.append(starts, n))), dtype=bool)


def annotate(geo: DetectGeography, mmsi: npt.NDArray[np.int64], lat: F64, lon: F64) -> Annotation:
    """Geography of each fix (pure, vectorised over fixes).

    The zone grid answers every fix whose cell no zone boundary crosses; fixes near a
    boundary get the exact test of the zones concerned, fixes near a port or a receiver the
    distance to it."""
    n = lat.shape[0]
    grid = geo.zone_grid
    gc = geo.grid_columns
    sig = grid.lookup(lat, lon)
    zbits = gc.zbits[sig]
    zone, prot_zone, corridor = gc.zone[sig], gc.prot_zone[sig], gc.corridor[sig]
    approach = gc.approach[sig]
    dirty = np.flatnonzero(gc.dirty[sig])
    if dirty.size:
        sd, la, lo = sig[dirty], lat[dirty], lon[dirty]
        exact = [*geo.zone_indexes, *(a for a in geo.approach_indexes if a is not None)]

        def contains(layer: int) -> B:
            res = grid.inside[sd, layer]
            e = np.flatnonzero(grid.edge[sd, layer])
            if e.size:
                res[e] = exact[layer].contains(la[e], lo[e])
            return np.asarray(res, dtype=bool)

        cols = _zone_columns(geo, contains, dirty.size)
        zbits[dirty], zone[dirty], prot_zone[dirty], corridor[dirty], approach[dirty] = cols
    port = np.full(n, -1, np.int32)
    port_dist = np.full(n, np.inf)
    near = np.flatnonzero(gc.near_port[sig])
    if near.size:
        port[near], port_dist[near] = _nearest_port(geo, lat[near], lon[near])
    land = np.zeros(n, bool)
    if geo.water_index is not None:
        land = geo.water_index.cell_class(lat, lon) == 0
        if geo.land_known is not None:
            west, south, east, north = geo.land_known
            land &= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    exempt = isin_mmsi(mmsi, geo.own_fleet)
    for key, idx in geo.registry_indexes.items():
        boats = geo.authorised.get(key)
        if not boats:
            continue
        mine = np.flatnonzero(isin_mmsi(mmsi, boats))
        if mine.size:
            exempt[mine] |= idx.contains(lat[mine], lon[mine])
    shore = np.full(n, np.inf) if geo.shore is None else geo.shore.distance_m(lat, lon)
    covered = np.ones(n, bool)
    if geo.receivers:
        covered = gc.covered[sig]
        cand = np.flatnonzero(gc.near_receiver[sig])
        if cand.size:
            covered[cand] = within_receivers(geo.receivers, lat[cand], lon[cand])
    covered = geo.reception.covered(lat, lon, covered)
    return Annotation(zbits, zone, prot_zone, corridor, port, port_dist, approach, land, exempt,
                      shore, covered, prot_zone >= 0)


def _nearest_port(geo: DetectGeography, lat: F64, lon: F64) -> tuple[I32, F64]:
    """The nearest port within the search radius of each point (-1, inf: none)."""
    port = np.full(lat.shape[0], -1, np.int32)
    port_dist = np.full(lat.shape[0], np.inf)
    dlat = _PORT_SEARCH_M / 111_000.0
    for pi, p in enumerate(geo.ports):
        dlon = dlat / max(0.2, np.cos(np.radians(p.lat)))
        near = np.flatnonzero((np.abs(lat - p.lat) < dlat) & (np.abs(lon - p.lon) < dlon))
        if near.size:
            d = haversine_m(lat[near], lon[near], p.lat, p.lon)
            better = d < np.minimum(port_dist[near], _PORT_SEARCH_M)
            port_dist[near[better]] = d[better]
            port[near[better]] = pi
    return port, port_dist
