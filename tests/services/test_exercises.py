"""Exercise use cases without a server: start, finish, interrupt, each with its audit entry;
bad input named; one open run at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from khazar.config import load_settings
from khazar.errors import InputError, NotFoundError, StateConflictError
from khazar.services import exercises as svc
from khazar.store import open_store
from khazar.store.audit import list_entries, verify_store

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
SETTINGS = load_settings()


def _request(**changes: object) -> svc.ExerciseRequest:
    base: dict[str, object] = {"scenario": svc.scenarios()[0], "hours": 1.0, "speed": 60.0,
                               "seed": 1, "density": 0.1}
    base.update(changes)
    return svc.ExerciseRequest(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "value"), [
    ("scenario", "picnic"), ("scenario", "normal"), ("hours", 0.0), ("hours", 25.0),
    ("speed", 0.5), ("speed", 4000.0), ("density", 0.0), ("density", 1.5), ("seed", -1),
])
def test_a_bad_request_names_the_value(tmp_path: Path, field: str, value: object) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        with pytest.raises(InputError, match=str(value)):
            svc.start_exercise(store, SETTINGS, _request(**{field: value}), "xena", T0)
        assert list_entries(store) == []


def test_start_finish_interrupt_are_audited(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        run = svc.start_exercise(store, SETTINGS, _request(), "xena", T0)
        assert run["state"] == "simulating" and run["started_by"] == "xena"
        with pytest.raises(StateConflictError, match=run["id"]):
            svc.start_exercise(store, SETTINGS, _request(), "xena", T0)
        later = T0 + timedelta(minutes=30)
        done = svc.finish_exercise(store, SETTINGS, run["id"], "xena", later)
        assert done["state"] == "finished" and done["finished_by"] == "xena"
        assert done["score"]["planted"] == 0 and done["score"]["scored_at"] == later.isoformat()
        with pytest.raises(StateConflictError, match="already finished"):
            svc.finish_exercise(store, SETTINGS, run["id"], "xena", later)
        with pytest.raises(NotFoundError, match="Xnope"):
            svc.get_exercise(store, "Xnope")
        second = svc.start_exercise(store, SETTINGS, _request(), "xena", later)
        assert svc.interrupt_open_exercises(store, later) == [second["id"]]
        assert svc.get_exercise(store, second["id"])["state"] == "interrupted"
        entries = [(e.actor, e.action, e.target) for e in list_entries(store)]
        assert entries == [
            ("xena", "exercise.start", run["id"]),
            ("xena", "exercise.finish", run["id"]),
            ("xena", "exercise.start", second["id"]),
            ("system", "exercise.interrupt", second["id"]),
        ]
        assert verify_store(store).ok
