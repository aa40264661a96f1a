"""The patrol flow LP on the time-expanded graph, and its game objective.

Model (also in docs/patrol.md). Each area ``a`` has security-game payoffs (``udc, udu, uac,
uau``). The attacker picks an area and a *window*: ``L`` consecutive steps ``s..s+L-1`` inside
the shift's time at sea (steps ``1..T-1``). He is caught if a boat is in the area at any step of
the window. With at most one boat per (area, step), the capture probability of (a, s) is::

    p(a, s) = occ(a, s) + sum_{t = s+1}^{s+L-1} arr(a, t)

``occ`` = boats in (a, t), ``arr`` = boats *arriving* in ``a`` at ``t`` (from another location).
This counts boats' visits to ``a`` that overlap the window; it is the exact probability when
no two visits to one area fall in one window (always true for ``L = 1``; for ``L > 1`` it is an
upper bound, capped at 1, and the plan reports the exact value from its decomposed routes).

The LP minimises the attacker's best expected utility ``z`` (the defender's Stackelberg
coverage when the game has the subset-of-schedules property; otherwise the defender's minimax,
i.e. Nash, strategy: Korzhyk et al. 2011) and, second, maximises the defender's expected gain
``sum (udc - udu) p`` with a small weight, so spare boat-hours go where the value is (the
stage-1 optimum alone is degenerate: a few plans, predictable).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from khazar.errors import InputError
from khazar.patrol.game import Status
from khazar.patrol.timegraph import TimeGraph

__all__ = ["AreaPayoffs", "FlowSolution", "capture_matrix", "solve_flow_lp"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AreaPayoffs:
    """Security-game payoffs per patrol area (arrays of length ``n_areas``)."""

    udc: FloatArray
    udu: FloatArray
    uac: FloatArray
    uau: FloatArray


@dataclass(frozen=True, slots=True)
class FlowSolution:
    """The LP optimum: edge flows, coverage per (area, step), capture per (area, window)."""

    status: Status
    flow: FloatArray  # per edge of the graph
    coverage: FloatArray  # (n_areas, T+1): expected boats = probability a boat is there
    capture: FloatArray  # (n_areas, n_windows): p(a, s) for windows starting at s = 1..
    attacker_utility: float
    defender_utility: float
    attacked: tuple[int, int] | None  # (area, window start step)
    window_steps: int
    solve_s: float
    message: str = ""
    unreachable: int = 0  # (area, window) pairs no boat can reach in time
    unreachable_attacker_utility: float = float("-inf")  # the best of them for the attacker


def _window_starts(graph: TimeGraph, window_steps: int) -> range:
    last = graph.steps - window_steps  # windows lie inside steps 1..T-1
    if window_steps < 1 or last < 1:
        raise InputError(
            f"attack window of {window_steps} steps does not fit in a shift of {graph.steps} "
            f"steps (the boats are at base at steps 0 and {graph.steps})"
        )
    return range(1, last + 1)


def capture_matrix(graph: TimeGraph, window_steps: int) -> sp.csr_matrix:
    """Sparse matrix mapping edge flows to p(a, s), rows ordered (area, window)."""
    n_loc = graph.n_locations
    dst_loc = graph.dst % n_loc
    dst_t = graph.dst // n_loc
    src_loc = graph.src % n_loc
    is_area = dst_loc < graph.n_areas
    starts = _window_starts(graph, window_steps)
    n_w = len(starts)
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    edges = np.flatnonzero(is_area)
    a = dst_loc[edges]
    t = dst_t[edges]
    arriving = src_loc[edges] != a
    for off in range(window_steps):
        s = t - off  # window start for which this edge's head step is at offset ``off``
        ok = (s >= starts.start) & (s < starts.stop)
        if off > 0:
            ok &= arriving
        rows.append(a[ok] * n_w + (s[ok] - starts.start))
        cols.append(edges[ok])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    return sp.csr_matrix(
        (np.ones(r.size), (r, c)), shape=(graph.n_areas * n_w, graph.src.size)
    )


def _structure(graph: TimeGraph) -> tuple[sp.csr_matrix, FloatArray, sp.csr_matrix]:
    """Conservation (A_eq, b_eq) per commodity and node; capacity rows per area node."""
    n_nodes = graph.n_nodes
    k = graph.commodity
    e = np.arange(graph.src.size)
    # row id = commodity * n_nodes + node; only rows that some edge touches are kept
    out_rows = k * n_nodes + graph.src
    in_rows = k * n_nodes + graph.dst
    rows = np.concatenate([in_rows, out_rows])
    used, inv = np.unique(rows, return_inverse=True)
    vals = np.concatenate([np.ones(e.size), -np.ones(e.size)])
    a_eq = sp.csr_matrix((vals, (inv, np.concatenate([e, e]))), shape=(used.size, e.size))
    b_eq = np.zeros(used.size)
    for kk, base in enumerate(graph.bases):
        n_boats = len(base.boats)
        bl = graph.base_loc(kk)
        src_row = kk * n_nodes + graph.node(bl, 0)
        sink_row = kk * n_nodes + graph.node(bl, graph.steps)
        b_eq[np.searchsorted(used, src_row)] = -n_boats
        b_eq[np.searchsorted(used, sink_row)] = n_boats
    area_in = graph.is_area(graph.dst)
    nodes, inv2 = np.unique(graph.dst[area_in], return_inverse=True)
    cap = sp.csr_matrix(
        (np.ones(inv2.size), (inv2, e[area_in])), shape=(nodes.size, e.size)
    )
    return a_eq, b_eq, cap


def solve_flow_lp(
    graph: TimeGraph,
    payoffs: AreaPayoffs,
    window_steps: int = 2,
    gain_weight: float = 1e-3,
    time_limit_s: float = 300.0,
) -> FlowSolution:
    """Solve the patrol game over the graph's flows (HiGHS interior point + crossover)."""
    started = time.perf_counter()
    n_e = graph.src.size
    capm = capture_matrix(graph, window_steps)
    n_w = capm.shape[0] // graph.n_areas
    da = np.repeat(payoffs.uau - payoffs.uac, n_w)
    dd = np.repeat(payoffs.udc - payoffs.udu, n_w)
    uau = np.repeat(payoffs.uau, n_w)
    a_eq, b_eq, cap = _structure(graph)
    # variables: flows (n_e) then z. Rows: -da p - z <= -uau ; p <= 1 ; capacity <= 1
    # (area, window) pairs no boat can reach (far areas in the first and last hours of the
    # shift) have capture 0 whatever the plan: they are reported, not played
    reachable = np.diff(capm.indptr) > 0
    game_rows = sp.hstack([-sp.diags(da) @ capm, -np.ones((capm.shape[0], 1))]).tocsr()
    game_rows = game_rows[reachable]
    uau = uau[reachable]
    a_ub = sp.vstack([
        game_rows,
        sp.hstack([capm, sp.csr_matrix((capm.shape[0], 1))]),
        sp.hstack([cap, sp.csr_matrix((cap.shape[0], 1))]),
    ]).tocsr()
    b_ub = np.concatenate([-uau, np.ones(capm.shape[0]), np.ones(cap.shape[0])])
    a_eq_z = sp.hstack([a_eq, sp.csr_matrix((a_eq.shape[0], 1))]).tocsr()
    # lexicographic in one solve: z first, then the defender's gain scaled to at most
    # ``gain_weight`` (a few 1e-4 of z's scale): the two-stage solve gives the same optimum
    # on our instances at twice the time
    gain = np.asarray(capm.T @ dd)
    boat_steps = sum(len(b.boats) for b in graph.bases) * graph.steps * window_steps
    scale = float(np.abs(payoffs.uau).max() or 1.0) / max(float(dd.max()) * boat_steps, 1e-12)
    c = np.concatenate([-gain_weight * scale * gain, [1.0]])
    bounds = [(0.0, None)] * n_e + [(None, None)]
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq_z, b_eq=b_eq, bounds=bounds,
                  method="highs-ipm", options={"time_limit": time_limit_s})
    if res.status != 0:
        status = Status.INFEASIBLE if res.status == 2 else (
            Status.TIME_LIMIT if res.status == 1 else Status.ERROR)
        return _failed(graph, status, str(res.message), started, window_steps)
    x = np.asarray(res.x, dtype=np.float64)
    flow = np.clip(x[:n_e], 0.0, None)
    return _finish(graph, payoffs, flow, capm, window_steps, started)


