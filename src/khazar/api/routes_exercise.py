"""Exercise mode: start a red-team scenario, list runs, finish one and read its score sheet.

Starting and finishing need ``exercise.run`` (exercise director, admin). Runs and score
sheets are readable by every logged-in user, so operators see what they were scored on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, Reader, StateDep, authorize
from khazar.audit import Action
from khazar.errors import Unavailable
from khazar.live.exercise import ExerciseDirector, ExerciseRequest
from khazar.live.state import ServerState

__all__ = ["router"]

router = APIRouter(tags=["exercises"])


class StartRequest(BaseModel):
    scenario: str = Field(min_length=1, max_length=64,
                          description="red-team scenario of the simulator, e.g. "
                                      "safety_zone_entry, or mixed")
    hours: float = Field(default=1.0, gt=0, le=24, description="simulated hours")
    speed: float = Field(default=60.0, ge=1, le=3600, description="× real time")
    seed: int = Field(default=1, ge=0, le=2**31 - 1)
    density: float = Field(default=0.1, gt=0, le=1,
                           description="background traffic, share of a normal day")


def _director(state: ServerState) -> ExerciseDirector:
    director = state.exercises
    if not isinstance(director, ExerciseDirector):
        raise Unavailable("exercise mode needs `khazar serve` (no exercise director here)")
    return director


@router.get("/exercises", summary="Exercise runs, newest first, and the scenarios")
def list_runs(who: Reader, state: StateDep) -> dict[str, Any]:
    from khazar.sim.scenarios import SCENARIOS

    runs = _director(state).runs()
    for r in runs:
        r.pop("truth", None)
    return {"exercises": runs, "scenarios": [s for s in SCENARIOS if s != "normal"]}


@router.get("/exercises/{run_id}", summary="One exercise with its truth and score sheet")
def get_run(run_id: str, who: Reader, state: StateDep) -> dict[str, Any]:
    return _director(state).get(run_id)


@router.post("/exercises", summary="Start a red-team exercise")
def start(
    body: StartRequest,
    who: Annotated[Principal, Depends(authorize(Action.exercise_run))],
    state: StateDep,
) -> dict[str, Any]:
    """Simulate the scenario inside the server and replay it, flagged exercise, into the
    exercise ingest path and its live detection (audited ``exercise.start``)."""
    return _director(state).start(
        ExerciseRequest(body.scenario, body.hours, body.speed, body.seed, body.density),
        who.username)


@router.post("/exercises/{run_id}/finish", summary="Finish an exercise and score it")
def finish(
    run_id: str,
    who: Annotated[Principal, Depends(authorize(Action.exercise_run))],
    state: StateDep,
) -> dict[str, Any]:
    """Stop the replay, score each planted behaviour (alert raised, time to acknowledge,
    to dispatch, to intercept as an ETA estimate; alerts missed) and store the sheet
    (audited ``exercise.finish``)."""
    return _director(state).finish(run_id, who.username)
