"""Answers the API built, kept for the next reader while what they show has not changed.

A watch floor has many consoles asking the same question (the alert list) every few
seconds; each answer costs several store queries. :class:`Answers` keeps an answer's bytes
under its request (path and query) and gives them back while no live message of the kinds
it shows was published since (an alert raised, acknowledged, assigned, resolved or noted:
on this server or, relayed, on another of its database) and it is younger than ``ttl_s``
(what no message announces, a vessel's new name in a title, shows within that time).
A ``ttl_s`` of 0 keeps nothing.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from khazar.live.hub import LiveHub

__all__ = ["Answers"]


class Answers:
    """Bounded by count and by bytes (``max_entries``, ``max_bytes``: a console panning
    the map asks for a new box each time, and a picture of 5,000 vessels is 2.6 MB; the
    least recently used go first; an answer over a quarter of ``max_bytes`` is not kept)
    and thread-safe."""

    def __init__(self, hub: LiveHub, kinds: tuple[str, ...], ttl_s: float,
                 max_entries: int = 64, max_bytes: int = 32 << 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hub, self.kinds, self.ttl_s = hub, kinds, ttl_s
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.kept_bytes = 0
        self._clock = clock
        self._lock = threading.Lock()
        #: key → (hub generation, built at, bytes)
        self._kept: OrderedDict[str, tuple[int, float, bytes]] = OrderedDict()
        self.hits = self.misses = 0

    def kept(self, key: str) -> bytes | None:
        """The kept answer to ``key`` while it holds (counted a hit), else None (not
        counted: :meth:`get` counts the miss)."""
        if self.ttl_s <= 0:
            return None
        generation = self.hub.generation(self.kinds)
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == generation and now - kept[1] < self.ttl_s:
                self._kept.move_to_end(key)
                self.hits += 1
                return kept[2]
        return None

    def get(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The kept answer to ``key`` while it holds, else ``build()`` (kept for the
        next reader). The generation is read before building, so a change published
        while the answer is built makes it stale at once."""
        if self.ttl_s <= 0:
            return build()
        generation = self.hub.generation(self.kinds)
        now = self._clock()
        body = self.kept(key)
        if body is not None:
            return body
        with self._lock:
            self.misses += 1
        body = build()
        if len(body) > self.max_bytes // 4:
            return body
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.kept_bytes -= len(old[2])
            self._kept[key] = (generation, now, body)
            self.kept_bytes += len(body)
            while len(self._kept) > self.max_entries or self.kept_bytes > self.max_bytes:
                _, (_, _, dropped) = self._kept.popitem(last=False)
                self.kept_bytes -= len(dropped)
        return body
