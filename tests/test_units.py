from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from khazar.units import (
    deg_decimal_minutes,
    geodesic_distance_m,
    haversine_m,
    initial_bearing_deg,
    kn_to_ms,
    m_to_nm,
    ms_to_kn,
    nm_to_m,
    to_utc,
)

lat = st.floats(36.0, 47.5)
lon = st.floats(46.0, 55.0)


def test_nautical_mile_and_knot() -> None:
    assert nm_to_m(1.0) == 1852.0
    assert m_to_nm(1852.0) == 1.0
    assert abs(kn_to_ms(1.0) - 0.514444) < 1e-6
    assert abs(ms_to_kn(kn_to_ms(7.3)) - 7.3) < 1e-12


def test_one_minute_of_latitude_is_about_one_nautical_mile() -> None:
    d = geodesic_distance_m(40.0, 50.0, 40.0 + 1 / 60, 50.0)
    assert abs(d - 1852.0) < 5.0


@given(lat, lon, lat, lon)
def test_haversine_within_half_percent_of_geodesic(a: float, b: float, c: float, d: float) -> None:
    geo = geodesic_distance_m(a, b, c, d)
    hav = float(haversine_m(a, b, c, d))
    assert abs(hav - geo) <= 0.005 * geo + 1e-6


def test_haversine_is_vectorised() -> None:
    lats = np.array([40.0, 41.0])
    out = haversine_m(lats, np.array([50.0, 50.0]), lats + 1.0, np.array([50.0, 50.0]))
    assert out.shape == (2,)


def test_bearing_cardinal_points() -> None:
    assert abs(float(initial_bearing_deg(40.0, 50.0, 41.0, 50.0))) < 1e-9
    assert abs(float(initial_bearing_deg(40.0, 50.0, 40.0, 51.0)) - 90.0) < 0.5


def test_decimal_minutes() -> None:
    assert deg_decimal_minutes(40.3639, True) == "40°21.834′N"
    assert deg_decimal_minutes(49.8603, False) == "049°51.618′E"
    assert deg_decimal_minutes(-0.5, True) == "00°30.000′S"


def test_to_utc() -> None:
    baku = timezone(timedelta(hours=4))
    t = datetime(2026, 1, 1, 4, 0, tzinfo=baku)
    assert to_utc(t) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert to_utc(datetime(2026, 1, 1)).tzinfo is UTC
