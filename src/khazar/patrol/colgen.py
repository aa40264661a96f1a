"""Column generation over joint plans, where the flow LP's optimum cannot be decomposed.

With several bases sharing nodes the flow polytope is not integral, so the LP optimum may not
be a mixture of joint plans. The master LP then plays the same game as the flow LP, over
explicit joint plans (columns)::

    min z - ε·gain   s.t.  uau_i - Δa_i Σ_p C_ip w_p <= z,  Σ w = 1

``C_ip`` = visits of plan ``p`` to (area, window) ``i`` (the same linear capture model). The
pricing problem — the joint plan of largest reduced value — is edge-additive: each boat in
turn takes the longest path in the time-expanded DAG under edge weights from the duals, on
nodes not yet taken (a heuristic for the joint problem; exact per boat). It stops when no
improving column is found or the time budget ends. The flow LP's value is a bound: the gap
is reported. The master's coverage is reproduced exactly by its weights (it *is* a mixture).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from khazar.patrol.decompose import JointPlan
from khazar.patrol.flowlp import AreaPayoffs
from khazar.patrol.timegraph import TimeGraph

__all__ = ["ColumnGenerationResult", "column_generation", "plan_edges"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ColumnGenerationResult:
    plans: list[JointPlan]
    weights: list[float]
    attacker_utility: float
    iterations: int
    seconds: float


def _edge_index(graph: TimeGraph) -> dict[tuple[int, int, int], int]:
    return {
        (int(k), int(s), int(d)): e
        for e, (k, s, d) in enumerate(zip(graph.commodity, graph.src, graph.dst, strict=True))
    }


def plan_edges(
    graph: TimeGraph, plan: JointPlan, key: dict[tuple[int, int, int], int] | None = None
) -> FloatArray:
    """Edge-use vector (units per edge) of a joint plan."""
    key = key if key is not None else _edge_index(graph)
    n_loc = graph.n_locations
    use = np.zeros(graph.src.size)
    for route, k in zip(plan.routes, plan.bases, strict=True):
        for t in range(1, len(route)):
            use[key[(k, (t - 1) * n_loc + route[t - 1], t * n_loc + route[t])]] += 1.0
    return use


def exact_capture(graph: TimeGraph, plan: JointPlan, window_steps: int) -> FloatArray:
    """1 for each (area, window) the plan covers (a boat there at some step of the window),
    rows ordered as :func:`khazar.patrol.flowlp.capture_matrix`."""
    occ = np.zeros((graph.n_areas, graph.steps + 1), dtype=bool)
    steps = np.arange(graph.steps + 1)
    for route in plan.routes:
        locs = np.asarray(route)
        ok = locs < graph.n_areas
        occ[locs[ok], steps[ok]] = True
    starts = range(1, graph.steps - window_steps + 1)
    cov = np.zeros((graph.n_areas, len(starts)), dtype=bool)
    for off in range(window_steps):
        cov |= occ[:, starts.start + off : starts.stop + off]
    return cov.astype(np.float64).ravel()


class _Pricer:
    def __init__(self, graph: TimeGraph) -> None:
        self.g = graph
        self.layers: list[list[IntArray]] = []
        step = graph.src // graph.n_locations
        for k in range(len(graph.bases)):
            ek = np.flatnonzero(graph.commodity == k)
            self.layers.append([ek[step[ek] == t] for t in range(graph.steps)])

    def joint_plan(self, weight: FloatArray) -> tuple[JointPlan, FloatArray]:
        g = self.g
        used = np.zeros(g.n_nodes, dtype=bool)
        is_area = g.is_area(np.arange(g.n_nodes))
        use = np.zeros(g.src.size)
        routes: list[tuple[int, ...]] = []
        bases: list[int] = []
        for k, base in enumerate(g.bases):
            for _ in base.boats:
                path = self._longest(k, weight, used)
                locs = [int(g.loc(int(g.src[path[0]])))] + [int(g.loc(int(g.dst[e]))) for e in path]
                for e in path:
                    d = int(g.dst[e])
                    if is_area[d]:
                        used[d] = True
                    use[e] += 1.0
                routes.append(tuple(locs))
                bases.append(k)
        return JointPlan(tuple(routes), tuple(bases)), use

    def _longest(self, k: int, weight: FloatArray, used: npt.NDArray[np.bool_]) -> list[int]:
        g = self.g
        best = np.full(g.n_nodes, -np.inf)
        pred = np.full(g.n_nodes, -1, dtype=np.int64)
        best[g.node(g.base_loc(k), 0)] = 0.0
        for edges in self.layers[k]:
            ok = edges[~used[g.dst[edges]] & np.isfinite(best[g.src[edges]])]
            cand = best[g.src[ok]] + weight[ok]
            order = np.lexsort((-cand, g.dst[ok]))
            dst_sorted = g.dst[ok][order]
            first = np.ones(order.size, dtype=bool)
            first[1:] = dst_sorted[1:] != dst_sorted[:-1]
            sel = ok[order[first]]
            best[g.dst[sel]] = cand[order[first]]
            pred[g.dst[sel]] = sel
        node = g.node(g.base_loc(k), g.steps)
        path: list[int] = []
        while pred[node] >= 0:
            e = int(pred[node])
            path.append(e)
            node = int(g.src[e])
        return path[::-1]


def column_generation(
    graph: TimeGraph,
    payoffs: AreaPayoffs,
    capm: sp.csr_matrix,
    columns: list[JointPlan],
    gain_weight: float,
    window_steps: int,
    budget_s: float = 20.0,
    bound: float | None = None,
) -> ColumnGenerationResult:
    """Optimise the game over joint plans, starting from ``columns`` (see module docstring).
    ``bound``: the flow LP's attacker utility; reaching it ends the search early."""
    started = time.perf_counter()
    n_w = capm.shape[0] // graph.n_areas
    reachable = np.diff(capm.indptr) > 0
    cap_r = capm[reachable]
    da = np.repeat(payoffs.uau - payoffs.uac, n_w)[reachable]
    dd = np.repeat(payoffs.udc - payoffs.udu, n_w)[reachable]
    uau = np.repeat(payoffs.uau, n_w)[reachable]
    boat_steps = sum(len(b.boats) for b in graph.bases) * graph.steps * window_steps
    scale = float(np.abs(payoffs.uau).max() or 1.0) / max(float(dd.max()) * boat_steps, 1e-12)
    eps = gain_weight * scale
    pricer = _Pricer(graph)
    plans = list(columns)
    cols = [exact_capture(graph, p, window_steps)[reachable] for p in plans]
    if not cols:
        plan, _ = pricer.joint_plan(np.asarray(cap_r.T @ (eps * dd + da)))
        plans.append(plan)
        cols.append(exact_capture(graph, plan, window_steps)[reachable])
    its = 0
    w = np.zeros(0)
    z = float("nan")
    while True:
        its += 1
        c_mat = np.array(cols).T  # (targets, plans)
        n_t, n_p = c_mat.shape
        cost = np.concatenate([-eps * (dd @ c_mat), [1.0]])
        a_ub = sp.hstack([sp.csr_matrix(-da[:, None] * c_mat), -np.ones((n_t, 1))]).tocsr()
        b_ub = -uau
        a_eq = np.concatenate([np.ones(n_p), [0.0]])[None, :]
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                      bounds=[(0, None)] * n_p + [(None, None)], method="highs")
        w = np.asarray(res.x[:n_p])
        z = float(res.x[-1])
        if time.perf_counter() - started > budget_s:
            break
        if bound is not None and z <= bound + 1e-9 * max(1.0, abs(bound)):
            break  # the flow LP's value is reached: no column can do better on z
        y = np.asarray(res.ineqlin.marginals)
        mu = float(res.eqlin.marginals[0])
        q = eps * dd - da * y
        weight = np.asarray(cap_r.T @ q)
        plan, _ = pricer.joint_plan(weight)
        col = exact_capture(graph, plan, window_steps)[reachable]
        if float(q @ col) + mu <= 1e-9:
            break
        plans.append(plan)
        cols.append(col)
    keep = [i for i in range(len(plans)) if w[i] > 1e-12]
    tot = float(w[keep].sum())
    return ColumnGenerationResult([plans[i] for i in keep], [float(w[i] / tot) for i in keep],
                                  z, its, time.perf_counter() - started)
