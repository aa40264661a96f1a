"""Writing ingested data: bulk appends from Arrow tables, de-duplicated by anti-joins.

Each batch is written in one transaction together with the progress of its run, so a crash
(even SIGKILL) leaves the store at a batch boundary, and re-running the same input adds
nothing. Uniqueness keys (see :mod:`khazar.store.schema`):

- raw_sentences, rejects: (source, line_no)
- positions, base_stations: (mmsi, report_ts, msg_key)
- vessels_static: (mmsi, msg_key)
- detections: (ts, lat, lon, source)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from khazar.store.db import Store

__all__ = ["BatchCounts", "IngestBatch", "IngestRepo", "RunRecord"]

_TS = pa.timestamp("us", tz="UTC")


@dataclass(slots=True)
class IngestBatch:
    """Columns of one batch, ready to append. Times are µs since the epoch (UTC)."""

    source: str
    raw: pa.Table | None = None
    positions: pa.Table | None = None
    statics: pa.Table | None = None
    bases: pa.Table | None = None
    detections: pa.Table | None = None
    rejects: pa.Table | None = None


@dataclass(slots=True)
class BatchCounts:
    """Rows staged and rows actually inserted (the difference are duplicates)."""

    staged: dict[str, int] = field(default_factory=dict)
    inserted: dict[str, int] = field(default_factory=dict)
    #: rows already stored from the same source: a re-read (restart, --force), not a duplicate
    reread: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        return sum(self.staged[k] - self.inserted.get(k, 0) - self.reread.get(k, 0)
                   for k in self.staged if k not in ("raw_sentences", "rejects"))


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    source: str
    kind: str
    finished: bool
    lines: int
    accepted: int
    rejected: int
    duplicates: int
    reasons: dict[str, int]


# ---------------------------------------------------------------- Arrow builders
def raw_table(
    source: str, line_no: list[int], received_us: list[int], station: list[str], line: list[str]
) -> pa.Table:
    n = len(line_no)
    return pa.table({
        "source": pa.array([source] * n, pa.string()),
        "line_no": pa.array(line_no, pa.int64()),
        "received_at": pa.array(received_us, pa.int64()).cast(_TS),
        "station": pa.array(station, pa.string()),
        "line": pa.array(line, pa.string()),
    })


def rejects_table(
    source: str, line_no: list[int], received_us: list[int], reason: list[str],
    detail: list[str], line: list[str],
) -> pa.Table:
    n = len(line_no)
    return pa.table({
        "source": pa.array([source] * n, pa.string()),
        "line_no": pa.array(line_no, pa.int64()),
        "received_at": pa.array(received_us, pa.int64()).cast(_TS),
        "reason": pa.array(reason, pa.string()),
        "detail": pa.array(detail, pa.string()),
        "line": pa.array(line, pa.string()),
    })


def _masked(values: npt.NDArray[Any], mask: npt.NDArray[np.bool_], typ: pa.DataType) -> pa.Array:
    return pa.array(values, mask=mask, type=typ) if mask.any() else pa.array(values, type=typ)


def positions_table(cols: dict[str, Any], source: str, exercise: bool) -> pa.Table:
    """Arrow table of positions from decoder columns (NaN / -1 = not available)."""
    n = len(cols["mmsi"])
    sog = cols["sog"]
    cog = cols["cog"]
    heading = cols["heading"]
    status = cols["status"]
    return pa.table({
        "mmsi": pa.array(cols["mmsi"], pa.int32()),
        "ts": pa.array(cols["ts_us"], pa.int64()).cast(_TS),
        "lat": pa.array(cols["lat"], pa.float64()),
        "lon": pa.array(cols["lon"], pa.float64()),
        "sog_kn": _masked(sog.astype(np.float32), np.isnan(sog), pa.float32()),
        "cog_deg": _masked(cog.astype(np.float32), np.isnan(cog), pa.float32()),
        "heading_deg": _masked(heading.astype(np.int16), heading < 0, pa.int16()),
        "status": _masked(status.astype(np.int8), status < 0, pa.int8()),
        "msg_type": pa.array(cols["msg_type"].astype(np.int8), pa.int8()),
        "source": pa.array([source] * n, pa.string()),
        "exercise": pa.array(np.full(n, exercise), pa.bool_()),
        "station": pa.array(cols["station"], pa.string()),
        "report_ts": pa.array(cols["report_s"] * 1_000_000, pa.int64()).cast(_TS),
        "msg_key": pa.array(cols["msg_key"], pa.uint64()),
    })


_STATIC_COLS = ("mmsi", "ts", "msg_type", "name", "callsign", "imo", "ship_type", "to_bow_m",
                "to_stern_m", "to_port_m", "to_starboard_m", "draught_m", "destination",
                "station", "msg_key")
_STATIC_TYPES = (pa.int32(), pa.int64(), pa.int8(), pa.string(), pa.string(), pa.int32(),
                 pa.int16(), pa.int16(), pa.int16(), pa.int16(), pa.int16(), pa.float32(),
                 pa.string(), pa.string(), pa.uint64())


def statics_table(rows: list[tuple[Any, ...]], source: str) -> pa.Table:
    """Rows ``(mmsi, ts_us, msg_type, name, callsign, imo, ship_type, bow, stern, port,
    starboard, draught_m, destination, station, msg_key)``."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in _STATIC_COLS]
    arrays = {name: pa.array(list(c), t) for name, c, t in zip(_STATIC_COLS, cols, _STATIC_TYPES,
                                                               strict=True)}
    arrays["ts"] = arrays["ts"].cast(_TS)
    arrays["source"] = pa.array([source] * len(rows), pa.string())
    return pa.table(arrays)


