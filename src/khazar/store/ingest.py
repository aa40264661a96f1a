"""The ingest tables: bulk appends from Arrow tables, de-duplicated by anti-joins.

Each batch is written in one transaction together with the progress of its run, so a crash
(even SIGKILL) leaves the store at a batch boundary, and re-running the same input adds
nothing. Uniqueness keys (see :mod:`khazar.store.schema`):

- raw_sentences, rejects: (source, line_no)
- positions, base_stations: (mmsi, report_ts, msg_key)
- vessels_static: (mmsi, msg_key)
- detections: (ts, lat, lon, source)

Positions carry ``mmsi_valid`` (false for MMSI 0, a MID outside 201–775 …); the number of
such rows inserted is counted in :attr:`~khazar.ingest.batch.BatchCounts.invalid_mmsi`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from khazar.ingest.batch import BatchCounts, IngestBatch, RunRecord
from khazar.store.backend import Session
from khazar.store.schema import (
    INVALID_FROM,
    LATEST_COLUMNS,
    LATEST_FROM,
    STATIC_COLUMNS,
    STATIC_FROM,
)

__all__ = ["INGEST_LOCK", "IngestRepo", "fold_latest", "fold_new_rows", "rebuild_state"]

#: the advisory lock key of ingest batches (PostgreSQL: several servers storing feeds)
INGEST_LOCK = 0x6B68_0004


#: the batch's last report of a vessel comes after the one vessel_latest holds: by time,
#: then by the report's own second and key (the order of the tracks)
_LATER_REPORT = (
    "(excluded.ts > vessel_latest.ts OR (excluded.ts = vessel_latest.ts AND "
    "(excluded.report_ts > vessel_latest.report_ts OR (excluded.report_ts = "
    "vessel_latest.report_ts AND excluded.msg_key > vessel_latest.msg_key))))")


def _newer(column: str, stamp: str, table: str = "vessel_latest",
           tie: str | None = _LATER_REPORT) -> str:
    """``column`` of ``table`` takes the batch's value where the batch reported it later
    (at the same time: where ``tie`` holds, the batch's report being the later one; without
    it the stored value stays, as ``arg_max`` over the reports keeps the first it meets)."""
    at_tie = (f" OR (excluded.{stamp} = {table}.{stamp} AND excluded.{column} IS NOT NULL "
              f"AND {tie})") if tie else ""
    return (f"{column} = CASE WHEN excluded.{stamp} > {table}.{stamp} OR "
            f"{table}.{stamp} IS NULL{at_tie} THEN "
            f"coalesce(excluded.{column}, {table}.{column}) "
            f"ELSE {table}.{column} END, "
            f"{stamp} = greatest(excluded.{stamp}, {table}.{stamp})")


def _whole(column: str) -> str:
    """``column`` of the position: the later report's, whole."""
    return (f"{column} = CASE WHEN {_LATER_REPORT} THEN excluded.{column} "
            f"ELSE vessel_latest.{column} END")


def fold_latest(src: str) -> str:
    """SQL folding the positions staged as ``src`` into each vessel's latest state: the
    position (time, latitude, longitude and the report's key) is one report's, never a
    mix; the other columns take the staged value where it was reported later."""
    return (f"INSERT INTO vessel_latest ({LATEST_COLUMNS}) " + LATEST_FROM.format(src=src)
            + " ON CONFLICT (mmsi, exercise) DO UPDATE SET "
            + ", ".join([
                _whole("lat"), _whole("lon"), _whole("report_ts"), _whole("msg_key"),
                _newer("sog_kn", "sog_ts"), _newer("cog_deg", "cog_ts"),
                _newer("heading_deg", "heading_ts"), _newer("status", "status_ts"),
                "ts = greatest(excluded.ts, vessel_latest.ts)",
            ]))


def fold_static(src: str) -> str:
    """SQL folding the static reports ``src`` into each vessel's latest static data."""
    return (f"INSERT INTO vessel_static_latest ({STATIC_COLUMNS}) "
            + STATIC_FROM.format(src=src) + " ON CONFLICT (mmsi) DO UPDATE SET "
            + ", ".join(_newer(c, t, "vessel_static_latest", None) for c, t in (
                ("name", "name_ts"), ("callsign", "callsign_ts"), ("imo", "imo_ts"),
                ("ship_type", "ship_type_ts"), ("destination", "destination_ts"),
                ("length_m", "length_ts"))))


