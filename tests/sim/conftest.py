"""One short simulated run shared by the simulator tests (the geography loads once)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from khazar.config import Settings, load_settings
from khazar.sim.engine import SimulationRun, simulate
from khazar.sim.output import write_run
from khazar.sim.world import World

START = datetime(2026, 1, 1, 6, tzinfo=UTC)
HOURS = 2.0
DENSITY = 0.6  # ≈ 180 vessels: enough for every kind, quick to decode


@pytest.fixture(scope="session")
def sim_settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def world(sim_settings: Settings) -> World:
    return World.load(sim_settings)


@pytest.fixture(scope="session")
def mixed_run(sim_settings: Settings, world: World) -> SimulationRun:
    return simulate("mixed", HOURS, 5, START, sim_settings, world=world, density=DENSITY)


@pytest.fixture(scope="session")
def mixed_dir(mixed_run: SimulationRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed")
    write_run(mixed_run, out)
    return out
