from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastkml import KML
from shapely.geometry import LineString

from khazar.alerts.backtrace import TraceTarget, VesselFixes, rank_vessels
from khazar.errors import InputError
from khazar.interop.evidence import pack_sha256, write_pack
from khazar.units import epoch_s

T0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
# an east-west pipeline at 40.0 N with a ±1 km corridor (0.009° of latitude ≈ 1 km)
LINE = LineString([(50.0, 40.0), (50.5, 40.0)])
CORRIDOR = LINE.buffer(0.009, cap_style="flat")


def _fixes(
    mmsi: int,
    pts: list[tuple[float, float, float]],
    sog_kn: float | None = None,
    status: int = 0,
    every_s: float = 60.0,
) -> VesselFixes:
    """Piecewise-linear track through (minute, lat, lon) waypoints, a fix every ``every_s``."""
    wt = np.array([p[0] * 60 for p in pts])
    t = np.arange(wt[0], wt[-1] + 1, every_s)
    lat = np.interp(t, wt, [p[1] for p in pts])
    lon = np.interp(t, wt, [p[2] for p in pts])
    sog = np.full(len(t), np.nan if sog_kn is None else sog_kn)
    return VesselFixes(mmsi, t + epoch_s(T0), lat, lon, sog, np.full(len(t), status, np.int16))


def _world() -> list[VesselFixes]:
    # 1: ferry crossing the line once at 14 kn, north to south
    ferry = _fixes(1, [(0, 40.10, 50.20), (60, 39.90, 50.20)])
    # 2: bulk carrier dragging its anchor along the corridor for 2 h, "at anchor" at 6 kn
    drag = _fixes(
        2, [(0, 40.2, 49.9), (60, 40.003, 50.05), (180, 40.002, 50.35), (240, 39.8, 50.5)], status=1
    )
    # 3: a fishing boat 20 km north, drifting
    far = _fixes(3, [(0, 40.18, 50.25), (240, 40.19, 50.26)], sog_kn=0.5)
    # 4: a tanker that slows from 12 to 5 kn while crossing the corridor (Eagle S-like)
    slow = _fixes(
        4, [(0, 40.12, 50.40), (50, 40.02, 50.40), (75, 39.995, 50.40), (120, 39.90, 50.40)]
    )
    slow_sog = np.where(np.abs(slow.lat - 40.0) < 0.02, 5.0, 12.0)
    slow = VesselFixes(4, slow.t_s, slow.lat, slow.lon, slow_sog, slow.status)
    return [ferry, drag, far, slow]


def test_dragging_vessel_ranks_first_and_far_vessels_are_left_out() -> None:
    target = TraceTarget("pipe", LINE, CORRIDOR)
    ranking = rank_vessels(_world(), target, T0, T0 + timedelta(hours=4))
    assert [r.mmsi for r in ranking] == [2, 4, 1]
    drag, slow, ferry = ranking
    assert drag.closest_m < 500 and drag.anchored_moving
    assert drag.inside_s > 90 * 60
    assert ferry.inside_s < 15 * 60 and ferry.closest_m < 100
    assert slow.speed_drop == pytest.approx(1 - 5 / 12, abs=0.01)
    assert any("speed fell" in r for r in slow.reasons)


def test_fault_point_and_radius_focus_the_ranking() -> None:
    # a fault near the eastern end: only the slowing tanker crossed within 3 km of it
    target = TraceTarget("pipe", LINE, CORRIDOR, point=(40.0, 50.41), radius_m=2000.0)
    ranking = rank_vessels(_world(), target, T0, T0 + timedelta(hours=4), near_m=3000)
    assert [r.mmsi for r in ranking] == [4]
    assert ranking[0].closest_m == pytest.approx(0.01 * 111_195 * np.cos(np.radians(40)), abs=5)
    # the whole asset: the drag and the ferry count again
    whole = rank_vessels(
        _world(), TraceTarget("pipe", LINE, CORRIDOR), T0, T0 + timedelta(hours=4), near_m=3000
    )
    assert [r.mmsi for r in whole] == [2, 4, 1]


def test_ais_gap_near_the_asset_is_measured() -> None:
    quiet = _fixes(5, [(0, 40.1, 50.1), (200, 39.9, 50.1)])
    keep = (quiet.t_s - epoch_s(T0) < 80 * 60) | (quiet.t_s - epoch_s(T0) > 130 * 60)
    gappy = VesselFixes(
        5, quiet.t_s[keep], quiet.lat[keep], quiet.lon[keep], quiet.sog_kn[keep], quiet.status[keep]
    )
    [r] = rank_vessels([gappy], TraceTarget("pipe", LINE, CORRIDOR), T0, T0 + timedelta(hours=4))
    assert r.gap_near_s == pytest.approx(51 * 60, abs=61)
    assert r.inside_s > 0  # interpolated across the gap


def test_empty_window_is_an_input_error() -> None:
    with pytest.raises(InputError, match="is not before"):
        rank_vessels(_world(), TraceTarget("pipe", LINE, CORRIDOR), T0, T0)


def test_evidence_pack_hashes_match_its_files(tmp_path: Path) -> None:
    world = _world()
    target = TraceTarget("pipe", LINE, CORRIDOR)
    end = T0 + timedelta(hours=4)
    ranking = rank_vessels(world, target, T0, end)
    pack = write_pack(tmp_path / "pack", target, ranking, world, T0, end)
    assert set(pack.files) == {"evidence.html", "tracks.kml", "ranking.json"}
    for name, digest in pack.files.items():
        assert hashlib.sha256((tmp_path / "pack" / name).read_bytes()).hexdigest() == digest
    sums = (tmp_path / "pack" / "SHA256SUMS").read_bytes()
    assert hashlib.sha256(sums).hexdigest() == pack.sha256 == pack_sha256(pack.files)
    doc = json.loads((tmp_path / "pack" / "ranking.json").read_text())
    assert [v["mmsi"] for v in doc["vessels"]] == [2, 4, 1]
    kml = KML.from_string((tmp_path / "pack" / "tracks.kml").read_bytes())
    [folder] = [f for f in kml.features[0].features if f.name == "vessels"]
    names = [pm.name for pm in folder.features]
    assert names[0] == "#1 MMSI 2"
    coords = folder.features[0].geometry.coords
    drag = world[1]
    assert len(coords) == len(drag.t_s)
    assert coords[0][:2] == (drag.lon[0], drag.lat[0])
    html = (tmp_path / "pack" / "evidence.html").read_text()
    assert "<svg" in html and "status &#x27;at anchor&#x27; while making way" in html