def bases_table(rows: list[tuple[Any, ...]], source: str) -> pa.Table:
    """Rows ``(mmsi, ts_us, lat, lon, station_time_us, station, msg_key, report_s)``."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(8)]
    return pa.table({
        "mmsi": pa.array(list(cols[0]), pa.int32()),
        "ts": pa.array(list(cols[1]), pa.int64()).cast(_TS),
        "lat": pa.array(list(cols[2]), pa.float64()),
        "lon": pa.array(list(cols[3]), pa.float64()),
        "station_time": pa.array(list(cols[4]), pa.int64()).cast(_TS),
        "source": pa.array([source] * len(rows), pa.string()),
        "station": pa.array(list(cols[5]), pa.string()),
        "report_ts": pa.array([s * 1_000_000 for s in cols[7]], pa.int64()).cast(_TS),
        "msg_key": pa.array(list(cols[6]), pa.uint64()),
    })


def detections_table(rows: list[tuple[int, float, float, float | None, str]],
                     exercise: bool) -> pa.Table:
    """Rows ``(ts_us, lat, lon, length_m, source)``."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(5)]
    return pa.table({
        "ts": pa.array(list(cols[0]), pa.int64()).cast(_TS),
        "lat": pa.array(list(cols[1]), pa.float64()),
        "lon": pa.array(list(cols[2]), pa.float64()),
        "length_m": pa.array(list(cols[3]), pa.float32()),
        "source": pa.array(list(cols[4]), pa.string()),
        "exercise": pa.array([exercise] * len(rows), pa.bool_()),
    })


# ---------------------------------------------------------------- repository
class IngestRepo:
    """The ingest tables of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn: duckdb.DuckDBPyConnection = store.conn

    # runs ------------------------------------------------------------------------
    def run(self, run_id: str) -> RunRecord | None:
        row = self.conn.execute(
            "SELECT run_id, source, kind, finished_at IS NOT NULL, lines, accepted, rejected, "
            "duplicates, reasons FROM ingest_runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            return None
        return RunRecord(str(row[0]), str(row[1]), str(row[2]), bool(row[3]), int(row[4]),
                         int(row[5]), int(row[6]), int(row[7]), json.loads(row[8]))

    def start_run(self, run_id: str, source: str, kind: str) -> None:
        """Record a run (kept as is when it exists: a restart continues it)."""
        self.conn.execute(
            "INSERT INTO ingest_runs (run_id, started_at, source, kind) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", [run_id, datetime.now(UTC), source, kind]
        )

    def _progress(self, run_id: str, lines: int, accepted: int, rejected: int,
                  duplicates: int, reasons: dict[str, int], finished: bool) -> None:
        self.conn.execute(
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
        with self.store.transaction() as conn:
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
            self._progress(run_id, lines, accepted, rejected, dups + counts.duplicates, reasons,
                           finished)
        return counts

    def _append_lines(self, conn: duckdb.DuckDBPyConnection, table: str,
                      data: pa.Table | None, source: str, counts: BatchCounts) -> None:
        if data is None or data.num_rows == 0:
            return
        counts.staged[table] = data.num_rows
        line_no = data.column("line_no")
        lo = pa.compute.min(line_no).as_py()
        hi = pa.compute.max(line_no).as_py()
        conn.register("_stage", data)
        try:
            row = conn.execute(
                f"SELECT count(*) FROM {table} WHERE source = ? AND line_no BETWEEN ? AND ?",
                [source, lo, hi],
            ).fetchone()
            if row is not None and row[0] == 0:
                sql = f"INSERT INTO {table} SELECT * FROM _stage"
                params: list[Any] = []
            else:
                sql = (f"INSERT INTO {table} SELECT s.* FROM _stage s ANTI JOIN "
                       f"(SELECT line_no FROM {table} WHERE source = ? AND line_no BETWEEN ? "
                       f"AND ?) e USING (line_no)")
                params = [source, lo, hi]
            done = conn.execute(sql, params).fetchone()
            counts.inserted[table] = int(done[0]) if done else 0
        finally:
            conn.unregister("_stage")

    def _append_keyed(self, conn: duckdb.DuckDBPyConnection, table: str,
                      data: pa.Table | None, key: tuple[str, ...], range_col: str | None,
                      counts: BatchCounts, batch_source: str) -> None:
        if data is None or data.num_rows == 0:
            return
        counts.staged[table] = data.num_rows
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        keys = ", ".join(key)
        conn.register("_stage", data)
        try:
            where = ""
            params: list[Any] = []
            if range_col is not None:
                rc = data.column(range_col)
                where = f"WHERE {range_col} BETWEEN ? AND ?"
                params = [pa.compute.min(rc).as_py(), pa.compute.max(rc).as_py()]
            existing = f"(SELECT {keys} FROM {table} {where or 'WHERE TRUE'} AND source = ?)"
            row = conn.execute(f"SELECT count(*) FROM _stage s SEMI JOIN {existing} e "
                               f"USING ({keys})", [*params, batch_source]).fetchone()
            counts.reread[table] = int(row[0]) if row else 0
            # keys are unique within a batch (the ingestor keeps the first of each)
            sql = (
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _stage s ANTI JOIN "
                f"(SELECT {keys} FROM {table} {where}) e USING ({keys})"
            )
            done = conn.execute(sql, params).fetchone()
            counts.inserted[table] = int(done[0]) if done else 0
        finally:
            conn.unregister("_stage")

    def finish_run(self, run_id: str, progress: tuple[int, int, int, int],
                   reasons: dict[str, int]) -> None:
        with self.store.transaction():
            lines, accepted, rejected, dups = progress
            self._progress(run_id, lines, accepted, rejected, dups, reasons, True)
