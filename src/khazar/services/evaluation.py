"""`make eval`: simulate fixed seeds, run them through the real pipeline, score, pool.

The pipeline is driven through the ``khazar`` command line (``ingest``, then ``detect``), in
a child process each, exactly as a user would run it on a real feed.

Evaluation seeds (fixed before any tuning; never change them to flatter a detector):
``EVAL_SEEDS = (11, 23, 37, 41, 59, 67, 73, 89, 97, 103)``, each simulated from
``EVAL_START`` + (index) days with scenario ``mixed``. (97 and 103 were added, untuned,
to reach the ten seeds of the detection issue.) After detection the alert rules run over
the stored events (``khazar alerts``) and the alerts are scored too: false alerts per day,
and alerts on look-alikes or authorised boats (which must be none).

Tuning seeds: ``TUNING_SEEDS = (201, …, 210)``, simulated from ``TUNING_START`` + (index)
days (another season than the evaluation days). Diagnose false positives and misses on these
(``khazar eval-seeds --set tuning``); the evaluation seeds are only ever measured, at the end.
The two sets are disjoint, and a test guards it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from khazar.config import Settings
from khazar.errors import InputError
from khazar.sim.engine import simulate
from khazar.sim.evaluate import (
    AlertScore,
    EvaluationReport,
    evaluate,
    parse_events_jsonl,
    score_alerts,
)
from khazar.sim.output import FEED_FILE, RADAR_FILE, TRUTH_FILE, write_run
from khazar.sim.truth import Truth, parse_time
from khazar.sim.world import World

__all__ = [
    "EVAL_SEEDS",
    "EVAL_START",
    "SEED_SETS",
    "TUNING_SEEDS",
    "TUNING_START",
    "evaluate_seed",
    "run_cli",
    "score_seed_alerts",
]

EVAL_SEEDS: tuple[int, ...] = (11, 23, 37, 41, 59, 67, 73, 89, 97, 103)
EVAL_START = "2026-03-02T00:00:00Z"
TUNING_SEEDS: tuple[int, ...] = tuple(range(201, 211))
TUNING_START = "2026-06-01T00:00:00Z"
#: name → (seeds, first simulated day); ``khazar eval-seeds --set NAME``
SEED_SETS: dict[str, tuple[tuple[int, ...], str]] = {
    "eval": (EVAL_SEEDS, EVAL_START),
    "tuning": (TUNING_SEEDS, TUNING_START),
}
_CLI = "from khazar.cli import main; main()"


def run_cli(args: list[str]) -> str:
    """Run ``khazar ARGS…`` in a child process; its stdout, or an InputError with stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", _CLI, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise InputError(
            f"`khazar {' '.join(args)}` failed with exit code {proc.returncode}: "
            f"{proc.stderr.strip()[-800:]}"
        )
    return proc.stdout


def evaluate_seed(
    index: int,
    seed: int,
    hours: float,
    work: Path,
    settings: Settings,
    world: World,
    cli: Callable[[list[str]], str] = run_cli,
    first_day: str = EVAL_START,
) -> EvaluationReport:
    """Simulate one seed (day ``first_day`` + ``index``) into ``work``, ingest, detect, score."""
    start = parse_time(first_day) + timedelta(days=index)
    run = simulate("mixed", hours, seed, start, settings, world=world)
    write_run(run, work)
    db = work / "eval.duckdb"
    events = work / "events.jsonl"
    for stale in (db, events):
        stale.unlink(missing_ok=True)
    cli(["ingest", str(work / FEED_FILE), str(work / RADAR_FILE), "--db", str(db),
         "--format", "json"])
    cli(["detect", "--db", str(db), "--out", str(events)])
    return evaluate(run.truth, parse_events_jsonl(events.read_text(encoding="utf-8")))


def score_seed_alerts(work: Path, cli: Callable[[list[str]], str] = run_cli) -> AlertScore:
    """Raise alerts over the events :func:`evaluate_seed` stored in ``work`` and score them."""
    from khazar.store import open_store
    from khazar.store.alerts import list_alerts

    truth = Truth.loads((work / TRUTH_FILE).read_text(encoding="utf-8"))
    db = work / "eval.duckdb"
    end = truth.end.isoformat().replace("+00:00", "Z")
    cli(["alerts", "--db", str(db), "--now", end, "--format", "json"])
    with open_store(db, read_only=True) as store:
        alerts = list_alerts(store)
    return score_alerts(alerts, truth)
