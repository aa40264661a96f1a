"""The store's schema as a list of migrations. The version is the index of the last one applied.

Never edit a migration that has shipped: append a new one. An older store is migrated
forward on open; a newer one is refused (see :mod:`khazar.store.db`).
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

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

_V_MMSI_VALID = [
    # Positions whose MMSI is no valid station number (0, 123456789, a MID outside 201–775;
    # khazar.domain.vessels.mmsi_kind) are kept but flagged: the vessel picture and tracks
    # leave them out (several transmitters sending MMSI 0 are not one vessel) and count them.
    # Rows written before this migration are taken as valid.
    "ALTER TABLE positions ADD COLUMN mmsi_valid BOOLEAN NOT NULL DEFAULT TRUE",
]

MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V_MMSI_VALID]  # (renumber at merge)
SCHEMA_VERSION = len(MIGRATIONS)
