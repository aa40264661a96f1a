"""Track queries come in bounded pages (issue 18: four viewers pulling 10 MB track answers
stalled everyone's alerts): the pages of a query hold no more points than asked, and
together they are the unpaged answer, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from khazar.domain.picture import Interval, TrackRow
from khazar.store import open_store
from khazar.store.queries import track_page, tracks

INSERT = ("INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
          "source, report_ts, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
T0 = datetime(2026, 11, 20, tzinfo=UTC)
MAX_POINTS = 50
#: points stored per vessel: below, at and above the thinning limit, one point, many
SIZES = {423000001: 1, 423000002: 5, 423000003: 120, 423000004: 49, 423000005: 50,
         423000006: 51, 423000007: 30, 423000008: 400, 423000009: 7}


def _rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for v, (mmsi, n) in enumerate(SIZES.items()):
        for i in range(n):
            # every third report shares its second with the one before (ties, in one order)
            t = T0 + timedelta(seconds=10 * (i - (i % 3 == 2)))
            rows.append((mmsi, t, 40.0 + 1e-3 * i, 50.0 + 0.01 * v, 5.0, 90.0, 0, 1, "feed",
                         t, i))
    return rows


def _kept(n: int, m: int) -> list[int]:
    """The indices a line of ``n`` points keeps when thinned to ``m``: evenly spaced
    (floor(k n / m) for k < m - 1) and the last."""
    return list(range(n)) if n <= m else sorted({k * n // m for k in range(m - 1)} | {n - 1})


def test_pages_add_up_to_the_unpaged_answer(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        with store.transaction() as tx:
            tx.executemany(INSERT, list(reversed(_rows())))
        everything = Interval(T0 - timedelta(hours=1), T0 + timedelta(hours=2))
        whole, matched = tracks(store, everything, limit=1000, max_points=MAX_POINTS)
        assert matched == len(SIZES) == len(whole)
        by_mmsi = {t.mmsi: t for t in whole}
        for mmsi, n in SIZES.items():  # thinned in the database as the indices say
            assert by_mmsi[mmsi].lats == [40.0 + 1e-3 * i for i in _kept(n, MAX_POINTS)]
        for page_points, limit in ((60, 1000), (100, 3), (MAX_POINTS, 1000), (10_000, 2)):
            pages: list[list[TrackRow]] = []
            after = None
            while True:
                page = track_page(store, everything, limit=limit, max_points=MAX_POINTS,
                                  after=after, page_points=page_points)
                assert page.matched == len(SIZES)
                assert 1 <= len(page.tracks) <= limit
                points = sum(len(t.times) for t in page.tracks)
                assert points <= page_points or len(page.tracks) == 1, (page_points, points)
                pages.append(page.tracks)
                if page.next_after is None:
                    break
                assert page.next_after == page.tracks[-1].mmsi
                after = page.next_after
            assert [t for p in pages for t in p] == whole, (page_points, limit)
            assert len(pages) > 1
        # a filter that matches nothing: one empty last page
        empty = track_page(store, everything, mmsis=[423999999], page_points=60)
        assert (empty.tracks, empty.matched, empty.next_after) == ([], 0, None)
