"""Exercise mode's runtime: the red-team scenario simulated inside the server and fed,
paced at ``speed`` × real time, into the exercise ingest path (flagged exercise), its own
live detection and alert rules.

The use cases — start, finish and score, each audited — are
:mod:`khazar.services.exercises`; this module owns only the threads that simulate and
replay a run, and records their progress on the run. One exercise at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from khazar.live.state import ServerState
from khazar.services import exercises as service
from khazar.services.exercises import ExerciseRequest
from khazar.sim.clock import replay_start
from khazar.store import exercises as runs

__all__ = ["ExerciseDirector"]


class ExerciseDirector:
    """Starts, paces and finishes the exercises of one server."""

    def __init__(self, state: ServerState, ensure_path: Callable[[], Any]) -> None:
        """``ensure_path()`` starts (once) the exercise ingest pipeline and its live
        detection and returns the pipeline."""
        self.state = state
        self._ensure_path = ensure_path
        self._lock = threading.Lock()
        self._stop: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        with state.locked() as store:
            service.interrupt_open_exercises(store, datetime.now(UTC))

    def stop_all(self) -> None:
        """Stop every replay (the server is shutting down)."""
        with self._lock:
            for stop in self._stop.values():
                stop.set()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=self.state.settings.exercise.join_timeout_s)

    # --- queries --------------------------------------------------------------------
    def runs(self) -> list[dict[str, Any]]:
        with self.state.locked() as store:
            return runs.list_runs(store)

    def get(self, run_id: str) -> dict[str, Any]:
        with self.state.locked() as store:
            return service.get_exercise(store, run_id)

    # --- start ----------------------------------------------------------------------
    def start(self, req: ExerciseRequest, user: str) -> dict[str, Any]:
        """Record the run (audited) and start simulating and replaying it."""
        service.check_request(self.state.settings, req)  # before placing it on the clock
        now = datetime.now(UTC).replace(microsecond=0)
        # the scenario is replayed at req.speed × real time: its period ends when the replay
        # does, at the wall clock then (starting it at `now` put the picture hours ahead)
        start = replay_start(now, req.hours, req.speed)
        with self._lock:
            with self.state.locked() as store:
                run = service.start_exercise(store, self.state.settings, req, user, now,
                                             sim_start=start)
            pipeline = self._ensure_path()
            stop = threading.Event()
            self._stop[run["id"]] = stop
            thread = threading.Thread(target=self._run,
                                      args=(run["id"], req, start, pipeline, stop),
                                      name=f"khazar-exercise-{run['id']}", daemon=True)
            self._threads[run["id"]] = thread
            thread.start()
        return run

    def _record(self, write: Callable[..., None], *args: Any) -> None:
        with self.state.locked() as store:
            write(store, *args)

    def _run(self, run_id: str, req: ExerciseRequest, start: datetime, pipeline: Any,
             stop: threading.Event) -> None:
        from khazar.sim.engine import simulate

        try:
            run = simulate(req.scenario, req.hours, req.seed, start, self.state.settings,
                           density=req.density)
        except Exception as exc:  # recorded on the run: the director sees why
            self._record(runs.record_failure, run_id, f"{type(exc).__name__}: {exc}")
            return
        self._record(runs.record_simulated, run_id, run.truth.dumps(), run.truth.end)
        if stop.is_set():
            return
        sent = 0
        wall0 = time.monotonic()
        sim0 = start.timestamp()
        source = f"exercise:{run_id}"
        for times, lines in run.feed.chunks():
            for t, line in zip(times.tolist(), lines, strict=True):
                delay = wall0 + (t - sim0) / req.speed - time.monotonic()
                if (delay > 0.001 and stop.wait(delay)) or stop.is_set():
                    self._record(runs.record_lines_sent, run_id, sent)
                    return
                pipeline.offer(line.decode("ascii", "replace"), source)
                sent += 1
            self._record(runs.record_lines_sent, run_id, sent)
        self._record(runs.record_replayed, run_id, sent)

    # --- finish ---------------------------------------------------------------------
    def finish(self, run_id: str, user: str) -> dict[str, Any]:
        """Stop the replay if it still runs, then score the exercise and store the sheet
        (audited)."""
        with self._lock:
            self.get(run_id)  # an unknown id is a 404 before anything stops
            stop = self._stop.pop(run_id, None)
            if stop is not None:
                stop.set()
            thread = self._threads.pop(run_id, None)
            if thread is not None:
                thread.join(timeout=self.state.settings.exercise.join_timeout_s)
            with self.state.locked() as store:
                return service.finish_exercise(store, self.state.settings, run_id, user,
                                               datetime.now(UTC))
