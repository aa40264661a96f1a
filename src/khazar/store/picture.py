"""Reads of stored positions for the picture (latest state per vessel) and back-tracing.

Read-only SQL over ``positions`` and ``vessels_static`` (written by ingest). Times come
out as UTC datetimes or epoch seconds, speeds in knots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from khazar.detect.adapters import FISHING_SHIP_TYPE
from khazar.detect.base import Detections
from khazar.detect.geography import DetectGeography
from khazar.detect.reception import ReceptionMap, learn_reception
from khazar.domain import VesselState
from khazar.domain.fixes import VesselFixes
from khazar.store.backend import Session
from khazar.tracks import Fixes

__all__ = ["fishing_mmsis", "fixes_in_box", "latest_states", "load_detections", "load_fixes",
           "load_reception", "ship_types"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def latest_states(
    store: Session,
    at: datetime | None = None,
    max_age: timedelta | None = None,
    include_exercise: bool = False,
) -> list[VesselState]:
    """The last position of every vessel at ``at`` (default: the latest stored), with its
    latest known name and ship type; vessels silent longer than ``max_age`` left out."""
    where = ["TRUE"]
    params: list[object] = []
    if at is not None:
        where.append("p.ts <= ?")
        params.append(at)
    if not include_exercise:
        where.append("NOT p.exercise")
    where.append("p.mmsi_valid")  # an invalid MMSI is no vessel (see store.queries)
    sql = f"""
        WITH last AS (
            SELECT p.mmsi, arg_max(epoch_us(p.ts), p.ts) AS t_us,
                   arg_max(p.lat, p.ts) AS lat, arg_max(p.lon, p.ts) AS lon,
                   arg_max(p.sog_kn, p.ts) AS sog, arg_max(p.cog_deg, p.ts) AS cog,
                   arg_max(p.heading_deg, p.ts) AS heading, arg_max(p.status, p.ts) AS status
            FROM positions p WHERE {" AND ".join(where)} GROUP BY p.mmsi
        ), names AS (
            SELECT mmsi, arg_max(name, ts) FILTER (WHERE name IS NOT NULL) AS name,
                   arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type
            FROM vessels_static GROUP BY mmsi
        )
        SELECT l.mmsi, l.t_us, l.lat, l.lon, l.sog, l.cog, l.heading, l.status, n.name,
               n.ship_type
        FROM last l LEFT JOIN names n USING (mmsi) ORDER BY l.mmsi
    """
    rows = store.execute(sql, params).fetchall()
    out = [
        VesselState(
            mmsi=int(m),
            timestamp=_EPOCH + timedelta(microseconds=int(t)),
            lat=float(lat),
            lon=float(lon),
            sog_kn=None if sog is None else float(sog),
            cog_deg=None if cog is None else float(cog),
            heading_deg=None if hdg is None else int(hdg),
            status=None if st is None else int(st),
            name=(name or "").strip() or None,
            ship_type=None if typ is None else int(typ),
        )
        for m, t, lat, lon, sog, cog, hdg, st, name, typ in rows
    ]
    if max_age is not None and out:
        ref = at or max(v.timestamp for v in out)
        out = [v for v in out if ref - v.timestamp <= max_age]
    return out


def fixes_in_box(
    store: Session,
    start: datetime,
    end: datetime,
    box: tuple[float, float, float, float],
    pad: timedelta = timedelta(hours=1),
    include_exercise: bool = False,
) -> list[VesselFixes]:
    """Every fix from ``start − pad`` to ``end + pad`` of each vessel that had at least one
    fix inside ``box`` = (min_lat, min_lon, max_lat, max_lon) between ``start`` and ``end``
    (the padding lets tracks be interpolated across the window's edges)."""
    min_lat, min_lon, max_lat, max_lon = box
    ex = "" if include_exercise else " AND NOT exercise"
    sql = f"""
        WITH cand AS (
            SELECT DISTINCT mmsi FROM positions
            WHERE ts BETWEEN ? AND ? AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?{ex}
              AND mmsi_valid
        )
        SELECT p.mmsi, epoch_us(p.ts) / 1e6, p.lat, p.lon, p.sog_kn, p.status
        FROM positions p JOIN cand USING (mmsi)
        WHERE p.ts BETWEEN ? AND ?{ex.replace("exercise", "p.exercise")}
        ORDER BY p.mmsi, p.ts, p.report_ts, p.msg_key
    """
    rows = store.execute(
        sql, [start, end, min_lat, max_lat, min_lon, max_lon, start - pad, end + pad]
    ).fetchall()
    by_mmsi: dict[int, list[tuple[float, float, float, float, int]]] = {}
    for m, t, lat, lon, sog, st in rows:
        by_mmsi.setdefault(int(m), []).append(
            (
                float(t),
                float(lat),
                float(lon),
                np.nan if sog is None else float(sog),
                -1 if st is None else int(st),
            )
        )
    out: list[VesselFixes] = []
    for mmsi, recs in by_mmsi.items():
        arr = np.asarray(recs, dtype=np.float64)
        # one fix per instant (several receivers): keep the first
        _, first = np.unique(arr[:, 0], return_index=True)
        arr = arr[np.sort(first)]
        out.append(
            VesselFixes(
                mmsi=mmsi,
                t_s=arr[:, 0].copy(),
                lat=arr[:, 1].copy(),
                lon=arr[:, 2].copy(),
                sog_kn=arr[:, 3].copy(),
                status=arr[:, 4].astype(np.int16),
            )
        )
    return out


def ship_types(store: Session) -> dict[int, int]:
    """The latest AIS ship type reported by each vessel (static data), for the alert rules
    (the state ingest keeps: a row a vessel)."""
    rows = store.execute(
        "SELECT mmsi, ship_type FROM vessel_static_latest WHERE ship_type IS NOT NULL"
    ).fetchall()
    return {int(m): int(t) for m, t in rows}


def fishing_mmsis(store: Session) -> set[int]:
    """Vessels whose latest static report gives ship type 30 (fishing)."""
    return {m for m, t in ship_types(store).items() if t == FISHING_SHIP_TYPE}


def load_fixes(store: Session, include_exercise: bool = True) -> Fixes:
    """Every stored position as columnar arrays (one DuckDB scan to Arrow → NumPy)."""
    where = "" if include_exercise else "WHERE NOT exercise"
    tbl = store.execute(
        "SELECT mmsi, epoch_us(ts) / 1e6 AS t, lat, lon, sog_kn, cog_deg, "
        f"coalesce(heading_deg, -1) AS hd, coalesce(status, -1) AS st FROM positions {where} "
        # a total order: reports of one vessel at the same second (two message types, two
        # stations' clocks) reach the detectors in the same order on every backend and run
        "ORDER BY mmsi, ts, report_ts, msg_key"
    ).fetchnumpy()
    return Fixes.from_arrays(
        tbl["mmsi"], tbl["t"], tbl["lat"], tbl["lon"],
        np.asarray(np.ma.filled(np.ma.asarray(tbl["sog_kn"], dtype=np.float64), np.nan)),
        np.asarray(np.ma.filled(np.ma.asarray(tbl["cog_deg"], dtype=np.float64), np.nan)),
        tbl["hd"], tbl["st"])


def load_detections(store: Session, include_exercise: bool = True) -> Detections:
    """Every stored radar/SAR detection."""
    where = "" if include_exercise else "WHERE NOT exercise"
    tbl = store.execute(
        "SELECT epoch_us(ts) / 1e6 AS t, lat, lon, length_m, source FROM detections "
        f"{where} ORDER BY ts, lat, lon, source").fetchnumpy()
    length = np.asarray(np.ma.filled(np.ma.asarray(tbl["length_m"], dtype=np.float64), np.nan))
    return Detections(np.asarray(tbl["t"], np.float64), np.asarray(tbl["lat"], np.float64),
                      np.asarray(tbl["lon"], np.float64), length,
                      np.asarray(tbl["source"]).astype(str))


def load_reception(store: Session, geo: DetectGeography, days: float) -> ReceptionMap:
    """The reception map learned from the last ``days`` of stored positions (before the
    newest; exercise positions are not traffic), the geography's receivers as the prior."""
    top = store.execute("SELECT max(ts) FROM positions WHERE NOT exercise").fetchone()
    newest = top[0] if top is not None else None
    if newest is None or days <= 0:
        empty = np.empty(0)
        return learn_reception(empty.astype(np.int64), empty, empty, empty, geo.receivers, days)
    tbl = store.execute(
        "SELECT mmsi, epoch_us(ts) / 1e6 AS t, lat, lon FROM positions "
        "WHERE NOT exercise AND ts >= ?", [newest - timedelta(days=days)]).fetchnumpy()
    return learn_reception(np.asarray(tbl["mmsi"], np.int64), np.asarray(tbl["t"], np.float64),
                           np.asarray(tbl["lat"], np.float64),
                           np.asarray(tbl["lon"], np.float64), geo.receivers, days)