def fold_invalid(src: str) -> str:
    """SQL adding the positions ``src`` with an invalid MMSI to their numbers' counts."""
    return ("INSERT INTO invalid_mmsi " + INVALID_FROM.format(src=src)
            + " ON CONFLICT (mmsi, exercise) DO UPDATE SET "
            "reports = invalid_mmsi.reports + excluded.reports, "
            "last_ts = greatest(excluded.last_ts, invalid_mmsi.last_ts)")


def rebuild_state(db: Session) -> None:
    """Make the state tables again from the whole history, in one transaction, as the
    migration that made them did: for positions and static reports written other than
    through ingest (a test's rows, a repair by hand)."""
    with db.transaction() as tx:
        for table, columns, sql in (
                ("vessel_latest", LATEST_COLUMNS, LATEST_FROM),
                ("vessel_static_latest", STATIC_COLUMNS, STATIC_FROM),
                ("invalid_mmsi", "mmsi, exercise, reports, last_ts", INVALID_FROM)):
            tx.execute(f"DELETE FROM {table}")
            src = "vessels_static" if table == "vessel_static_latest" else "positions"
            tx.execute(f"INSERT INTO {table} ({columns}) " + sql.format(src=src))


def fold_new_rows(conn: Session, table: str, new: str, params: list[Any],
                  invalid: bool = True) -> None:
    """Fold the rows ``new`` (a subquery with ``params``: the rows about to be inserted
    into ``table``, not the copies it already holds) into the state tables: a copy heard
    again later, by another station, must not move a vessel's time or its static data
    back to an older report. Run before the insert, in its transaction. ``invalid``:
    whether the rows may hold invalid MMSIs (their counts are folded only then)."""
    if table == "positions":
        conn.execute(fold_latest(new), params).fetchall()
        if invalid:
            conn.execute(fold_invalid(new), params).fetchall()
    elif table == "vessels_static":
        conn.execute(fold_static(new), params).fetchall()


