"""The bounds a feed's input meets before anything of it is kept: a maximum line length,
a rate per source, and a queue bounded by bytes as well as by lines.

Every line a transport hands on ends in one counted bucket: queued for ingest, refused here
with a reason (:data:`LINE_TOO_LONG`, :data:`RATE_LIMITED`), or dropped because the queue is
full. A refused over-long line is kept as a bounded prefix only (stored in ``rejects``);
a rate-limited line is counted, not kept (keeping it would undo the limit).

The defaults (``ingest.max_line_chars``, ``ingest.rate_lines_s``, ``ingest.queue_max_bytes``)
are argued in docs/security.md, "Bounded input".
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "LINE_TOO_LONG",
    "RATE_LIMITED",
    "ByteBoundedQueue",
    "FeedBounds",
    "LineCutter",
    "Queued",
    "RateLimiter",
    "line_cost",
]

#: a line longer than ``ingest.max_line_chars``: refused, a prefix stored in ``rejects``
LINE_TOO_LONG = "line_too_long"
#: a line over its source's ``ingest.rate_lines_s``: refused and counted, not stored
RATE_LIMITED = "rate_limited"

#: bytes a queued line is charged beyond its characters (the tuple, the str header, the time)
_LINE_OVERHEAD = 160


def line_cost(text: str) -> int:
    """Bytes a queued line holds, near enough to bound memory: its characters (up to four
    bytes each once one is not ASCII, as CPython stores them) plus a fixed overhead."""
    return _LINE_OVERHEAD + (len(text) if text.isascii() else 4 * len(text))


@dataclass(frozen=True, slots=True)
class FeedBounds:
    """What a transport lets through: lines of at most ``max_line_chars`` characters (longer
    ones are cut to ``kept_prefix_chars`` and refused), at most ``rate_lines_s`` lines a
    second per source with bursts of ``rate_burst_s`` seconds' worth (0: no limit)."""

    max_line_chars: int = 1024
    kept_prefix_chars: int = 256
    rate_lines_s: float = 0.0
    rate_burst_s: float = 1.0

    def limiter(self) -> RateLimiter | None:
        if self.rate_lines_s <= 0:
            return None
        return RateLimiter(self.rate_lines_s, max(1.0, self.rate_lines_s * self.rate_burst_s))

    def split(self, lines: list[str]) -> tuple[list[str], list[str]]:
        """``lines`` as (within the length bound, prefixes of those over it)."""
        limit = self.max_line_chars
        if all(len(s) <= limit for s in lines):
            return lines, []
        keep = self.kept_prefix_chars
        ok = [s for s in lines if len(s) <= limit]
        return ok, [s[:keep] for s in lines if len(s) > limit]


class RateLimiter:
    """A token bucket: ``rate`` tokens a second, at most ``capacity`` in hand (the burst a
    source may send at once). Used by one transport thread; not locked."""

    def __init__(self, rate: float, capacity: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self, n: int) -> int:
        """Take up to ``n`` tokens now; returns how many were granted."""
        self._refill()
        granted = min(n, int(self._tokens))
        self._tokens -= granted
        return granted

    def wait_s(self, n: int) -> float:
        """Seconds until ``n`` tokens (at most the capacity) will be in hand."""
        self._refill()
        missing = min(float(n), self.capacity) - self._tokens
        return max(0.0, missing / self.rate)


class LineCutter:
    """Cuts a byte stream (TCP, a followed file) into lines without ever holding more than
    ``max_bytes`` of one: a line that grows past it is handed on cut (to be refused as too
    long) and the rest of it, up to its newline, is skipped."""

    def __init__(self, max_bytes: int, decode: Callable[[bytes], list[str]]) -> None:
        self.max_bytes = max_bytes
        self._decode = decode
        self.rest = b""
        self._skipping = False  # inside an over-long line already handed on

    def feed(self, data: bytes) -> tuple[list[str], list[str]]:
        """The complete lines of what was read so far, and the lines cut because they grew
        past the bound (their first ``max_bytes``, decoded)."""
        buffer = self.rest + data
        out: list[str] = []
        cut_lines: list[str] = []
        if self._skipping:
            cut = buffer.find(b"\n")
            if cut < 0:
                self.rest = b""
                return out, cut_lines
            buffer, self._skipping = buffer[cut + 1:], False
        cut = buffer.rfind(b"\n") + 1
        if cut:
            out = self._decode(buffer[:cut])
            buffer = buffer[cut:]
        if len(buffer) > self.max_bytes:
            cut_lines = self._decode(buffer[:self.max_bytes])[:1] or ["\ufffd"]
            buffer, self._skipping = b"", True
        self.rest = buffer
        return out, cut_lines

    def flush(self) -> list[str]:
        """The last line, which had no newline (the file was switched); nothing after."""
        rest, self.rest, skipping = self.rest, b"", self._skipping
        self._skipping = False
        return [] if skipping else self._decode(rest)

    def reset(self) -> None:
        self.rest, self._skipping = b"", False


#: one queued line: text, source, time received, refusal reason ("" for a line to ingest)
Queued = tuple[str, str, datetime, str]


class ByteBoundedQueue:
    """A FIFO of received lines bounded by count (``max_lines``) and by bytes
    (``max_bytes``, :func:`line_cost`); :meth:`put_many` never blocks, it queues what fits
    and returns how many. One consumer takes batches with :meth:`get_batch`."""

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self._items: deque[tuple[Queued, int]] = deque()
        self._bytes = 0
        self._cond = threading.Condition(threading.Lock())

    @property
    def bytes(self) -> int:
        return self._bytes

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_many(self, items: list[Queued]) -> int:
        """Queue ``items`` in order until one does not fit; returns how many were queued."""
        queued = 0
        with self._cond:
            for item in items:
                cost = line_cost(item[0])
                if len(self._items) >= self.max_lines or self._bytes + cost > self.max_bytes:
                    break
                self._items.append((item, cost))
                self._bytes += cost
                queued += 1
            if queued:
                self._cond.notify()
        return queued

    def get_batch(self, max_items: int, wait_s: float) -> list[Queued]:
        """Up to ``max_items`` lines: waits up to ``wait_s`` for the first, then takes what is
        there, waiting out the rest of ``wait_s`` for more while fewer than ``max_items``
        (lines arriving together are stored together)."""
        deadline = time.monotonic() + wait_s
        out: list[Queued] = []
        with self._cond:
            while len(out) < max_items:
                while self._items and len(out) < max_items:
                    item, cost = self._items.popleft()
                    self._bytes -= cost
                    out.append(item)
                left = deadline - time.monotonic()
                if len(out) >= max_items or left <= 0:
                    break
                self._cond.wait(left)
        return out
