"""The ingest repository: anti-join appends, re-reads versus duplicates, run records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from khazar.ingest.batch import IngestBatch, positions_table, raw_table
from khazar.store import open_store
from khazar.store.export import iso_utc, iter_positions
from khazar.store.ingest import IngestRepo


def _positions(n: int, mmsi0: int = 423000000) -> dict[str, object]:
    k = np.arange(n)
    return {
        "mmsi": mmsi0 + k, "ts_us": 1_700_000_000_000_000 + k * 1_000_000,
        "report_s": 1_700_000_000 + k, "lat": 40.0 + k * 1e-3, "lon": 50.0 + k * 1e-3,
        "sog": np.where(k % 2 == 0, 10.5, np.nan), "cog": np.full(n, 90.0),
        "heading": np.where(k % 3 == 0, -1, 91), "status": np.zeros(n, dtype=np.int64),
        "msg_type": np.ones(n, dtype=np.int64), "msg_key": (k * 7919).astype(np.uint64),
        "station": ["AZ-BAKU"] * n,
    }


def _batch(source: str, n: int) -> IngestBatch:
    return IngestBatch(
        source=source,
        raw=raw_table(source, list(range(1, n + 1)), [0] * n, [""] * n,
                      [f"line {i}" for i in range(n)]),
        positions=positions_table(_positions(n), source, exercise=False),
    )


def test_anti_join_rereads_and_duplicates(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        repo = IngestRepo(store)
        repo.start_run("r1", "a", "nmea")
        first = repo.write(_batch("a", 100), "r1", (100, 100, 0, 0), {})
        assert first.inserted == {"raw_sentences": 100, "positions": 100}
        again = repo.write(_batch("a", 100), "r1", (200, 200, 0, 0), {})
        assert again.inserted == {"raw_sentences": 0, "positions": 0}
        assert again.reread["positions"] == 100 and again.duplicates == 0
        other = repo.write(_batch("b", 100), "r1", (300, 300, 0, 0), {})
        assert other.inserted["raw_sentences"] == 100 and other.inserted["positions"] == 0
        assert other.duplicates == 100  # same transmissions heard by another receiver
        run = repo.run("r1")
        assert run is not None and not run.finished and run.lines == 300
        assert run.duplicates == 100
        repo.finish_run("r1", (300, 300, 0, 100), {"empty": 0})
        run = repo.run("r1")
        assert run is not None and run.finished


def test_not_available_values_are_null_and_exported_as_none(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        repo = IngestRepo(store)
        repo.start_run("r", "a", "nmea")
        repo.write(_batch("a", 3), "r", (3, 3, 0, 0), {})
        rows = list(iter_positions(store))
    assert [r["sog"] for r in rows] == [10.5, None, 10.5]
    assert [r["heading"] for r in rows] == [None, 91, 91]
    assert rows[0]["timestamp"] == "2023-11-14T22:13:20Z"


def test_iso_utc() -> None:
    assert iso_utc(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-01-02T03:04:05Z"
    assert iso_utc(None) is None


def test_replay_origin_reads_back_only_the_last_hours(store_at: Path | str) -> None:
    """A detection taken over re-reads from its origin, but no more than the asked hours
    before the newest position (1 s apart here: 3,600 rows an hour)."""
    from khazar.store.live import replay_origin, top_rowid

    with open_store(store_at) as store:
        repo = IngestRepo(store)
        repo.start_run("r", "a", "nmea")
        repo.write(_batch("a", 7200), "r", (7200, 7200, 0, 0), {})
        assert top_rowid(store, "positions") == 7199
        # the newest is t0 + 7199 s: one hour back is the row at t0 + 3599 s
        assert replay_origin(store, "positions", -1, 1.0) == 3598
        assert replay_origin(store, "positions", 5000, 1.0) == 5000  # the origin is later
        assert replay_origin(store, "positions", -1, 10.0) == -1  # everything is recent
        assert replay_origin(store, "detections", -1, 1.0) == -1  # nothing there
