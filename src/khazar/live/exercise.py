"""Exercise mode: a red-team scenario simulated inside the server and fed, paced, into the
exercise ingest path (flagged exercise), its own live detection and alert rules; at the
end a score sheet (:mod:`khazar.services.exercise_score`). Runs are kept in ``exercise_runs``.

One exercise at a time. States: ``simulating`` (the simulator is running) → ``running``
(its feed is being replayed at ``speed`` × real time) → ``replayed`` (all sent, operators
still responding) → ``finished`` (scored). Finishing earlier stops the replay. A run still
open when the server stopped is ``interrupted`` at the next start (it can be finished).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.errors import InputError, NotFoundError, StateConflictError
from khazar.live.state import ServerState
from khazar.services.exercise_score import AlertFacts, facts_from_truth, score_exercise
from khazar.store import Store

__all__ = ["ExerciseDirector", "ExerciseRequest"]

MAX_HOURS = 24.0
MAX_SPEED = 3600.0


@dataclass(frozen=True, slots=True)
class ExerciseRequest:
    scenario: str
    hours: float
    speed: float
    seed: int
    density: float


def _row(r: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("id", "scenario", "hours", "speed", "seed", "density", "state", "started_by",
            "started_at", "sim_start", "sim_end", "lines_sent", "finished_by", "finished_at",
            "truth", "score")
    out = dict(zip(keys, r, strict=True))
    for k in ("started_at", "sim_start", "sim_end", "finished_at"):
        if out[k] is not None:
            out[k] = out[k].astimezone(UTC).isoformat(timespec="seconds")
    for k in ("truth", "score"):
        out[k] = json.loads(out[k]) if isinstance(out[k], str) else out[k]
    return out


class ExerciseDirector:
    """Starts, paces, finishes and scores exercises for one server."""

    def __init__(self, state: ServerState, ensure_path: Callable[[], Any]) -> None:
        """``ensure_path()`` starts (once) the exercise ingest pipeline and its live
        detection and returns the pipeline."""
        self.state = state
        self._ensure_path = ensure_path
        self._lock = threading.Lock()
        self._stop: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        # a run left open by a previous server process can no longer be fed: say so, and
        # let a new one start (it can still be finished and scored)
        with state.locked() as store:
            store.conn.execute(
                "UPDATE exercise_runs SET state = 'interrupted' "
                "WHERE state IN ('simulating', 'running', 'replayed')")

    def stop_all(self) -> None:
        """Stop every replay (the server is shutting down)."""
        with self._lock:
            for stop in self._stop.values():
                stop.set()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=30)

    # --- queries --------------------------------------------------------------------
    def runs(self) -> list[dict[str, Any]]:
        with self.state.locked() as store:
            rows = store.conn.execute(
                "SELECT * FROM exercise_runs ORDER BY started_at DESC").fetchall()
        return [_row(r) for r in rows]

    def get(self, run_id: str) -> dict[str, Any]:
        with self.state.locked() as store:
            return self._get(store, run_id)

    @staticmethod
    def _get(store: Store, run_id: str) -> dict[str, Any]:
        r = store.conn.execute("SELECT * FROM exercise_runs WHERE id = ?", [run_id]).fetchone()
        if r is None:
            raise NotFoundError(f"no exercise {run_id!r}; list them with GET /api/exercises")
        return _row(r)

    # --- start ----------------------------------------------------------------------
    def start(self, req: ExerciseRequest, user: str) -> dict[str, Any]:
        """Check the request, record the run and start simulating and replaying it."""
        from khazar.sim.scenarios import SCENARIOS
        from khazar.store.audit import append as audit_append

        if req.scenario not in SCENARIOS or req.scenario == "normal":
            names = ", ".join(s for s in SCENARIOS if s != "normal")
            raise InputError(f"unknown red-team scenario {req.scenario!r}; choose one of {names}")
        if not 0 < req.hours <= MAX_HOURS:
            raise InputError(f"hours {req.hours} must be in (0, {MAX_HOURS}]")
        if not 1 <= req.speed <= MAX_SPEED:
            raise InputError(f"speed {req.speed} must be in [1, {MAX_SPEED}] × real time")
        if not 0 < req.density <= 1:
            raise InputError(f"density {req.density} must be in (0, 1]")
        now = datetime.now(UTC).replace(microsecond=0)
        run_id = "X" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
        with self._lock:
            with self.state.locked() as store:
                busy = store.conn.execute(
                    "SELECT id FROM exercise_runs WHERE state IN ('simulating', 'running', "
                    "'replayed')").fetchone()
                if busy is not None:
                    raise StateConflictError(
                        f"exercise {busy[0]} is still open; finish it first "
                        f"(POST /api/exercises/{busy[0]}/finish)")
                store.conn.execute(
                    "INSERT INTO exercise_runs (id, scenario, hours, speed, seed, density, "
                    "state, started_by, started_at, sim_start, sim_end) VALUES "
                    "(?, ?, ?, ?, ?, ?, 'simulating', ?, ?, ?, ?)",
                    [run_id, req.scenario, req.hours, req.speed, req.seed, req.density, user,
                     now, now, now + timedelta(hours=req.hours)])
                audit_append(store, user, "exercise.start", target=run_id,
                             detail={"scenario": req.scenario, "hours": req.hours,
                                     "speed": req.speed, "seed": req.seed,
                                     "density": req.density}, ts=now)
            pipeline = self._ensure_path()
            stop = threading.Event()
            self._stop[run_id] = stop
            thread = threading.Thread(target=self._run, args=(run_id, req, now, pipeline, stop),
                                      name=f"khazar-exercise-{run_id}", daemon=True)
            self._threads[run_id] = thread
            thread.start()
        return self.get(run_id)

    def _set(self, run_id: str, sql: str, params: list[Any]) -> None:
        with self.state.locked() as store:
            store.conn.execute(f"UPDATE exercise_runs SET {sql} WHERE id = ?", [*params, run_id])

    def _run(self, run_id: str, req: ExerciseRequest, start: datetime, pipeline: Any,
             stop: threading.Event) -> None:
        import time

        from khazar.sim.engine import simulate

        try:
            run = simulate(req.scenario, req.hours, req.seed, start, self.state.settings,
                           density=req.density)
        except Exception as exc:  # recorded on the run: the director sees why
            self._set(run_id, "state = 'failed', score = ?",
                      [json.dumps({"error": f"{type(exc).__name__}: {exc}"})])
            return
        self._set(run_id, "state = 'running', truth = ?, sim_end = ?",
                  [run.truth.dumps(), run.truth.end])
        if stop.is_set():
            return
        sent = 0
        wall0 = time.monotonic()
        sim0 = start.timestamp()
        source = f"exercise:{run_id}"
        for times, lines in run.feed.chunks():
            for t, line in zip(times.tolist(), lines, strict=True):
                delay = wall0 + (t - sim0) / req.speed - time.monotonic()
                if delay > 0.001 and stop.wait(delay):
                    self._set(run_id, "lines_sent = ?", [sent])
                    return
                if stop.is_set():
                    self._set(run_id, "lines_sent = ?", [sent])
                    return
                pipeline.offer(line.decode("ascii", "replace"), source)
                sent += 1
            self._set(run_id, "lines_sent = ?", [sent])
        self._set(run_id, "state = CASE WHEN state = 'running' THEN 'replayed' ELSE state END, "
                  "lines_sent = ?", [sent])

    # --- finish ---------------------------------------------------------------------
    def finish(self, run_id: str, user: str) -> dict[str, Any]:
        """Stop the replay if it still runs, score the exercise, store the sheet."""
        from khazar.store.audit import append as audit_append

        with self._lock:
            run = self.get(run_id)
            if run["state"] == "finished":
                raise StateConflictError(f"exercise {run_id} is already finished")
            stop = self._stop.pop(run_id, None)
            if stop is not None:
                stop.set()
            thread = self._threads.pop(run_id, None)
            if thread is not None:
                thread.join(timeout=30)
            now = datetime.now(UTC)
            with self.state.locked() as store:
                run = self._get(store, run_id)
                sheet = self._score(store, run)
                store.conn.execute(
                    "UPDATE exercise_runs SET state = 'finished', finished_by = ?, "
                    "finished_at = ?, score = ? WHERE id = ?",
                    [user, now, json.dumps(sheet), run_id])
                audit_append(store, user, "exercise.finish", target=run_id,
                             detail={"planted": sheet["planted"], "raised": sheet["raised"],
                                     "missed": sheet["missed"]}, ts=now)
                return self._get(store, run_id)

    @staticmethod
    def _score(store: Store, run: dict[str, Any]) -> dict[str, Any]:
        from khazar.store.alerts import list_alerts, list_transitions
        from khazar.store.audit import list_entries

        truth = run["truth"] or {}
        started = datetime.fromisoformat(run["started_at"])
        orders: dict[str, tuple[str, float]] = {}
        for e in list_entries(store, action="dispatch.order", since=started):
            detail = json.loads(e.detail) if isinstance(e.detail, str) else dict(e.detail or {})
            if e.target is not None and "eta_s" in detail:
                orders[e.target] = (str(detail["boat"]), float(detail["eta_s"]))
        facts: list[AlertFacts] = []
        for a in list_alerts(store.conn):
            if not a.exercise or a.created_at < started:
                continue
            acked = assigned = None
            boat = None
            for t in list_transitions(store.conn, alert_id=a.id):
                if t.to_state.value == "acknowledged" and acked is None:
                    acked = t.ts
                if t.to_state.value == "assigned" and assigned is None:
                    assigned, boat = t.ts, t.boat
            order = orders.get(a.id)
            facts.append(AlertFacts(
                a.id, a.type, a.mmsi, a.other_mmsi, a.lat, a.lon, a.first_ts, a.created_at,
                acked, assigned, boat,
                order[1] if order is not None and order[0] == boat else None))
        sheet = score_exercise(facts_from_truth(truth), facts,
                               float(truth.get("time_tolerance_s", 1800.0)),
                               float(truth.get("match_radius_m", 1500.0)))
        sheet["lines_sent"] = run["lines_sent"]
        sheet["scored_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return sheet
