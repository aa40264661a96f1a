"""The store's schema as a list of migrations. The version is the index of the last one applied.

Never edit a migration that has shipped: append a new one. An older store is migrated
forward on open; a newer one is refused (see :mod:`khazar.store.db`).

One description for both databases: the statements are written in DuckDB's types and
:func:`statements` renders them for PostgreSQL (``DOUBLE`` → ``DOUBLE PRECISION``,
``TINYINT`` → ``SMALLINT``, ``UBIGINT`` → ``NUMERIC(20,0)``). A statement only one
database needs is a :class:`Only`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["INVALID_FROM", "LATEST_COLUMNS", "LATEST_FROM", "MIGRATIONS", "POSTGRES_VOCABULARY",
           "SCHEMA_VERSION", "STATIC_COLUMNS", "STATIC_FROM", "Only", "statements"]


@dataclass(frozen=True)
class Only:
    """A statement for one dialect (``duckdb`` or ``postgresql``); the other skips it."""

    dialect: str
    sql: str

_V1 = [
    """CREATE TABLE IF NOT EXISTS meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )""",
    # Every raw line as received (blank lines and comments aside), before decoding, so that
    # everything can be re-decoded. One row per (source, line_no): re-ingest adds nothing.
    # source = the feed ("sample.nmea@3f2a9c01d2e4" for a file: name and content hash),
    # station = the receiving station named by the line's wrapper (tag block s:, USCG r/b).
    """CREATE TABLE IF NOT EXISTS raw_sentences (
        source VARCHAR NOT NULL,
        line_no BIGINT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        station VARCHAR NOT NULL,
        line VARCHAR NOT NULL
    )""",
    # ts = receive time (wrapper time, else the feed's receive time); report_ts = the same
    # moved to the report's own UTC second. (mmsi, report_ts, msg_key) is unique: copies of
    # one transmission heard by several receivers collapse into the first row.
    """CREATE TABLE IF NOT EXISTS positions (
        mmsi INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        sog_kn REAL,
        cog_deg REAL,
        heading_deg SMALLINT,
        status TINYINT,
        msg_type TINYINT NOT NULL,
        source VARCHAR NOT NULL,
        exercise BOOLEAN NOT NULL DEFAULT FALSE,
        station VARCHAR NOT NULL DEFAULT '',
        report_ts TIMESTAMPTZ NOT NULL,
        msg_key UBIGINT NOT NULL
    )""",
    # One row per distinct static report (mmsi, msg_key); ts = when first received.
    # Values 0 / empty ("not available" in AIS) are NULL.
    """CREATE TABLE IF NOT EXISTS vessels_static (
        mmsi INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        msg_type TINYINT NOT NULL,
        name VARCHAR,
        callsign VARCHAR,
        imo INTEGER,
        ship_type SMALLINT,
        to_bow_m SMALLINT,
        to_stern_m SMALLINT,
        to_port_m SMALLINT,
        to_starboard_m SMALLINT,
        draught_m REAL,
        destination VARCHAR,
        source VARCHAR NOT NULL,
        station VARCHAR NOT NULL DEFAULT '',
        msg_key UBIGINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS base_stations (
        mmsi INTEGER NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        lat DOUBLE,
        lon DOUBLE,
        station_time TIMESTAMPTZ,
        source VARCHAR NOT NULL,
        station VARCHAR NOT NULL DEFAULT '',
        report_ts TIMESTAMPTZ NOT NULL,
        msg_key UBIGINT NOT NULL
    )""",
    # Non-AIS contacts (coastal radar, SAR); (ts, lat, lon, source) is unique.
    """CREATE TABLE IF NOT EXISTS detections (
        ts TIMESTAMPTZ NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        length_m REAL,
        source VARCHAR NOT NULL,
        exercise BOOLEAN NOT NULL DEFAULT FALSE
    )""",
    # Rejected lines with their reason (khazar.ingest.reasons); one row per (source, line_no).
    """CREATE TABLE IF NOT EXISTS rejects (
        source VARCHAR NOT NULL,
        line_no BIGINT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        reason VARCHAR NOT NULL,
        detail VARCHAR,
        line VARCHAR NOT NULL
    )""",
    # One row per file (run_id = "file:" + sha256 of its content) or live session; updated in
    # the transaction of every batch, so after a crash it says how far the run got.
    """CREATE TABLE IF NOT EXISTS ingest_runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        source VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        lines BIGINT NOT NULL DEFAULT 0,
        accepted BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0,
        duplicates BIGINT NOT NULL DEFAULT 0,
        reasons VARCHAR NOT NULL DEFAULT '{}'
    )""",
    # Detected behaviours (DESIGN C3); id derives from (type, vessels, start) only.
    """CREATE TABLE IF NOT EXISTS events (
        id VARCHAR PRIMARY KEY,
        type VARCHAR NOT NULL,
        mmsi INTEGER,
        other_mmsi INTEGER,
        start_ts TIMESTAMPTZ NOT NULL,
        end_ts TIMESTAMPTZ NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        zone_id VARCHAR,
        asset_id VARCHAR,
        evidence VARCHAR NOT NULL,
        is_open BOOLEAN NOT NULL DEFAULT FALSE,
        exercise BOOLEAN NOT NULL DEFAULT FALSE,
        detected_at TIMESTAMPTZ NOT NULL
    )""",
    # Alerts (DESIGN C4): one per (rule, vessel(s), behaviour, asset) episode; events merge in.
    """CREATE TABLE IF NOT EXISTS alerts (
        id VARCHAR PRIMARY KEY,
        rule VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        state VARCHAR NOT NULL,
        mmsi INTEGER,
        other_mmsi INTEGER,
        asset_id VARCHAR,
        zone_id VARCHAR,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        first_ts TIMESTAMPTZ NOT NULL,
        last_ts TIMESTAMPTZ NOT NULL,
        event_ids VARCHAR NOT NULL,
        event_count INTEGER NOT NULL,
        summary VARCHAR NOT NULL,
        assigned_boat VARCHAR,
        resolution VARCHAR,
        escalated BOOLEAN NOT NULL DEFAULT FALSE,
        exercise BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    # Every state change of an alert, by whom, for handovers and exercise score sheets.
    """CREATE TABLE IF NOT EXISTS alert_transitions (
        alert_id VARCHAR NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        actor VARCHAR NOT NULL,
        from_state VARCHAR,
        to_state VARCHAR NOT NULL,
        boat VARCHAR,
        reason VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS alert_notes (
        alert_id VARCHAR NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        author VARCHAR NOT NULL,
        text VARCHAR NOT NULL
    )""",
    # Patrol boats' status (available, on_patrol, dispatched, maintenance).
    """CREATE TABLE IF NOT EXISTS boat_status (
        boat VARCHAR PRIMARY KEY,
        status VARCHAR NOT NULL,
        detail VARCHAR,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS users (
        username VARCHAR PRIMARY KEY,
        password_hash VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL
    )""",
    # Append-only, hash-chained: hash = sha256(prev_hash | seq | ts | actor | action | target
    # | detail). The latest hash is also appended to a file next to the store.
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq BIGINT PRIMARY KEY,
        ts TIMESTAMPTZ NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        target VARCHAR,
        detail VARCHAR,
        prev_hash VARCHAR NOT NULL,
        hash VARCHAR NOT NULL
    )""",
]

_V2 = [
    # Red-team exercises started from the console (khazar.live.exercise). truth = the
    # simulator's truth.json (planted behaviours); score = the score sheet once finished.
    """CREATE TABLE IF NOT EXISTS exercise_runs (
        id VARCHAR PRIMARY KEY,
        scenario VARCHAR NOT NULL,
        hours DOUBLE NOT NULL,
        speed DOUBLE NOT NULL,
        seed INTEGER NOT NULL,
        density DOUBLE NOT NULL,
        state VARCHAR NOT NULL,
        started_by VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        sim_start TIMESTAMPTZ NOT NULL,
        sim_end TIMESTAMPTZ NOT NULL,
        lines_sent BIGINT NOT NULL DEFAULT 0,
        finished_by VARCHAR,
        finished_at TIMESTAMPTZ,
        truth JSON,
        score JSON
    )""",
]

_V3 = [
    # The intercept route of every dispatch order (khazar.services.dispatch), written in the
    # order's audited transaction: the console draws it again after a reload or a restart.
    # route = GeoJSON LineString (lon, lat); extrapolated_s = how far past the target's last
    # fix its course was followed to the intercept point, capped at cap_s (capped = held).
    """CREATE TABLE IF NOT EXISTS dispatch_routes (
        alert_id VARCHAR NOT NULL,
        boat VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        actor VARCHAR NOT NULL,
        exercise BOOLEAN NOT NULL DEFAULT FALSE,
        decided_at TIMESTAMPTZ NOT NULL,
        eta_s DOUBLE NOT NULL,
        distance_m DOUBLE NOT NULL,
        course_deg DOUBLE,
        intercept_lat DOUBLE NOT NULL,
        intercept_lon DOUBLE NOT NULL,
        extrapolated_s DOUBLE,
        capped BOOLEAN NOT NULL DEFAULT FALSE,
        cap_s DOUBLE,
        route VARCHAR NOT NULL
    )""",
]

#: What PostgreSQL lacks of the DuckDB vocabulary the repositories speak, as SQL functions
#: and aggregates with DuckDB's meaning: ``epoch_us``/``epoch`` of a timestamp,
#: ``round(double, digits)``, ``hash`` (for sampling), ``list(x ORDER BY …)``, ``last``,
#: ``any_value`` (PostgreSQL 16 has it, 15 not) and
#: ``arg_max(value, key)`` (the value at the greatest key, rows with a NULL value or key
#: skipped). Recreated by every migration that changes it (``CREATE OR REPLACE``).
POSTGRES_VOCABULARY: list[str] = [
    """CREATE OR REPLACE FUNCTION epoch_us(timestamptz) RETURNS bigint LANGUAGE sql
       IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$""",
    """CREATE OR REPLACE FUNCTION epoch(timestamptz) RETURNS double precision LANGUAGE sql
       IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT extract(epoch FROM $1)::double precision $$""",
    """CREATE OR REPLACE FUNCTION round(double precision, integer) RETURNS double precision
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT round($1::numeric, $2)::double precision $$""",
    """CREATE OR REPLACE FUNCTION hash(integer, timestamptz) RETURNS bigint LANGUAGE sql
       IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT abs(hashtextextended($1::text || '|' || epoch_us($2)::text, 0)) $$""",
    """CREATE OR REPLACE AGGREGATE list(anycompatible) (
       SFUNC = array_append, STYPE = anycompatiblearray, INITCOND = '{}')""",
    """CREATE OR REPLACE FUNCTION khazar_last(anycompatible, anycompatible)
       RETURNS anycompatible LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $2 $$""",
    """CREATE OR REPLACE AGGREGATE last(anycompatible) (
       SFUNC = khazar_last, STYPE = anycompatible)""",
    """CREATE OR REPLACE FUNCTION khazar_first(anycompatible, anycompatible)
       RETURNS anycompatible LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT $1 $$""",
    """CREATE OR REPLACE AGGREGATE any_value(anycompatible) (
       SFUNC = khazar_first, STYPE = anycompatible)""",
]
_ARG_MAX_TYPES = {
    "float8": "double precision", "float4": "real", "int2": "smallint", "int4": "integer",
    "int8": "bigint", "text": "text", "bool": "boolean",
}
for _name, _type in _ARG_MAX_TYPES.items():
    POSTGRES_VOCABULARY += [
        f"""DO $$ BEGIN CREATE TYPE khazar_argmax_{_name} AS (v {_type}, k timestamptz);
            EXCEPTION WHEN duplicate_object THEN NULL; END $$""",
        f"""CREATE OR REPLACE FUNCTION khazar_argmax_{_name}_step(
                s khazar_argmax_{_name}, v {_type}, k timestamptz)
            RETURNS khazar_argmax_{_name} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN v IS NULL OR k IS NULL THEN s
                        WHEN s IS NULL OR k > (s).k THEN ROW(v, k)::khazar_argmax_{_name}
                        ELSE s END $$""",
        f"""CREATE OR REPLACE FUNCTION khazar_argmax_{_name}_final(s khazar_argmax_{_name})
            RETURNS {_type} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (s).v $$""",
        f"""CREATE OR REPLACE AGGREGATE arg_max({_type}, timestamptz) (
            SFUNC = khazar_argmax_{_name}_step, STYPE = khazar_argmax_{_name},
            FINALFUNC = khazar_argmax_{_name}_final)""",
    ]

_V4: list[str | Only] = [
    # The server profile (DESIGN C11). PostgreSQL: the vocabulary above; positions,
    # detections and static reports numbered in insertion order (``rowid``, DuckDB's own
    # name for it) for the live watermarks; positions' geometry in PostGIS with a GiST
    # index for bbox and distance queries.
    *(Only("postgresql", sql) for sql in POSTGRES_VOCABULARY),
    Only("postgresql", "CREATE EXTENSION IF NOT EXISTS postgis"),
    *(Only("postgresql", f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS rowid BIGINT "
           "GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0)")
      for t in ("positions", "detections", "vessels_static")),
    *(Only("postgresql", f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_rowid ON {t} (rowid)")
      for t in ("positions", "detections", "vessels_static")),
    Only("postgresql", "ALTER TABLE positions ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326) "
         "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS positions_geom ON positions USING GIST (geom)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS positions_mmsi_ts ON positions (mmsi, ts)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS positions_ts ON positions (ts)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS static_mmsi_ts ON vessels_static (mmsi, ts)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS raw_source ON raw_sentences (source, line_no)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS rejects_source ON rejects (source, line_no)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS transitions_alert ON alert_transitions "
         "(alert_id, ts)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, severity)"),
    # the audit chain's head records: a file next to a DuckDB store, this table here
    Only("postgresql", "CREATE TABLE IF NOT EXISTS audit_heads (seq BIGINT PRIMARY KEY, "
         "hash VARCHAR NOT NULL)"),
    # several servers on one database (khazar.store.coordination): live updates too long
    # for a notification, and the live detection lease's record
    Only("postgresql", "CREATE TABLE IF NOT EXISTS live_outbox (id BIGINT GENERATED ALWAYS AS "
         "IDENTITY PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, body VARCHAR NOT NULL)"),
    Only("postgresql", "CREATE TABLE IF NOT EXISTS live_leader (name VARCHAR PRIMARY KEY, "
         "holder VARCHAR NOT NULL, since TIMESTAMPTZ NOT NULL, heartbeat TIMESTAMPTZ NOT NULL, "
         "origin_positions BIGINT NOT NULL, origin_detections BIGINT NOT NULL)"),
]

_V5: list[str | Only] = [
    # Positions whose MMSI is no valid station number (0, 123456789, a MID outside 201–775;
    # khazar.domain.vessels.mmsi_kind) are kept but flagged: the vessel picture and tracks
    # leave them out (several transmitters sending MMSI 0 are not one vessel) and count them.
    # Rows written before this migration are taken as valid.
    "ALTER TABLE positions ADD COLUMN mmsi_valid BOOLEAN NOT NULL DEFAULT TRUE",
]

#: each vessel's latest state, kept by ingest in the batch's transaction
#: (:mod:`khazar.store.latest`): the picture reads a row a vessel instead of every position.
#: Per column the value at the newest time it was reported (``*_ts``), as ``arg_max``
#: over the positions gives it (a report without a speed keeps the last known one).
_LATEST_COLUMNS = """mmsi INTEGER NOT NULL,
        exercise BOOLEAN NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        sog_kn REAL, sog_ts TIMESTAMPTZ,
        cog_deg REAL, cog_ts TIMESTAMPTZ,
        heading_deg SMALLINT, heading_ts TIMESTAMPTZ,
        status TINYINT, status_ts TIMESTAMPTZ,
        PRIMARY KEY (mmsi, exercise)"""
#: the latest-state row of every vessel as schema v6 made it (lat and lon each by
#: ``arg_max``: two reports in one second could give the latitude of one and the longitude
#: of the other; :data:`LATEST_FROM` now)
_LATEST_FROM_V6 = """SELECT mmsi, exercise, max(ts), arg_max(lat, ts), arg_max(lon, ts),
        arg_max(sog_kn, ts), max(ts) FILTER (WHERE sog_kn IS NOT NULL),
        arg_max(cog_deg, ts), max(ts) FILTER (WHERE cog_deg IS NOT NULL),
        arg_max(heading_deg, ts), max(ts) FILTER (WHERE heading_deg IS NOT NULL),
        arg_max(status, ts), max(ts) FILTER (WHERE status IS NOT NULL)
    FROM {src} WHERE mmsi_valid GROUP BY mmsi, exercise"""

_V6: list[str | Only] = [
    f"CREATE TABLE IF NOT EXISTS vessel_latest ({_LATEST_COLUMNS})",
    "INSERT INTO vessel_latest " + _LATEST_FROM_V6.format(src="positions"),
    # the loaded theatre's zones and assets as GeoJSON features, written by the server that
    # loads them (khazar.store.geofeatures), for the API's bbox queries; PostgreSQL keeps
    # their geometry in PostGIS with a GiST index
    """CREATE TABLE IF NOT EXISTS geo_features (
        kind VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        id VARCHAR NOT NULL,
        feature VARCHAR NOT NULL,
        min_lon DOUBLE NOT NULL,
        min_lat DOUBLE NOT NULL,
        max_lon DOUBLE NOT NULL,
        max_lat DOUBLE NOT NULL,
        PRIMARY KEY (kind, seq)
    )""",
    Only("postgresql", "ALTER TABLE geo_features ADD COLUMN IF NOT EXISTS geom "
         "geometry(Geometry, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_GeomFromGeoJSON("
         "(feature::json -> 'geometry')::text), 4326)) STORED"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS geo_features_geom ON geo_features "
         "USING GIST (geom)"),
    # the picture counts the reports it leaves out (invalid MMSIs): a handful among
    # millions, found through this partial index instead of a scan of every position
    Only("postgresql", "CREATE INDEX IF NOT EXISTS positions_invalid_mmsi ON positions "
         "(exercise, ts) WHERE NOT mmsi_valid"),
]

# Schema v7: failed-login throttling shared by every server on the store: one row
# per account ("user:<name>") or source address ("addr:<ip>"); times in epoch microseconds
_V7: list[str | Only] = [
    """CREATE TABLE IF NOT EXISTS login_throttle (
        key VARCHAR PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_us BIGINT NOT NULL,
        locked_until_us BIGINT NOT NULL,
        unaudited INTEGER NOT NULL,
        audited_us BIGINT NOT NULL
    )""",
]

# Schema v8: keyed audit head records. The head file next to a DuckDB
# store carries the mac on each line; PostgreSQL's audit_heads gets a column for it
# (NULL on records written before: a later keyed record vouches for them)
_V8: list[str | Only] = [
    Only("postgresql", "ALTER TABLE audit_heads ADD COLUMN IF NOT EXISTS mac VARCHAR"),
    # API tokens an admin issues (khazar users tokens): only the secret's SHA-256 is kept
    """CREATE TABLE IF NOT EXISTS api_tokens (
        id VARCHAR PRIMARY KEY,
        username VARCHAR NOT NULL,
        secret_hash VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        created_by VARCHAR NOT NULL,
        revoked_at TIMESTAMPTZ
    )""",
]

# Schema v9: feed counters kept across restarts (khazar.store.feedcounts): per source and
# counter
# (received, accepted, rejected, dropped, connects, kernel_drops, reason:<r>), the total
# since the store was made; servers add their increments
_V9: list[str | Only] = [
    """CREATE TABLE IF NOT EXISTS feed_counters (
        source VARCHAR NOT NULL,
        counter VARCHAR NOT NULL,
        value BIGINT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (source, counter)
    )""",
]

#: the columns of ``vessel_latest`` in the order :data:`LATEST_FROM` gives them
LATEST_COLUMNS = ("mmsi, exercise, ts, lat, lon, sog_kn, sog_ts, cog_deg, cog_ts, "
                  "heading_deg, heading_ts, status, status_ts, report_ts, msg_key")
#: each vessel's latest state from a table of positions named ``{src}``: its position (time,
#: latitude, longitude) is one whole report, the last by (ts, report_ts, msg_key), as the
#: tracks order them; a report without a speed, course, heading or status keeps the last
#: known one (at its own time: ``*_ts``), the last report's own where it has one
LATEST_FROM = """SELECT mmsi, exercise, max(ts),
        max(lat) FILTER (WHERE nth = 1), max(lon) FILTER (WHERE nth = 1),
        coalesce(max(sog_kn) FILTER (WHERE nth = 1), arg_max(sog_kn, ts)),
        max(ts) FILTER (WHERE sog_kn IS NOT NULL),
        coalesce(max(cog_deg) FILTER (WHERE nth = 1), arg_max(cog_deg, ts)),
        max(ts) FILTER (WHERE cog_deg IS NOT NULL),
        coalesce(max(heading_deg) FILTER (WHERE nth = 1), arg_max(heading_deg, ts)),
        max(ts) FILTER (WHERE heading_deg IS NOT NULL),
        coalesce(max(status) FILTER (WHERE nth = 1), arg_max(status, ts)),
        max(ts) FILTER (WHERE status IS NOT NULL),
        max(report_ts) FILTER (WHERE nth = 1), max(msg_key) FILTER (WHERE nth = 1)
    FROM (SELECT *, row_number() OVER (PARTITION BY mmsi, exercise
                                       ORDER BY ts DESC, report_ts DESC, msg_key DESC) AS nth
          FROM {src} WHERE mmsi_valid) ranked
    GROUP BY mmsi, exercise"""

# Schema v10: each vessel's latest position is one whole report, the
# last by (ts, report_ts, msg_key); vessel_latest keeps that report's key to compare the
# next batch's with, and is made again from the positions
_V10: list[str | Only] = [
    "ALTER TABLE vessel_latest ADD COLUMN report_ts TIMESTAMPTZ",
    "ALTER TABLE vessel_latest ADD COLUMN msg_key UBIGINT",
    "DELETE FROM vessel_latest",
    f"INSERT INTO vessel_latest ({LATEST_COLUMNS}) " + LATEST_FROM.format(src="positions"),
]

#: the columns of ``vessel_static_latest`` in the order :data:`STATIC_FROM` gives them
STATIC_COLUMNS = ("mmsi, name, name_ts, callsign, callsign_ts, imo, imo_ts, ship_type, "
                  "ship_type_ts, destination, destination_ts, length_m, length_ts")
#: each vessel's latest static data from a table of static reports named ``{src}``: per
#: column the value of the newest report (by time received) that carries one — a name or
#: call sign of blanks, IMO 0, ship type 0 and a length of 0 are "not available" in AIS and
#: never replace a known value — with that report's time (``*_ts``)
STATIC_FROM = """SELECT mmsi,
        arg_max(name, ts) FILTER (WHERE trim(name) <> ''),
        max(ts) FILTER (WHERE trim(name) <> ''),
        arg_max(callsign, ts) FILTER (WHERE trim(callsign) <> ''),
        max(ts) FILTER (WHERE trim(callsign) <> ''),
        arg_max(imo, ts) FILTER (WHERE imo > 0), max(ts) FILTER (WHERE imo > 0),
        arg_max(ship_type, ts) FILTER (WHERE ship_type > 0),
        max(ts) FILTER (WHERE ship_type > 0),
        arg_max(destination, ts) FILTER (WHERE trim(destination) <> ''),
        max(ts) FILTER (WHERE trim(destination) <> ''),
        arg_max(to_bow_m + to_stern_m, ts) FILTER (WHERE to_bow_m + to_stern_m > 0),
        max(ts) FILTER (WHERE to_bow_m + to_stern_m > 0)
    FROM {src} GROUP BY mmsi"""
#: the reports with an invalid MMSI (``NOT mmsi_valid``) per number and picture, from a
#: table of positions named ``{src}``: how many and the newest one's time
INVALID_FROM = """SELECT mmsi, exercise, count(*), max(ts) FROM {src}
    WHERE NOT mmsi_valid GROUP BY mmsi, exercise"""

# Schema v11 (issue 20, "state, not scans"): every collection of the live picture answers
# from a row a vessel, not from the history. vessel_static_latest: each vessel's latest
# static data (what /api/vessels and the alerts' vessel names read); invalid_mmsi: the
# reports the picture leaves out, counted per number (its newest time: with
# vessel_latest's, the picture's clock without a look at the positions). Both are kept by
# ingest in the batch's transaction and made here from the history. PostgreSQL: indexes
# for the alerts' and events' per-vessel reads.
_V11: list[str | Only] = [
    """CREATE TABLE IF NOT EXISTS vessel_static_latest (
        mmsi INTEGER PRIMARY KEY,
        name VARCHAR, name_ts TIMESTAMPTZ,
        callsign VARCHAR, callsign_ts TIMESTAMPTZ,
        imo INTEGER, imo_ts TIMESTAMPTZ,
        ship_type SMALLINT, ship_type_ts TIMESTAMPTZ,
        destination VARCHAR, destination_ts TIMESTAMPTZ,
        length_m INTEGER, length_ts TIMESTAMPTZ
    )""",
    f"INSERT INTO vessel_static_latest ({STATIC_COLUMNS}) "
    + STATIC_FROM.format(src="vessels_static"),
    """CREATE TABLE IF NOT EXISTS invalid_mmsi (
        mmsi INTEGER NOT NULL,
        exercise BOOLEAN NOT NULL,
        reports BIGINT NOT NULL,
        last_ts TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (mmsi, exercise)
    )""",
    "INSERT INTO invalid_mmsi " + INVALID_FROM.format(src="positions"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS vessel_latest_ts ON vessel_latest "
         "(exercise, ts)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS alerts_mmsi ON alerts (mmsi)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS alerts_other_mmsi ON alerts (other_mmsi)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS events_mmsi ON events (mmsi)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS events_other_mmsi ON events (other_mmsi)"),
    Only("postgresql", "CREATE INDEX IF NOT EXISTS events_start ON events (exercise, start_ts)"),
]

MIGRATIONS: list[list[str | Only]] = [list(_V1), list(_V2), list(_V3), _V4, _V5, _V6,
                                      _V7, _V8, _V9,
                                      _V10, _V11]
SCHEMA_VERSION = len(MIGRATIONS)

_PG_TYPES = [
    (re.compile(r"\bDOUBLE\b(?! PRECISION)"), "DOUBLE PRECISION"),
    (re.compile(r"\bTINYINT\b"), "SMALLINT"),
    (re.compile(r"\bUBIGINT\b"), "NUMERIC(20,0)"),
]


def statements(migration: list[str | Only], dialect: str) -> list[str]:
    """The SQL of one migration for ``dialect`` (``duckdb`` or ``postgresql``)."""
    out: list[str] = []
    for item in migration:
        if isinstance(item, Only):
            if item.dialect == dialect:
                out.append(item.sql)
            continue
        sql = item
        if dialect == "postgresql":
            for pattern, replacement in _PG_TYPES:
                sql = pattern.sub(replacement, sql)
        out.append(sql)
    return out
