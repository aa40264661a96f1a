"""Read-only queries behind the report and the Charter scorecard.

Exercise traffic never counts: every query here filters ``exercise = FALSE``.
Times come out as epoch seconds (float) so the pure report code can vectorise.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from khazar.domain.reporting import AlertRow, EventRow, FloatArray, ReportSnapshot
from khazar.store.backend import Session

__all__ = ["boat_statuses", "load_snapshot", "position_period"]


def _floats(values: list[Any]) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def load_snapshot(conn: Session, max_positions: int = 2_000_000) -> ReportSnapshot:
    """Read positions (sampled to ``max_positions``), events, alerts and transitions."""
    total_row = conn.execute("SELECT count(*) FROM positions WHERE NOT exercise").fetchone()
    total = int(total_row[0]) if total_row else 0
    sample = ""
    if total > max_positions:
        # deterministic thinning: keep every k-th row by a hash of its key
        k = int(np.ceil(total / max_positions))
        sample = f" AND hash(mmsi, ts) % {k} = 0"
    arr = conn.execute(
        f"SELECT lat, lon, epoch(ts) AS t FROM positions WHERE NOT exercise{sample}"
    ).fetchnumpy()
    vessels = conn.execute(
        "SELECT count(DISTINCT mmsi) FROM positions WHERE NOT exercise"
    ).fetchone()
    detections = conn.execute("SELECT count(*) FROM detections WHERE NOT exercise").fetchone()
    events = [
        EventRow(
            id=r[0], type=r[1], mmsi=r[2], other_mmsi=r[3], start_s=float(r[4]),
            end_s=float(r[5]), lat=float(r[6]), lon=float(r[7]), zone_id=r[8], asset_id=r[9],
            evidence=json.loads(r[10]) if r[10] else {},
        )
        for r in conn.execute(
            "SELECT id, type, mmsi, other_mmsi, epoch(start_ts), epoch(end_ts), lat, lon, "
            "zone_id, asset_id, evidence FROM events WHERE NOT exercise ORDER BY start_ts, id"
        ).fetchall()
    ]
    alerts = [
        AlertRow(
            id=r[0], type=r[1], severity=r[2], state=r[3], mmsi=r[4], asset_id=r[5],
            zone_id=r[6], first_s=float(r[7]), created_s=float(r[8]), resolution=r[9],
            summary=r[10],
        )
        for r in conn.execute(
            "SELECT id, type, severity, state, mmsi, asset_id, zone_id, epoch(first_ts), "
            "epoch(created_at), resolution, summary FROM alerts WHERE NOT exercise "
            "ORDER BY first_ts, id"
        ).fetchall()
    ]
    firsts: dict[str, dict[str, float]] = {}
    for alert_id, state, ts in conn.execute(
        "SELECT t.alert_id, t.to_state, min(epoch(t.ts)) FROM alert_transitions t "
        "JOIN alerts a ON a.id = t.alert_id WHERE NOT a.exercise "
        "GROUP BY t.alert_id, t.to_state"
    ).fetchall():
        firsts.setdefault(alert_id, {})[state] = float(ts)
    destinations = {
        int(m): str(d).strip().upper()
        for m, d in conn.execute(
            "SELECT mmsi, arg_max(destination, ts) FROM vessels_static "
            "WHERE destination IS NOT NULL AND mmsi IN "
            "(SELECT DISTINCT mmsi FROM positions WHERE NOT exercise) GROUP BY mmsi"
        ).fetchall()
        if d
    }
    return ReportSnapshot(
        position_lat=_floats(list(arr["lat"])),
        position_lon=_floats(list(arr["lon"])),
        position_ts_s=_floats(list(arr["t"])),
        vessel_count=int(vessels[0]) if vessels else 0,
        detection_count=int(detections[0]) if detections else 0,
        events=events,
        alerts=alerts,
        first_transition_s=firsts,
        destinations=destinations,
    )


def boat_statuses(store: Session) -> dict[str, str]:
    """Latest recorded status per boat name (boats never recorded are not in the dict)."""
    return {
        str(boat): str(status)
        for boat, status in store.execute("SELECT boat, status FROM boat_status").fetchall()
    }


def position_period(store: Session) -> tuple[datetime | None, datetime | None, int]:
    """``(first, last, count)`` of the stored non-exercise positions (UTC; None when empty)."""
    row = store.execute(
        "SELECT min(ts), max(ts), count(*) FROM positions WHERE NOT exercise").fetchone()
    if row is None:
        return None, None, 0
    return row[0], row[1], int(row[2])
