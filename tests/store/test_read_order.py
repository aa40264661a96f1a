"""Reads that feed the detectors and the track views return one vessel's reports at the same
second in one order, whatever order they were stored in and whichever backend holds them.

Real feeds have such ties: a spoofed identity (two ships sending one MMSI) reports twice in a
second from two places; two message types of one ship share a second. In storage order, the
detectors' verdict and the tracks' lines depended on which copy a scan met first, and DuckDB
and PostgreSQL met them differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from khazar.domain.picture import BBox, Interval
from khazar.store import open_store
from khazar.store.picture import load_fixes
from khazar.store.queries import tracks

INSERT = ("INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
          "source, report_ts, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
T0 = datetime(2026, 11, 20, tzinfo=UTC)


def _rows() -> list[tuple[object, ...]]:
    """Two ships under one MMSI, 70 km apart, reporting in the same seconds."""
    rows = []
    for i in range(20):
        t = T0 + timedelta(seconds=10 * i)
        rows.append((423200003, t, 39.94 + 1e-4 * i, 49.43, 5.0, 90.0, 0, 1, "feed", t, 2 * i))
        rows.append((423200003, t, 40.10 - 1e-4 * i, 50.13, 5.0, 90.0, 0, 1, "feed", t,
                     2 * i + 1))
    return rows


def test_ties_come_back_in_one_order(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        with store.transaction() as tx:
            tx.executemany(INSERT, list(reversed(_rows())))
        fixes = load_fixes(store)
        # by time, then by the report's key: the order of _rows(), not of storage
        want = [(r[2], r[3]) for r in _rows()]
        assert list(zip(fixes.lat.tolist(), fixes.lon.tolist(), strict=True)) == want
        (line,), _ = tracks(store, Interval(T0, None), bbox=BBox(49.0, 39.0, 51.0, 41.0),
                            limit=10)
        assert (line.lats, line.lons) == ([r[2] for r in _rows()], [r[3] for r in _rows()])
