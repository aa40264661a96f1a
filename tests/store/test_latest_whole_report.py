"""A vessel's latest position is one whole report (issue 18, point 4 of the bounded work):
two reports of one vessel in the same second, from two places (a spoofed identity, two
receivers' clocks), give the picture the latitude and longitude of one of them — the last
by (ts, report_ts, msg_key), as the tracks order them — whether they arrive in one batch
or in two, in either order, and the live picture equals the replay computed from every
position, on both backends. Before, ``vessel_latest`` took lat and lon each by ``arg_max``
over time (a tie could pair one report's latitude with the other's longitude) and a later
batch's report at the same second never replaced the stored one: the picture depended on
arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.api.feed import position_lines

from khazar.domain.picture import Interval
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.store import open_store
from khazar.store.ingest import IngestRepo
from khazar.store.queries import latest_vessels, tracks

MMSI = 423200007
T = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
#: two places 70 km apart, reported in the same second
A = position_lines(MMSI, T, 39.94, 49.43, 5.0, 90.0, station="one")
B = position_lines(MMSI, T, 40.10, 50.13, 7.0, 270.0, station="two")
BEFORE = position_lines(MMSI, T - timedelta(seconds=30), 39.90, 49.40, 5.0, 90.0)


def _ingest(db: Path | str, batches: list[list[str]]) -> tuple[tuple[float, float],
                                                               tuple[float, float],
                                                               tuple[float, float]]:
    """(live picture's position, replay's position, the track's last point)."""
    with open_store(db) as store:
        with store.transaction() as tx:  # the last order's rows gone
            for table in ("positions", "vessel_latest", "raw_sentences", "ingest_runs"):
                tx.execute(f"DELETE FROM {table}")
        for lines in batches:
            ingestor = Ingestor(IngestRepo(store), run_source="test")
            ingestor.feed(RawLine(line, source="test") for line in lines)
            ingestor.close()
        (live,), _ = latest_vessels(store, mmsi=MMSI)
        (replay,), _ = latest_vessels(store, mmsi=MMSI,
                                      interval=Interval(None, T + timedelta(hours=1)))
        (line,), _ = tracks(store, Interval(T - timedelta(hours=1), None), mmsis=[MMSI])
    return (live.lat, live.lon), (replay.lat, replay.lon), (line.lats[-1], line.lons[-1])


def test_the_latest_position_is_one_whole_report(store_at: Path | str) -> None:
    places = {(39.94, 49.43), (40.10, 50.13)}
    seen = []
    for batches in ([BEFORE + A + B], [BEFORE + B + A], [BEFORE + A, B], [BEFORE + B, A]):
        live, replay, last = _ingest(store_at, batches)
        rounded = tuple(round(x, 4) for x in live)
        assert rounded in places, f"{batches}: {live} mixes two reports"
        assert live == replay == last, batches
        seen.append(live)
    assert len(set(seen)) == 1, f"the picture depends on arrival order: {seen}"
