"""One entry point over the game solvers, by name."""

from __future__ import annotations

import enum

from khazar.patrol.eraser import solve_eraser
from khazar.patrol.game import GameSolution, SecurityGame
from khazar.patrol.lp import solve_multiple_lp, solve_zero_sum
from khazar.patrol.origami import solve_origami

__all__ = ["SolverName", "solve_game"]


class SolverName(enum.StrEnum):
    origami = "origami"
    multiple_lp = "multiple-lp"
    eraser = "eraser"
    zero_sum = "zero-sum"


def solve_game(game: SecurityGame, solver: SolverName | str = SolverName.origami) -> GameSolution:
    """Solve ``game`` with the named solver (``origami`` by default; ``zero-sum`` for zero-sum
    games). The outcome carries a :class:`~khazar.patrol.game.Status`."""
    name = SolverName(solver)
    if name is SolverName.origami:
        return solve_origami(game)
    if name is SolverName.multiple_lp:
        return solve_multiple_lp(game)
    if name is SolverName.eraser:
        return solve_eraser(game)
    return solve_zero_sum(game)
