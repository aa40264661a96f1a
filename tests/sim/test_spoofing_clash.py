"""The MMSI clash needs a covered water point near its victim; a victim out of AIS reach is
skipped for another (evaluation seed 103 crashed the simulator there before)."""

from __future__ import annotations

import numpy as np

from khazar.sim.scenarios.base import ScenarioContext
from khazar.sim.scenarios.spoofing import _clash_point
from khazar.sim.traffic import TrafficContext
from khazar.sim.world import World


def test_a_clash_point_lies_in_coverage_or_is_none(world: World) -> None:
    ctx = ScenarioContext(world, TrafficContext(world, 0.0, 3600.0),
                          np.random.default_rng(1), 0.0, 3600.0)
    near_baku = _clash_point(ctx, 40.25, 50.0, 10.0)
    assert near_baku is not None and ctx.covered(*near_baku)
    # the Kazakh shore of the north Caspian is out of every Azerbaijani station's reach
    assert _clash_point(ctx, 45.0, 51.5, 10.0) is None
