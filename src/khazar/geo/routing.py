"""Water-only shortest routes and distances: a visibility graph over the inset sea.

The open-sea polygon is shrunk by ``inset_m`` (routes keep clear of the coast and of the
islands the coastline has) and simplified by less than the inset (so the simplified
polygon still lies inside the water). Its reflex vertices are the graph's nodes; edges
join mutually tangent, mutually visible nodes; all-pairs shortest distances are computed
once (``scipy`` Dijkstra). A query then needs only the nodes visible from its two ends:
``distance = min_{u,v} |A u| + D[u, v] + |v B|``, or ``|A B|`` when B is in sight.

Lengths: ``Route.length_m`` is the sum of geodesic (WGS84) leg lengths; the fast
``distance_m`` is the plane length in the local projection (within 0.2 % of it).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from khazar.errors import GeoError
from khazar.geo._proj import LocalProjection
from khazar.geo._visibility import EdgeIndex, RingArrays, ring_arrays, tangent_mask, visible
from khazar.geo.coast import largest_polygon
from khazar.units import M_PER_NM, WGS84

__all__ = ["ROUTER_VERSION", "Route", "RoutingGraph", "SeaRouter", "build_routing_graph"]

ROUTER_VERSION = 2
DEFAULT_INSET_M = 400.0
DEFAULT_SIMPLIFY_M = 200.0
_DENSIFY_M = 2000.0  # route vertices every 2 km so lon/lat chords follow the plane segment
_CACHE_SIZE = 4096
_FIELD_MIN_SOURCES = 48  # below this, pairwise queries beat the target's full field
_BATCH = 24  # candidate node pairs examined per vectorised visibility round

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Route:
    """A water-only route. ``coords`` are (lat, lon) from the snapped start to the snapped end."""

    coords: list[tuple[float, float]]
    length_m: float
    start_snap_m: float
    end_snap_m: float

    @property
    def length_nm(self) -> float:
        return self.length_m / M_PER_NM

    @property
    def length_km(self) -> float:
        return self.length_m / 1000.0


@dataclass(frozen=True, slots=True)
class RoutingGraph:
    """Everything a :class:`SeaRouter` needs, as arrays (cacheable with ``numpy.savez``)."""

    shell: FloatArray  # exterior ring of the routing polygon (plane metres)
    holes: tuple[FloatArray, ...]
    nodes: FloatArray
    dist: FloatArray  # (V, V) shortest water distances between nodes, metres
    pred: IntArray  # (V, V) predecessor matrix (-9999 = none)

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        out: dict[str, npt.NDArray[Any]] = {
            "shell": self.shell,
            "nodes": self.nodes,
            "dist": self.dist,
            "pred": self.pred,
            "n_holes": np.array([len(self.holes)]),
        }
        for i, h in enumerate(self.holes):
            out[f"hole{i}"] = h
        return out

    @classmethod
    def from_arrays(cls, arrays: Any) -> RoutingGraph:
        n = int(arrays["n_holes"][0])
        return cls(
            shell=np.asarray(arrays["shell"], dtype=float),
            holes=tuple(np.asarray(arrays[f"hole{i}"], dtype=float) for i in range(n)),
            nodes=np.asarray(arrays["nodes"], dtype=float),
            dist=np.asarray(arrays["dist"], dtype=float),
            pred=np.asarray(arrays["pred"], dtype=np.int32),
        )

    @property
    def polygon(self) -> Polygon:
        return Polygon(self.shell, list(self.holes))


def routing_key(
    water: BaseGeometry, proj: LocalProjection, inset_m: float, simplify_m: float
) -> str:
    """A hash identifying the graph that ``build_routing_graph`` would build (for caching)."""
    h = hashlib.sha256()
    h.update(shapely.to_wkb(water))
    h.update(f"{proj.lat0_deg},{proj.lon0_deg},{inset_m},{simplify_m},{ROUTER_VERSION}".encode())
    return h.hexdigest()[:24]


def build_routing_graph(
    water: BaseGeometry,
    proj: LocalProjection,
    inset_m: float = DEFAULT_INSET_M,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
) -> RoutingGraph:
    """Build the visibility graph of the sea (lon/lat polygon) and its all-pairs distances."""
    if simplify_m >= inset_m:
        raise GeoError(f"simplify_m {simplify_m} must be below inset_m {inset_m} (routes on land)")
    water_xy = proj.geom_to_xy(water)
    inner = largest_polygon(water_xy.buffer(-inset_m, quad_segs=4))
    inner = largest_polygon(inner.simplify(simplify_m, preserve_topology=True))
    poly = shapely.make_valid(inner)
    poly = largest_polygon(poly) if not isinstance(poly, Polygon) else poly
    shapely.prepare(poly)
    rings = ring_arrays(poly)
    nodes = rings.nodes
    n = len(nodes)
    # candidate pairs: each end tangent as seen from the other
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    for i in range(n):
        t = tangent_mask(float(nodes[i, 0]), float(nodes[i, 1]), rings)
        j = np.nonzero(t)[0]
        j = j[j > i]
        rows.append(np.full(j.size, i, dtype=np.int32))
        cols.append(j.astype(np.int32))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    back = _tangent_pairs(nodes, r, c, rings)
    r, c = r[back], c[back]
    ok = visible(nodes[r], nodes[c], rings.edges, poly)
    r, c = r[ok], c[ok]
    # consecutive reflex vertices: the coast edge between them is a path too (the midpoint
    # test above rejects it, the midpoint being on the boundary)
    where = {(float(x), float(y)): k for k, (x, y) in enumerate(nodes)}
    along = [
        (i, where[(float(nx_), float(ny_))])
        for i, (nx_, ny_) in enumerate(rings.next)
        if (float(nx_), float(ny_)) in where
    ]
    if along:
        r = np.concatenate([r, np.array([a for a, _ in along], dtype=np.int32)])
        c = np.concatenate([c, np.array([b for _, b in along], dtype=np.int32)])
    w = np.hypot(*(nodes[r] - nodes[c]).T)
    graph = coo_matrix((w, (r, c)), shape=(n, n)).tocsr()
    dist, pred = shortest_path(graph, method="D", directed=False, return_predecessors=True)
    return RoutingGraph(
        shell=np.asarray(poly.exterior.coords),
        holes=tuple(np.asarray(h.coords) for h in poly.interiors),
        nodes=nodes,
        dist=np.asarray(dist, dtype=float),
        pred=np.asarray(pred, dtype=np.int32),
    )


def _tangent_pairs(
    nodes: FloatArray, r: IntArray, c: IntArray, rings: RingArrays
) -> npt.NDArray[np.bool_]:
    """For pairs (r → c) already tangent at c, whether r is tangent as seen from c."""
    p = nodes[c]
    n = nodes[r]
    dx = n[:, 0] - p[:, 0]
    dy = n[:, 1] - p[:, 1]
    pv, nv = rings.prev[r], rings.next[r]
    a = dx * (pv[:, 1] - n[:, 1]) - dy * (pv[:, 0] - n[:, 0])
    b = dx * (nv[:, 1] - n[:, 1]) - dy * (nv[:, 0] - n[:, 0])
    return np.asarray(a * b >= 0.0)


class _PointView:
    """The tangent nodes seen from one point, their distances, visibility found so far."""

    __slots__ = ("d", "field", "idx", "p", "vis")

    def __init__(self, p: FloatArray, idx: npt.NDArray[np.int64], d: FloatArray) -> None:
        self.p = p
        self.idx = idx
        self.d = d
        self.vis = np.full(idx.size, -1, dtype=np.int8)
        self.field: FloatArray | None = None

    def resolve(self, rows: npt.NDArray[np.int64], index: EdgeIndex) -> None:
        """Test (vectorised) the visibility of the nodes at ``rows`` not yet known."""
        need = np.unique(rows[self.vis[rows] < 0])
        if need.size:
            self.vis[need] = np.where(index.nodes_visible(self.p, self.idx[need]), 1, 0)


class SeaRouter:
    """Shortest water routes between (lat, lon) points; see the module docstring."""

    def __init__(self, graph: RoutingGraph, proj: LocalProjection) -> None:
        self.graph = graph
        self.proj = proj
        self.polygon = graph.polygon
        shapely.prepare(self.polygon)
        self._rings = ring_arrays(self.polygon)
        if len(self._rings.nodes) != len(graph.nodes) or not np.allclose(
            self._rings.nodes, graph.nodes
        ):
            raise GeoError("routing graph does not match its polygon; delete the router cache")
        self._index = EdgeIndex(self._rings)
        self._seen: OrderedDict[tuple[float, float], _PointView] = OrderedDict()
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------
    def distance_m(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Water distance in metres (plane length, fast; thousands of queries per second)."""
        a, _ = self._snap(lat1, lon1)
        b, _ = self._snap(lat2, lon2)
        d, _, _ = self._solve(a, b)
        return d

    def distances_m(
        self, lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike
    ) -> FloatArray:
        """Water distances (m) from many points to one (e.g. every boat to an alert).

        The target's distance to every routing node is computed once; each source then
        needs only its own visible nodes (remembered between calls for fixed sources such
        as boats at their bases), so this runs at thousands of pairs per second.
        """
        la = np.atleast_1d(np.asarray(lats, dtype=float))
        lo = np.atleast_1d(np.asarray(lons, dtype=float))
        if la.size < _FIELD_MIN_SOURCES:
            return np.array(
                [self.distance_m(float(a), float(o), lat, lon) for a, o in zip(la, lo, strict=True)]
            )
        b, _ = self._snap(lat, lon)
        field = self._field(self._view(b))
        out = np.empty(la.size)
        for k in range(la.size):
            a, _ = self._snap(float(la[k]), float(lo[k]))
            out[k] = self._via_field(a, b, field)
        return out

    def distance_matrix_m(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> FloatArray:
        """All-pairs water distances (m) between points, e.g. patrol areas (symmetric)."""
        la = np.atleast_1d(np.asarray(lats, dtype=float))
        lo = np.atleast_1d(np.asarray(lons, dtype=float))
        pts = np.array([self._snap(float(a), float(o))[0] for a, o in zip(la, lo, strict=True)])
        n = len(pts)
        if n == 0:
            return np.zeros((0, 0))
        views = [self._view(p) for p in pts]
        fields = np.stack([self._field(v) for v in views], axis=1)  # (nodes, n)
        out = np.empty((n, n))
        for i, va in enumerate(views):
            seen = va.vis == 1
            via = (va.d[seen][:, None] + fields[va.idx[seen], :]).min(axis=0)
            direct = self._index.points_visible(pts[i], pts)
            out[i] = np.where(direct, np.hypot(*(pts - pts[i]).T), via)
        out = np.minimum(out, out.T)
        np.fill_diagonal(out, 0.0)
        if not np.all(np.isfinite(out)):
            raise GeoError("no water route between some of these points (separate water bodies)")
        return out

    def _field(self, view: _PointView) -> FloatArray:
        """Shortest distance from every routing node to the view's point."""
        if view.field is None:
            view.resolve(np.arange(view.idx.size), self._index)
            seen = np.nonzero(view.vis == 1)[0]
            if seen.size == 0:
                view.field = np.full(len(self.graph.nodes), np.inf)
            else:
                d = view.d[seen, None] + self.graph.dist[view.idx[seen], :]
                view.field = d.min(axis=0)
        return view.field

    def _via_field(self, a: FloatArray, b: FloatArray, field_b: FloatArray) -> float:
        if self._index.segment_clear(a, b):
            return float(np.hypot(*(b - a)))
        va = self._view(a)
        va.resolve(np.arange(va.idx.size), self._index)
        seen = va.vis == 1
        if not seen.any():
            raise GeoError("no water route: an endpoint sees no routing node")
        best = float(np.min(va.d[seen] + field_b[va.idx[seen]]))
        if not np.isfinite(best):
            raise GeoError("no water route between these points (separate water bodies)")
        return best

    def route(self, lat1: float, lon1: float, lat2: float, lon2: float) -> Route:
        """The shortest water route; endpoints on land are snapped to water (distance kept)."""
        a, snap_a = self._snap(lat1, lon1)
        b, snap_b = self._snap(lat2, lon2)
        _, u, v = self._solve(a, b)
        pts = [a]
        if u >= 0 and v >= 0:
            pts.extend(self.graph.nodes[k] for k in self._node_path(u, v))
        pts.append(b)
        xy = np.asarray(pts)
        if len(xy) == 2 and np.array_equal(xy[0], xy[1]):
            xy = xy[:1]  # both ends snap to one water point: a route of length 0, no line
        line = shapely.segmentize(LineString(xy), _DENSIFY_M) if len(xy) > 1 else None
        dense = np.asarray(line.coords) if line is not None else xy
        lon, lat = self.proj.to_lonlat(dense[:, 0], dense[:, 1])
        corner_lon, corner_lat = self.proj.to_lonlat(xy[:, 0], xy[:, 1])
        length = 0.0
        if len(xy) > 1:
            _, _, legs = WGS84.inv(corner_lon[:-1], corner_lat[:-1], corner_lon[1:], corner_lat[1:])
            length = float(np.sum(legs))
        coords = [(float(la), float(lo)) for la, lo in zip(lat, lon, strict=True)]
        return Route(coords, length, snap_a, snap_b)

    def snap_m(self, lat: float, lon: float) -> float:
        """How far (m) a position is from the routing water: 0 in the water; for a point on
        land or off the sea, the distance its route would be snapped over."""
        return self._snap(lat, lon)[1]

    def in_routing_water(self, lat: float, lon: float) -> bool:
        """Whether a point is inside the inset sea used for routing (no snap needed)."""
        x, y = self.proj.to_xy(lon, lat)
        return bool(shapely.contains_xy(self.polygon, float(x), float(y)))

    # -- internals ----------------------------------------------------------------------
    def _snap(self, lat: float, lon: float) -> tuple[FloatArray, float]:
        x, y = self.proj.to_xy_scalar(lon, lat)
        if not (np.isfinite(x) and np.isfinite(y)) or abs(lat) > 90 or abs(lon) > 180:
            raise GeoError(f"({lat}, {lon}) is not a valid (lat, lon) position in degrees")
        p = np.array([x, y])
        if shapely.contains_xy(self.polygon, x, y):
            return p, 0.0
        boundary = (
            self.polygon.exterior
            if self.polygon.exterior.distance(Point(p))
            <= min((h.distance(Point(p)) for h in self.polygon.interiors), default=np.inf)
            else min(self.polygon.interiors, key=lambda h: h.distance(Point(p)))
        )
        near = boundary.interpolate(boundary.project(Point(p)))
        q = np.array([near.x, near.y])
        direction = q - p
        norm = float(np.hypot(*direction)) or 1.0
        for step in (1.0, 5.0, 25.0, 100.0):
            cand = q + direction / norm * step
            if shapely.contains_xy(self.polygon, cand[0], cand[1]):
                break
        else:
            raise GeoError(f"cannot snap ({lat:.5f}, {lon:.5f}) to water")
        slon, slat = self.proj.to_lonlat(cand[0], cand[1])
        _, _, snap = WGS84.inv(lon, lat, float(slon), float(slat))
        return cand, float(snap)

    def _view(self, p: FloatArray) -> _PointView:
        key = (round(float(p[0]), 1), round(float(p[1]), 1))
        with self._lock:  # the API server queries from several threads
            hit = self._seen.get(key)
            if hit is not None:
                self._seen.move_to_end(key)
                return hit
        cand = np.nonzero(tangent_mask(float(p[0]), float(p[1]), self._rings))[0]
        d = np.hypot(*(self.graph.nodes[cand] - p).T)
        view = _PointView(p, cand.astype(np.int64), np.asarray(d, dtype=float))
        with self._lock:
            self._seen[key] = view
            if len(self._seen) > _CACHE_SIZE:
                self._seen.popitem(last=False)
        return view

    def _solve(self, a: FloatArray, b: FloatArray) -> tuple[float, int, int]:
        """Best (length, first node, last node); nodes -1 when B is in sight of A.

        Candidate node pairs are taken in order of their path length, ``_BATCH`` at a time;
        the visibility of their end nodes (from A and from B) is tested in one vectorised
        call and remembered per endpoint. The first pair whose first node is visible from
        A and last node from B is the shortest path: any shortest path bends first at a
        visible tangent node, and every pair not yet examined is at least as long.
        """
        if self._index.segment_clear(a, b):
            return float(np.hypot(*(b - a))), -1, -1
        va = self._view(a)
        vb = self._view(b)
        if va.idx.size == 0 or vb.idx.size == 0:
            raise GeoError("no water route: an endpoint sees no routing node")
        nodes = self.graph.nodes
        # lower bounds of any path through u (from A) or v (to B): straight-line rest
        lb_a = va.d + np.hypot(*(nodes[va.idx] - b).T)
        lb_b = vb.d + np.hypot(*(nodes[vb.idx] - a).T)
        limit = max(float(lb_a.min()), float(lb_b.min())) * 1.05 + 1.0
        ceiling = max(float(lb_a.max()), float(lb_b.max()))
        while True:
            found = self._best_pair(va, vb, lb_a, lb_b, limit)
            if found is not None:
                return found
            if limit > ceiling:
                raise GeoError("no water route between these points (separate water bodies)")
            limit *= 1.5

    def _best_pair(
        self,
        va: _PointView,
        vb: _PointView,
        lb_a: FloatArray,
        lb_b: FloatArray,
        limit: float,
    ) -> tuple[float, int, int] | None:
        """The shortest visible pair among paths no longer than ``limit`` (else None)."""
        sa = np.nonzero((lb_a <= limit) & (va.vis != 0))[0]
        sb = np.nonzero((lb_b <= limit) & (vb.vis != 0))[0]
        if sa.size == 0 or sb.size == 0:
            return None
        total = va.d[sa, None] + self.graph.dist[np.ix_(va.idx[sa], vb.idx[sb])] + vb.d[None, sb]
        total[total > limit] = np.inf
        flat = total.ravel()
        ncols = sb.size
        while True:
            k = min(_BATCH, flat.size)
            cand = np.argpartition(flat, k - 1)[:k]
            cand = cand[np.argsort(flat[cand], kind="stable")]
            if not np.isfinite(flat[cand[0]]):
                return None
            ii, jj = np.divmod(cand, ncols)
            va.resolve(sa[ii], self._index)
            vb.resolve(sb[jj], self._index)
            ok = (va.vis[sa[ii]] == 1) & (vb.vis[sb[jj]] == 1) & np.isfinite(flat[cand])
            if ok.any():
                f = int(np.argmax(ok))
                return float(flat[cand[f]]), int(va.idx[sa[ii[f]]]), int(vb.idx[sb[jj[f]]])
            total[va.vis[sa] == 0, :] = np.inf
            total[:, vb.vis[sb] == 0] = np.inf

    def _node_path(self, u: int, v: int) -> list[int]:
        path = [v]
        pred = self.graph.pred
        while path[-1] != u:
            nxt = int(pred[u, path[-1]])
            if nxt < 0:
                raise GeoError("routing graph is inconsistent; delete the router cache")
            path.append(nxt)
        return path[::-1]
