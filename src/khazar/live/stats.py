"""Per-source feed counters of the live runtime, read by ``/metrics``, ``/api/health``,
``/api/status`` and the once-a-minute log line.

Listeners and the ingest thread add to them; readers take a :meth:`FeedCounters.snapshot`.
A counter only ever grows (Prometheus counters), except ``connected``, a state. The counts
are kept in the store (:mod:`khazar.store.feedcounts`) and go on from there after a
restart: :meth:`FeedCounters.totals` is what is saved, :meth:`FeedCounters.restore` what a
new process starts from.

Every line received ends in one bucket: ``received == accepted + rejected + dropped`` once
the queue and the multipart assembly are empty; ``kernel_drops`` are datagrams the kernel
dropped before the listener read them (never received).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OTHER_PEERS", "PEERS_LISTED", "SAVED", "FeedCounters", "SourceStats"]

#: sending addresses whose refused lines are counted one by one, per source
PEERS_LISTED = 64
#: where the refused lines of further addresses are counted
OTHER_PEERS = "other addresses"


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What one source (``udp:10110``, ``tcp:host:port``, ``file:path``) has done so far."""

    source: str
    #: lines received from the transport (before the queue)
    received: int = 0
    #: lines ingest accepted (decoded, or kept as a fragment of a message)
    accepted: int = 0
    #: lines rejected: by ingest (bad checksum, garbage, …) or by the bounds (too long, over
    #: the rate); per reason in ``reasons``
    rejected: int = 0
    #: lines dropped because the queue was full (a slow consumer: lines or bytes)
    dropped: int = 0
    #: connected (TCP), listening (UDP), open (file); None before the first attempt
    connected: bool | None = None
    #: times a connection was (re)established
    connects: int = 0
    #: time.monotonic() of the last line received, None before the first
    last_line_monotonic: float | None = None
    #: datagrams the kernel dropped on this UDP socket (its receive buffer was full)
    kernel_drops: int = 0
    #: rejected lines by reason
    reasons: Mapping[str, int] = field(default_factory=dict)


#: the counters kept in the store, by name (``reason:<r>`` are the rejects by reason)
SAVED = ("received", "accepted", "rejected", "dropped", "connects", "kernel_drops")


class _Counts:
    """The mutable counts behind one source's :class:`SourceStats` (updated in place: a
    listener calls in per datagram, so nothing is allocated per call)."""

    __slots__ = ("accepted", "connected", "connects", "dropped", "kernel_drops",
                 "last_line_monotonic", "live", "peers", "reasons", "received", "rejected")

    def __init__(self) -> None:
        #: the source has done something in this process (not only counts restored)
        self.live = True
        self.received = self.accepted = self.rejected = self.dropped = self.connects = 0
        self.kernel_drops = 0
        self.connected: bool | None = None
        self.last_line_monotonic: float | None = None
        self.reasons: dict[str, int] = {}
        #: lines refused by the transport, by sending address and reason (this process)
        self.peers: dict[str, dict[str, int]] = {}

    def frozen(self, source: str) -> SourceStats:
        return SourceStats(source, self.received, self.accepted, self.rejected, self.dropped,
                           self.connected, self.connects, self.last_line_monotonic,
                           self.kernel_drops, dict(self.reasons))

    def reject(self, reasons: Mapping[str, int]) -> None:
        for reason, n in reasons.items():
            self.rejected += n
            self.reasons[reason] = self.reasons.get(reason, 0) + n

    def totals(self) -> dict[str, int]:
        out = {name: int(getattr(self, name)) for name in SAVED}
        out.update({f"reason:{r}": n for r, n in self.reasons.items()})
        return out


class FeedCounters:
    """Thread-safe counters per source; cheap enough to call per line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, _Counts] = {}

    def _get(self, source: str) -> _Counts:
        found = self._counts.get(source)
        if found is None:
            found = self._counts[source] = _Counts()
        found.live = True
        return found

    def received(self, source: str, n: int = 1) -> None:
        with self._lock:
            c = self._get(source)
            c.received += n
            c.last_line_monotonic = time.monotonic()

    def ingested(self, source: str, accepted: int, rejected: Mapping[str, int]) -> None:
        """What ingest made of a source's lines: accepted, and rejected by reason."""
        with self._lock:
            c = self._get(source)
            c.accepted += accepted
            c.reject(rejected)

    def refused(self, source: str, reason: str, n: int) -> None:
        """Lines refused before the queue (over a bound), counted as received and rejected."""
        with self._lock:
            c = self._get(source)
            c.received += n
            c.last_line_monotonic = time.monotonic()
            c.reject({reason: n})

    def peer_refused(self, source: str, peer: str, reason: str, n: int) -> None:
        """Of the lines :meth:`refused` counted, ``n`` came from address ``peer`` (a UDP
        sender). Kept for the first ``PEERS_LISTED`` addresses; the rest add to
        ``OTHER_PEERS``."""
        with self._lock:
            peers = self._get(source).peers
            if peer not in peers and len(peers) >= PEERS_LISTED:
                peer = OTHER_PEERS
            reasons = peers.setdefault(peer, {})
            reasons[reason] = reasons.get(reason, 0) + n

    def dropped(self, source: str, n: int = 1) -> None:
        with self._lock:
            self._get(source).dropped += n

    def kernel_dropped(self, source: str, n: int) -> None:
        """Datagrams the kernel dropped on ``source``'s socket since the last reading."""
        with self._lock:
            self._get(source).kernel_drops += n

    def totals(self) -> dict[str, dict[str, int]]:
        """Every counter of every source (``reason:<r>`` for rejects by reason): what is
        kept in the store."""
        with self._lock:
            return {name: c.totals() for name, c in self._counts.items()}

    def restore(self, saved: Mapping[str, Mapping[str, int]]) -> None:
        """Add the counts of an earlier run (read from the store) to these."""
        with self._lock:
            for source, counters in saved.items():
                known = source in self._counts
                c = self._get(source)
                c.live = known
                for name, value in counters.items():
                    if name.startswith("reason:"):
                        reason = name.removeprefix("reason:")
                        c.reasons[reason] = c.reasons.get(reason, 0) + value
                    elif name in SAVED:
                        setattr(c, name, getattr(c, name) + value)

    def connected(self, source: str, up: bool) -> None:
        with self._lock:
            c = self._get(source)
            c.connected = up
            if up:
                c.connects += 1

    def report(self) -> list[dict[str, Any]]:
        """Every source's counters as plain values (``/api/status``'s ``feeds``): those of
        this process first (``open``), then those only known from earlier runs."""
        with self._lock:
            rows = [(not c.live, name, c) for name, c in self._counts.items()]
            return [{
                "source": name, "open": not history, "connected": c.connected,
                "received": c.received, "accepted": c.accepted, "rejected": c.rejected,
                "dropped": c.dropped, "kernel_drops": c.kernel_drops, "connects": c.connects,
                "by_reason": dict(sorted(c.reasons.items())),
                "refused_by_sender": {peer: dict(sorted(r.items()))
                                      for peer, r in sorted(c.peers.items())},
            } for history, name, c in sorted(rows, key=lambda r: (r[0], r[1]))]

    def snapshot(self, history: bool = False) -> dict[str, SourceStats]:
        """The sources of this process; ``history``: also those only known from the store
        (earlier runs' sources, not open now)."""
        with self._lock:
            return {name: c.frozen(name) for name, c in self._counts.items()
                    if history or c.live}
