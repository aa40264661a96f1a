"""What the running server holds: the one store handle, its lock, sessions, the live hub.

``khazar serve`` is the only writer of the store. DuckDB connections are not safe to
share between threads mid-transaction, so every use of the store — API reads, API
writes, the ingest pipeline — goes through :meth:`ServerState.locked`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from khazar.config import Settings
from khazar.live.hub import LiveHub
from khazar.live.stats import FeedCounters
from khazar.services.logins import Waits
from khazar.services.passwords import PasswordWorkers
from khazar.services.sessions import SessionStore
from khazar.store import Store

__all__ = ["ServerState"]


@dataclass
class ServerState:
    """Everything the routes need, created once per app."""

    store: Store
    settings: Settings
    sessions: SessionStore
    hub: LiveHub
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: guards only the counters, so a listener never waits for the store
    counters_lock: threading.Lock = field(default_factory=threading.Lock)
    #: guards ``cache`` (slow to fill: never under the store lock)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    #: counters the pipeline and the live stream report on /api/status
    counters: dict[str, int] = field(default_factory=dict)
    #: free-form status of optional components (listeners, detection, …)
    components: dict[str, Any] = field(default_factory=dict)
    #: results computed once per process (geography as GeoJSON, criticality …)
    cache: dict[str, Any] = field(default_factory=dict)
    #: the exercise director (:class:`khazar.live.exercise.ExerciseDirector`), set by the server
    exercises: Any = None
    #: per-source feed counters (``/metrics``, ``/api/health``, the minute log line)
    feeds: FeedCounters = field(default_factory=FeedCounters)
    #: seconds the committed detection lags the newest ingested position (None: not running)
    detection_lag_s: float | None = None
    #: where password checks run (never under ``lock``)
    passwords: PasswordWorkers = field(default_factory=PasswordWorkers)
    #: login waits already read from the store (:class:`khazar.services.logins.Waits`)
    login_waits: Waits = field(default_factory=Waits)

    @classmethod
    def create(cls, store: Store, settings: Settings, live_queue_max: int = 1000) -> ServerState:
        ttl = timedelta(minutes=settings.session_ttl_min)
        workers = PasswordWorkers(settings.login.password_workers,
                                  settings.login.password_queue)
        return cls(store, settings, SessionStore(ttl), LiveHub(live_queue_max),
                   passwords=workers)

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Exclusive use of the store for one short unit of work."""
        with self.lock:
            yield self.store

    def count(self, name: str, n: int = 1) -> None:
        with self.counters_lock:
            self.counters[name] = self.counters.get(name, 0) + n
