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


def test_mmsi_forms_valid_and_invalid() -> None:
    import numpy as np

    from khazar.domain.vessels import mmsi_kind, mmsi_valid_array

    forms = {423123456: "ship", 2190062: "coast_station", 31423000: "group",
             111273001: "sar_aircraft", 982731234: "craft", 993310001: "aid_to_navigation",
             970123456: "sart", 0: None, 1: None, 123456789: None, 111111111: None,
             777003006: None, 8900658: None, 18927: None, 1_000_000_000: None}
    assert {m: mmsi_kind(m) for m in forms} == forms
    arr = np.array(list(forms), dtype=np.int64)
    assert mmsi_valid_array(arr).tolist() == [k is not None for k in forms.values()]
