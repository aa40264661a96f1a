"""The SQL of the live runtime (:mod:`khazar.live`): rowid watermarks, the rows stored since a
watermark, the vessels the publisher sends, and the writes of live detection.

Rows are found by their insertion order (DuckDB's ``rowid``): whatever this process stored
(UDP, TCP, a followed file, an API upload) is seen once. The caller holds the store lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

import numpy.typing as npt

from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState
from khazar.domain.picture import VesselRow
from khazar.store import queries
from khazar.store.alerts import list_alerts
from khazar.store.db import Store
from khazar.store.events import upsert_events

__all__ = [
    "changed_vessels",
    "delete_events",
    "detections_between",
    "new_alerts",
    "positions_between",
    "replay_origin",
    "ship_types_between",
    "store_events",
    "top_rowid",
]

#: the tables whose rowid is a watermark (a closed set: the name goes into the SQL text)
LiveTable = Literal["positions", "detections", "vessels_static"]
_TABLES: frozenset[str] = frozenset({"positions", "detections", "vessels_static"})

Columns = dict[str, npt.NDArray[Any]]


def top_rowid(store: Store, table: LiveTable) -> int:
    """The newest rowid of ``table``; -1 when it is empty."""
    if table not in _TABLES:
        raise ValueError(f"no rowid watermark on table {table!r}")
    row = store.conn.execute(f"SELECT coalesce(max(rowid), -1) FROM {table}").fetchone()
    return int(row[0]) if row else -1


def replay_origin(store: Store, table: LiveTable, origin: int, hours: float) -> int:
    """The watermark from which a detection taking another's over re-reads ``table``: its
    ``origin``, or later, so that only the last ``hours`` before the newest row's time are
    read again (older history is `khazar detect`'s job, as at a server's start)."""
    if table not in _TABLES:
        raise ValueError(f"no rowid watermark on table {table!r}")
    row = store.conn.execute(
        f"SELECT min(rowid) FROM {table} WHERE rowid > ? AND ts >= "
        f"(SELECT max(ts) FROM {table}) - ? * INTERVAL '1 hour'", [origin, hours]).fetchone()
    if row is None or row[0] is None:
        return origin
    return max(origin, int(row[0]) - 1)


def _flag(exercise: bool) -> str:
    return "exercise" if exercise else "NOT exercise"


def positions_between(store: Store, after: int, upto: int, exercise: bool) -> Columns:
    """Positions with ``after < rowid <= upto`` (exercise ones or live ones), oldest first, as
    columns: mmsi, t (epoch s), lat, lon (degrees), sog_kn, cog_deg (masked when unknown),
    hd (heading in degrees, -1 unknown) and st (navigational status, -1 unknown)."""
    cols: Columns = store.conn.execute(
        "SELECT mmsi, epoch_us(ts) / 1e6 AS t, lat, lon, sog_kn, cog_deg, "
        "coalesce(heading_deg, -1) AS hd, coalesce(status, -1) AS st FROM positions "
        f"WHERE rowid > ? AND rowid <= ? AND {_flag(exercise)} ORDER BY ts, rowid",
        [after, upto],
    ).fetchnumpy()
    return cols


def detections_between(store: Store, after: int, upto: int, exercise: bool) -> Columns:
    """Radar/SAR detections with ``after < rowid <= upto``, oldest first, as columns: t (epoch
    s), lat, lon (degrees), length_m (masked when unknown) and source."""
    cols: Columns = store.conn.execute(
        "SELECT epoch_us(ts) / 1e6 AS t, lat, lon, length_m, source FROM detections "
        f"WHERE rowid > ? AND rowid <= ? AND {_flag(exercise)} ORDER BY ts, rowid",
        [after, upto],
    ).fetchnumpy()
    return cols


def ship_types_between(store: Store, after: int, upto: int) -> list[tuple[int, float, int]]:
    """The latest ship type each vessel gave in the static reports with ``after < rowid <=
    upto``: (mmsi, its report's epoch s, AIS ship type)."""
    rows = store.conn.execute(
        "SELECT mmsi, epoch_us(max(ts)) / 1e6, arg_max(ship_type, ts) FROM vessels_static "
        "WHERE rowid > ? AND rowid <= ? AND ship_type IS NOT NULL GROUP BY mmsi",
        [after, upto],
    ).fetchall()
    return [(int(m), float(t), int(k)) for m, t, k in rows]


def changed_vessels(store: Store, after: int) -> tuple[list[VesselRow], int, datetime | None]:
    """Latest state of the live vessels with positions stored after row ``after``, the newest
    rowid seen (the next watermark) and the picture's clock (newest position time)."""
    cur = store.conn.cursor()
    rows, top = queries.changed_vessels(cur, after)
    return rows, top, queries.picture_time(cur)


def store_events(store: Store, events: Iterable[Event], detected_at: datetime,
                 exercise: bool) -> int:
    """Insert or update live events, all or nothing; returns the number of rows written."""
    with store.transaction() as tx:
        return upsert_events(tx, events, detected_at=detected_at, exercise=exercise)


def delete_events(store: Store, ids: Sequence[str]) -> None:
    """Delete events by id (provisional ones the committed path withdrew)."""
    if ids:
        store.conn.execute(f"DELETE FROM events WHERE id IN ({', '.join('?' * len(ids))})",
                           list(ids))


def new_alerts(store: Store) -> list[Alert]:
    """Alerts still in state ``new`` (not acknowledged), exercise ones included."""
    return list_alerts(store.conn, [AlertState.new])

