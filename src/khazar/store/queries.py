"""Read queries behind the vessels and tracks collections.

The ingest package owns the positions and static tables and writes them; these are the
console's read views of them (latest position + latest static per vessel; track
polylines). Every function takes the store (or any session on it), runs on a cursor of its
own (the API calls them from request threads) and returns plain values.

Positions flagged ``mmsi_valid = false`` (MMSI 0, 123456789, a MID outside 201–775) are
not vessels: one invalid number is often sent by many transmitters at once (the AMSA log's
"MMSI 0" reports lie 2,000 km apart), and joined into one they would make a ghost that jumps
across the sea. The picture and the tracks leave them out; :func:`invalid_mmsi_reports`
counts them, so the watch knows they are there (they stay in the store, in exports and in
detection, whose tracker splits impossible jumps and reports the invalid number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from khazar.domain.picture import BBox, Interval, TrackRow, VesselRow
from khazar.store.backend import Session

__all__ = [
    "TrackPage",
    "TrackRow",
    "VesselRow",
    "boat_status",
    "changed_vessels",
    "events",
    "invalid_mmsi_reports",
    "latest_vessels",
    "newest_position",
    "picture_time",
    "track_page",
    "tracks",
]




def _interval_sql(interval: Interval | None, column: str, args: list[object]) -> str:
    sql = ""
    if interval is not None and interval.start is not None:
        sql += f" AND {column} >= ?"
        args.append(interval.start)
    if interval is not None and interval.end is not None:
        sql += f" AND {column} <= ?"
        args.append(interval.end)
    return sql


def picture_time(db: Session, exercise: bool = False) -> datetime | None:
    """The time of the newest stored position: the clock of the recognised picture.

    From the state ingest keeps (each vessel's latest time, the newest report of each
    invalid MMSI): a row a vessel, however long the history."""
    cur = db.cursor()
    row = cur.execute(
        "SELECT greatest((SELECT max(ts) FROM vessel_latest WHERE exercise = ?), "
        "(SELECT max(last_ts) FROM invalid_mmsi WHERE exercise = ?))",
        [exercise, exercise]).fetchone()
    return row[0] if row and row[0] is not None else None


def newest_position(db: Session, exercise: bool = False) -> tuple[datetime, str] | None:
    """``(time, source)`` of the newest stored position (None when there is none): the
    picture's clock and the feed it came from (the positions at that one instant read: an
    index on PostgreSQL, DuckDB's zone maps skip the rest)."""
    clock = picture_time(db, exercise)
    if clock is None:
        return None
    row = db.cursor().execute("SELECT ts, source FROM positions WHERE exercise = ? AND ts = ? "
                              "LIMIT 1", [exercise, clock]).fetchone()
    return (row[0], str(row[1])) if row else None


_LATEST = "mmsi, ts, lat, lon, sog_kn, cog_deg, heading_deg, status"


