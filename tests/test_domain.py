from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from khazar.domain import Event, event_id

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_event_id_depends_only_on_type_vessels_start() -> None:
    a = Event("loitering", 423000001, T0, T0, 40.0, 50.0, evidence={"x": 1})
    b = Event("loitering", 423000001, T0, datetime(2026, 5, 2, tzinfo=UTC), 41.0, 51.0)
    assert a.id == b.id
    assert a.id != Event("encounter", 423000001, T0, T0, 40.0, 50.0).id


@given(st.integers(1, 999_999_999), st.integers(1, 999_999_999))
def test_pair_order_does_not_matter(m1: int, m2: int) -> None:
    assert event_id("encounter", m1, m2, T0) == event_id("encounter", m2, m1, T0)
