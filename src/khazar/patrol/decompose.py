"""Decompose the LP's flows into concrete joint route plans whose weights reproduce coverage.

*Face extraction* (a Birkhoff–von Neumann style decomposition): with remaining weight ``λ``
and residual flow ``r`` (so ``r/λ`` lies in the flow polytope), find an integral joint plan ``g``
inside the support of ``r`` that uses every *tight* area node (coverage ``= λ``) and no node
twice; subtract the largest ``θ g`` that keeps ``(r - θ g)/(λ - θ)`` in the polytope. Each step
empties an edge or makes a node tight, so the loop ends after at most |edges| + |nodes| steps
and the weights reproduce the coverage up to rounding (~1e-12). Each base's boats are one
commodity; for one commodity the polytope is integral (network matrix) and ``g`` is found by a
max-flow with lower bounds (scipy's Dinic). Several bases share nodes, where integrality may
fail: when the greedy base-by-base search finds no ``g``, a small MILP over the live edges
looks for one; when none exists the decomposition reports itself incomplete and the caller
(:func:`khazar.patrol.routes.plan_routes`) re-solves with every node owned by one base, where
the polytope is integral and extraction cannot fail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import maximum_flow

from khazar.patrol.timegraph import TimeGraph

__all__ = ["Decomposition", "JointPlan", "decompose", "plan_coverage"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EDGE_EPS = 1e-12
_TIGHT_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class JointPlan:
    """One pure strategy: for every boat (in fleet order by base), its location per step."""

    routes: tuple[tuple[int, ...], ...]  # locations (area index, or n_areas + base index)
    bases: tuple[int, ...]  # base index of each route


@dataclass(slots=True)
class Decomposition:
    """Joint plans and their probabilities (weights sum to 1)."""

    plans: list[JointPlan]
    weights: list[float]
    complete: bool  # False: the face had no integral point (weights then sum to < 1)
    max_coverage_error: float = 0.0  # max |sum w occ - LP coverage| over (area, step)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def plan_coverage(graph: TimeGraph, plans: list[JointPlan], weights: list[float]) -> FloatArray:
    """Coverage (n_areas, T+1) of a weighted set of joint plans (expected boats per node)."""
    cov = np.zeros((graph.n_areas, graph.steps + 1))
    steps = np.arange(graph.steps + 1)
    for plan, w in zip(plans, weights, strict=True):
        for route in plan.routes:
            locs = np.asarray(route)
            ok = locs < graph.n_areas
            cov[locs[ok], steps[ok]] += w
    return cov


def _node_coverage(graph: TimeGraph, r: FloatArray) -> FloatArray:
    x = np.zeros(graph.n_nodes)
    np.add.at(x, graph.dst, r)
    return x


class _Commodity:
    """Edges of one base and a cached integral flow."""

    def __init__(self, graph: TimeGraph, k: int) -> None:
        self.k = k
        self.edges = np.flatnonzero(graph.commodity == k)
        self.n_boats = len(graph.bases[k].boats)
        self.source = graph.node(graph.base_loc(k), 0)
        self.sink = graph.node(graph.base_loc(k), graph.steps)
        self.last: IntArray | None = None  # edge ids (repeated per boat) of the last flow


def _integral_flow(
    graph: TimeGraph,
    com: _Commodity,
    live: BoolArray,
    must: BoolArray,
    forbidden: BoolArray,
) -> npt.NDArray[np.int64] | None:
    """An integral flow of ``n_boats`` units on live edges of ``com`` that passes through
    every ``must`` node, avoids ``forbidden`` nodes and uses each area node at most once.
    Returns per-edge units (aligned with ``com.edges``) or None if there is none."""
    e = com.edges
    ok = live[e] & ~forbidden[graph.src[e]] & ~forbidden[graph.dst[e]]
    src = graph.src[e][ok]
    dst = graph.dst[e][ok]
    nodes, inv = np.unique(np.concatenate([src, dst, [com.source, com.sink]]), return_inverse=True)
    n = nodes.size
    s_idx = inv[: src.size]
    d_idx = inv[src.size : 2 * src.size]
    so, si = int(inv[-2]), int(inv[-1])
    nb = com.n_boats
    area = graph.is_area(nodes)
    lower = (must[nodes] & area).astype(np.int64)
    capn = np.where(area, 1, nb).astype(np.int64)
    # graph edges u_out(2u+1) -> v_in(2v), node edges v_in -> v_out (cap - lower)
    rows = [2 * s_idx + 1, 2 * np.arange(n), [2 * si + 1]]
    cols = [2 * d_idx, 2 * np.arange(n) + 1, [2 * so]]
    caps = [np.full(src.size, nb), capn - lower, [0]]  # circulation edge: lower = cap = nb
    excess = np.zeros(2 * n + 2, dtype=np.int64)
    excess[2 * np.arange(n) + 1] += lower
    excess[2 * np.arange(n)] -= lower
    excess[2 * so] += nb
    excess[2 * si + 1] -= nb
    big_s, big_t = 2 * n, 2 * n + 1
    pos = np.flatnonzero(excess > 0)
    neg = np.flatnonzero(excess < 0)
    rows += [np.full(pos.size, big_s), neg]
    cols += [pos, np.full(neg.size, big_t)]
    caps += [excess[pos], -excess[neg]]
    r = np.concatenate([np.asarray(x, dtype=np.int64) for x in rows])
    c = np.concatenate([np.asarray(x, dtype=np.int64) for x in cols])
    v = np.concatenate([np.asarray(x, dtype=np.int64) for x in caps])
    keep = v > 0
    mat = sp.csr_matrix((v[keep].astype(np.int32), (r[keep], c[keep])), shape=(2 * n + 2,) * 2)
    res = maximum_flow(mat, big_s, big_t)
    if res.flow_value != int(excess[pos].sum()):
        return None
    flow = res.flow.tocsr()
    units = np.asarray(flow[2 * s_idx + 1, 2 * d_idx]).ravel().astype(np.int64)
    out = np.zeros(e.size, dtype=np.int64)
    out[np.flatnonzero(ok)] = np.maximum(units, 0)
    return out


def _paths(
    graph: TimeGraph, com: _Commodity, units: npt.NDArray[np.int64]
) -> list[tuple[int, ...]]:
    """Split an integral flow of one base into its boats' routes (locations per step)."""
    left = {}
    by_src: dict[int, list[int]] = {}
    for idx in np.flatnonzero(units > 0):
        eid = int(com.edges[idx])
        left[eid] = int(units[idx])
        by_src.setdefault(int(graph.src[eid]), []).append(eid)
    routes = []
    for _ in range(com.n_boats):
        node = com.source
        locs = [int(graph.loc(node))]
        for _t in range(graph.steps):
            eid = next(x for x in by_src[node] if left[x] > 0)
            left[eid] -= 1
            node = int(graph.dst[eid])
            locs.append(int(graph.loc(node)))
        routes.append(tuple(locs))
    return routes


