"""Several ``khazar serve`` on one PostgreSQL database (DESIGN.md C11): live updates cross
servers, and live detection runs on one of them.

Each server ingests its own feeds and serves its own consoles; all of them read the same
tables. What one server's hub publishes (alerts, notes, boats: not positions, which every
server's publisher reads from the shared table) is relayed to the others through the
database's notification channel, and published there as if it were their own. After each
batch a server stores it says so on the channel, which wakes the leader's detection.

Live detection is led: the server that holds the detection lease
(:class:`~khazar.store.coordination.DetectionLease`, an advisory lock that dies with its
connection) runs :class:`~khazar.live.detection.LiveDetection`; the others try every
``live.lease_poll_s``. A successor that finds the last leader's heartbeat recent takes its
detection over from the same origin: its first look re-reads every position stored since
then from the committed tables and runs the detectors over them, so tracks, dwell times and
open behaviours are whole again. Event and alert ids derive from what was detected, not
from who detected it, so the re-run stores and raises nothing twice.

Sessions live in each server's memory, but ending them is everyone's business: a user
disabled, given a new role or a new password on one server (or by the CLI writing to the
database directly: :func:`announce_session_end`) loses their sessions, and the live streams
that hang on them, on every server; an admin's end of a session another server holds
reaches it the same way.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.live.detection import LiveDetection
from khazar.live.state import ServerState
from khazar.services.users import list_users
from khazar.store import Store, coordination
from khazar.store import live as repo

__all__ = ["ServerLink", "announce_session_end"]

logger = logging.getLogger(__name__)

#: hub messages every server derives for itself (from the shared positions table)
_LOCAL_KINDS = frozenset({"positions"})
_STORED = "_stored"
#: sessions ended on one server (``{"username"|"handle", "reason"}``), for all the others
_SESSIONS = "_sessions"


def announce_session_end(store: Store, ended: dict[str, str], origin: str = "cli") -> bool:
    """Tell every server of a shared database that sessions ended (``{"username": name,
    "reason": r}`` or ``{"handle": h, "reason": r}``, see
    :meth:`~khazar.services.sessions.SessionStore.apply`); False (nothing sent) for a
    store no other process uses."""
    if not coordination.shared(store):
        return False
    coordination.Channel(store).send({"origin": origin, "kind": _SESSIONS, "data": ended})
    return True


class ServerLink:
    """This server's part among the servers of one database."""

    def __init__(self, state: ServerState, on_detection: Callable[[LiveDetection | None], None],
                 lead: bool = True, poll_s: float = 1.0, takeover_window_s: float = 120.0,
                 session_check_s: float = 5.0) -> None:
        """``on_detection(detection)`` hands the runtime the detection this server now
        runs (started), or None when it lost the lease. ``lead``: this server may run
        detection (``khazar serve --no-detect`` and ``listen`` only relay).
        ``session_check_s``: how often this server's sessions are checked against the
        users table (the backstop of the relayed ends)."""
        self.state = state
        self.lead = lead
        self.server_id = uuid.uuid4().hex[:12]
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{self.server_id}"
        self.poll_s = poll_s
        self.takeover_window = timedelta(seconds=takeover_window_s)
        self.session_check_s = session_check_s
        self._on_detection = on_detection
        self.channel = coordination.Channel(state.store)
        self.lease = coordination.DetectionLease(state.store, self.holder)
        self.detection: LiveDetection | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._stored_at = 0.0
        self._listener = threading.Thread(target=self._listen_loop, name="khazar-link-listen",
                                          daemon=True)
        self._elector = threading.Thread(target=self._elect_loop, name="khazar-link-lease",
                                         daemon=True)

    @property
    def leader(self) -> bool:
        return self.lease.held

    def start(self) -> None:
        self.state.hub.relay = self._relay
        self.state.sessions.relay = self._relay_sessions
        self._listener.start()
        self._listening.wait(timeout=10)
        self._elector.start()

    def stop(self) -> None:
        self._stop.set()
        self.state.hub.relay = None
        self.state.sessions.relay = None
        for thread in (self._elector, self._listener):
            if thread.ident is not None:
                thread.join(timeout=5)
        self._lose()

    # live updates --------------------------------------------------------------------
    def _relay(self, kind: str, data: dict[str, Any]) -> None:
        if kind in _LOCAL_KINDS:
            return
        self.channel.send({"origin": self.server_id, "kind": kind, "data": data})

    def _relay_sessions(self, ended: dict[str, str]) -> None:
        self.channel.send({"origin": self.server_id, "kind": _SESSIONS, "data": ended})

    def stored(self) -> None:
        """A batch was stored here: wake the detection, here or on the leader (at most
        every 0.2 s: the leader also looks every ``live.detect_period_s``)."""
        if self.detection is not None:
            self.detection.wake()
            return
        now = time.monotonic()
        if now - self._stored_at < 0.2:
            return
        self._stored_at = now
        try:
            self.channel.send({"origin": self.server_id, "kind": _STORED, "data": {}})
        except Exception:  # the leader looks by itself every period anyway
            logger.warning("could not tell the detection leader about new rows", exc_info=True)

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("origin") == self.server_id:
            return
        kind = str(message.get("kind", ""))
        if kind == _STORED:
            if self.detection is not None:
                self.detection.wake()
            return
        data = message.get("data")
        if kind == _SESSIONS:
            if isinstance(data, dict):
                ended = self.state.sessions.apply(data)
                self.state.count("link.sessions_ended", ended)
            return
        if isinstance(data, dict) and kind:
            self.state.count("link.received")
            self.state.hub.publish(kind, data, relay=False)

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.channel.listen(self._on_message, self._stop, self._listening.set)
            except Exception as exc:  # reconnect; meanwhile this server's consoles miss
                logger.warning("live channel: %s; reconnecting in 1 s", exc)
                self.state.components["link"] = f"channel lost: {exc}"
                self.state.count("link.reconnects")
                self._stop.wait(1.0)
            finally:
                self._listening.set()

    def check_sessions(self) -> int:
        """End this server's sessions whose user was disabled, removed or given another
        role without this server hearing of it (a notification lost while its channel
        reconnected, a change made in SQL); how many ended."""
        names = {s.username for s in self.state.sessions.live()}
        if not names:
            return 0
        read_at = datetime.now(UTC)
        with self.state.locked() as store:
            stored = {u.username: (u.role.value, u.disabled) for u in list_users(store)
                      if u.username in names}
        ended = self.state.sessions.recheck(stored, read_at)
        if ended:
            self.state.count("link.sessions_rechecked", ended)
            logger.warning("ended %d session(s) whose user was disabled or changed role "
                           "without word from the other servers", ended)
        return ended

    # the detection lease -------------------------------------------------------------
    def _elect_loop(self) -> None:
        last_beat = 0.0
        last_prune = last_check = time.monotonic()
        while not self._stop.is_set():
            try:
                if self.lease.held:
                    if not self.lease.alive():
                        logger.error("detection lease lost (its connection broke); "
                                     "stopping live detection here")
                        self._lose()
                    elif time.monotonic() - last_beat >= self.poll_s:
                        self.lease.beat(datetime.now(UTC))
                        last_beat = time.monotonic()
                elif self.lead and self.lease.try_acquire():
                    self._lead()
                    last_beat = time.monotonic()
                else:
                    self._follow()
                if time.monotonic() - last_prune > 60:
                    self.channel.prune(datetime.now(UTC) - timedelta(minutes=5))
                    last_prune = time.monotonic()
                if time.monotonic() - last_check >= self.session_check_s:
                    last_check = time.monotonic()
                    self.check_sessions()
            except Exception as exc:  # the database is away: try again next period
                logger.warning("detection lease: %s", exc)
                self.state.components["link"] = f"error: {type(exc).__name__}: {exc}"
            self._stop.wait(self.poll_s)

    def _lead(self) -> None:
        now = datetime.now(UTC)
        previous = self.lease.previous()
        with self.state.locked() as store:
            top = (repo.top_rowid(store, "positions"), repo.top_rowid(store, "detections"))
        if previous is not None and now - previous.heartbeat <= self.takeover_window:
            hours = self.state.settings.live.takeover_replay_h
            with self.state.locked() as store:
                origin = (repo.replay_origin(store, "positions", previous.origin_positions,
                                             hours),
                          repo.replay_origin(store, "detections", previous.origin_detections,
                                             hours))
            how = (f"took over from {previous.holder} (its detection re-read from row "
                   f"{origin[0]})")
        else:
            origin = top
            how = "leads (fresh: positions stored from now on)"
        self.lease.record(origin[0], origin[1], now)
        detection = LiveDetection(self.state, origin=origin)
        detection.start()
        self.detection = detection
        self.state.components["link"] = f"detection leader: {how}"
        self.state.count("link.leaderships")
        logger.warning("live detection: this server %s %s", self.holder, how)
        self._on_detection(detection)

    def _follow(self) -> None:
        previous = self.lease.previous()
        who = previous.holder if previous is not None else "none yet"
        self.state.components["link"] = f"follower (detection leader: {who})"

    def _lose(self) -> None:
        detection, self.detection = self.detection, None
        self.lease.release()
        if detection is not None:
            detection.stop()
            self._on_detection(None)
