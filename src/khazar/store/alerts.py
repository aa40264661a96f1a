"""Repository over the tables ``alerts``, ``alert_transitions`` and ``alert_notes``.

The only SQL about alerts. Functions take the store, or the transaction of an
:func:`khazar.store.audit.audited` block so the change and its audit entry commit
together (:data:`khazar.store.access.Db`). Times go in as UTC datetimes and come out as
UTC datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Note, Severity, Transition
from khazar.errors import InputError, NotFoundError
from khazar.store.access import Db, reading, writing
from khazar.store.backend import Session

__all__ = [
    "alert_ids_starting",
    "count_alerts_by_vessel",
    "find_alerts",
    "get_alert",
    "insert_note",
    "insert_transitions",
    "list_alerts",
    "list_notes",
    "list_transitions",
    "pick_alert_id",
    "resolve_alert_id",
    "stored_events",
    "upsert_alerts",
    "vessels_alerts",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "id, rule, type, severity, score, state, mmsi, other_mmsi, asset_id, zone_id, lat, lon, "
    "epoch_us(first_ts), epoch_us(last_ts), event_ids, summary, assigned_boat, resolution, "
    "escalated, exercise, epoch_us(created_at), epoch_us(updated_at)"
)


#: :func:`khazar.domain.alerts.triage_key` in SQL
_TRIAGE_ORDER = (
    "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, "
    "created_at, first_ts, id"
)


def _ts(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(us))


def _filtered(sql: str, conditions: dict[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` with a WHERE clause of the conditions whose value is not None, and its params."""
    used = {cond: value for cond, value in conditions.items() if value is not None}
    if used:
        sql += " WHERE " + " AND ".join(used)
    return sql, list(used.values())


def _alert(row: Sequence[Any]) -> Alert:
    (
        aid,
        rule,
        typ,
        sev,
        score,
        state,
        mmsi,
        other,
        asset,
        zone,
        lat,
        lon,
        first,
        last,
        event_ids,
        summary,
        boat,
        resolution,
        escalated,
        exercise,
        created,
        updated,
    ) = row
    return Alert(
        id=aid,
        rule=rule,
        type=typ,
        severity=Severity(sev),
        score=float(score),
        state=AlertState(state),
        mmsi=mmsi,
        other_mmsi=other,
        asset_id=asset,
        zone_id=zone,
        lat=float(lat),
        lon=float(lon),
        first_ts=_ts(first),
        last_ts=_ts(last),
        event_ids=tuple(json.loads(event_ids)),
        summary=summary,
        assigned_boat=boat,
        resolution=resolution,
        escalated=bool(escalated),
        exercise=bool(exercise),
        created_at=_ts(created),
        updated_at=_ts(updated),
    )


def list_alerts(
    db: Db,
    states: Iterable[AlertState] | None = None,
    include_exercise: bool = True,
) -> list[Alert]:
    """Alerts in the watch floor's order (:func:`khazar.domain.alerts.triage_key`: most
    severe first, then the longest waiting), optionally only in the given states."""
    sql = f"SELECT {_COLUMNS} FROM alerts"
    where: list[str] = []
    params: list[Any] = []
    if states is not None:
        wanted = [s.value for s in states]
        where.append(f"state IN ({', '.join('?' for _ in wanted)})")
        params.extend(wanted)
    if not include_exercise:
        where.append("NOT exercise")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {_TRIAGE_ORDER}"
    return [_alert(r) for r in reading(db).execute(sql, params).fetchall()]


