"""Security game, 1,000 targets and 12 boats: ORIGAMI beside the ERASER MILP on HiGHS.

Same random games for both (seeded); the figures are medians, the ratio is ERASER / ORIGAMI.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from khazar.patrol.eraser import solve_eraser
from khazar.patrol.game import SecurityGame
from khazar.patrol.origami import solve_origami


def _game(n: int, m: int, seed: int) -> SecurityGame:
    rng = np.random.default_rng(seed)
    udu = -rng.uniform(0, 10, n)
    udc = udu + rng.uniform(0.05, 10, n)
    uau = rng.uniform(0, 10, n)
    uac = uau - rng.uniform(0.05, 10, n)
    return SecurityGame.from_arrays(m, udc, udu, uac, uau)


def run(quick: bool) -> dict[str, Any]:
    n, m = 1000, 12
    games = [_game(n, m, s) for s in range(2 if quick else 5)]
    o_ms, e_ms, diffs = [], [], []
    for g in games:
        reps = []
        for _ in range(5):
            t = time.perf_counter()
            o = solve_origami(g)
            reps.append((time.perf_counter() - t) * 1e3)
        o_ms.append(min(reps))
        t = time.perf_counter()
        e = solve_eraser(g, time_limit_s=120.0)
        e_ms.append((time.perf_counter() - t) * 1e3)
        diffs.append(abs(o.defender_utility - e.defender_utility))
    om, em = statistics.median(o_ms), statistics.median(e_ms)
    return {
        "targets": n,
        "resources": m,
        "games": len(games),
        "origami_ms_median": round(om, 3),
        "eraser_highs_ms_median": round(em, 1),
        "eraser_over_origami": round(em / om, 1),
        "max_defender_utility_difference": max(diffs),
        "target_ms": 50,
    }
