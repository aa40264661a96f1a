"""``/api/alerts`` pages its alerts in SQL and links incidents over the page's vessels'
alerts only (issue 20, point 2): the features — order, titles, incidents, counts — are the
ones the scan of every stored alert gave before, for every filter, on both backends."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from khazar.config import load_settings
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.domain.picture import BBox, Interval
from khazar.services.triage import PlaceNames, alert_features
from khazar.store import open_store
from khazar.store.alerts import find_alerts, list_alerts, upsert_alerts, vessels_alerts

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
STATES = list(AlertState)
SEVERITIES = list(Severity)


def _alerts() -> list[Alert]:
    """120 alerts of 12 vessels (some as pairs, some without a vessel), both pictures,
    every state and severity, chained in time so that incidents span pages."""
    out = []
    for i in range(120):
        mmsi = None if i % 17 == 0 else 423_100_000 + i % 12
        other = 273_400_000 + i % 3 if i % 5 == 0 and mmsi is not None else None
        t = T0 + timedelta(minutes=13 * i + (i % 7) * 40)
        out.append(Alert(
            id=f"A{i:05d}", rule="loitering-corridor", type="loitering",
            severity=SEVERITIES[i % len(SEVERITIES)], score=50.0 + i % 9,
            state=STATES[(i // 3) % len(STATES)], mmsi=mmsi, other_mmsi=other,
            asset_id="acg-sangachal", zone_id=None, lat=39.5 + (i % 10) * 0.1,
            lon=49.5 + (i % 11) * 0.1, first_ts=t, last_ts=t + timedelta(minutes=20 + i % 30),
            event_ids=(f"ev-{i}",), summary=f"alert {i}",
            created_at=t + timedelta(minutes=i % 4), updated_at=t + timedelta(minutes=5),
            exercise=i % 9 == 0))
    return [dataclasses.replace(a, escalated=a.severity is Severity.critical) for a in out]


def _scan(store: Any, states: list[AlertState] | None, exercise: bool, box: BBox | None,
          interval: Interval | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The route as it was: every alert read, filtered in Python."""
    every = list_alerts(store)
    found = [a for a in every if a.state in states] if states is not None else list(every)
    picked = [a for a in found if a.exercise == exercise
              and (box is None or box.contains(a.lat, a.lon))
              and (interval is None or (
                  (interval.start is None or a.last_ts >= interval.start)
                  and (interval.end is None or a.first_ts <= interval.end)))]
    return (alert_features(store, load_settings(), PlaceNames(), picked[:limit], every),
            len(picked))


def _paged(store: Any, states: list[AlertState] | None, exercise: bool, box: BBox | None,
           interval: Interval | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """As the route does it now."""
    picked, matched = find_alerts(
        store, states, exercise,
        None if box is None else (box.min_lon, box.min_lat, box.max_lon, box.max_lat),
        None if interval is None else (interval.start, interval.end), limit)
    population = vessels_alerts(
        store, [m for a in picked for m in (a.mmsi, a.other_mmsi) if m is not None], exercise)
    return alert_features(store, load_settings(), PlaceNames(), picked, population), matched


OPEN = [AlertState.new, AlertState.acknowledged, AlertState.assigned]
CASES = [
    (None, False, None, None, 500),
    (OPEN, False, None, None, 200),
    (OPEN, False, None, None, 7),
    ([AlertState.resolved], False, None, None, 500),
    (None, True, None, None, 500),
    (OPEN, False, BBox(49.6, 39.6, 50.2, 40.1), None, 500),
    (None, False, None, Interval(T0 + timedelta(hours=5), T0 + timedelta(hours=12)), 10),
    (None, False, None, Interval(None, T0 + timedelta(hours=3)), 500),
]


def test_alert_pages_equal_the_scan(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        upsert_alerts(store, _alerts())
        linked = 0
        for states, exercise, box, interval, limit in CASES:
            want = _scan(store, states, exercise, box, interval, limit)
            got = _paged(store, states, exercise, box, interval, limit)
            assert got == want, (states, exercise, box, interval, limit)
            linked += sum(f["properties"]["incident_size"] > 1 for f in got[0])
        assert linked > 10  # incidents of several alerts among the pages compared
        full, matched = _paged(store, None, False, None, None, 500)
        assert 0 < len(full) == matched < 120
