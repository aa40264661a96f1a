"""Per-source feed counters of the live runtime, read by ``/metrics``, ``/api/health`` and the
once-a-minute log line.

Listeners and the ingest thread add to them; readers take a :meth:`FeedCounters.snapshot`.
A counter only ever grows (Prometheus counters), except ``connected``, a state.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["FeedCounters", "SourceStats"]


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What one source (``udp:10110``, ``tcp:host:port``, ``file:path``) has done so far."""

    source: str
    #: lines received from the transport (before the queue)
    received: int = 0
    #: lines ingest accepted (decoded, or kept as a fragment of a message)
    accepted: int = 0
    #: lines ingest rejected, by reason (bad checksum, garbage, …)
    rejected: int = 0
    #: lines dropped because the queue was full (a slow consumer) or over a bound
    dropped: int = 0
    #: connected (TCP), listening (UDP), open (file); None before the first attempt
    connected: bool | None = None
    #: times a connection was (re)established
    connects: int = 0
    #: time.monotonic() of the last line received, None before the first
    last_line_monotonic: float | None = None


class _Counts:
    """The mutable counts behind one source's :class:`SourceStats` (updated in place: a
    listener calls in per datagram, so nothing is allocated per call)."""

    __slots__ = ("accepted", "connected", "connects", "dropped", "last_line_monotonic",
                 "received", "rejected")

    def __init__(self) -> None:
        self.received = self.accepted = self.rejected = self.dropped = self.connects = 0
        self.connected: bool | None = None
        self.last_line_monotonic: float | None = None

    def frozen(self, source: str) -> SourceStats:
        return SourceStats(source, self.received, self.accepted, self.rejected, self.dropped,
                           self.connected, self.connects, self.last_line_monotonic)


class FeedCounters:
    """Thread-safe counters per source; cheap enough to call per line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, _Counts] = {}

    def _get(self, source: str) -> _Counts:
        found = self._counts.get(source)
        if found is None:
            found = self._counts[source] = _Counts()
        return found

    def received(self, source: str, n: int = 1) -> None:
        with self._lock:
            c = self._get(source)
            c.received += n
            c.last_line_monotonic = time.monotonic()

    def ingested(self, source: str, accepted: int, rejected: int) -> None:
        with self._lock:
            c = self._get(source)
            c.accepted += accepted
            c.rejected += rejected

    def dropped(self, source: str, n: int = 1) -> None:
        with self._lock:
            self._get(source).dropped += n

    def connected(self, source: str, up: bool) -> None:
        with self._lock:
            c = self._get(source)
            c.connected = up
            if up:
                c.connects += 1

    def snapshot(self) -> dict[str, SourceStats]:
        with self._lock:
            return {name: c.frozen(name) for name, c in self._counts.items()}
