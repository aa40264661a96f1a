"""A store holding an hour of simulated Caspian traffic (the ``mixed`` red-team scenario
at low density), ingested, detected and turned into alerts through the real packages,
with one user per role. Shared by the fuzz and load tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from khazar.alerts.context import rule_context
from khazar.audit import Role
from khazar.config import Settings
from khazar.detect import detect_batch
from khazar.detect.adapters import geography_from_geo
from khazar.geo import load_geography
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.services import alerts as alert_service
from khazar.services.users import add_user
from khazar.sim.engine import simulate
from khazar.store import alerts as alert_repo
from khazar.store import open_store
from khazar.store.events import upsert_events
from khazar.store.ingest import IngestRepo
from khazar.store.picture import load_detections, load_fixes, ship_types

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
HOURS = 1.0
DENSITY = 0.05
SEED = 3
PASSWORD = "correct horse battery"
#: one user per role, named after it
USERS = {role.value.replace("_", ""): role.value for role in Role}
#: users no test logs in as: an admin's fuzzed writes (password, role, disable) land on
#: them, never on a user another test (or fuzzed role) logs in as afterwards
SPARE_USERS = {"spare1": "operator", "spare2": "viewer", "spare3": "analyst"}


def _lines(settings: Settings) -> Iterator[RawLine]:
    run = simulate("mixed", HOURS, SEED, START, settings, density=DENSITY)
    for _, chunk in run.feed.chunks():
        for line in chunk:
            text = line.decode("ascii") if isinstance(line, bytes) else str(line)
            yield RawLine(text, source="sim")


def build_sim_store(path: Path, settings: Settings) -> dict[str, int]:
    """Simulate, ingest, detect, raise alerts and add the users; returns row counts."""
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with open_store(path) as store:
        for name, role in {**USERS, **SPARE_USERS}.items():
            add_user(store, name, PASSWORD, role, actor="test", hasher=fast)
        ingestor = Ingestor(IngestRepo(store), run_source="sim")
        ingestor.feed(_lines(settings))
        ingestor.close()
        geo = geography_from_geo(load_geography(settings), settings)
        events = detect_batch(load_fixes(store), settings.detect, geo, load_detections(store))
        with store.transaction() as conn:
            upsert_events(conn, events, START + timedelta(hours=HOURS))
        stored, exercise = alert_repo.stored_events(store)
        alert_service.update_alerts(
            store, rule_context(settings, ship_types=ship_types(store)), stored,
            START + timedelta(hours=HOURS), exercise_event_ids=exercise,
            escalate_after=timedelta(minutes=settings.alerts.escalate_after_min),
        )
        return store.table_counts()
