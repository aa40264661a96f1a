"""Read views behind the watch floor's alert list and alert detail: the vessels' static
data by MMSI, when each alert was escalated, and an alert's events by id. Plain values out;
the decisions are in :mod:`khazar.services.triage`."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khazar.domain import Event
from khazar.store.access import Db, reading
from khazar.units import to_utc

__all__ = [
    "VesselIdentity",
    "escalation_times",
    "events_by_id",
    "note_counts",
    "vessel_identities",
]

#: the reason :func:`khazar.alerts.lifecycle.escalate_due` writes on an escalation
_ESCALATED = "escalated%"


@dataclass(frozen=True, slots=True)
class VesselIdentity:
    """A vessel's latest static data (AIS message 5/24): what is known of its identity."""

    mmsi: int
    name: str | None
    imo: int | None
    callsign: str | None
    ship_type: int | None
    length_m: int | None


def vessel_identities(db: Db, mmsis: Collection[int]) -> dict[int, VesselIdentity]:
    """The latest non-empty static values of each MMSI given that has any (the state
    ingest keeps: ``vessel_static_latest``, a row a vessel)."""
    wanted = sorted({int(m) for m in mmsis})
    if not wanted:
        return {}
    sql = f"""
        SELECT mmsi, name, imo, callsign, ship_type, length_m FROM vessel_static_latest
        WHERE mmsi IN ({", ".join("?" * len(wanted))})
    """
    out = {}
    for m, name, imo, callsign, ship_type, length in reading(db).execute(sql, wanted).fetchall():
        out[int(m)] = VesselIdentity(
            int(m), name.strip() if name else None, None if imo is None else int(imo),
            callsign.strip() if callsign else None,
            None if ship_type is None else int(ship_type),
            None if length is None else int(length))
    return out


def escalation_times(db: Db, alert_ids: Collection[str] | None = None) -> dict[str, datetime]:
    """When each escalated alert was escalated (its first escalation transition), UTC."""
    sql = ("SELECT alert_id, min(ts) FROM alert_transitions "
           "WHERE reason LIKE ? AND from_state = to_state")
    params: list[Any] = [_ESCALATED]
    if alert_ids is not None:
        ids = sorted(set(alert_ids))
        if not ids:
            return {}
        sql += f" AND alert_id IN ({', '.join('?' * len(ids))})"
        params += ids
    sql += " GROUP BY alert_id"
    return {str(a): to_utc(ts) for a, ts in reading(db).execute(sql, params).fetchall()}


def events_by_id(db: Db, event_ids: Collection[str]) -> list[tuple[str, Event]]:
    """The stored events of these ids with their ids, oldest first (ids not stored are
    left out)."""
    ids = sorted(set(event_ids))
    if not ids:
        return []
    rows = reading(db).execute(
        "SELECT id, type, mmsi, other_mmsi, start_ts, end_ts, lat, lon, zone_id, asset_id, "
        "evidence, is_open FROM events "
        f"WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY start_ts, id", ids).fetchall()
    return [(i, Event(type=t, mmsi=m, other_mmsi=o, start=to_utc(s), end=to_utc(e),
                  lat=float(la), lon=float(lo), zone_id=z, asset_id=a,
                  evidence=json.loads(ev) if ev else {}, open=bool(op)))
            for i, t, m, o, s, e, la, lo, z, a, ev, op in rows]


def note_counts(db: Db, alert_ids: Collection[str]) -> dict[str, int]:
    """How many notes each of these alerts has (alerts without notes are left out)."""
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    rows = reading(db).execute(
        "SELECT alert_id, count(*) FROM alert_notes "
        f"WHERE alert_id IN ({', '.join('?' * len(ids))}) GROUP BY alert_id", ids).fetchall()
    return {str(a): int(n) for a, n in rows}