def decompose(graph: TimeGraph, flow: FloatArray, max_steps: int = 200_000) -> Decomposition:
    """Decompose ``flow`` (the LP optimum) into joint plans (see the module docstring)."""
    started = time.perf_counter()
    r = np.where(flow > _EDGE_EPS, flow, 0.0)
    coms = [_Commodity(graph, k) for k in range(len(graph.bases))]
    is_area_node = graph.is_area(np.arange(graph.n_nodes))
    lam = 1.0
    plans: list[JointPlan] = []
    weights: list[float] = []
    notes: list[str] = []
    steps = 0
    target = _node_coverage(graph, r)
    while lam > 1e-12 and steps < max_steps:
        steps += 1
        live = r > _EDGE_EPS
        x = _node_coverage(graph, r)
        tight = is_area_node & (x >= lam - _TIGHT_TOL) & (x > _EDGE_EPS)
        owner = _owners(graph, r, tight, len(coms))
        chosen = _extract(graph, coms, live, tight, owner)
        if chosen is None:
            chosen = _extract_milp(graph, coms, live, tight)
        if chosen is None:
            notes.append(f"no integral joint plan in the face at weight {1 - lam:.6f} "
                         f"(bases share nodes: the polytope is not integral)")
            break
        g = np.zeros(graph.src.size)
        for com, units in zip(coms, chosen, strict=True):
            g[com.edges] += units
        used_nodes = np.zeros(graph.n_nodes, dtype=bool)
        used_nodes[graph.dst[g > 0]] = True
        theta = lam
        ge = g > 0
        theta = min(theta, float((r[ge] / g[ge]).min()))
        free = is_area_node & ~used_nodes & (x > 0)
        if free.any():
            theta = min(theta, float((lam - x[free]).min()))
        theta = max(theta, 0.0)
        if theta <= 0.0:
            # a numerically tight node outside the tolerance: treat it as tight next time
            theta = 0.0
        routes: list[tuple[int, ...]] = []
        bases: list[int] = []
        for com, units in zip(coms, chosen, strict=True):
            for route in _paths(graph, com, units):
                routes.append(route)
                bases.append(com.k)
        if theta > 0.0:
            plans.append(JointPlan(tuple(routes), tuple(bases)))
            weights.append(theta)
        r = r - theta * g
        r[r < _EDGE_EPS] = 0.0
        lam -= theta
    if lam > 1e-12:
        return Decomposition(plans, weights, False, float("nan"),
                             time.perf_counter() - started, notes)
    total = sum(weights)
    weights = [w / total for w in weights]
    cov = plan_coverage(graph, plans, weights)
    want = target.reshape(graph.steps + 1, graph.n_locations)[:, : graph.n_areas].T
    err = float(np.abs(cov - want).max()) if cov.size else 0.0
    return Decomposition(plans, weights, True, err, time.perf_counter() - started, notes)


