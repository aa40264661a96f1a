"""ITU-R M.1371 reporting intervals and the movement builder."""

from __future__ import annotations

import numpy as np

from khazar.sim.ais import (
    ReceptionModel,
    Station,
    _schedule,
    class_a_interval_s,
    class_b_interval_s,
    receive,
)
from khazar.sim.movement import (
    NAV_AT_ANCHOR,
    NAV_UNDER_WAY,
    MovementBuilder,
    Vessel,
    VesselStatic,
)

STATIC = VesselStatic("TEST", "4J0001", 70, 100.0, 15.0)


def test_class_a_and_b_intervals() -> None:
    assert class_a_interval_s(0.2, NAV_AT_ANCHOR) == 180.0
    assert class_a_interval_s(5.0, NAV_AT_ANCHOR) == 10.0  # at anchor but moving > 3 kn
    assert class_a_interval_s(0.0, NAV_UNDER_WAY) == 10.0
    assert class_a_interval_s(14.5, NAV_UNDER_WAY) == 6.0
    assert class_a_interval_s(30.0, NAV_UNDER_WAY) == 2.0
    assert class_b_interval_s(1.0) == 180.0
    assert class_b_interval_s(8.0) == 30.0


def _vessel(ais_class: str, speed_kn: float, status: int = NAV_UNDER_WAY) -> Vessel:
    b = MovementBuilder(1_767_225_600.0, 40.0, 50.0)
    if speed_kn > 0:
        b.sail([(40.0, 50.0 + speed_kn * 1852 / 85_000)], speed_kn, status=status)  # ≈ 1 h
    else:
        b.dwell(3600.0, status, np.random.default_rng(0))
    return Vessel(423000001, "cargo", ais_class, STATIC, b.build())


def test_schedule_follows_speed_class_and_status() -> None:
    rng = np.random.default_rng(1)
    t0, t1 = 1_767_225_600.0, 1_767_225_600.0 + 3600.0
    for v, expected in (
        (_vessel("A", 10.0), 10.0),
        (_vessel("A", 18.0), 6.0),
        (_vessel("A", 30.0), 2.0),
        (_vessel("A", 0.0, NAV_AT_ANCHOR), 180.0),
        (_vessel("B", 10.0), 30.0),
        (_vessel("B", 0.0), 180.0),
    ):
        ts = _schedule(v, rng, t0, t1)
        gaps = np.diff(ts)
        assert abs(float(np.median(gaps)) - expected) < 0.5, (v.ais_class, expected)


def test_ais_off_segments_are_silent() -> None:
    b = MovementBuilder(0.0 + 1_767_225_600, 40.0, 50.0)
    b.sail([(40.0, 50.3)], 10.0)
    t_end = b.t_s
    b.set_ais(1_767_225_600 + 600.0, 1_767_225_600 + 1800.0, on=False)
    v = Vessel(1, "cargo", "A", STATIC, b.build())
    ts = _schedule(v, np.random.default_rng(0), 1_767_225_600, t_end)
    rel = ts - 1_767_225_600
    assert not np.any((rel > 601) & (rel < 1799))
    assert np.any(rel < 600) and np.any(rel > 1800)


def test_reception_falls_off_with_range() -> None:
    st = (Station("S", 40.0, 50.0, 40.0),)
    n = 4000
    lat = np.full(n, 40.0)
    rng = np.random.default_rng(3)
    rates = []
    for d_nm in (10.0, 40.0, 55.0):
        lon = np.full(n, 50.0 + d_nm * 1852 / 85_180)
        idx, _, rx = receive(np.arange(n, dtype=float), lat, lon, st, ReceptionModel(), [[]], rng)
        assert np.all(rx > np.arange(n)[idx])
        rates.append(idx.size / n)
    assert rates[0] > 0.9 and 0.35 < rates[1] < 0.65 and rates[2] < 0.05
