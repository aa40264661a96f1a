"""Reading stored records for export: one generator of plain dicts per kind.

A record is a flat dict of JSON-friendly values (ISO 8601 UTC strings for times) with ``lat``
and ``lon`` when it has a position, so every writer (JSON lines, CSV, GeoJSON, later KML/GPX)
can take any kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from khazar.store.db import Store
from khazar.units import to_utc

__all__ = ["iso_utc", "iter_positions", "iter_vessels"]


def iso_utc(t: datetime | None) -> str | None:
    """``2024-01-31T12:00:00Z`` (microseconds only when not zero)."""
    if t is None:
        return None
    return to_utc(t).replace(tzinfo=None).isoformat() + "Z"


def _rows(store: Store, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    cur = store.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    while chunk := cur.fetchmany(10_000):
        for row in chunk:
            rec = dict(zip(names, row, strict=True))
            for k, v in rec.items():
                if isinstance(v, datetime):
                    rec[k] = iso_utc(v)
            yield rec


def iter_positions(store: Store, *, exercise: bool | None = None,
                   mmsi: int | None = None) -> Iterator[dict[str, Any]]:
    """Every stored position, by time then MMSI: ``mmsi, timestamp, lat, lon, sog, cog,
    heading, status, msg_type, source, station, exercise`` (sog in knots, angles in degrees)."""
    where = ["TRUE"]
    params: list[Any] = []
    if exercise is not None:
        where.append("exercise = ?")
        params.append(exercise)
    if mmsi is not None:
        where.append("mmsi = ?")
        params.append(mmsi)
    sql = (
        "SELECT mmsi, ts AS timestamp, lat, lon, round(sog_kn::DOUBLE PRECISION, 1) AS sog, "
        "round(cog_deg::DOUBLE PRECISION, 1) AS cog, heading_deg AS heading, status, msg_type, "
        "source, station, exercise FROM positions WHERE " + " AND ".join(where)
        + " ORDER BY ts, mmsi, report_ts, msg_key"
    )
    return _rows(store, sql, params)


def iter_vessels(store: Store) -> Iterator[dict[str, Any]]:
    """One record per MMSI: latest known static fields and latest position.

    ``length_m`` = to_bow + to_stern, ``beam_m`` = to_port + to_starboard when both are known.
    """
    sql = """
        WITH s AS (
            SELECT mmsi,
                last(name ORDER BY ts, rowid) FILTER (WHERE name IS NOT NULL) AS name,
                last(callsign ORDER BY ts, rowid) FILTER (WHERE callsign IS NOT NULL) AS callsign,
                last(imo ORDER BY ts, rowid) FILTER (WHERE imo IS NOT NULL) AS imo,
                last(ship_type ORDER BY ts, rowid) FILTER (WHERE ship_type IS NOT NULL)
                    AS ship_type,
                last(to_bow_m ORDER BY ts, rowid) FILTER (WHERE to_bow_m IS NOT NULL)
                    AS to_bow_m,
                last(to_stern_m ORDER BY ts, rowid) FILTER (WHERE to_stern_m IS NOT NULL)
                    AS to_stern_m,
                last(to_port_m ORDER BY ts, rowid) FILTER (WHERE to_port_m IS NOT NULL)
                    AS to_port_m,
                last(to_starboard_m ORDER BY ts, rowid)
                    FILTER (WHERE to_starboard_m IS NOT NULL) AS to_starboard_m,
                round(last(draught_m::DOUBLE PRECISION ORDER BY ts, rowid)
                      FILTER (WHERE draught_m IS NOT NULL), 1) AS draught_m,
                last(destination ORDER BY ts, rowid) FILTER (WHERE destination IS NOT NULL)
                    AS destination,
                max(ts) AS static_at
            FROM vessels_static GROUP BY mmsi
        ), p AS (
            SELECT mmsi, last(lat ORDER BY ts, rowid) AS lat, last(lon ORDER BY ts, rowid) AS lon,
                   max(ts) AS last_seen, count(*) AS positions
            FROM positions GROUP BY mmsi
        )
        SELECT mmsi, s.name, s.callsign, s.imo, s.ship_type, s.to_bow_m, s.to_stern_m,
               s.to_port_m, s.to_starboard_m, s.to_bow_m + s.to_stern_m AS length_m,
               s.to_port_m + s.to_starboard_m AS beam_m, s.draught_m, s.destination,
               s.static_at, p.last_seen, p.lat, p.lon, coalesce(p.positions, 0) AS positions
        FROM s FULL OUTER JOIN p USING (mmsi)
        ORDER BY mmsi
    """
    return _rows(store, sql, [])