class IngestRepo:
    """The ingest tables of one store: the :class:`~khazar.ingest.batch.IngestSink` the
    pipeline writes to. ``db`` is the store (or any session on it)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    # runs ------------------------------------------------------------------------
    def run(self, run_id: str) -> RunRecord | None:
        row = self.db.execute(
            "SELECT run_id, source, kind, finished_at IS NOT NULL, lines, accepted, rejected, "
            "duplicates, reasons FROM ingest_runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            return None
        return RunRecord(str(row[0]), str(row[1]), str(row[2]), bool(row[3]), int(row[4]),
                         int(row[5]), int(row[6]), int(row[7]), json.loads(row[8]))

    def start_run(self, run_id: str, source: str, kind: str) -> None:
        """Record a run (kept as is when it exists: a restart continues it)."""
        self.db.execute(
            "INSERT INTO ingest_runs (run_id, started_at, source, kind) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", [run_id, datetime.now(UTC), source, kind]
        )

    @staticmethod
    def _progress(db: Session, run_id: str, lines: int, accepted: int, rejected: int,
                  duplicates: int, reasons: dict[str, int], finished: bool) -> None:
        db.execute(
            "UPDATE ingest_runs SET lines = ?, accepted = ?, rejected = ?, duplicates = ?, "
            "reasons = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END "
            "WHERE run_id = ? AND finished_at IS NULL",
            [lines, accepted, rejected, duplicates, json.dumps(reasons, sort_keys=True),
             finished, datetime.now(UTC), run_id],
        )

    # batches ---------------------------------------------------------------------
    def write(
        self, batch: IngestBatch, run_id: str, progress: tuple[int, int, int, int],
        reasons: dict[str, int], finished: bool = False,
    ) -> BatchCounts:
        """Append one batch and the run's progress, all in one transaction."""
        counts = BatchCounts()
        with self.db.transaction() as conn:
            # one writer at a time across processes: rows commit in rowid order, which is
            # what makes rowid a safe watermark for live readers (a no-op on DuckDB)
            conn.lock(INGEST_LOCK)
            self._append_lines(conn, "raw_sentences", batch.raw, batch.source, counts)
            self._append_lines(conn, "rejects", batch.rejects, batch.source, counts)
            self._append_keyed(conn, "positions", batch.positions,
                               ("mmsi", "report_ts", "msg_key"), "report_ts", counts, batch.source)
            self._append_keyed(conn, "base_stations", batch.bases,
                               ("mmsi", "report_ts", "msg_key"), "report_ts", counts,
                               batch.source)
            self._append_keyed(conn, "vessels_static", batch.statics, ("mmsi", "msg_key"),
                               None, counts, batch.source)
            self._append_keyed(conn, "detections", batch.detections,
                               ("ts", "lat", "lon", "source"), "ts", counts, batch.source)
            lines, accepted, rejected, dups = progress
            self._progress(conn, run_id, lines, accepted, rejected, dups + counts.duplicates,
                           reasons, finished)
        return counts

    def _append_lines(self, conn: Session, table: str,
                      data: pa.Table | None, source: str, counts: BatchCounts) -> None:
        if data is None or data.num_rows == 0:
            return
        counts.staged[table] = data.num_rows
        line_no = data.column("line_no")
        lo = pc.min(line_no).as_py()
        hi = pc.max(line_no).as_py()
        with conn.staged("_stage", data):
            row = conn.execute(
                f"SELECT count(*) FROM {table} WHERE source = ? AND line_no BETWEEN ? AND ?",
                [source, lo, hi],
            ).fetchone()
            if row is not None and row[0] == 0:
                sql = f"INSERT INTO {table} SELECT * FROM _stage"
                params: list[Any] = []
            else:
                sql = (f"INSERT INTO {table} SELECT s.* FROM _stage s WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {table} e WHERE e.source = ? AND e.line_no BETWEEN ? "
                       f"AND ? AND e.line_no = s.line_no)")
                params = [source, lo, hi]
            done = conn.execute(sql, params).fetchone()
            counts.inserted[table] = int(done[0]) if done else 0

    def _append_keyed(self, conn: Session, table: str,
                      data: pa.Table | None, key: tuple[str, ...], range_col: str | None,
                      counts: BatchCounts, batch_source: str) -> None:
        if data is None or data.num_rows == 0:
            return
        counts.staged[table] = data.num_rows
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        with conn.staged("_stage", data):
            params: list[Any] = []
            if range_col is not None:
                rc = data.column(range_col)
                params = [pc.min(rc).as_py(), pc.max(rc).as_py()]
            same = " AND ".join(f"e.{k} = s.{k}" for k in key)
            within = f"AND e.{range_col} BETWEEN ? AND ?" if range_col is not None else ""
            row = conn.execute(f"SELECT count(*) FROM _stage s WHERE EXISTS (SELECT 1 FROM "
                               f"{table} e WHERE {same} {within} AND e.source = ?)",
                               [*params, batch_source]).fetchone()
            counts.reread[table] = int(row[0]) if row else 0
            # keys are unique within a batch (the ingestor keeps the first of each)
            invalid = table == "positions" and not pc.all(data.column("mmsi_valid")).as_py()
            if invalid:
                row = conn.execute(
                    f"SELECT count(*) FROM _stage s WHERE NOT s.mmsi_valid AND NOT EXISTS "
                    f"(SELECT 1 FROM {table} e WHERE {same} {within})", params).fetchone()
                counts.invalid_mmsi = int(row[0]) if row else 0
            new = f"_stage s WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE {same} {within})"
            if table not in ("positions", "vessels_static"):
                done = conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {new}",
                                    params).fetchone()
            else:
                # the new rows found once, then inserted and folded into the state (a
                # failure rolls the batch's transaction back, this table with it)
                conn.execute(f"CREATE TEMP TABLE _new_rows AS SELECT s.* FROM {new}", params)
                fold_new_rows(conn, table, "_new_rows", [], invalid)
                done = conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} "
                                    "FROM _new_rows").fetchone()
                conn.execute("DROP TABLE _new_rows")
            counts.inserted[table] = int(done[0]) if done else 0

    def finish_run(self, run_id: str, progress: tuple[int, int, int, int],
                   reasons: dict[str, int]) -> None:
        with self.db.transaction() as tx:
            lines, accepted, rejected, dups = progress
            self._progress(tx, run_id, lines, accepted, rejected, dups, reasons, True)
