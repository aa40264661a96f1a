"""Boat status in the store (table ``boat_status``), the fixes dispatch places boats and
targets by, and the alert history used for threat.

Thin adapters: SQL here, decisions elsewhere (:mod:`khazar.services.dispatch`,
:mod:`khazar.services.fleet`). Functions take the store or an audited transaction
(:data:`khazar.store.access.Db`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from khazar.config import Boat
from khazar.domain.fleet import BoatState, BoatStatus
from khazar.domain.vessels import mmsi_valid
from khazar.errors import InputError
from khazar.store.access import Db, reading, writing
from khazar.units import to_utc

__all__ = [
    "BoatFix",
    "alert_counts",
    "boat_fixes",
    "fleet_status",
    "last_positions",
    "positions_between",
    "set_boat_status",
]


@dataclass(frozen=True, slots=True)
class BoatFix:
    """A boat's latest AIS report: time (UTC), position (degrees), speed (kn), course (°)."""

    mmsi: int
    ts: datetime
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None


def fleet_status(db: Db, fleet: Sequence[Boat]) -> list[BoatStatus]:
    """Every configured boat with its stored status (``available`` when never set)."""
    rows = reading(db).execute(
        "SELECT boat, status, detail, updated_at FROM boat_status").fetchall()
    known = {r[0]: r for r in rows}
    out = []
    for b in fleet:
        r = known.get(b.name)
        out.append(BoatStatus(
            b.name, b.base, b.mmsi,
            BoatState(r[1]) if r else BoatState.available,
            r[2] if r else None,
            to_utc(r[3]) if r and r[3] is not None else None,
        ))
    return out


def set_boat_status(
    db: Db, fleet: Sequence[Boat], boat: str, status: BoatState, detail: str | None,
    now: datetime,
) -> None:
    """Record a boat's status (the boat must be in the configured fleet). Not audited
    here: the use cases (:mod:`khazar.services.fleet`, dispatch) pass their audited
    transaction so the change and its entry commit together."""
    names = [b.name for b in fleet]
    if boat not in names:
        raise InputError(f"unknown boat {boat!r}; the fleet is {', '.join(names)}")
    with writing(db) as conn:
        conn.execute("DELETE FROM boat_status WHERE boat = ?", [boat])
        conn.execute("INSERT INTO boat_status VALUES (?, ?, ?, ?)",
                     [boat, status.value, detail, to_utc(now)])


def last_positions(
    db: Db, mmsi: int, limit: int = 20, exercise: bool = False, until: datetime | None = None
) -> list[tuple[datetime, float, float]]:
    """The vessel's latest ``limit`` positions (oldest first) as (UTC time, lat, lon),
    from one picture: exercise reports only, or live ones only; with ``until``, none
    newer than it."""
    sql = "SELECT ts, lat, lon FROM positions WHERE mmsi = ? AND exercise = ?"
    params: list[object] = [mmsi, exercise]
    if until is not None:
        sql += " AND ts <= ?"
        params.append(to_utc(until))
    rows = reading(db).execute(sql + " ORDER BY ts DESC, report_ts DESC, msg_key DESC LIMIT ?",
                               [*params, limit]).fetchall()
    return [(to_utc(r[0]), float(r[1]), float(r[2])) for r in reversed(rows)]


def positions_between(
    db: Db, mmsi: int, since: datetime, until: datetime, exercise: bool = False
) -> list[tuple[datetime, float, float]]:
    """The vessel's positions from ``since`` to ``until`` (both included, UTC), oldest
    first, as (time, lat, lon), from one picture (live or exercise)."""
    rows = reading(db).execute(
        "SELECT ts, lat, lon FROM positions WHERE mmsi = ? AND exercise = ? "
        "AND ts BETWEEN ? AND ? ORDER BY ts, report_ts, msg_key",
        [mmsi, exercise, to_utc(since), to_utc(until)]
    ).fetchall()
    return [(to_utc(r[0]), float(r[1]), float(r[2])) for r in rows]


def boat_fixes(
    db: Db, mmsis: Sequence[int], exercise: bool = False, until: datetime | None = None
) -> dict[int, BoatFix]:
    """Each of ``mmsis``' latest AIS report in one picture (live or exercise), none newer
    than ``until`` when given; boats never heard are absent.

    From each vessel's latest state (``vessel_latest``, kept by ingest) where that is no
    newer than ``until``; from the positions only for a boat whose state is newer (a replay)
    or whose number is no valid MMSI (the state leaves those out)."""
    if not mmsis:
        return {}
    wanted = sorted({int(m) for m in mmsis})
    marks = ", ".join("?" for _ in wanted)
    found = reading(db).execute(
        "SELECT mmsi, ts, lat, lon, sog_kn, cog_deg FROM vessel_latest WHERE exercise = ? "
        f"AND mmsi IN ({marks})", [exercise, *wanted]).fetchall()
    rows = [r for r in found if until is None or to_utc(r[1]) <= to_utc(until)]
    done = {int(r[0]) for r in rows}
    rest = [m for m in wanted if m not in done
            and (not mmsi_valid(m) or any(int(r[0]) == m for r in found))]
    if rest:
        sql = (
            "SELECT mmsi, max(ts), arg_max(lat, ts), arg_max(lon, ts), arg_max(sog_kn, ts), "
            f"arg_max(cog_deg, ts) FROM positions WHERE exercise = ? "
            f"AND mmsi IN ({', '.join('?' for _ in rest)})"
        )
        params: list[object] = [exercise, *rest]
        if until is not None:
            sql += " AND ts <= ?"
            params.append(to_utc(until))
        rows += reading(db).execute(sql + " GROUP BY mmsi", params).fetchall()
    return {
        int(m): BoatFix(int(m), to_utc(ts), float(lat), float(lon),
                        None if sog is None else float(sog), None if cog is None else float(cog))
        for m, ts, lat, lon, sog, cog in rows
    }


def alert_counts(db: Db, now: datetime, days: float = 7.0) -> dict[str, int]:
    """Alerts of the last ``days`` per asset id and per zone id (raises targets' threat)."""
    since = to_utc(now) - timedelta(days=days)
    out: dict[str, int] = {}
    for col in ("asset_id", "zone_id"):
        rows = reading(db).execute(
            f"SELECT {col}, count(*) FROM alerts WHERE {col} IS NOT NULL AND last_ts >= ? "
            f"GROUP BY {col}", [since]).fetchall()
        for key, n in rows:
            out[str(key)] = out.get(str(key), 0) + int(n)
    return out
