"""Patrol commands: solve-game, plan, fleet, dispatch, evaluate-patrols (thin adapters)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from khazar.cli._app import app, print_json
from khazar.errors import GameError, InputError
from khazar.patrol.game import game_from_dict, solution_to_dict
from khazar.patrol.solvers import SolverName, solve_game


@app.command("solve-game")
def solve_game_cmd(
    game_file: Annotated[Path, typer.Argument(help="game JSON: resources, targets, zero_sum")],
    solver: Annotated[
        SolverName | None,
        typer.Option("--solver", help="origami (default), multiple-lp, eraser, zero-sum "
                     "(default for zero-sum games)"),
    ] = None,
) -> None:
    """Solve a security game (strong Stackelberg) and print the coverage as JSON."""
    try:
        data = json.loads(game_file.read_text())
    except OSError as exc:
        raise InputError(f"cannot read game file {game_file}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise GameError(f"{game_file} is not valid JSON: {exc}") from exc
    game = game_from_dict(data)
    name = solver or (SolverName.zero_sum if game.zero_sum else SolverName.origami)
    print_json(solution_to_dict(game, solve_game(game, name)))
