"""State, not scans (issue 20, point 2): the picture's collections answer from the state
ingest keeps (``vessel_latest``, ``vessel_static_latest``, ``invalid_mmsi``) — and the
answers are the ones the scans of the whole history gave before: on real recorded AIS
(AMSA, DMA, gpsd, libais: invalid numbers, class B, static reports) and a simulated hour
ingested in several runs, on both backends. A copy of a report heard again later by
another station (stored once) moves neither a vessel's time nor its static data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.api.feed import position_lines, static_lines

from khazar.config import load_settings
from khazar.ingest.files import ingest_file
from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.sim.engine import simulate
from khazar.store import open_store
from khazar.store.backend import Session
from khazar.store.fleet import boat_fixes
from khazar.store.ingest import IngestRepo
from khazar.store.picture import ship_types
from khazar.store.queries import (
    invalid_mmsi_reports,
    latest_vessels,
    newest_position,
    picture_time,
)
from khazar.store.schema import LATEST_FROM
from khazar.store.triage import vessel_identities

DATA = Path(__file__).parents[1] / "data" / "ais"
START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)

#: the static part of the picture as /api/vessels computed it before (a scan of every
#: static report), and as the alerts' vessel names did
_OLD_STATIC = """SELECT mmsi,
       arg_max(name, ts) FILTER (WHERE name IS NOT NULL AND name <> ''),
       arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL),
       arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL AND imo > 0),
       arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL),
       arg_max(destination, ts) FILTER (WHERE destination IS NOT NULL AND destination <> ''),
       arg_max(to_bow_m + to_stern_m, ts)
           FILTER (WHERE to_bow_m IS NOT NULL AND to_stern_m IS NOT NULL)
    FROM vessels_static GROUP BY mmsi"""
_FILTERS = (  # as _OLD_STATIC keeps a value
    lambda v: v is not None and v != "", lambda v: v is not None,
    lambda v: v is not None and v > 0, lambda v: v is not None,
    lambda v: v is not None and v != "", lambda v: v is not None)


def _newest_values(db: Session) -> dict[int, list[set[Any]]]:
    """Per vessel and static column, the values of the newest reports that carry one
    (two reports at one instant, e.g. from two receivers' clocks, give two: the scan's
    ``arg_max`` took either, and so may the state)."""
    out: dict[int, list[tuple[Any, set[Any]]]] = {}
    for m, ts, *values in db.execute(
            "SELECT mmsi, ts, name, callsign, imo, ship_type, destination, "
            "CASE WHEN to_bow_m IS NOT NULL AND to_stern_m IS NOT NULL "
            "THEN to_bow_m + to_stern_m END FROM vessels_static").fetchall():
        cols = out.setdefault(int(m), [(None, set()) for _ in range(6)])
        for i, (v, keep) in enumerate(zip(values, _FILTERS, strict=True)):
            if not keep(v):
                continue
            top, seen = cols[i]
            if top is None or ts > top:
                cols[i] = (ts, {v})
            elif ts == top:
                seen.add(v)
    return {m: [vals or {None} for _, vals in cols] for m, cols in out.items()}


def _ingest_runs(store: Any) -> None:
    for path in (DATA / "amsa" / "ais.txt.gz", DATA / "dma" / "stream_example.txt",
                 DATA / "gpsd" / "sample.aivdm", DATA / "libais" / "test.aivdm"):
        ingest_file(IngestRepo(store), path)
    run = simulate("mixed", 0.5, 7, START, load_settings(), density=0.05)
    lines = [line.decode("ascii") if isinstance(line, bytes) else str(line)
             for _, chunk in run.feed.chunks() for line in chunk]
    quarter = len(lines) // 4 + 1
    for k in range(4):  # four runs: state folded batch by batch
        ingestor = Ingestor(IngestRepo(store), run_source=f"sim-{k}")
        ingestor.feed(RawLine(line, source=f"sim-{k}")
                      for line in lines[k * quarter:(k + 1) * quarter])
        ingestor.close()


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows)


def _scan_latest(db: Session) -> list[tuple[Any, ...]]:
    return _norm(db.execute(
        "SELECT * FROM (" + LATEST_FROM.format(src="positions") + ") t").fetchall())


def test_the_state_answers_as_the_scans_did(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        _ingest_runs(store)
        positions = store.execute("SELECT count(*) FROM positions").fetchone()
        assert positions is not None and positions[0] > 20_000
        # each vessel's latest position and motion
        state = _norm(store.execute(
            "SELECT mmsi, exercise, ts, lat, lon, sog_kn, sog_ts, cog_deg, cog_ts, heading_deg,"
            " heading_ts, status, status_ts, report_ts, msg_key FROM vessel_latest").fetchall())
        assert state == _scan_latest(store) and len(state) > 100
        # the static data, as the picture and the alerts showed them
        newest = _newest_values(store)
        old = {int(r[0]): r[1:] for r in store.execute(_OLD_STATIC).fetchall()}
        rows, matched = latest_vessels(store, limit=10_000)
        assert matched == len(rows) == len({m for m, ex, *_ in state if not ex})
        named = ties = 0
        for v in rows:
            got = (v.name, v.callsign, v.imo, v.ship_type, v.destination, v.length_m)
            want = newest.get(v.mmsi, [{None}] * 6)
            for value, scanned, allowed in zip(got, old.get(v.mmsi, (None,) * 6), want,
                                               strict=True):
                assert value in allowed and scanned in allowed, (v.mmsi, got, want)
                ties += len(allowed) > 1
            named += v.name is not None
        assert named > 50 and ties < 10  # ties: rare, each value one of the tied reports
        idents = vessel_identities(store, list(old))
        assert set(idents) == set(old)
        for m, ident in idents.items():
            name, callsign, imo, ship_type, _, length = (next(iter(c)) if len(c) == 1 else
                                                         None for c in newest[m])
            for value, expected in zip((ident.name, ident.callsign, ident.imo,
                                        ident.ship_type, ident.length_m),
                                       (name.strip() if name else None,
                                        callsign.strip() if callsign else None, imo,
                                        ship_type, length), strict=True):
                assert expected is None or value == expected, (m, ident)
        assert {m: t for m, t in ship_types(store).items() if len(newest[m][3]) == 1} == {
            m: next(iter(c[3])) for m, c in newest.items()
            if len(c[3]) == 1 and next(iter(c[3])) is not None}
        # the reports left out (invalid MMSIs) and the picture's clock
        scanned = store.execute(
            "SELECT count(*), count(DISTINCT mmsi) FROM positions "
            "WHERE NOT exercise AND NOT mmsi_valid").fetchone()
        assert scanned is not None and scanned[0] > 0  # the AMSA log's MMSI 0 among them
        assert invalid_mmsi_reports(store) == (scanned[0], scanned[1])
        zero = store.execute("SELECT count(*) FROM positions WHERE mmsi = 0 AND NOT exercise"
                             ).fetchone()
        assert zero is not None and invalid_mmsi_reports(store, mmsi=0) == (zero[0], 1)
        for exercise in (False, True):
            top = store.execute("SELECT max(ts) FROM positions WHERE exercise = ?",
                                [exercise]).fetchone()
            assert top is not None and picture_time(store, exercise) == top[0]
            newest = newest_position(store, exercise)
            assert (newest[0] if newest else None) == top[0]
        # a boat's fix from the state equals the scan's
        some = [r.mmsi for r in rows[:5]]
        fixes = boat_fixes(store, some)
        for m in some:
            got = store.execute(
                "SELECT max(ts) FROM positions WHERE mmsi = ? AND NOT exercise", [m]).fetchone()
            assert got is not None and fixes[m].ts == got[0]


MMSI = 423200011
T = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)


def test_a_copy_heard_again_later_changes_no_state(store_at: Path | str) -> None:
    first = static_lines(MMSI, T, "OLD NAME", 9100011, 70, "BAKU", station="one")
    second = static_lines(MMSI, T + timedelta(minutes=6), "NEW NAME", 9100011, 70, "ALAT",
                          station="one")
    # the first report again, heard by another station 10 minutes after it was sent
    late_copy = static_lines(MMSI, T + timedelta(minutes=16), "OLD NAME", 9100011, 70, "BAKU",
                             station="two")
    pos = position_lines(MMSI, T + timedelta(minutes=7), 40.0, 50.0, 8.0, 90.0, station="one")
    # the position again from another station a second later (the same report: its
    # minute and payload; AIS second 60, "not available")
    pos_copy = position_lines(MMSI, T + timedelta(minutes=7, seconds=1), 40.0, 50.0, 8.0, 90.0,
                              station="two")
    with open_store(store_at) as store:
        for k, lines in enumerate((first, second + pos, late_copy, pos_copy)):
            ingestor = Ingestor(IngestRepo(store), run_source=f"copy-{k}")
            ingestor.feed(RawLine(line, source=f"copy-{k}") for line in lines)
            ingestor.close()
        stored = store.execute("SELECT count(*) FROM vessels_static WHERE mmsi = ?",
                               [MMSI]).fetchone()
        assert stored is not None and stored[0] == 2  # the copy is not stored again
        (v,), _ = latest_vessels(store, mmsi=MMSI)
        assert (v.name, v.destination) == ("NEW NAME", "ALAT")
        assert v.ts == T + timedelta(minutes=7)  # not the copy's second
        assert picture_time(store) == T + timedelta(minutes=7)
        assert _scan_latest(store) == _norm(store.execute(
            "SELECT mmsi, exercise, ts, lat, lon, sog_kn, sog_ts, cog_deg, cog_ts, heading_deg,"
            " heading_ts, status, status_ts, report_ts, msg_key FROM vessel_latest").fetchall())
