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
from khazar.config import Settings
from khazar.errors import Unavailable
from khazar.live.exercise import ExerciseDirector
from khazar.live.state import ServerState
from khazar.services.exercises import ExerciseRequest, scenarios

__all__ = ["router"]

router = APIRouter(tags=["exercises"])


class StartRequest(BaseModel):
    """Omitted values take the server's defaults (``settings.exercise``); limits are
    checked by :func:`khazar.services.exercises.check_request`, naming the value."""

    scenario: str = Field(min_length=1, max_length=64,
                          description="red-team scenario of the simulator, e.g. "
                                      "safety_zone_entry, or mixed")
    hours: float | None = Field(default=None, description="simulated hours")
    speed: float | None = Field(default=None, description="× real time")
    seed: int | None = Field(default=None, description="simulator seed")
    density: float | None = Field(default=None,
                                  description="background traffic, share of a normal day")

    def request(self, settings: Settings) -> ExerciseRequest:
        d = settings.exercise
        return ExerciseRequest(
            self.scenario,
            d.default_hours if self.hours is None else self.hours,
            d.default_speed if self.speed is None else self.speed,
            d.default_seed if self.seed is None else self.seed,
            d.default_density if self.density is None else self.density,
        )


def _director(state: ServerState) -> ExerciseDirector:
    director = state.exercises
    if not isinstance(director, ExerciseDirector):
        raise Unavailable("exercise mode needs `khazar serve` (no exercise director here)")
    return director


@router.get("/exercises", summary="Exercise runs, newest first, and the scenarios")
def list_runs(who: Reader, state: StateDep) -> dict[str, Any]:
    runs = _director(state).runs()
    for r in runs:
        r.pop("truth", None)
    return {"exercises": runs, "scenarios": scenarios()}


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
    return _director(state).start(body.request(state.settings), who.username)


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