def _finish(
    graph: TimeGraph,
    payoffs: AreaPayoffs,
    flow: FloatArray,
    capm: sp.csr_matrix,
    window_steps: int,
    started: float,
) -> FlowSolution:
    n_w = capm.shape[0] // graph.n_areas
    capture = np.minimum(np.asarray(capm @ flow), 1.0).reshape(graph.n_areas, n_w)
    cov = np.zeros(graph.n_nodes)
    np.add.at(cov, graph.dst, flow)
    coverage = cov.reshape(graph.steps + 1, graph.n_locations)[:, : graph.n_areas].T.copy()
    ua = payoffs.uac[:, None] * capture + payoffs.uau[:, None] * (1.0 - capture)
    ud = payoffs.udc[:, None] * capture + payoffs.udu[:, None] * (1.0 - capture)
    reachable = (np.diff(capm.indptr) > 0).reshape(graph.n_areas, n_w)
    exposed = float(ua[~reachable].max()) if (~reachable).any() else float("-inf")
    ua = np.where(reachable, ua, -np.inf)
    best = float(ua.max())
    ties = np.argwhere(ua >= best - 1e-7)
    pick = ties[np.argmax(ud[ties[:, 0], ties[:, 1]])]
    return FlowSolution(
        status=Status.OPTIMAL,
        flow=flow,
        coverage=coverage,
        capture=capture,
        attacker_utility=best,
        defender_utility=float(ud[pick[0], pick[1]]),
        attacked=(int(pick[0]), int(pick[1]) + 1),
        window_steps=window_steps,
        solve_s=time.perf_counter() - started,
        unreachable=int((~reachable).sum()),
        unreachable_attacker_utility=exposed,
    )


def _failed(
    graph: TimeGraph, status: Status, message: str, started: float, window_steps: int
) -> FlowSolution:
    return FlowSolution(
        status=status,
        flow=np.zeros(graph.src.size),
        coverage=np.zeros((graph.n_areas, graph.steps + 1)),
        capture=np.zeros((graph.n_areas, 0)),
        attacker_utility=float("nan"),
        defender_utility=float("nan"),
        attacked=None,
        window_steps=window_steps,
        solve_s=time.perf_counter() - started,
        message=message,
    )
