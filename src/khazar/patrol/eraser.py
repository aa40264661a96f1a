"""ERASER (Kiekintveld et al. 2009): the compact security game as one MILP, on HiGHS.

Kept as a test oracle and as the peer of ORIGAMI in ``bench/bench_game.py``. Variables:
coverage ``c``, the attacker's pure choice ``a`` (binary, one target), the defender's value
``d`` and the attacker's value ``k``::

    max d   s.t.  sum a = 1,  sum c <= m,
                  d <= U_d(t, c_t) + (1 - a_t) M,
                  0 <= k - U_a(t, c_t) <= (1 - a_t) M

Maximising ``d`` over ``a`` breaks the attacker's ties in the defender's favour (strong SSE).
The MILP's attacked target is then fixed and its LP re-solved with tight tolerances.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from khazar.patrol.game import GameSolution, SecurityGame, Status, failed, solution_from_coverage
from khazar.patrol.lp import target_lp

__all__ = ["solve_eraser"]


def solve_eraser(game: SecurityGame, time_limit_s: float | None = None) -> GameSolution:
    """Strong Stackelberg equilibrium by the ERASER MILP (HiGHS branch and bound)."""
    udc, udu, uac, uau = game.arrays()
    n = game.n
    dd = udc - udu
    da = uau - uac
    big_m = 2.0 * float(np.abs(np.concatenate([udc, udu, uac, uau])).max()) + 1.0
    nv = 2 * n + 2
    ic, ia, i_d, i_k = 0, n, 2 * n, 2 * n + 1
    a = lil_matrix((3 * n + 2, nv))
    lo = np.full(3 * n + 2, -np.inf)
    hi = np.full(3 * n + 2, np.inf)
    row = 0
    a[row, ia : ia + n] = 1.0
    lo[row] = hi[row] = 1.0
    row += 1
    a[row, ic : ic + n] = 1.0
    hi[row] = game.resources
    row += 1
    for t in range(n):
        a[row, i_d] = 1.0
        a[row, ic + t] = -dd[t]
        a[row, ia + t] = big_m
        hi[row] = udu[t] + big_m
        row += 1
        a[row, i_k] = 1.0
        a[row, ic + t] = da[t]
        lo[row] = uau[t]
        row += 1
        a[row, i_k] = 1.0
        a[row, ic + t] = da[t]
        a[row, ia + t] = big_m
        hi[row] = uau[t] + big_m
        row += 1
    obj = np.zeros(nv)
    obj[i_d] = -1.0
    integrality = np.zeros(nv)
    integrality[ia : ia + n] = 1
    lb = np.concatenate([np.zeros(2 * n), [-np.inf, -np.inf]])
    ub = np.concatenate([np.ones(2 * n), [np.inf, np.inf]])
    options: dict[str, float] = {"mip_rel_gap": 1e-9}
    if time_limit_s is not None:
        options["time_limit"] = time_limit_s
    res = milp(obj, constraints=LinearConstraint(a.tocsr(), lo, hi), integrality=integrality,
               bounds=Bounds(lb, ub), options=options)
    if res.x is None or res.status not in (0,):
        status = Status.TIME_LIMIT if res.status == 1 else (
            Status.INFEASIBLE if res.status == 2 else Status.ERROR)
        return failed(game, "eraser", status, str(res.message))
    # polish: the MILP's attacked target fixed, its LP re-solved with tight tolerances (the
    # MILP's own feasibility tolerance, 1e-6, can be worth ~1e-6 of utility)
    t = int(np.argmax(res.x[ia : ia + n]))
    cov = target_lp(game, t)
    if cov is None:
        cov = np.clip(np.asarray(res.x[ic : ic + n], dtype=np.float64), 0.0, 1.0)
    return solution_from_coverage(game, cov, "eraser")
