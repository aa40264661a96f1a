"""Live updates fan-out: publishers (ingest, detection, alert actions) → browser streams.

Every subscriber (one Server-Sent-Events stream) has its own bounded queue. Publishing
never waits: when a subscriber's queue is full the message is dropped *for that
subscriber only* and counted, so a slow browser never blocks ingest. Publishing is safe
from any thread; delivery happens on the server's event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveHub", "LiveMessage", "Subscription"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One update: ``kind`` is the SSE event name (``positions``, ``alert``, ``event``…)."""

    kind: str
    data: dict[str, Any]
    seq: int = 0
    _sse: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def to_sse(self) -> str:
        """The message as one Server-Sent-Events frame, serialised once however many
        streams send it (an update of 5,000 vessels is ~2.6 MB of JSON)."""
        if not self._sse:
            payload = json.dumps(self.data, separators=(",", ":"), default=str,
                                 ensure_ascii=False)
            self._sse.append(f"id: {self.seq}\nevent: {self.kind}\ndata: {payload}\n\n")
        return self._sse[0]


@dataclass(eq=False)
class Subscription:
    """A subscriber's bounded queue and its drop count."""

    queue: asyncio.Queue[LiveMessage]
    loop: asyncio.AbstractEventLoop
    dropped: int = 0
    delivered: int = field(default=0)


class LiveHub:
    """Bounded, non-blocking publish/subscribe for live updates."""

    def __init__(self, queue_max: int = 1000) -> None:
        if queue_max <= 0:
            raise ValueError(f"live queue_max must be positive, got {queue_max}")
        self.queue_max = queue_max
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.published = 0
        #: messages published so far, by kind (answers built from the store stay good
        #: while the kinds they show have not moved: :class:`khazar.live.answers.Answers`)
        self._by_kind: dict[str, int] = {}
        #: also hands each message to the other servers of the database (set by
        #: :class:`khazar.live.cluster.ServerLink`; None for a single server)
        self.relay: Callable[[str, dict[str, Any]], None] | None = None

    def subscribe(self) -> Subscription:
        """A new subscription on the running event loop (call from async code)."""
        sub = Subscription(asyncio.Queue(maxsize=self.queue_max), asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def generation(self, kinds: tuple[str, ...]) -> int:
        """How many messages of ``kinds`` were published so far (on this server or, by
        the relay, on any server of the database)."""
        with self._lock:
            return sum(self._by_kind.get(k, 0) for k in kinds)

    @property
    def dropped(self) -> int:
        with self._lock:
            return sum(s.dropped for s in self._subs)

    def publish(self, kind: str, data: dict[str, Any], relay: bool = True) -> LiveMessage:
        """Queue ``data`` for every subscriber without blocking (from any thread). The
        message is serialised here, on the publisher's thread, not on the event loop that
        serves the API. With ``relay`` it goes to the other servers too (a message that
        came from one is published with ``relay=False``)."""
        forward = self.relay if relay else None
        if forward is not None:
            try:
                forward(kind, data)
            except Exception:  # this server's own browsers still get it
                logger.warning("relaying a %s update to the other servers failed", kind,
                               exc_info=True)
        msg = LiveMessage(kind, data, next(self._seq))
        with self._lock:
            subs = list(self._subs)
            self.published += 1
            self._by_kind[kind] = self._by_kind.get(kind, 0) + 1
        if subs:
            msg.to_sse()
        for sub in subs:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is sub.loop:
                _offer(sub, msg)
            elif not sub.loop.is_closed():
                sub.loop.call_soon_threadsafe(_offer, sub, msg)
        return msg


def _offer(sub: Subscription, msg: LiveMessage) -> None:
    try:
        sub.queue.put_nowait(msg)
        sub.delivered += 1
    except asyncio.QueueFull:
        sub.dropped += 1
