"""The exercise the console tests start, and the intruder its simulator truth plants."""

from __future__ import annotations

from datetime import UTC, datetime

from khazar.config import load_settings


def planted_intruder(seed: int = 3) -> int:
    """The safety-zone intruder of a 1 h `safety_zone_entry` run at density 0.03 (read from
    the truth, so a change in the scenario's draws does not silently break the tests)."""
    from khazar.sim.engine import simulate

    run = simulate("safety_zone_entry", 1.0, seed, datetime(2026, 11, 20, 8, tzinfo=UTC),
                   load_settings(), density=0.03)
    [behaviour] = run.truth.behaviours
    return int(behaviour.mmsis[0])
