"""What several ``khazar serve`` on one PostgreSQL database share besides the tables: a
notification channel for live updates, and the lease of live detection.

- :class:`Channel`: ``NOTIFY``/``LISTEN`` on one channel. A message is JSON text; one longer
  than PostgreSQL's payload limit goes through the table ``live_outbox`` and the
  notification carries its id.
- :class:`DetectionLease`: whoever holds the session-level advisory lock
  :data:`DETECTION_LOCK` runs live detection. The lock lives as long as its connection:
  when the holder's process dies (even by ``kill -9``) the server closes the connection and
  the lock is free at once; the others try every second. The lease row ``live_leader``
  says who holds it, since when, from which position on its detection started and its last
  heartbeat, so a successor knows whether to take over that detection or start afresh.

A DuckDB store has one process: :func:`shared` returns False and nothing here is used.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from khazar.errors import StoreError
from khazar.store.db import Store
from khazar.store.postgres import PostgresBackend

__all__ = ["Channel", "DetectionLease", "LeaderRecord", "shared"]

#: the advisory lock key of live detection (one leader across servers)
DETECTION_LOCK = 0x6B68_0003
_CHANNEL = "khazar_live"
#: PostgreSQL refuses payloads of 8000 bytes or more; leave room for the envelope
_PAYLOAD_MAX = 7000


def shared(store: Store) -> bool:
    """True when other processes may use the same database at the same time."""
    return isinstance(store.conn, PostgresBackend)


def _backend(store: Store) -> PostgresBackend:
    if not isinstance(store.conn, PostgresBackend):
        raise StoreError("live coordination needs a PostgreSQL store")
    return store.conn


class Channel:
    """Live updates between the servers of one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._backend = _backend(store)

    def send(self, message: dict[str, Any]) -> None:
        """Deliver ``message`` (JSON-able) to every listening server, this one included."""
        text = json.dumps(message, separators=(",", ":"), default=str, ensure_ascii=False)
        if len(text.encode()) > _PAYLOAD_MAX:
            row = self.store.execute(
                "INSERT INTO live_outbox (created_at, body) VALUES (?, ?) RETURNING id",
                [datetime.now(UTC), text]).fetchone()
            assert row is not None
            text = json.dumps({"outbox": int(row[0])})
        self.store.execute("SELECT pg_notify(?, ?)", [_CHANNEL, text])

    def listen(self, on_message: Callable[[dict[str, Any]], None], stop: threading.Event,
               on_ready: Callable[[], None] | None = None) -> None:
        """Call ``on_message`` for every message until ``stop`` is set (blocks: run it on a
        thread of its own). A lost connection raises :class:`StoreError`."""
        conn = self._backend.dedicated()
        try:
            conn.execute(f"LISTEN {_CHANNEL}")
            if on_ready is not None:
                on_ready()
            while not stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    message = self._read(note.payload)
                    if message is not None:
                        on_message(message)
        except StoreError:
            raise
        except Exception as exc:  # psycopg's errors: the connection is gone
            raise StoreError(f"live channel lost: {exc}") from exc
        finally:
            conn.close()

    def _read(self, payload: str) -> dict[str, Any] | None:
        message = json.loads(payload)
        if set(message) == {"outbox"}:
            row = self.store.execute("SELECT body FROM live_outbox WHERE id = ?",
                                     [int(message["outbox"])]).fetchone()
            if row is None:
                return None
            message = json.loads(row[0])
        return message if isinstance(message, dict) else None

    def prune(self, older_than: datetime) -> None:
        """Forget outbox messages every listener has had time to read."""
        self.store.execute("DELETE FROM live_outbox WHERE created_at < ?", [older_than])


@dataclass(frozen=True)
class LeaderRecord:
    """The lease row: who leads live detection and from where its detection started."""

    holder: str
    since: datetime
    heartbeat: datetime
    origin_positions: int
    origin_detections: int


class DetectionLease:
    """The live detection lease of one server (``holder`` names it: host, PID, port)."""

    def __init__(self, store: Store, holder: str) -> None:
        self.store = store
        self.holder = holder
        self._backend = _backend(store)
        self._conn: Any = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lease if it is free (True), on a connection of its own."""
        if self._conn is not None:
            return True
        conn = self._backend.dedicated()
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", [DETECTION_LOCK]).fetchone()
        if not row or not row[0]:
            conn.close()
            return False
        self._conn = conn
        return True

    def alive(self) -> bool:
        """Whether the lease is still held (its connection answers)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()
        except Exception:  # the connection is gone, and with it the lock
            self.release()
            return False
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                conn.close()  # the lock goes with the session

    # the lease row ------------------------------------------------------------------
    def previous(self) -> LeaderRecord | None:
        """The last leader's record (None when no server ever led on this database)."""
        row = self.store.execute(
            "SELECT holder, since, heartbeat, origin_positions, origin_detections "
            "FROM live_leader WHERE name = 'live'").fetchone()
        if row is None:
            return None
        return LeaderRecord(str(row[0]), row[1], row[2], int(row[3]), int(row[4]))

    def record(self, origin_positions: int, origin_detections: int, now: datetime) -> None:
        """This server leads from now on; its detection covers rows after the origins."""
        self.store.execute(
            "INSERT INTO live_leader (name, holder, since, heartbeat, origin_positions, "
            "origin_detections) VALUES ('live', ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
            "SET holder = excluded.holder, since = excluded.since, "
            "heartbeat = excluded.heartbeat, origin_positions = excluded.origin_positions, "
            "origin_detections = excluded.origin_detections",
            [self.holder, now, now, origin_positions, origin_detections])

    def beat(self, now: datetime) -> None:
        self.store.execute("UPDATE live_leader SET heartbeat = ? WHERE name = 'live' "
                           "AND holder = ?", [now, self.holder])
