"""Server-side web sessions: random opaque ids in a cookie, expiring, with a CSRF token.

The session id is the only thing the browser holds (``HttpOnly`` cookie); the server keeps
who it belongs to, the role, the CSRF token and when it expires. Sessions live in the
memory of the one ``khazar serve`` process: a restart logs everyone out, which is the
safe direction. The clock is injected so that expiry is testable without sleeping.

Ending a session is not only forgetting it: whoever holds it open (a live stream) asked to
be told (:meth:`SessionStore.watch`) and is told at once, with the :class:`EndReason`. An
end that concerns a user (disabled, new role, new password) or a session another server
may hold is also handed to :attr:`SessionStore.relay`, which the server profile sets to
reach the other servers of the database (:class:`khazar.live.cluster.ServerLink`); what
arrives from them is applied with :meth:`SessionStore.apply`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = ["EndReason", "Session", "SessionStore", "Watcher"]

logger = logging.getLogger(__name__)


class EndReason(StrEnum):
    """Why a session ended: what its live stream tells the console before it closes."""

    logout = "logout"
    disabled = "disabled"
    role_changed = "role_changed"
    password_changed = "password_changed"
    ended_by_admin = "ended_by_admin"
    expired = "expired"

    @property
    def message(self) -> str:
        """The sentence a user reads (the console has its own, translated, per reason)."""
        return _MESSAGES[self]


_MESSAGES = {
    EndReason.logout: "you signed out of this session",
    EndReason.disabled: "your account was disabled by an administrator",
    EndReason.role_changed: "your role was changed; sign in again to work with the new role",
    EndReason.password_changed: "your password was changed; sign in again with the new one",
    EndReason.ended_by_admin: "an administrator ended this session",
    EndReason.expired: "your session expired; sign in again",
}

#: told (on the thread that ended the session) why the watched session ended
Watcher = Callable[[EndReason], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Session:
    """One logged-in browser (or API client)."""

    id: str
    username: str
    role: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime

    @property
    def handle(self) -> str:
        """What an admin sees and names to end it: a digest of the id, never the id
        (which is the credential)."""
        return hashlib.sha256(self.id.encode()).hexdigest()[:16]


class SessionStore:
    """Thread-safe map of session id → :class:`Session` with sliding expiry.

    ``ttl`` is the idle lifetime: each successful :meth:`get` moves the expiry ``ttl``
    past now, but never beyond ``max_age`` after login.
    """

    def __init__(
        self,
        ttl: timedelta,
        max_age: timedelta | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"session ttl must be positive, got {ttl}")
        self.ttl = ttl
        self.max_age = max_age if max_age is not None else ttl * 3
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._watchers: dict[str, list[Watcher]] = {}
        self._lock = threading.Lock()
        #: also hands a user's or a handle's end to the other servers of the database
        #: (set by :class:`khazar.live.cluster.ServerLink`; None for a single server)
        self.relay: Callable[[dict[str, str]], None] | None = None

    def create(self, username: str, role: str) -> Session:
        """A new session for ``username`` with fresh random id and CSRF token."""
        now = self._clock()
        session = Session(
            id=secrets.token_urlsafe(32),
            username=username,
            role=role,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.ttl,
        )
        with self._lock:
            self._purge(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (refreshing its expiry), or None."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires_at <= now:
                del self._sessions[session_id]
                self._watchers.pop(session_id, None)
                return None
            refreshed = replace(
                session, expires_at=min(now + self.ttl, session.created_at + self.max_age)
            )
            self._sessions[session_id] = refreshed
            return refreshed

    def delete(self, session_id: str | None,
               reason: EndReason = EndReason.logout) -> bool:
        """End a session; True if it existed. Its watchers are told ``reason``."""
        if not session_id:
            return False
        with self._lock:
            ended = self._sessions.pop(session_id, None)
            told = self._watchers.pop(session_id, []) if ended is not None else []
        self._tell(told, reason)
        return ended is not None

    def delete_user(self, username: str, keep: str | None = None,
                    reason: EndReason = EndReason.disabled, relay: bool = True) -> int:
        """End every session of ``username`` (after a password change or disable), but
        the one whose id is ``keep``; how many ended here. With ``relay`` the other
        servers end theirs too (the kept session lives here, so they keep none)."""
        with self._lock:
            ids = [s.id for s in self._sessions.values()
                   if s.username == username and s.id != keep]
            told: list[Watcher] = []
            for sid in ids:
                del self._sessions[sid]
                told += self._watchers.pop(sid, [])
        self._tell(told, reason)
        if relay:
            self._relay({"username": username, "reason": reason.value})
        return len(ids)

    def live(self) -> list[Session]:
        """The sessions that have not expired, oldest first."""
        with self._lock:
            self._purge(self._clock())
            return sorted(self._sessions.values(), key=lambda s: s.created_at)

    def delete_handle(self, handle: str, reason: EndReason = EndReason.ended_by_admin,
                      relay: bool = True) -> Session | None:
        """End the session whose :attr:`Session.handle` this is; the session, or None.
        Not held here and ``relay``: the other servers are asked to end it."""
        with self._lock:
            found = next((s for s in self._sessions.values() if s.handle == handle), None)
            told: list[Watcher] = []
            if found is not None:
                del self._sessions[found.id]
                told = self._watchers.pop(found.id, [])
        self._tell(told, reason)
        if found is None and relay:
            self._relay({"handle": handle, "reason": reason.value})
        return found

    def apply(self, ended: dict[str, Any]) -> int:
        """Apply an end another server relayed (``{"username"|"handle", "reason"}``):
        how many sessions ended here. Anything else is ignored (logged)."""
        try:
            reason = EndReason(str(ended.get("reason")))
        except ValueError:
            logger.warning("ignored a relayed session end with reason %r", ended.get("reason"))
            return 0
        if isinstance(ended.get("username"), str):
            return self.delete_user(ended["username"], reason=reason, relay=False)
        if isinstance(ended.get("handle"), str):
            return int(self.delete_handle(ended["handle"], reason, relay=False) is not None)
        logger.warning("ignored a relayed session end naming no user or handle: %r", ended)
        return 0

    def recheck(self, users: Mapping[str, tuple[str, bool]],
                read_at: datetime | None = None) -> int:
        """End the sessions whose user is no longer what it was at login: ``users`` maps
        each user name of an open session to its stored ``(role, disabled)``; a name
        missing from it is a user that no longer exists. Disabled or gone: ``disabled``;
        another role: ``role_changed``. Not relayed (every server checks its own); how
        many ended. The backstop of the relayed ends, for a message a server missed.
        ``read_at``: when ``users`` was read; sessions opened since are left alone."""
        ended: list[tuple[str, EndReason]] = []
        with self._lock:
            for session in self._sessions.values():
                if read_at is not None and session.created_at >= read_at:
                    continue
                stored = users.get(session.username)
                if stored is None or stored[1]:
                    ended.append((session.id, EndReason.disabled))
                elif stored[0] != session.role:
                    ended.append((session.id, EndReason.role_changed))
            told: list[tuple[list[Watcher], EndReason]] = []
            for sid, reason in ended:
                del self._sessions[sid]
                told.append((self._watchers.pop(sid, []), reason))
        for watchers, reason in told:
            self._tell(watchers, reason)
        return len(ended)

    def watch(self, session_id: str, watcher: Watcher) -> Callable[[], None] | None:
        """Call ``watcher(reason)`` when the session ends (deleted here or relayed; not on
        expiry, which the holder sees when it next looks). None when it has already
        ended; else the function that stops watching."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.expires_at <= self._clock():
                return None
            self._watchers.setdefault(session_id, []).append(watcher)

        def unwatch() -> None:
            with self._lock:
                left = self._watchers.get(session_id)
                if left is not None and watcher in left:
                    left.remove(watcher)
                    if not left:
                        del self._watchers[session_id]

        return unwatch

    def _tell(self, watchers: list[Watcher], reason: EndReason) -> None:
        for watcher in watchers:
            try:
                watcher(reason)
            except Exception:  # one broken watcher never keeps the others open
                logger.warning("a session watcher failed", exc_info=True)

    def _relay(self, ended: dict[str, str]) -> None:
        forward = self.relay
        if forward is None:
            return
        try:
            forward(ended)
        except Exception:  # this server's own sessions are ended; the others' log it
            logger.error("could not tell the other servers that sessions ended (%s)", ended,
                         exc_info=True)

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._sessions)

    def _purge(self, now: datetime) -> None:
        for sid in [s.id for s in self._sessions.values() if s.expires_at <= now]:
            del self._sessions[sid]
            # an expired session's watchers look for themselves (live streams do so at
            # each keep-alive): forgotten here, never told under the lock
            self._watchers.pop(sid, None)
