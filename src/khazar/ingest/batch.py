"""One batch of ingested rows as Arrow tables, and the sink the pipeline writes them to.

The pipeline is pure: it decodes lines into an :class:`IngestBatch` and hands it to an
:class:`IngestSink` (the store's ``IngestRepo``, or anything else that keeps rows), which
writes each batch and the run's progress all or nothing and de-duplicates against what it
already holds. Times are µs since the epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from khazar.domain.vessels import mmsi_valid_array

__all__ = [
    "BatchCounts",
    "IngestBatch",
    "IngestSink",
    "RunRecord",
    "bases_table",
    "detections_table",
    "positions_table",
    "raw_table",
    "rejects_table",
    "statics_table",
]

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
    #: positions inserted whose MMSI is invalid (stored with ``mmsi_valid`` false)
    invalid_mmsi: int = 0

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
def _lines_table(source: str, line_no: list[int], received_us: list[int],
                 texts: dict[str, list[str]]) -> pa.Table:
    """A table of received lines: where and when each came, then its text columns (in the
    order given, as the table's schema has them)."""
    n = len(line_no)
    return pa.table({
        "source": pa.array([source] * n, pa.string()),
        "line_no": pa.array(line_no, pa.int64()),
        "received_at": pa.array(received_us, pa.int64()).cast(_TS),
        **{name: pa.array(values, pa.string()) for name, values in texts.items()},
    })


def raw_table(
    source: str, line_no: list[int], received_us: list[int], station: list[str], line: list[str]
) -> pa.Table:
    return _lines_table(source, line_no, received_us, {"station": station, "line": line})


def rejects_table(
    source: str, line_no: list[int], received_us: list[int], reason: list[str],
    detail: list[str], line: list[str],
) -> pa.Table:
    return _lines_table(source, line_no, received_us,
                        {"reason": reason, "detail": detail, "line": line})


def _masked(values: npt.NDArray[Any], mask: npt.NDArray[np.bool_], typ: pa.DataType) -> pa.Array:
    return pa.array(values, mask=mask, type=typ) if mask.any() else pa.array(values, type=typ)


def positions_table(cols: dict[str, Any], source: str, exercise: bool) -> pa.Table:
    """Arrow table of positions from decoder columns (NaN / -1 = not available); each row
    flagged ``mmsi_valid`` (:func:`khazar.domain.vessels.mmsi_kind`)."""
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
        "mmsi_valid": pa.array(cols["mmsi_valid"] if "mmsi_valid" in cols
                               else mmsi_valid_array(cols["mmsi"]), pa.bool_()),
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


class IngestSink(Protocol):
    """Where the pipeline's batches go. Each call is atomic; re-writing rows already held
    (same keys) adds nothing and is counted in :class:`BatchCounts`."""

    def run(self, run_id: str) -> RunRecord | None:
        """The run recorded under ``run_id`` (a file's content hash), or None."""
        ...

    def start_run(self, run_id: str, source: str, kind: str) -> None:
        """Record a run (kept as is when it exists: a restart continues it)."""
        ...

    def write(
        self, batch: IngestBatch, run_id: str, progress: tuple[int, int, int, int],
        reasons: dict[str, int], finished: bool = False,
    ) -> BatchCounts:
        """Append one batch and the run's progress ``(lines, accepted, rejected,
        duplicates)`` in one transaction."""
        ...

    def finish_run(self, run_id: str, progress: tuple[int, int, int, int],
                   reasons: dict[str, int]) -> None:
        """Mark the run finished with its final counts."""
        ...