def latest_vessels(
    db: Session,
    bbox: BBox | None = None,
    interval: Interval | None = None,
    limit: int = 1000,
    mmsi: int | None = None,
    exercise: bool = False,
    mmsis: list[int] | None = None,
) -> tuple[list[VesselRow], int]:
    """Each vessel's latest position inside ``interval`` (as of its end, for replay),
    filtered by ``bbox``; newest first. Returns (rows, number matched).

    Without an end to the interval (the live picture) the latest states come from
    ``vessel_latest``, a row a vessel that ingest keeps; as of a past time, from the
    positions up to it."""
    cur = db.cursor()
    args: list[object] = [exercise]
    where = "exercise = ?" + _interval_sql(interval, "ts", args)
    if mmsi is not None:
        where += " AND mmsi = ?"
        args.append(mmsi)
    if mmsis:
        where += f" AND mmsi IN ({','.join('?' * len(mmsis))})"
        args += mmsis
    if interval is None or interval.end is None:
        latest = f"SELECT {_LATEST} FROM vessel_latest WHERE {where}"
    else:
        # as ingest keeps vessel_latest (store.schema.LATEST_FROM): the position one whole
        # report, the last by (ts, report_ts, msg_key)
        latest = f"""SELECT mmsi, max(ts) AS ts,
                   max(lat) FILTER (WHERE nth = 1) AS lat,
                   max(lon) FILTER (WHERE nth = 1) AS lon,
                   coalesce(max(sog_kn) FILTER (WHERE nth = 1), arg_max(sog_kn, ts))
                       AS sog_kn,
                   coalesce(max(cog_deg) FILTER (WHERE nth = 1), arg_max(cog_deg, ts))
                       AS cog_deg,
                   coalesce(max(heading_deg) FILTER (WHERE nth = 1),
                            arg_max(heading_deg, ts)) AS heading_deg,
                   coalesce(max(status) FILTER (WHERE nth = 1), arg_max(status, ts))
                       AS status
            FROM (SELECT *, row_number() OVER (PARTITION BY mmsi ORDER BY ts DESC,
                                                report_ts DESC, msg_key DESC) AS nth
                  FROM positions WHERE {where} AND mmsi_valid) ranked
            GROUP BY mmsi"""
    box = ""
    if bbox is not None:
        box = "WHERE p.lon BETWEEN ? AND ? AND p.lat BETWEEN ? AND ?"
        args += [bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat]
    # the static data: each vessel's latest, as ingest keeps it (vessel_static_latest)
    sql = f"""
        WITH p AS ({latest}), m AS (
            SELECT p.*, s.name, s.callsign, s.imo, s.ship_type, s.destination, s.length_m
            FROM p LEFT JOIN vessel_static_latest s USING (mmsi) {box}
        )
        SELECT *, count(*) OVER () AS matched FROM m ORDER BY ts DESC, mmsi LIMIT ?
    """
    args.append(limit)
    rows = cur.execute(sql, args).fetchall()
    matched = int(rows[0][-1]) if rows else 0
    out = [
        VesselRow(
            mmsi=int(r[0]),
            ts=r[1],
            lat=float(r[2]),
            lon=float(r[3]),
            sog_kn=None if r[4] is None else float(r[4]),
            cog_deg=None if r[5] is None else float(r[5]),
            heading_deg=None if r[6] is None else int(r[6]),
            status=None if r[7] is None else int(r[7]),
            name=r[8],
            callsign=r[9],
            imo=None if r[10] is None else int(r[10]),
            ship_type=None if r[11] is None else int(r[11]),
            destination=r[12],
            length_m=None if r[13] is None else int(r[13]),
        )
        for r in rows
    ]
    return out, matched


def invalid_mmsi_reports(db: Session, interval: Interval | None = None,
                         exercise: bool = False, mmsi: int | None = None) -> tuple[int, int]:
    """``(reports, numbers)``: positions with an invalid MMSI in ``interval`` (of ``mmsi``
    when given), and how many distinct invalid numbers they carry; left out of the picture.
    Without an interval, from the counts ingest keeps (``invalid_mmsi``)."""
    args: list[object] = [exercise]
    if interval is None or (interval.start is None and interval.end is None):
        sql = "SELECT coalesce(sum(reports), 0), count(*) FROM invalid_mmsi WHERE exercise = ?"
        if mmsi is not None:
            sql += " AND mmsi = ?"
            args.append(mmsi)
        got = db.cursor().execute(sql, args).fetchone()
        return (int(got[0]), int(got[1])) if got else (0, 0)
    where = "exercise = ? AND NOT mmsi_valid" + _interval_sql(interval, "ts", args)
    if mmsi is not None:
        where += " AND mmsi = ?"
        args.append(mmsi)
    row = db.cursor().execute(
        f"SELECT count(*), count(DISTINCT mmsi) FROM positions WHERE {where}", args).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _track_filter(
    dialect: str,
    prefix: str,
    interval: Interval,
    mmsis: list[int] | None,
    bbox: BBox | None,
    exercise: bool,
) -> tuple[str, list[object]]:
    args: list[object] = [exercise]
    where = (f"{prefix}exercise = ? AND {prefix}mmsi_valid"
             + _interval_sql(interval, f"{prefix}ts", args))
    if mmsis:
        where += f" AND {prefix}mmsi IN ({','.join('?' * len(mmsis))})"
        args += mmsis
    if bbox is not None and dialect == "postgresql":  # PostGIS: the GiST index on geom
        where += f" AND {prefix}geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)"
        args += [bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat]
    elif bbox is not None:
        where += f" AND {prefix}lon BETWEEN ? AND ? AND {prefix}lat BETWEEN ? AND ?"
        args += [bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat]
    return where, args