def find_alerts(
    db: Db,
    states: Iterable[AlertState] | None = None,
    exercise: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
    interval: tuple[datetime | None, datetime | None] | None = None,
    limit: int = 500,
) -> tuple[list[Alert], int]:
    """The first ``limit`` alerts of one picture (live or exercise) in the watch floor's
    order, in ``states``, at a place in ``bbox`` (min lon, min lat, max lon, max lat) and
    overlapping ``interval`` (start, end; None open), and how many match in all: the
    filter and the page in SQL, not over every alert in Python."""
    where = ["exercise = ?"]
    params: list[Any] = [exercise]
    if states is not None:
        wanted = [s.value for s in states]
        where.append(f"state IN ({', '.join('?' for _ in wanted)})" if wanted else "FALSE")
        params.extend(wanted)
    if bbox is not None:
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        params += [bbox[0], bbox[2], bbox[1], bbox[3]]
    if interval is not None and interval[0] is not None:
        where.append("last_ts >= ?")
        params.append(interval[0])
    if interval is not None and interval[1] is not None:
        where.append("first_ts <= ?")
        params.append(interval[1])
    rows = reading(db).execute(
        f"SELECT {_COLUMNS}, count(*) OVER () FROM alerts WHERE {' AND '.join(where)} "
        f"ORDER BY {_TRIAGE_ORDER} LIMIT ?", [*params, limit]).fetchall()
    return [_alert(r[:-1]) for r in rows], int(rows[0][-1]) if rows else 0


def vessels_alerts(db: Db, mmsis: Iterable[int], exercise: bool) -> list[Alert]:
    """Every alert of one picture naming one of ``mmsis`` (as the vessel or the other
    one): all an incident of these vessels can hold
    (:func:`khazar.alerts.incidents.link_incidents` links a vessel's or a pair's alerts)."""
    wanted = sorted({int(m) for m in mmsis})
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    return [_alert(r) for r in reading(db).execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE exercise = ? AND (mmsi IN ({marks}) "
        f"OR other_mmsi IN ({marks})) ORDER BY {_TRIAGE_ORDER}",
        [exercise, *wanted, *wanted]).fetchall()]


def get_alert(db: Db, alert_id: str) -> Alert:
    """One alert by id; :class:`InputError` naming the id when there is none."""
    row = reading(db).execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", [alert_id]).fetchone()
    if row is None:
        raise InputError(f"no alert with id {alert_id!r}; list them with `khazar alerts --db …`")
    return _alert(row)


def alert_ids_starting(db: Db, prefix: str, limit: int = 11) -> list[str]:
    """Ids of the alerts that start with ``prefix`` (any case), sorted, at most ``limit``."""
    like = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = reading(db).execute(
        "SELECT id FROM alerts WHERE lower(id) LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
        [like + "%", limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


def pick_alert_id(text: str, candidates: Sequence[str]) -> str:
    """The one alert id ``text`` names among ``candidates`` (the ids starting with it): the
    id itself, or a prefix of exactly one; :class:`NotFoundError` when none matches,
    :class:`InputError` listing the matches when several do."""
    wanted = text.strip().lower()
    exact = [c for c in candidates if c.lower() == wanted]
    if exact:
        return exact[0]
    if not candidates:
        raise NotFoundError(f"no alert id starts with {text!r}; list them with "
                            f"`khazar alerts --db …`")
    if len(candidates) > 1:
        shown = ", ".join(candidates[:10]) + (", …" if len(candidates) > 10 else "")
        raise InputError(f"alert id {text!r} is ambiguous, it starts {shown}: type more of it")
    return candidates[0]


def resolve_alert_id(db: Db, text: str) -> str:
    """The full id of the alert ``text`` names: its id or a unique prefix of it (see
    :func:`pick_alert_id`)."""
    if not text.strip():
        raise InputError("an alert id is needed (a unique prefix is enough); list them with "
                         "`khazar alerts --db …`")
    return pick_alert_id(text, alert_ids_starting(db, text.strip()))


def upsert_alerts(db: Db, alerts: Sequence[Alert]) -> None:
    """Insert or replace alerts by id."""
    if not alerts:
        return
    with writing(db) as conn:
        _replace_alerts(conn, alerts)


def _replace_alerts(conn: Session, alerts: Sequence[Alert]) -> None:
    conn.executemany("DELETE FROM alerts WHERE id = ?", [[a.id] for a in alerts])
    conn.executemany(
        "INSERT INTO alerts (id, rule, type, severity, score, state, mmsi, other_mmsi, asset_id, "
        "zone_id, lat, lon, first_ts, last_ts, event_ids, event_count, summary, assigned_boat, "
        "resolution, escalated, exercise, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                a.id,
                a.rule,
                a.type,
                a.severity.value,
                a.score,
                a.state.value,
                a.mmsi,
                a.other_mmsi,
                a.asset_id,
                a.zone_id,
                a.lat,
                a.lon,
                a.first_ts,
                a.last_ts,
                json.dumps(list(a.event_ids)),
                a.event_count,
                a.summary,
                a.assigned_boat,
                a.resolution,
                a.escalated,
                a.exercise,
                a.created_at,
                a.updated_at,
            ]
            for a in alerts
        ],
    )


