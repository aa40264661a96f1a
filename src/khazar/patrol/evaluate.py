"""Evaluation: an attacker who watches N shifts of real routes, then strikes.

For each patrol policy (the game plan; uniformly random feasible routes; a fixed round that
every shift repeats), the attacker observes ``n_observed`` sampled shifts, estimates for every
(area, window) how often a boat was there, and strikes the one with the best estimated gain.
His *actual* expected gain uses the policy's true capture probability (exact, over the
policy's plans); the energy at risk is the struck area's value times the probability of not
being caught. Pure apart from the random generator it is given a seed for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from khazar.patrol.colgen import _Pricer, exact_capture
from khazar.patrol.decompose import JointPlan
from khazar.patrol.flowlp import AreaPayoffs, capture_matrix
from khazar.patrol.timegraph import TimeGraph

__all__ = ["PolicyResult", "evaluate_policies", "fixed_round", "uniform_random_plans"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PolicyResult:
    policy: str
    attacker_gain: float  # expected utility of the observing attacker's strike
    energy_at_risk: float  # value × P(not caught) at the struck area
    struck_area: int
    struck_window_start: int
    capture_probability: float


def uniform_random_plans(graph: TimeGraph, n: int, seed: int) -> list[JointPlan]:
    """``n`` joint plans where every boat moves uniformly at random among feasible moves
    (staying out of nodes other boats took, when it can)."""
    rng = np.random.default_rng(seed)
    step = graph.src // graph.n_locations
    out_by: dict[tuple[int, int], npt.NDArray[np.int64]] = {}
    order = np.lexsort((graph.src, graph.commodity))
    keys = graph.commodity[order] * graph.n_nodes + graph.src[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    for chunk in np.split(order, bounds):
        if chunk.size:
            out_by[(int(graph.commodity[chunk[0]]), int(graph.src[chunk[0]]))] = chunk
    del step
    plans = []
    for _ in range(n):
        used = np.zeros(graph.n_nodes, dtype=bool)
        routes: list[tuple[int, ...]] = []
        bases: list[int] = []
        for k, base in enumerate(graph.bases):
            for _b in base.boats:
                node = graph.node(graph.base_loc(k), 0)
                locs = [int(graph.loc(node))]
                for _t in range(graph.steps):
                    edges = out_by[(k, node)]
                    free = edges[~used[graph.dst[edges]] | ~graph.is_area(graph.dst[edges])]
                    pick = free if free.size else edges
                    e = int(pick[rng.integers(pick.size)])
                    node = int(graph.dst[e])
                    if node % graph.n_locations < graph.n_areas:
                        used[node] = True
                    locs.append(int(graph.loc(node)))
                routes.append(tuple(locs))
                bases.append(k)
        plans.append(JointPlan(tuple(routes), tuple(bases)))
    return plans


def fixed_round(graph: TimeGraph, payoffs: AreaPayoffs, window_steps: int) -> JointPlan:
    """The round a planner without randomisation would fly: boats in turn take the route of
    largest total value (most valuable areas, longest stays), the same every shift."""
    capm = capture_matrix(graph, window_steps)
    n_w = capm.shape[0] // graph.n_areas
    weight = np.asarray(capm.T @ np.repeat(payoffs.uau, n_w))
    plan, _ = _Pricer(graph).joint_plan(weight)
    return plan


def _strike(
    observed: FloatArray, true: FloatArray, reachable: npt.NDArray[np.bool_],
    payoffs: AreaPayoffs, value: FloatArray, n_w: int, name: str,
) -> PolicyResult:
    uac = np.repeat(payoffs.uac, n_w)
    uau = np.repeat(payoffs.uau, n_w)
    est = np.where(reachable, observed * uac + (1 - observed) * uau, -np.inf)
    i = int(np.argmax(est))
    p = float(true[i])
    a, w = divmod(i, n_w)
    return PolicyResult(name, float(p * uac[i] + (1 - p) * uau[i]),
                        float(value[a] * (1 - p)), a, w + 1, p)


def evaluate_policies(
    graph: TimeGraph,
    payoffs: AreaPayoffs,
    value: FloatArray,
    game_plans: list[JointPlan],
    game_weights: list[float],
    window_steps: int = 2,
    n_observed: int = 30,
    n_uniform: int = 200,
    seed: int = 0,
) -> list[PolicyResult]:
    """Attacker's gain and energy at risk for the game plan, uniform and fixed patrols."""
    rng = np.random.default_rng(seed)
    capm = capture_matrix(graph, window_steps)
    n_w = capm.shape[0] // graph.n_areas
    reachable = np.diff(capm.indptr) > 0
    caps = np.array([exact_capture(graph, p, window_steps) for p in game_plans])
    w = np.asarray(game_weights) / np.sum(game_weights)
    true_game = w @ caps
    seen = rng.choice(len(w), size=n_observed, p=w)
    results = [_strike(caps[seen].mean(axis=0), true_game, reachable, payoffs, value, n_w,
                       "game")]
    uni = uniform_random_plans(graph, n_uniform + n_observed, seed + 1)
    ucaps = np.array([exact_capture(graph, p, window_steps) for p in uni])
    results.append(_strike(ucaps[:n_observed].mean(axis=0), ucaps[n_observed:].mean(axis=0),
                           reachable, payoffs, value, n_w, "uniform"))
    fcap = exact_capture(graph, fixed_round(graph, payoffs, window_steps), window_steps)
    results.append(_strike(fcap, fcap, reachable, payoffs, value, n_w, "fixed"))
    return results