def _owners(graph: TimeGraph, r: FloatArray, tight: BoolArray, n_com: int) -> IntArray:
    """For each tight node, the base carrying most of its residual flow."""
    per = np.zeros((n_com, graph.n_nodes))
    np.add.at(per, (graph.commodity, graph.dst), r)
    owner = np.argmax(per, axis=0)
    return np.where(tight, owner, -1)


def _extract(
    graph: TimeGraph,
    coms: list[_Commodity],
    live: BoolArray,
    tight: BoolArray,
    owner: IntArray,
) -> list[npt.NDArray[np.int64]] | None:
    used = np.zeros(graph.n_nodes, dtype=bool)
    is_area = graph.is_area(np.arange(graph.n_nodes))
    out: list[npt.NDArray[np.int64]] = []
    for com in coms:
        must = tight & (owner == com.k)
        forbidden = (tight & (owner != com.k)) | used
        units = None
        if com.last is not None:
            units = com.last
            ue = com.edges[units > 0]
            nodes = np.concatenate([graph.src[ue], graph.dst[ue]])
            covered = np.zeros(graph.n_nodes, dtype=bool)
            covered[nodes] = True
            if not (live[ue].all() and not forbidden[nodes].any() and not (must & ~covered).any()):
                units = None
        if units is None:
            units = _integral_flow(graph, com, live, must, forbidden)
            if units is None:
                return None
            com.last = units
        ue = com.edges[units > 0]
        used[graph.dst[ue][is_area[graph.dst[ue]]]] = True
        out.append(units)
    return out


def _extract_milp(
    graph: TimeGraph, coms: list[_Commodity], live: BoolArray, tight: BoolArray
) -> list[npt.NDArray[np.int64]] | None:
    """The joint integral plan in the face as a small MILP over the live edges (used when the
    greedy base-by-base max-flows fail; None when the face has no integral point)."""
    eids = np.flatnonzero(live)
    k = graph.commodity[eids]
    src, dst = graph.src[eids], graph.dst[eids]
    m = eids.size
    rows_key = np.concatenate([k * graph.n_nodes + dst, k * graph.n_nodes + src])
    keys, inv = np.unique(rows_key, return_inverse=True)
    cons = sp.csr_matrix(
        (np.concatenate([np.ones(m), -np.ones(m)]), (inv, np.concatenate([np.arange(m)] * 2))),
        shape=(keys.size, m),
    )
    b = np.zeros(keys.size)
    for com in coms:
        for node, val in ((com.source, -com.n_boats), (com.sink, com.n_boats)):
            key = com.k * graph.n_nodes + node
            pos = np.searchsorted(keys, key)
            if pos >= keys.size or keys[pos] != key:
                return None
            b[pos] = val
    area = graph.is_area(dst)
    nodes, inv2 = np.unique(dst[area], return_inverse=True)
    cap = sp.csr_matrix((np.ones(inv2.size), (inv2, np.flatnonzero(area))), shape=(nodes.size, m))
    low = np.where(tight[nodes], 1.0, 0.0)
    ub = np.array([coms[int(c)].n_boats for c in k], dtype=np.float64)
    res = milp(
        np.zeros(m),
        constraints=[LinearConstraint(cons, b, b), LinearConstraint(cap, low, np.ones(nodes.size))],
        integrality=np.ones(m),
        bounds=Bounds(np.zeros(m), ub),
        # a node limit, not a time limit: the same shift must give the same plans (and so
        # the same seeded draw) however loaded the machine is; the time limit is a safety net
        options={"node_limit": 500, "time_limit": 120.0},
    )
    if res.x is None or res.status != 0:
        return None
    units = np.rint(res.x).astype(np.int64)
    out = []
    for com in coms:
        full = np.zeros(graph.src.size, dtype=np.int64)
        full[eids] = units
        com.last = full[com.edges]
        out.append(com.last)
    return out
