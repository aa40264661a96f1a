"""Exercise use cases: start a red-team exercise, finish (stop and score) it, score it.

Each change is written with its audit entry in one transaction (``exercise.start``,
``exercise.finish``, ``exercise.interrupt``). The runtime part — simulating the scenario
and replaying its feed, paced, into the exercise ingest path — is
:mod:`khazar.live.exercise`, which calls these. Runs are kept in ``exercise_runs``
(:mod:`khazar.store.exercises`).

States: ``simulating`` → ``running`` (replaying) → ``replayed`` (all sent, operators still
responding) → ``finished`` (scored); ``failed`` when the simulator fails; ``interrupted``
when the server stopped while a run was open (it can still be finished and scored).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from khazar.audit import Action
from khazar.config import Settings
from khazar.domain.alerts import AlertState
from khazar.errors import InputError, NotFoundError, StateConflictError
from khazar.services.exercise_score import AlertFacts, facts_from_truth, score_exercise
from khazar.store import Store
from khazar.store import exercises as runs
from khazar.store.alerts import list_alerts, list_transitions
from khazar.store.audit import audited, list_entries

__all__ = [
    "ExerciseRequest",
    "check_request",
    "finish_exercise",
    "get_exercise",
    "interrupt_open_exercises",
    "scenarios",
    "score_run",
    "start_exercise",
]

#: the simulator's background-only scenario: nothing planted, nothing to score
_NORMAL = "normal"


@dataclass(frozen=True, slots=True)
class ExerciseRequest:
    """What to run: a red-team scenario, simulated hours, replay speed (× real time), the
    simulator's seed and background density (share of a normal day's traffic)."""

    scenario: str
    hours: float
    speed: float
    seed: int
    density: float


def scenarios() -> list[str]:
    """The red-team scenarios an exercise can run."""
    from khazar.sim.scenarios import SCENARIOS

    return [s for s in SCENARIOS if s != _NORMAL]


def check_request(settings: Settings, req: ExerciseRequest) -> None:
    """:class:`InputError` naming the first value out of range (limits in
    ``settings.exercise``)."""
    limits = settings.exercise
    names = scenarios()
    if req.scenario not in names:
        raise InputError(f"unknown red-team scenario {req.scenario!r}; choose one of "
                         f"{', '.join(names)}")
    if not 0 < req.hours <= limits.max_hours:
        raise InputError(f"hours {req.hours} must be in (0, {limits.max_hours}]")
    if not 1 <= req.speed <= limits.max_speed:
        raise InputError(f"speed {req.speed} must be in [1, {limits.max_speed}] × real time")
    if req.seed < 0:
        raise InputError(f"seed {req.seed} must be 0 or more")
    if not 0 < req.density <= 1:
        raise InputError(f"density {req.density} must be in (0, 1]")


def get_exercise(store: Store, run_id: str) -> dict[str, Any]:
    """One run; :class:`NotFoundError` naming the id when there is none."""
    run = runs.get_run(store, run_id)
    if run is None:
        raise NotFoundError(f"no exercise {run_id!r}; list them with GET /api/exercises")
    return run


def start_exercise(
    store: Store, settings: Settings, req: ExerciseRequest, user: str, now: datetime,
    sim_start: datetime | None = None,
) -> dict[str, Any]:
    """Record a new run by ``user`` at ``now`` (UTC, whole seconds), audited
    ``exercise.start``; :class:`StateConflictError` while another run is open. Its simulated
    period starts at ``sim_start`` (default ``now``; the runtime places it with
    :func:`khazar.sim.clock.replay_start` so the picture never runs ahead of the wall
    clock). The caller then simulates and replays it."""
    check_request(settings, req)
    begin = sim_start if sim_start is not None else now
    run_id = "X" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    with audited(store) as tx:
        busy = runs.open_run_id(tx)
        if busy is not None:
            raise StateConflictError(f"exercise {busy} is still open; finish it first "
                                     f"(POST /api/exercises/{busy}/finish)")
        runs.insert_run(tx, run_id, req.scenario, req.hours, req.speed, req.seed, req.density,
                        user, now, begin + timedelta(hours=req.hours), sim_start=begin)
        tx.append(user, "exercise.start", target=run_id,
                  detail={"scenario": req.scenario, "hours": req.hours, "speed": req.speed,
                          "seed": req.seed, "density": req.density})
    return get_exercise(store, run_id)


def interrupt_open_exercises(store: Store, now: datetime) -> list[str]:
    """Runs left open by a previous server process can no longer be fed: mark them
    ``interrupted`` (audited ``exercise.interrupt`` by ``system``), so a new one can start;
    they can still be finished and scored. The ids marked."""
    with audited(store) as tx:
        ids = runs.interrupt_open_runs(tx)
        for run_id in ids:
            tx.append("system", "exercise.interrupt", target=run_id,
                      detail={"reason": "the server stopped while the run was open"})
    return ids


def score_run(store: Store, settings: Settings, run: dict[str, Any]) -> dict[str, Any]:
    """The score sheet of ``run`` now (:func:`khazar.services.exercise_score.score_exercise`)
    from the exercise alerts raised since it started, their transitions and the dispatch
    orders (``dispatch.order`` audit entries: the ETA at the order)."""
    truth = run["truth"] or {}
    started = datetime.fromisoformat(run["started_at"])
    orders: dict[str, tuple[str, float]] = {}
    for e in list_entries(store, action=Action.dispatch_order.value, since=started):
        detail = json.loads(e.detail) if isinstance(e.detail, str) else dict(e.detail or {})
        if e.target is not None and "eta_s" in detail:
            orders[e.target] = (str(detail["boat"]), float(detail["eta_s"]))
    facts: list[AlertFacts] = []
    for a in list_alerts(store):
        if not a.exercise or a.created_at < started:
            continue
        acked = assigned = None
        boat = None
        for t in list_transitions(store, alert_id=a.id):
            if t.to_state is AlertState.acknowledged and acked is None:
                acked = t.ts
            if t.to_state is AlertState.assigned and assigned is None:
                assigned, boat = t.ts, t.boat
        order = orders.get(a.id)
        facts.append(AlertFacts(
            a.id, a.type, a.mmsi, a.other_mmsi, a.lat, a.lon, a.first_ts, a.created_at,
            acked, assigned, boat,
            order[1] if order is not None and order[0] == boat else None))
    limits = settings.exercise
    sheet = score_exercise(facts_from_truth(truth), facts,
                           float(truth.get("time_tolerance_s", limits.time_tolerance_s)),
                           float(truth.get("match_radius_m", limits.match_radius_m)))
    sheet["lines_sent"] = run["lines_sent"]
    return sheet


def finish_exercise(
    store: Store, settings: Settings, run_id: str, user: str, now: datetime
) -> dict[str, Any]:
    """Score the run and store its sheet, finished by ``user`` at ``now`` (UTC), audited
    ``exercise.finish``; :class:`StateConflictError` when it is already finished. The
    caller has stopped its replay."""
    run = get_exercise(store, run_id)
    if run["state"] == "finished":
        raise StateConflictError(f"exercise {run_id} is already finished")
    sheet = score_run(store, settings, run)
    sheet["scored_at"] = now.isoformat(timespec="seconds")
    with audited(store) as tx:
        runs.finish_run(tx, run_id, user, now, sheet)
        tx.append(user, "exercise.finish", target=run_id,
                  detail={"planted": sheet["planted"], "raised": sheet["raised"],
                          "missed": sheet["missed"]})
    return get_exercise(store, run_id)
