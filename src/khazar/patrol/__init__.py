"""Patrol planning (DESIGN C6) and dispatch (C4): security games, routes, fleet, dispatch.

Public surface (see docs/patrol.md):

- games: :class:`SecurityGame`, :class:`Target`, :class:`GameSolution`, :class:`Status`,
  :func:`game_from_dict`, :func:`solve_game` (ORIGAMI, multiple-LP, ERASER, zero-sum),
  :func:`solve_bimatrix_stackelberg`;
- routes: :func:`patrol_setup`, :func:`plan_shift`, :func:`sample_shift`, :func:`draw_routes`,
  :func:`write_tracks`, :class:`RoutePlan`;
- dispatch and fleet: :func:`estimate_motion`, :func:`plan_dispatch`, the fleet's status is
  :mod:`khazar.domain.fleet` (types) and :mod:`khazar.store.fleet` (stored);
- evaluation: :func:`evaluate_policies`.
"""

from khazar.patrol.dispatch import DispatchPlan, TargetMotion, estimate_motion, plan_dispatch
from khazar.patrol.evaluate import PolicyResult, evaluate_policies
from khazar.patrol.export import write_tracks
from khazar.patrol.game import GameSolution, SecurityGame, Status, Target, game_from_dict
from khazar.patrol.lp import solve_bimatrix_stackelberg
from khazar.patrol.routes import RoutePlan, draw_routes, sample_shift
from khazar.patrol.service import PatrolSetup, patrol_setup, plan_shift
from khazar.patrol.solvers import SolverName, solve_game

__all__ = [
    "DispatchPlan",
    "GameSolution",
    "PatrolSetup",
    "PolicyResult",
    "RoutePlan",
    "SecurityGame",
    "SolverName",
    "Status",
    "Target",
    "TargetMotion",
    "draw_routes",
    "estimate_motion",
    "evaluate_policies",
    "game_from_dict",
    "patrol_setup",
    "plan_dispatch",
    "plan_shift",
    "sample_shift",
    "solve_bimatrix_stackelberg",
    "solve_game",
    "write_tracks",
]