def tracks(
    db: Session,
    interval: Interval,
    mmsis: list[int] | None = None,
    bbox: BBox | None = None,
    limit: int = 100,
    max_points: int = 2000,
    exercise: bool = False,
) -> tuple[list[TrackRow], int]:
    """Track polylines of the first ``limit`` vessels (by MMSI) with positions in
    ``interval`` (and ``bbox``), at most ``max_points`` per vessel (evenly thinned, keeping
    the last point), and how many vessels matched: one unbounded page of
    :func:`track_page`."""
    page = track_page(db, interval, mmsis, bbox, limit, max_points, exercise)
    return page.tracks, page.matched


#: rows converted at a time when a page is read
_FETCH_ROWS = 1000


@dataclass(frozen=True)
class TrackPage:
    """One page of tracks: the vessels' lines, how many vessels match in all, and the MMSI
    the next page starts after (None on the last page)."""

    tracks: list[TrackRow]
    matched: int
    next_after: int | None


def track_page(
    db: Session,
    interval: Interval,
    mmsis: list[int] | None = None,
    bbox: BBox | None = None,
    limit: int = 100,
    max_points: int = 2000,
    exercise: bool = False,
    after: int | None = None,
    page_points: int | None = None,
) -> TrackPage:
    """The tracks of the vessels after MMSI ``after`` (in MMSI order): at most ``limit``
    vessels and, when ``page_points`` is given, no more points than that (a page holds at
    least one vessel, which has at most ``max_points``). Each line is thinned in the
    database, so a page reads no more rows than it returns: a day of traffic comes back
    page by page, none of them megabytes (issue 18: four viewers of 10 MB answers stalled
    everyone's alerts)."""
    if max_points < 2:
        raise ValueError("max_points must be at least 2 (a line's first and last point)")
    cur = db.cursor()
    where, args = _track_filter(db.dialect, "", interval, mmsis, bbox, exercise)
    counted = cur.execute(f"SELECT count(DISTINCT mmsi) FROM positions WHERE {where}",
                          args).fetchone()
    matched = int(counted[0]) if counted else 0
    # the candidate vessels of this page and their points (one more than the page holds:
    # whether a next page follows)
    sizes = cur.execute(
        f"SELECT mmsi, count(*) FROM positions WHERE {where} AND mmsi > ? "
        "GROUP BY mmsi ORDER BY mmsi LIMIT ?", [*args, -1 if after is None else after,
                                                limit + 1]).fetchall()
    picked: list[int] = []
    points = 0
    for mmsi, n in sizes:
        cost = min(int(n), max_points)
        if len(picked) == limit or (
                picked and page_points is not None and points + cost > page_points):
            break
        picked.append(int(mmsi))
        points += cost
    more = len(picked) < len(sizes)
    if not picked:
        return TrackPage([], matched, None)
    # row i of a vessel's n points (in time order) is kept when n <= M, when it is the last,
    # or when it is floor(k * n / M) for some k in 0 .. M-2 (M = max_points): with
    # r = (n - i*M mod n) mod n, the smallest such k*n is i*M + r; it hits i when r < M.
    m = int(max_points)
    sql = f"""
        SELECT mmsi, ts, lat, lon, sog_kn FROM (
            SELECT mmsi, ts, lat, lon, sog_kn,
                   row_number() OVER w - 1 AS i, count(*) OVER (PARTITION BY mmsi) AS n
            FROM positions WHERE {where} AND mmsi BETWEEN ? AND ?
            WINDOW w AS (PARTITION BY mmsi ORDER BY ts, report_ts, msg_key)
        ) q
        WHERE n <= {m} OR i = n - 1
           OR ((n - (i * {m}) % n) % n < {m} AND i * {m} + (n - (i * {m}) % n) % n
               <= {m - 2} * n)
        ORDER BY mmsi, i
    """
    result = cur.execute(sql, [*args, picked[0], picked[-1]])
    lines: dict[int, TrackRow] = {}
    # read in chunks: one call converting a page's rows would hold the interpreter (and
    # every other request's thread) for its whole length
    while rows := result.fetchmany(_FETCH_ROWS):
        for mmsi, ts, lat, lon, sog in rows:
            line = lines.get(mmsi)
            if line is None:
                line = lines[mmsi] = TrackRow(int(mmsi), [], [], [], [])
            line.times.append(ts)
            line.lats.append(float(lat))
            line.lons.append(float(lon))
            line.sogs_kn.append(None if sog is None else float(sog))
    return TrackPage([lines[m_] for m_ in picked if m_ in lines], matched,
                     picked[-1] if more else None)


