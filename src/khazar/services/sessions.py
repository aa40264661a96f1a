"""Server-side web sessions: random opaque ids in a cookie, expiring, with a CSRF token.

The session id is the only thing the browser holds (``HttpOnly`` cookie); the server keeps
who it belongs to, the role, the CSRF token and when it expires. Sessions live in the
memory of the one ``khazar serve`` process: a restart logs everyone out, which is the
safe direction. The clock is injected so that expiry is testable without sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

__all__ = ["Session", "SessionStore"]


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
        self._lock = threading.Lock()

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
                return None
            refreshed = replace(
                session, expires_at=min(now + self.ttl, session.created_at + self.max_age)
            )
            self._sessions[session_id] = refreshed
            return refreshed

    def delete(self, session_id: str | None) -> bool:
        """End a session; True if it existed."""
        if not session_id:
            return False
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def delete_user(self, username: str, keep: str | None = None) -> int:
        """End every session of ``username`` (after a password change or disable), but
        the one whose id is ``keep``."""
        with self._lock:
            ids = [s.id for s in self._sessions.values()
                   if s.username == username and s.id != keep]
            for sid in ids:
                del self._sessions[sid]
            return len(ids)

    def live(self) -> list[Session]:
        """The sessions that have not expired, oldest first."""
        with self._lock:
            self._purge(self._clock())
            return sorted(self._sessions.values(), key=lambda s: s.created_at)

    def delete_handle(self, handle: str) -> Session | None:
        """End the session whose :attr:`Session.handle` this is; the session, or None."""
        with self._lock:
            for session in self._sessions.values():
                if session.handle == handle:
                    del self._sessions[session.id]
                    return session
        return None

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._sessions)

    def _purge(self, now: datetime) -> None:
        for sid in [s.id for s in self._sessions.values() if s.expires_at <= now]:
            del self._sessions[sid]
