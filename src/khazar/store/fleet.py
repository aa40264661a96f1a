"""Boat status in the store (table ``boat_status``) and the alert history used for threat.

Thin adapters: SQL here, decisions elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from khazar.config import Boat
from khazar.domain.fleet import BoatState, BoatStatus
from khazar.errors import InputError
from khazar.store import Store
from khazar.units import to_utc

__all__ = [
    "BoatState",
    "BoatStatus",
    "alert_counts",
    "alert_target",
    "fleet_status",
    "last_positions",
    "set_boat_status",
]




def fleet_status(store: Store, fleet: Sequence[Boat]) -> list[BoatStatus]:
    """Every configured boat with its stored status (``available`` when never set)."""
    rows = store.conn.execute("SELECT boat, status, detail, updated_at FROM boat_status").fetchall()
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
    store: Store, fleet: Sequence[Boat], boat: str, status: BoatState, detail: str | None,
    now: datetime,
) -> None:
    """Record a boat's status (the boat must be in the configured fleet)."""
    names = [b.name for b in fleet]
    if boat not in names:
        raise InputError(f"unknown boat {boat!r}; the fleet is {', '.join(names)}")
    with store.transaction() as conn:
        conn.execute("DELETE FROM boat_status WHERE boat = ?", [boat])
        conn.execute("INSERT INTO boat_status VALUES (?, ?, ?, ?)",
                     [boat, status.value, detail, to_utc(now)])


def last_positions(
    store: Store, mmsi: int, limit: int = 20
) -> list[tuple[datetime, float, float]]:
    """The vessel's latest positions (oldest first): (time, lat, lon)."""
    rows = store.conn.execute(
        "SELECT ts, lat, lon FROM positions WHERE mmsi = ? ORDER BY ts DESC LIMIT ?",
        [mmsi, limit],
    ).fetchall()
    return [(to_utc(r[0]), float(r[1]), float(r[2])) for r in reversed(rows)]


def _has_table(store: Store, name: str) -> bool:
    row = store.conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def alert_target(store: Store, alert_id: str) -> tuple[float, float, int | None]:
    """An alert's position and vessel (lat, lon, mmsi) from the ``alerts`` table."""
    if not _has_table(store, "alerts"):
        raise InputError("this store has no alerts table yet; dispatch with --at or --mmsi")
    row = store.conn.execute("SELECT lat, lon, mmsi FROM alerts WHERE id = ?",
                             [alert_id]).fetchone()
    if row is None:
        raise InputError(f"no alert with id {alert_id!r}; list them with `khazar alerts`")
    return float(row[0]), float(row[1]), (int(row[2]) if row[2] is not None else None)


def alert_counts(store: Store, now: datetime, days: float = 7.0) -> dict[str, int]:
    """Alerts of the last ``days`` per asset id and per zone id (raises targets' threat)."""
    if not _has_table(store, "alerts"):
        return {}
    since = to_utc(now) - timedelta(days=days)
    out: dict[str, int] = {}
    for col in ("asset_id", "zone_id"):
        rows = store.conn.execute(
            f"SELECT {col}, count(*) FROM alerts WHERE {col} IS NOT NULL AND last_ts >= ? "
            f"GROUP BY {col}", [since]).fetchall()
        for key, n in rows:
            out[str(key)] = out.get(str(key), 0) + int(n)
    return out
