"""A small shift on the real Caspian geography: targets, areas, water-only routes, exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from khazar.config import load_settings
from khazar.patrol.export import write_tracks
from khazar.patrol.routes import draw_routes, sample_shift
from khazar.patrol.service import PatrolSetup, patrol_setup, plan_shift
from khazar.patrol.targets import TargetSettings


@pytest.fixture(scope="module")
def setup() -> PatrolSetup:
    return patrol_setup(load_settings(), {"sangachal": 2}, cell_nm=12.0)


def test_targets_valued_by_energy_and_alerts(setup: PatrolSetup) -> None:
    by_id = {t.id: t for t in setup.targets}
    # Sangachal terminal carries the most energy; two recent alerts raise its threat
    assert max(setup.targets, key=lambda t: t.value).id == "sangachal"
    assert by_id["sangachal"].threat == pytest.approx(1 + 2 * TargetSettings().threat_per_alert)
    assert any(t.kind == "border" for t in setup.targets)
    assert any(t.kind == "border_sector" for t in setup.targets)
    # foreign ports are outside the patrol region
    assert "port-aktau" not in by_id


def test_short_shift_routes_are_in_water_and_exported(setup: PatrolSetup,
                                                      tmp_path: Path) -> None:
    settings = load_settings()
    fleet = [b for b in settings.fleet if b.base in ("Sangachal", "Neft Daslari")][:3]
    rp = plan_shift(setup, fleet, datetime(2026, 11, 27, 6, tzinfo=UTC), hours=4.0)
    assert rp.decomposition.plans
    assert rp.decomposition.max_coverage_error <= 1e-6
    shift = sample_shift(rp, 5)
    geo = setup.geo
    tracks = draw_routes(rp, shift, lambda a, b, c, d: geo.router.route(a, b, c, d).coords)
    assert len(tracks) == 3
    by_name = {b.name: b for b in fleet}
    for tr in tracks:
        boat = by_name[tr.boat]
        assert tr.coords[0] == tr.coords[-1] == (boat.base_lat, boat.base_lon)
        lat = np.array([c[0] for c in tr.coords])
        lon = np.array([c[1] for c in tr.coords])
        assert geo.water_mask(lat, lon).mean() > 0.99  # router snaps may touch the shore
        secs = np.array([(t - tr.times[0]).total_seconds() for t in tr.times])
        assert np.all(np.diff(secs) >= 0)
        step_m = np.hypot(np.diff(lat) * 111_320, np.diff(lon) * 111_320 * np.cos(np.radians(40)))
        dt = np.diff(secs)
        moving = dt > 0
        assert np.all(step_m[moving] / dt[moving] <= boat.cruise_speed_kn * 0.5144 * 1.05)
    for ext in ("geojson", "gpx", "kml"):
        write_tracks(tmp_path / f"p.{ext}", tracks, {"seed": 5})
    fc = json.loads((tmp_path / "p.geojson").read_text())
    f0 = fc["features"][0]
    assert f0["geometry"]["type"] == "LineString"
    assert len(f0["properties"]["times"]) == len(f0["geometry"]["coordinates"])
    assert {"boat", "base", "times"} <= set(f0["properties"])
    assert "<trkpt" in (tmp_path / "p.gpx").read_text()
    assert "<LineString>" in (tmp_path / "p.kml").read_text()
