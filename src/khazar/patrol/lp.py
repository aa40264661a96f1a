"""LP solvers on HiGHS (scipy.optimize.linprog, method="highs").

- :func:`solve_multiple_lp`: the compact multiple-LP (Conitzer & Sandholm 2006 in the compact
  form of Kiekintveld et al. 2009): one LP per candidate attacked target, the best feasible one
  is the strong Stackelberg equilibrium (the attacker's ties go the defender's way because the
  LP for ``t*`` only asks ``t*`` to be *a* best response).
- :func:`solve_zero_sum`: the defender's maximin LP (equals the SSE when the game is zero-sum).
- :func:`solve_bimatrix_stackelberg`: multiple-LP on a normal-form (bimatrix) game.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

from khazar.patrol.game import (
    GameSolution,
    SecurityGame,
    Status,
    failed,
    solution_from_coverage,
)

__all__ = [
    "HIGHS_OPTIONS",
    "NormalFormSolution",
    "solve_bimatrix_stackelberg",
    "solve_multiple_lp",
    "solve_zero_sum",
    "target_lp",
]

FloatArray = npt.NDArray[np.float64]

#: tight tolerances: the solvers must agree to 1e-6 on the defender's utility
HIGHS_OPTIONS: dict[str, Any] = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


def _status(res: Any) -> Status:
    if res.status == 0:
        return Status.OPTIMAL
    if res.status == 2:
        return Status.INFEASIBLE
    if res.status == 1:
        return Status.TIME_LIMIT
    return Status.ERROR


def target_lp(game: SecurityGame, ts: int) -> FloatArray | None:
    """Best coverage for the defender among those making ``ts`` a best response (None when
    no coverage does): the LP of the multiple-LP method for one candidate target."""
    udc, udu, uac, uau = game.arrays()
    n = game.n
    da = uau - uac
    dd = udc - udu
    # U_a(t) <= U_a(t*) for all t:  -da_t c_t + da_t* c_t* <= uau_t* - uau_t
    a_ub = np.zeros((n, n))
    b_ub = np.zeros(n)
    rows = [t for t in range(n) if t != ts]
    for r, t in enumerate(rows):
        a_ub[r, t] = -da[t]
        a_ub[r, ts] += da[ts]
        b_ub[r] = uau[ts] - uau[t]
    a_ub[n - 1, :] = 1.0
    b_ub[n - 1] = game.resources
    obj = np.zeros(n)
    obj[ts] = -dd[ts]
    res = linprog(obj, A_ub=a_ub, b_ub=b_ub, bounds=(0.0, 1.0), method="highs",
                  options=HIGHS_OPTIONS)
    if res.status != 0:
        return None
    return np.asarray(res.x, dtype=np.float64)


def solve_multiple_lp(game: SecurityGame) -> GameSolution:
    """Strong Stackelberg equilibrium by one LP per candidate attacked target."""
    _, udu, _, _ = game.arrays()
    dd = game.arrays()[0] - udu
    best_val = -math.inf
    best_c: FloatArray | None = None
    for ts in range(game.n):
        c = target_lp(game, ts)
        if c is None:
            continue
        val = float(udu[ts] + dd[ts] * c[ts])
        if val > best_val:
            best_val, best_c = val, c
    if best_c is None:
        return failed(game, "multiple-lp", Status.ERROR, "no candidate target had a feasible LP")
    return solution_from_coverage(game, best_c, "multiple-lp")


def solve_zero_sum(game: SecurityGame) -> GameSolution:
    """Maximin coverage: maximise the defender's worst-case utility over targets.

    For a zero-sum game this is the (strong) Stackelberg and Nash coverage; for a general game
    it is the defender's security strategy, and the attacker's actual response is reported.
    """
    udc, udu, _, _ = game.arrays()
    n = game.n
    dd = udc - udu
    # variables: c_0..c_{n-1}, v ; maximise v  s.t. v - dd_t c_t <= udu_t ; sum c <= m
    a_ub = np.zeros((n + 1, n + 1))
    b_ub = np.zeros(n + 1)
    for t in range(n):
        a_ub[t, t] = -dd[t]
        a_ub[t, n] = 1.0
        b_ub[t] = udu[t]
    a_ub[n, :n] = 1.0
    b_ub[n] = game.resources
    obj = np.zeros(n + 1)
    obj[n] = -1.0
    bounds = [(0.0, 1.0)] * n + [(None, None)]
    res = linprog(obj, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs", options=HIGHS_OPTIONS)
    status = _status(res)
    if status is not Status.OPTIMAL:
        return failed(game, "zero-sum", status, str(res.message))
    msg = "" if game.zero_sum else "maximin on the defender's payoffs (game is not zero-sum)"
    return solution_from_coverage(game, np.asarray(res.x[:n], dtype=np.float64), "zero-sum", msg)


@dataclass(frozen=True, slots=True)
class NormalFormSolution:
    """Stackelberg outcome of a bimatrix game: the leader's mixed strategy and values."""

    status: Status
    leader_strategy: tuple[float, ...]
    follower_action: int | None
    leader_value: float
    follower_value: float


def solve_bimatrix_stackelberg(
    leader: npt.ArrayLike, follower: npt.ArrayLike
) -> NormalFormSolution:
    """Strong Stackelberg equilibrium of a bimatrix game (rows: leader's pure strategies).

    One LP per follower action ``j``: maximise the leader's value subject to ``j`` being a
    follower best response (ties therefore go the leader's way).
    """
    lead = np.asarray(leader, dtype=np.float64)
    foll = np.asarray(follower, dtype=np.float64)
    if lead.ndim != 2 or lead.shape != foll.shape:
        raise ValueError(f"payoff matrices must be 2-D and equal in shape: {lead.shape}, "
                         f"{foll.shape}")
    rows, cols = lead.shape
    best: NormalFormSolution | None = None
    for j in range(cols):
        a_ub = np.array([foll[:, k] - foll[:, j] for k in range(cols) if k != j]).reshape(
            -1, rows
        )
        b_ub = np.zeros(a_ub.shape[0])
        res = linprog(-lead[:, j], A_ub=a_ub if a_ub.size else None,
                      b_ub=b_ub if a_ub.size else None, A_eq=np.ones((1, rows)), b_eq=[1.0],
                      bounds=(0.0, 1.0), method="highs", options=HIGHS_OPTIONS)
        if res.status != 0:
            continue
        x = np.asarray(res.x, dtype=np.float64)
        val = float(x @ lead[:, j])
        if best is None or val > best.leader_value + 1e-12:
            best = NormalFormSolution(Status.OPTIMAL, tuple(float(v) for v in x), j, val,
                                      float(x @ foll[:, j]))
    if best is None:
        return NormalFormSolution(Status.ERROR, (), None, math.nan, math.nan)
    return best
