"""The dark-vessel kernel's shortcut (the nearest fix in the radius box settles most
detections) decides exactly as the full nearest-distance search does."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from khazar.config import DetectSettings
from khazar.detect.base import Detections
from khazar.detect.dark import DarkVesselDetector


def _full_search(det_k: DarkVesselDetector, ais: Any, det: Detections) -> Any:
    """The search without the shortcut, on every detection."""
    s = det_k.settings
    scale = s.dark_distance_m / s.dark_time_s
    cx = np.cos(np.radians(42.0)) * 111_320.0
    pts = np.column_stack((ais[:, 2] * cx, ais[:, 1] * 110_574.0, ais[:, 0] * scale))
    q = np.column_stack((det.lon * cx, det.lat * 110_574.0, det.t_s * scale))
    return det_k._nearest_search(cKDTree(pts), ais, det, q)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 40))
def test_shortcut_decides_as_the_full_search(seed: int, vessels: int, n_det: int) -> None:
    rng = np.random.default_rng(seed)
    detector = DarkVesselDetector(DetectSettings(), geo=None)  # type: ignore[arg-type]
    rows = []
    for mmsi in range(vessels):  # tracks about 2 km × 2 km, a fix every 1–20 min
        t = np.cumsum(rng.uniform(60, 1200, 30))
        lat = 40.0 + np.cumsum(rng.normal(0, 0.002, 30))
        lon = 50.0 + np.cumsum(rng.normal(0, 0.002, 30))
        rows.append(np.column_stack((t, lat, lon, np.full(30, 273_000_000.0 + mmsi))))
    ais = np.concatenate(rows)
    ais = ais[np.lexsort((ais[:, 0], ais[:, 3]))]
    det = Detections(rng.uniform(0, 20_000, n_det), 40.0 + rng.normal(0, 0.01, n_det),
                     50.0 + rng.normal(0, 0.01, n_det), np.full(n_det, np.nan),
                     np.full(n_det, "radar", dtype="<U16"))
    limit = detector.settings.dark_distance_m
    fast = detector._nearest_ais(ais, det)
    full = _full_search(detector, ais, det)
    assert ((fast > limit) == (full > limit)).all()
    dark = full > limit
    assert np.array_equal(fast[dark], full[dark])  # the distance a dark event reports
    assert (fast[~dark] >= full[~dark] - 1e-6).all()