def insert_transitions(db: Db, transitions: Sequence[Transition]) -> None:
    if not transitions:
        return
    with writing(db) as conn:
        _insert_transitions(conn, transitions)


def _insert_transitions(
    conn: Session, transitions: Sequence[Transition]
) -> None:
    conn.executemany(
        "INSERT INTO alert_transitions (alert_id, ts, actor, from_state, to_state, boat, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                t.alert_id,
                t.ts,
                t.actor,
                t.from_state.value if t.from_state else None,
                t.to_state.value,
                t.boat,
                t.reason,
            ]
            for t in transitions
        ],
    )


def list_transitions(
    db: Db,
    since: datetime | None = None,
    alert_id: str | None = None,
) -> list[Transition]:
    """Transitions in time order, optionally since a time and/or for one alert."""
    sql = (
        "SELECT alert_id, epoch_us(ts), actor, from_state, to_state, boat, reason "
        "FROM alert_transitions"
    )
    sql, params = _filtered(sql, {"ts >= ?": since, "alert_id = ?": alert_id})
    sql += " ORDER BY ts, alert_id"
    return [
        Transition(
            aid, _ts(ts), actor, AlertState(frm) if frm else None, AlertState(to), boat, reason
        )
        for aid, ts, actor, frm, to, boat, reason in reading(db).execute(sql, params).fetchall()
    ]


def insert_note(db: Db, note: Note) -> None:
    with writing(db) as conn:
        conn.execute(
            "INSERT INTO alert_notes (alert_id, ts, author, text) VALUES (?, ?, ?, ?)",
            [note.alert_id, note.ts, note.author, note.text],
        )


def list_notes(
    db: Db, alert_id: str | None = None, since: datetime | None = None
) -> list[Note]:
    sql = "SELECT alert_id, epoch_us(ts), author, text FROM alert_notes"
    sql, params = _filtered(sql, {"alert_id = ?": alert_id, "ts >= ?": since})
    sql += " ORDER BY ts"
    return [Note(a, _ts(t), au, tx) for a, t, au, tx in reading(db).execute(sql, params).fetchall()]


def count_alerts_by_vessel(db: Db) -> dict[int, int]:
    """Alerts per MMSI (either vessel of a pair), for severity history."""
    rows = reading(db).execute(
        "SELECT m, count(*) FROM (SELECT mmsi AS m FROM alerts WHERE mmsi IS NOT NULL "
        "UNION ALL SELECT other_mmsi FROM alerts WHERE other_mmsi IS NOT NULL) GROUP BY m"
    ).fetchall()
    return {int(m): int(n) for m, n in rows}


def stored_events(
    db: Db, since: datetime | None = None
) -> tuple[list[Event], set[str]]:
    """Events from the ``events`` table (ending at or after ``since``) as the rule engine's
    input, and the ids of those that belong to exercises."""
    sql = (
        "SELECT id, type, mmsi, other_mmsi, epoch_us(start_ts), epoch_us(end_ts), lat, lon, "
        "zone_id, asset_id, evidence, is_open, exercise FROM events"
    )
    params: list[Any] = []
    if since is not None:
        sql += " WHERE end_ts >= ?"
        params.append(since)
    sql += " ORDER BY start_ts, id"
    events: list[Event] = []
    exercise: set[str] = set()
    for row in reading(db).execute(sql, params).fetchall():
        (_id, typ, mmsi, other, start, end, lat, lon, zone, asset, evidence, is_open, ex) = row
        event = Event(
            type=typ,
            mmsi=mmsi,
            other_mmsi=other,
            start=_ts(start),
            end=_ts(end),
            lat=float(lat),
            lon=float(lon),
            zone_id=zone,
            asset_id=asset,
            evidence=json.loads(evidence) if evidence else {},
            open=bool(is_open),
        )
        events.append(event)
        if ex:
            exercise.add(event.id)
    return events, exercise
