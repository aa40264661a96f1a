"""Repository over the table ``exercise_runs``: red-team exercises and their score sheets.

The only SQL about exercises. Functions take the store or an audited transaction
(:data:`khazar.store.access.Db`). A run comes out as a plain dict (times as ISO 8601 UTC
strings, ``truth`` and ``score`` decoded), the form the API answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from khazar.store.access import Db, reading, writing

__all__ = [
    "OPEN_STATES",
    "finish_run",
    "get_run",
    "insert_run",
    "interrupt_open_runs",
    "list_runs",
    "open_run_id",
    "record_failure",
    "record_lines_sent",
    "record_replayed",
    "record_simulated",
]

#: states of a run that may still be fed (one at a time)
OPEN_STATES = ("simulating", "running", "replayed")
_KEYS = ("id", "scenario", "hours", "speed", "seed", "density", "state", "started_by",
         "started_at", "sim_start", "sim_end", "lines_sent", "finished_by", "finished_at",
         "truth", "score")
_COLUMNS = ", ".join(_KEYS)
_OPEN = f"state IN ({', '.join(repr(s) for s in OPEN_STATES)})"


def _run(r: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(_KEYS, r, strict=True))
    for k in ("started_at", "sim_start", "sim_end", "finished_at"):
        if out[k] is not None:
            out[k] = out[k].astimezone(UTC).isoformat(timespec="seconds")
    for k in ("truth", "score"):
        out[k] = json.loads(out[k]) if isinstance(out[k], str) else out[k]
    return out


def list_runs(db: Db) -> list[dict[str, Any]]:
    """Every run, newest first."""
    rows = reading(db).execute(
        f"SELECT {_COLUMNS} FROM exercise_runs ORDER BY started_at DESC").fetchall()
    return [_run(r) for r in rows]


def get_run(db: Db, run_id: str) -> dict[str, Any] | None:
    """One run by id, or None."""
    row = reading(db).execute(
        f"SELECT {_COLUMNS} FROM exercise_runs WHERE id = ?", [run_id]).fetchone()
    return None if row is None else _run(row)


def open_run_id(db: Db) -> str | None:
    """The id of the run still open (simulating, running or replayed), if any."""
    row = reading(db).execute(f"SELECT id FROM exercise_runs WHERE {_OPEN}").fetchone()
    return None if row is None else str(row[0])


def interrupt_open_runs(db: Db) -> list[str]:
    """Mark every open run ``interrupted`` (its feed died with a previous server process);
    the ids marked."""
    with writing(db) as conn:
        ids = [str(r[0]) for r in conn.execute(
            f"SELECT id FROM exercise_runs WHERE {_OPEN}").fetchall()]
        conn.execute(f"UPDATE exercise_runs SET state = 'interrupted' WHERE {_OPEN}")
    return ids


def insert_run(
    db: Db, run_id: str, scenario: str, hours: float, speed: float, seed: int, density: float,
    started_by: str, started_at: datetime, sim_end: datetime,
    sim_start: datetime | None = None,
) -> None:
    """A new run in state ``simulating``; its simulated time starts at ``sim_start``
    (default ``started_at``)."""
    with writing(db) as conn:
        conn.execute(
            "INSERT INTO exercise_runs (id, scenario, hours, speed, seed, density, state, "
            "started_by, started_at, sim_start, sim_end) VALUES "
            "(?, ?, ?, ?, ?, ?, 'simulating', ?, ?, ?, ?)",
            [run_id, scenario, hours, speed, seed, density, started_by, started_at,
             sim_start if sim_start is not None else started_at, sim_end])


def record_simulated(db: Db, run_id: str, truth_json: str, sim_end: datetime) -> None:
    """The simulator has finished: keep its truth; the replay starts (``running``)."""
    with writing(db) as conn:
        conn.execute("UPDATE exercise_runs SET state = 'running', truth = ?, sim_end = ? "
                     "WHERE id = ?", [truth_json, sim_end, run_id])


def record_failure(db: Db, run_id: str, error: str) -> None:
    """The simulator failed: state ``failed``, the reason kept as the score."""
    with writing(db) as conn:
        conn.execute("UPDATE exercise_runs SET state = 'failed', score = ? WHERE id = ?",
                     [json.dumps({"error": error}), run_id])


def record_lines_sent(db: Db, run_id: str, sent: int) -> None:
    """How many feed lines the replay has sent so far."""
    with writing(db) as conn:
        conn.execute("UPDATE exercise_runs SET lines_sent = ? WHERE id = ?", [sent, run_id])


def record_replayed(db: Db, run_id: str, sent: int) -> None:
    """The replay has sent everything (a run finished meanwhile stays finished)."""
    with writing(db) as conn:
        conn.execute(
            "UPDATE exercise_runs SET state = CASE WHEN state = 'running' THEN 'replayed' "
            "ELSE state END, lines_sent = ? WHERE id = ?", [sent, run_id])


def finish_run(
    db: Db, run_id: str, finished_by: str, finished_at: datetime, sheet: Mapping[str, Any]
) -> None:
    """The run is over: state ``finished``, who and when, its score sheet."""
    with writing(db) as conn:
        conn.execute(
            "UPDATE exercise_runs SET state = 'finished', finished_by = ?, finished_at = ?, "
            "score = ? WHERE id = ?", [finished_by, finished_at, json.dumps(sheet), run_id])
