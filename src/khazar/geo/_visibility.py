"""Vectorised segment visibility inside a polygon (plane metres), for the sea router.

A segment P→Q is *visible* when it crosses or touches no polygon edge (edges that end at
P or Q excepted) and its midpoint lies inside the polygon: with no crossing the whole
segment is then inside. Shortest paths among polygonal obstacles bend only at reflex
vertices (convex land corners) and only where the path is tangent to the coast there,
which the ``tangent`` test checks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

__all__ = ["EdgeIndex", "RingArrays", "ring_arrays", "tangent_mask", "visible"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
_CHUNK = 4_000_000  # pair × edge products per numpy chunk (memory ≈ 32 B each)
_SMALL_BATCH = 32  # larger batches go to the R-tree predicate query
_PIECE_M = 20_000.0  # long segments are cut into pieces this long for the R-tree


class RingArrays:
    """Edges and reflex vertices of a polygon whose interior is on the left of every ring."""

    def __init__(
        self,
        edges: FloatArray,
        nodes: FloatArray,
        prev: FloatArray,
        nxt: FloatArray,
        node_edges: IntArray,
    ) -> None:
        self.edges = edges  # (E, 4): ax, ay, bx, by
        self.nodes = nodes  # (V, 2): reflex vertices
        self.prev = prev  # (V, 2): the ring vertex before each node
        self.next = nxt  # (V, 2): the ring vertex after each node
        self.node_edges = node_edges  # (V, 2): the two edges that meet at each node


def ring_arrays(poly: Polygon) -> RingArrays:
    """Edges and reflex vertices of ``poly`` (exterior CCW, holes CW after orienting)."""
    poly = orient(poly, 1.0)
    edges: list[FloatArray] = []
    nodes: list[FloatArray] = []
    prevs: list[FloatArray] = []
    nexts: list[FloatArray] = []
    incident: list[IntArray] = []
    offset = 0
    for ring in [poly.exterior, *poly.interiors]:
        c = np.asarray(ring.coords)[:-1]
        if len(c) < 3:
            continue
        nxt = np.roll(c, -1, axis=0)
        prv = np.roll(c, 1, axis=0)
        edges.append(np.hstack([c, nxt]))
        d1 = c - prv
        d2 = nxt - c
        cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
        reflex = cross < 0.0  # right turn with the interior on the left
        nodes.append(c[reflex])
        prevs.append(prv[reflex])
        nexts.append(nxt[reflex])
        k = np.arange(len(c))
        inc = np.column_stack([offset + (k - 1) % len(c), offset + k])
        incident.append(inc[reflex])
        offset += len(c)
    return RingArrays(
        np.vstack(edges), np.vstack(nodes), np.vstack(prevs), np.vstack(nexts), np.vstack(incident)
    )


def tangent_mask(px: float, py: float, rings: RingArrays) -> BoolArray:
    """Nodes at which a path coming from (px, py) may bend (both ring neighbours on one side)."""
    n = rings.nodes
    dx = n[:, 0] - px
    dy = n[:, 1] - py
    a = dx * (rings.prev[:, 1] - n[:, 1]) - dy * (rings.prev[:, 0] - n[:, 0])
    b = dx * (rings.next[:, 1] - n[:, 1]) - dy * (rings.next[:, 0] - n[:, 0])
    return np.asarray(a * b >= 0.0)


def visible(p: FloatArray, q: FloatArray, edges: FloatArray, poly: Polygon) -> BoolArray:
    """For each row i, whether segment p[i]→q[i] lies inside ``poly`` (see module doc).

    ``poly`` must be prepared (``shapely.prepare``) for speed.
    """
    k = len(p)
    out = np.zeros(k, dtype=bool)
    if k == 0:
        return out
    mid = (p + q) / 2.0
    inside = shapely.contains_xy(poly, mid[:, 0], mid[:, 1])
    todo = np.nonzero(inside)[0]
    if todo.size == 0:
        return out
    ax, ay, bx, by = edges[:, 0], edges[:, 1], edges[:, 2], edges[:, 3]
    step = max(1, _CHUNK // max(1, len(edges)))
    for s in range(0, todo.size, step):
        idx = todo[s : s + step]
        px, py = p[idx, 0:1], p[idx, 1:2]
        qx, qy = q[idx, 0:1], q[idx, 1:2]
        ux, uy = qx - px, qy - py
        o1 = ux * (ay - py) - uy * (ax - px)
        o2 = ux * (by - py) - uy * (bx - px)
        ex, ey = bx - ax, by - ay
        o3 = ex * (py - ay) - ey * (px - ax)
        o4 = ex * (qy - ay) - ey * (qx - ax)
        hit = (o1 * o2 <= 0.0) & (o3 * o4 <= 0.0)
        # edges that end at P or Q do not block (the segment starts on the coast there)
        at_p = ((ax == px) & (ay == py)) | ((bx == px) & (by == py))
        at_q = ((ax == qx) & (ay == qy)) | ((bx == qx) & (by == qy))
        hit &= ~(at_p | at_q)
        out[idx] = ~hit.any(axis=1)
    return out


class EdgeIndex:
    """An R-tree over the polygon's edges for fast visibility from one point to many nodes."""

    def __init__(self, rings: RingArrays) -> None:
        e = rings.edges
        self._lines = shapely.linestrings(np.stack([e[:, 0:2], e[:, 2:4]], axis=1))
        self._tree = shapely.STRtree(self._lines)
        self._rings = rings

    def segment_clear(self, p: FloatArray, q: FloatArray) -> bool:
        """Whether the segment between two inside points touches no edge."""
        return not self._blocked(p, q, -1, -1)

    def _blocked(self, p: FloatArray, q: FloatArray, skip1: int, skip2: int) -> bool:
        x0, x1 = (p[0], q[0]) if p[0] <= q[0] else (q[0], p[0])
        y0, y1 = (p[1], q[1]) if p[1] <= q[1] else (q[1], p[1])
        cand = self._tree.query(shapely.box(x0, y0, x1, y1))
        if cand.size == 0:
            return False
        e = self._rings.edges[cand]
        ax, ay, bx, by = e[:, 0], e[:, 1], e[:, 2], e[:, 3]
        ux, uy = q[0] - p[0], q[1] - p[1]
        o1 = ux * (ay - p[1]) - uy * (ax - p[0])
        o2 = ux * (by - p[1]) - uy * (bx - p[0])
        ex, ey = bx - ax, by - ay
        o3 = ex * (p[1] - ay) - ey * (p[0] - ax)
        o4 = ex * (q[1] - ay) - ey * (q[0] - ax)
        hit = (o1 * o2 <= 0.0) & (o3 * o4 <= 0.0) & (cand != skip1) & (cand != skip2)
        return bool(hit.any())

    def nodes_visible(self, p: FloatArray, nodes_idx: IntArray) -> BoolArray:
        """Vectorised: whether each node of ``nodes_idx`` is visible from the inside point
        ``p`` (every edge tested exactly; the node's own two edges excepted)."""
        if nodes_idx.size == 0:
            return np.zeros(0, dtype=bool)
        if nodes_idx.size > _SMALL_BATCH:
            return self._nodes_visible_tree(p, nodes_idx)
        e = self._rings.edges
        q = self._rings.nodes[nodes_idx]
        ax, ay, bx, by = e[:, 0], e[:, 1], e[:, 2], e[:, 3]
        ux = (q[:, 0] - p[0])[:, None]
        uy = (q[:, 1] - p[1])[:, None]
        o1 = ux * (ay - p[1]) - uy * (ax - p[0])
        o2 = ux * (by - p[1]) - uy * (bx - p[0])
        ex, ey = bx - ax, by - ay
        o3 = ex * (p[1] - ay) - ey * (p[0] - ax)
        o4 = ex * (q[:, 1:2] - ay) - ey * (q[:, 0:1] - ax)
        hit = (o1 * o2 <= 0.0) & (o3 * o4 <= 0.0)
        rows = np.arange(nodes_idx.size)
        inc = self._rings.node_edges[nodes_idx]
        hit[rows, inc[:, 0]] = False
        hit[rows, inc[:, 1]] = False
        return np.asarray(~hit.any(axis=1))

    def _nodes_visible_tree(self, p: FloatArray, nodes_idx: IntArray) -> BoolArray:
        return self._fan_clear(p, self._rings.nodes[nodes_idx], self._rings.node_edges[nodes_idx])

    def points_visible(self, p: FloatArray, targets: FloatArray) -> BoolArray:
        """Vectorised: whether each inside point of ``targets`` (n, 2) is visible from ``p``."""
        return self._fan_clear(p, targets, None)

    def _fan_clear(
        self, p: FloatArray, targets: FloatArray, incident: IntArray | None
    ) -> BoolArray:
        # many segments at once: cut each into ≤ 20 km pieces (small bounding boxes, few
        # candidate edges each) and let GEOS test the pieces against the R-tree in C
        if targets.shape[0] == 0:
            return np.zeros(0, dtype=bool)
        length = np.hypot(targets[:, 0] - p[0], targets[:, 1] - p[1])
        pieces = np.maximum(1, np.ceil(length / _PIECE_M)).astype(np.int64)
        seg = np.repeat(np.arange(targets.shape[0]), pieces)
        first = np.cumsum(pieces) - pieces
        k = np.arange(seg.size) - first[seg]
        t0 = (k / pieces[seg])[:, None]
        t1 = ((k + 1) / pieces[seg])[:, None]
        d = targets[seg] - p
        coords = np.stack([p + d * t0, p + d * t1], axis=1)
        piece_i, edge_i = self._tree.query(shapely.linestrings(coords), predicate="intersects")
        seg_i = seg[piece_i]
        if incident is not None:
            inc = incident[seg_i]
            blocking = (edge_i != inc[:, 0]) & (edge_i != inc[:, 1])
            seg_i = seg_i[blocking]
        out = np.ones(targets.shape[0], dtype=bool)
        out[seg_i] = False
        return out
