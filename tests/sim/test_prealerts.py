"""Issue 21 on the simulator: the published Eagle S facts give an ``anchor_down`` pre-alert at
least 30 minutes before the line, and its lead time is what the evaluation reports."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from khazar.config import Settings
from khazar.detect import detect_batch
from khazar.detect.adapters import geography_from_geo
from khazar.geo import load_geography
from khazar.sim.ais import transmissions
from khazar.sim.engine import simulate_movements
from khazar.sim.evaluate import ScoredEvent, score_prealerts
from khazar.sim.truth import Truth
from khazar.sim.world import World
from khazar.tracks import Fixes
from khazar.units import epoch_s

START = datetime(2026, 2, 1, tzinfo=UTC)


def test_published_eagle_s_is_pre_alerted_half_an_hour_before_the_line(
    sim_settings: Settings, world: World
) -> None:
    mv = simulate_movements("eagle_s_published", 12.0, 3, START, sim_settings, world=world,
                            density=0.05)
    (drag,) = mv.red.behaviours
    assert drag.params["published"] and drag.first_crossing and drag.line_crossing
    # the facts: 8.5 → 6.3 kn, the drop 50 minutes before the line
    assert drag.params["speed_before_kn"] == 8.5 and drag.params["speed_drag_kn"] == 6.3
    assert abs((drag.line_crossing - drag.start).total_seconds() - 50 * 60) <= 1
    ship = [v for v in mv.vessels if v.mmsi == drag.mmsis[0]]
    tx = transmissions(ship, np.random.default_rng(3), mv.t0_s, mv.t1_s, 8.0)
    fixes = Fixes.from_arrays(tx.mmsi, tx.t_s, tx.lat, tx.lon, tx.sog_kn, tx.cog_deg,
                              tx.heading, tx.status)
    geo = geography_from_geo(load_geography(sim_settings), sim_settings)
    events = detect_batch(fixes, sim_settings.detect, geo)
    down = next(e for e in events if e.type == "anchor_down")
    said = datetime.fromisoformat(down.evidence["detected_at"])
    assert (drag.line_crossing - said).total_seconds() >= 30 * 60
    assert down.evidence["reasons"] == ["speed_drop"]
    # the projection names the line it is heading for, about as far ahead as it is
    assert down.asset_id == drag.asset_id
    eta = down.evidence["minutes_to_impact"]
    assert abs(eta - (drag.line_crossing - said).total_seconds() / 60) < 8
    # the evaluation counts the lead to the first corridor entry, from the same event
    truth = Truth("eagle_s_published", 3, START, START, (drag,), ())
    scored = [ScoredEvent(e.id, e.type, e.mmsi, e.other_mmsi, e.start, e.end, e.lat, e.lon,
                          e.zone_id, e.asset_id, said if e is down else None)
              for e in events]
    (res,) = score_prealerts(truth, scored).drags
    assert res.prealerted and res.lead_s == (drag.first_crossing - said).total_seconds()
    assert epoch_s(drag.first_crossing) < epoch_s(drag.line_crossing)