def events(
    db: Session,
    bbox: BBox | None = None,
    interval: Interval | None = None,
    limit: int = 1000,
    types: list[str] | None = None,
    mmsi: int | None = None,
    exercise: bool = False,
) -> tuple[list[dict[str, object]], int]:
    """Stored events (as the detection package wrote them) overlapping ``interval``."""
    cur = db.cursor()
    args: list[object] = [exercise]
    where = "exercise = ?"
    if interval is not None and interval.start is not None:
        where += " AND end_ts >= ?"
        args.append(interval.start)
    if interval is not None and interval.end is not None:
        where += " AND start_ts <= ?"
        args.append(interval.end)
    if types:
        where += f" AND type IN ({','.join('?' * len(types))})"
        args += types
    if mmsi is not None:
        where += " AND (mmsi = ? OR other_mmsi = ?)"
        args += [mmsi, mmsi]
    if bbox is not None:
        where += " AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?"
        args += [bbox.min_lon, bbox.max_lon, bbox.min_lat, bbox.max_lat]
    rows = cur.execute(
        "SELECT id, type, mmsi, other_mmsi, start_ts, end_ts, lat, lon, zone_id, asset_id, "
        f"evidence, is_open, count(*) OVER () FROM events WHERE {where} "
        "ORDER BY start_ts DESC, id LIMIT ?",
        [*args, limit],
    ).fetchall()
    matched = int(rows[0][-1]) if rows else 0
    keys = ("id", "type", "mmsi", "other_mmsi", "start", "end", "lat", "lon", "zone_id",
            "asset_id", "evidence", "open")
    return [dict(zip(keys, r[:-1], strict=True)) for r in rows], matched


def boat_status(db: Session) -> dict[str, tuple[str, str | None, datetime]]:
    """Boat name → (status, detail, updated_at), as the patrol package records them."""
    cur = db.cursor()
    rows = cur.execute("SELECT boat, status, detail, updated_at FROM boat_status").fetchall()
    return {str(b): (str(s), d, u) for b, s, d, u in rows}


def changed_vessels(
    db: Session, after_rowid: int, limit: int = 20_000
) -> tuple[list[VesselRow], int]:
    """Latest state of the (live, non-exercise) vessels with positions stored after row
    ``after_rowid``, and the newest rowid seen (the next watermark)."""
    cur = db.cursor()
    # the newest rowid from the watermark on (DuckDB skips the row groups below it, PostgreSQL
    # reads its index): max(rowid) over the whole table read every position on DuckDB,
    # at every live tick (27 ms at 10 M). Only when the watermark's own row is gone (rows
    # removed) the whole table's.
    row = cur.execute("SELECT max(rowid) FROM positions WHERE rowid >= ?",
                      [max(after_rowid, 0)]).fetchone()
    if row is None or row[0] is None:
        row = cur.execute("SELECT coalesce(max(rowid), -1) FROM positions").fetchone()
    top = int(row[0]) if row else -1
    if top <= after_rowid:
        return [], top
    mmsis = [
        int(r[0])
        for r in cur.execute(
            "SELECT DISTINCT mmsi FROM positions WHERE rowid > ? AND rowid <= ? AND NOT exercise",
            [after_rowid, top],
        ).fetchall()
    ]
    out: list[VesselRow] = []
    for start in range(0, len(mmsis), 1000):
        chunk = mmsis[start:start + 1000]
        rows, _ = latest_vessels(cur, limit=limit, mmsis=chunk)
        out += rows
    return out, top
