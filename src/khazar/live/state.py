"""What the running server holds: the one store handle, its lock, sessions, the live hub.

``khazar serve`` is the only writer of the store. DuckDB connections are not safe to
share between threads mid-transaction, so every write of the store — API writes, the
ingest pipeline, live detection — goes through :meth:`ServerState.locked`. Reads that need
no write's company (the API's collections) go through :meth:`ServerState.reading`: a
session of the request thread's own, which sees what is committed and waits for no one, so
a running feed's batches never hold a watch officer's alert list.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from khazar.config import Settings
from khazar.live.answers import Answers
from khazar.live.hub import LiveHub
from khazar.live.stats import FeedCounters
from khazar.services.logins import Waits
from khazar.services.passwords import PasswordWorkers
from khazar.services.sessions import SessionStore
from khazar.store import Store
from khazar.store.access import reader
from khazar.store.backend import Session

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
    #: each thread's own reading session (:meth:`reading`)
    _readers: threading.local = field(default_factory=threading.local)
    #: the alert list's answers, kept while no alert changed (``serve.answer_cache_s``)
    alert_answers: Answers = field(init=False)
    #: the live picture's answers, kept until the publisher's next tick
    vessel_answers: Answers = field(init=False)

    def __post_init__(self) -> None:
        ttl = self.settings.serve.answer_cache_s
        self.alert_answers = Answers(self.hub, ("alert", "note"), ttl)
        self.vessel_answers = Answers(self.hub, ("positions",), ttl)

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

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session of this thread's own for reads (committed data, no lock): DuckDB's
        cursors and PostgreSQL's pooled connections read while another thread writes."""
        session = getattr(self._readers, "session", None)
        if session is None:
            session = self._readers.session = reader(self.store)
        yield session

    def count(self, name: str, n: int = 1) -> None:
        with self.counters_lock:
            self.counters[name] = self.counters.get(name, 0) + n
