"""ORIGAMI (Kiekintveld, Jain, Tsai, Pita, Ordóñez & Tambe, AAMAS 2009), its own algorithm.

The strong Stackelberg coverage of a compact security game minimises the attacker's best
expected utility ``x``. ORIGAMI finds that ``x`` by growing the *attack set*: targets sorted by
``attacker_uncovered`` (descending) join one by one while coverage can pull every target in the
set down to the next target's uncovered utility. It stops when resources run out (``sum c = m``
solved exactly for ``x``) or when a target in the set would need coverage above 1 (``x`` cannot
fall below that target's ``attacker_covered``). The attacker then picks, among the targets at
utility ``x``, the one best for the defender. No LP inside: O(n log n).

Requires the usual security-game payoffs: ``attacker_covered < attacker_uncovered`` and
``defender_covered >= defender_uncovered`` for every target (otherwise an ``ERROR`` value is
returned; use the multiple-LP solver).
"""

from __future__ import annotations

import numpy as np

from khazar.patrol.game import (
    GameSolution,
    SecurityGame,
    Status,
    failed,
    solution_from_coverage,
)

__all__ = ["solve_origami"]


def solve_origami(game: SecurityGame) -> GameSolution:
    """Strong Stackelberg equilibrium of ``game`` by ORIGAMI."""
    udc, udu, uac, uau = game.arrays()
    delta_a = uau - uac
    if np.any(delta_a <= 0.0) or np.any(udc < udu):
        bad = int(np.flatnonzero((delta_a <= 0.0) | (udc < udu))[0])
        return failed(
            game,
            "origami",
            Status.ERROR,
            f"target {game.targets[bad].id!r} breaks the security-game assumptions "
            f"(attacker_covered < attacker_uncovered, defender_covered >= defender_uncovered); "
            f"use --solver multiple-lp",
        )
    m = float(game.resources)
    order = np.argsort(-uau, kind="stable")
    n = game.n
    first = int(order[0])
    inv = 1.0 / delta_a
    sum_u_over_d = float(uau[first] * inv[first])  # sum of Uau/Δ over the attack set
    sum_inv = float(inv[first])  # sum of 1/Δ over the attack set
    floor = float(uac[first])  # x cannot go below any set member's covered utility
    i = 1
    while True:
        x_resources = (sum_u_over_d - m) / sum_inv  # sum of coverages = m exactly
        nxt = float(uau[order[i]]) if i < n else -np.inf
        if i < n and nxt >= floor and nxt >= x_resources:
            t = int(order[i])
            sum_u_over_d += float(uau[t] * inv[t])
            sum_inv += float(inv[t])
            floor = max(floor, float(uac[t]))
            i += 1
            continue
        x = max(floor, x_resources)
        break
    coverage = np.clip((uau - x) * inv, 0.0, 1.0)
    return solution_from_coverage(game, coverage, "origami")
