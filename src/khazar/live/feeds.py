"""The ingest stage of the live runtime: a bounded queue of received lines → one thread.

Transports (:mod:`khazar.live.transport`) and the exercise replay only offer lines to the
queue; when it is full a line is dropped and counted, so a burst never blocks a socket. One
thread drains the queue in batches (at most ``flush_s`` apart, so a line waits ≤ 0.1 s by
default) into the ingest package's :class:`~khazar.ingest.pipeline.Ingestor` under the store
lock, counts what was accepted and rejected per source, then wakes live detection
(``on_stored``). A publisher thread pushes the vessels whose positions changed to the live
stream once a second.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from khazar.ingest.pipeline import Ingestor, IngestResult, RawLine
from khazar.interop.features import positions_update
from khazar.live.state import ServerState
from khazar.store import live as repo
from khazar.store.ingest import IngestRepo

__all__ = ["FeedPipeline", "LivePublisher"]

logger = logging.getLogger(__name__)


class FeedPipeline:
    """Bounded queue of received lines and the single thread that ingests them.

    ``queue_max`` (lines) and ``flush_s`` (seconds) default to the settings' ``ingest.queue_max``
    and ``live.flush_s``. Counters: ``<prefix>received``, ``dropped``, ``ingested_lines``,
    ``positions``, ``rejected`` in ``state.counters`` (prefix ``feed.`` or ``exercise.``) and
    per source in ``state.feeds``.
    """

    def __init__(
        self, state: ServerState, queue_max: int | None = None, batch_max: int = 5000,
        flush_s: float | None = None, exercise: bool = False, run_source: str = "serve",
    ) -> None:
        self.state = state
        #: exercise traffic is stored flagged, kept out of the live picture and the scorecard
        self.exercise = exercise
        self.prefix = "exercise." if exercise else "feed."
        self.run_source = run_source + ("-exercise" if exercise else "")
        self.queue: queue.Queue[tuple[str, str, datetime]] = queue.Queue(
            maxsize=queue_max or state.settings.ingest.queue_max)
        self.batch_max = batch_max
        self.flush_s = flush_s if flush_s is not None else state.settings.live.flush_s
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="khazar-ingest-exercise" if exercise else "khazar-ingest",
            daemon=True)
        self._ingestor: Ingestor | None = None
        self._total = IngestResult()  # of a stopped pipeline
        #: called (on the ingest thread) after each stored batch: wakes live detection
        self.on_stored: Callable[[], None] | None = None

    def start(self) -> None:
        with self.state.locked() as store:
            self._ingestor = Ingestor(
                IngestRepo(store), run_source=self.run_source, exercise=self.exercise,
                multipart_timeout_s=self.state.settings.ingest.multipart_timeout_s,
            )
        self.state.components[self.prefix + "ingest"] = "running"
        self._thread.start()

    @property
    def total(self) -> IngestResult:
        """What this pipeline has ingested so far (all sources)."""
        return self._ingestor.total if self._ingestor is not None else self._total

    def offer_many(self, texts: list[str], source: str) -> int:
        """Queue lines received together without blocking; those that do not fit are dropped
        and counted. Returns how many were queued. Counters are updated once per call, not
        per line (a datagram or a TCP read holds many lines)."""
        now = datetime.now(UTC)
        put = self.queue.put_nowait
        queued = 0
        try:
            for text in texts:
                put((text, source, now))
                queued += 1
        except queue.Full:
            pass
        dropped = len(texts) - queued
        self.state.count(self.prefix + "received", len(texts))
        self.state.feeds.received(source, len(texts))
        if dropped:
            self.state.count(self.prefix + "dropped", dropped)
            self.state.feeds.dropped(source, dropped)
        return queued

    def offer(self, text: str, source: str) -> bool:
        """Queue one line without blocking; False (and counted) when the queue is full."""
        return self.offer_many([text], source) == 1

    def _drain(self, wait_s: float) -> list[tuple[str, str, datetime]]:
        items: list[tuple[str, str, datetime]] = []
        deadline = time.monotonic() + wait_s
        while len(items) < self.batch_max:
            timeout = deadline - time.monotonic()
            try:
                items.append(self.queue.get(timeout=timeout) if timeout > 0
                             else self.queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _ingest(self, items: list[tuple[str, str, datetime]]) -> None:
        """Store one batch; counts per source (each source is fed as its own run of lines)."""
        assert self._ingestor is not None, "start() first"
        by_source: dict[str, list[RawLine]] = {}
        for text, src, t in items:
            by_source.setdefault(src, []).append(RawLine(text, source=src, received_at=t))
        total = IngestResult()
        with self.state.locked():
            results = [(src, self._ingestor.feed(lines)) for src, lines in by_source.items()]
        for src, result in results:
            self.state.feeds.ingested(src, result.accepted, result.rejected_total)
            total.add(result)
        self.state.count(self.prefix + "ingested_lines", len(items))
        self.state.count(self.prefix + "positions", total.positions)
        self.state.count(self.prefix + "rejected", total.rejected_total)

    def _run(self) -> None:
        while not self._stop.is_set():
            items = self._drain(self.flush_s)
            if not items:
                continue
            try:
                self._ingest(items)
            except Exception:  # keep ingesting what comes next; the batch is lost
                logger.exception("%s: ingest of %d lines failed; they are not stored",
                                 self._thread.name, len(items))
                self.state.count(self.prefix + "ingest_errors")
                continue
            if self.on_stored is not None:
                self.on_stored()

    def stop(self) -> None:
        """Stop the thread, store what is still queued, end the ingest run."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._ingestor is None:
            return
        while items := self._drain(0.0):
            self._ingest(items)
        with self.state.locked():
            self._ingestor.close()
        self._total, self._ingestor = self._ingestor.total, None


class LivePublisher:
    """Once per ``period_s``: vessels with new positions since the last look → ``positions``.

    New rows are found by the positions table's insertion order (``rowid``), so anything
    this process stored — UDP, TCP, an API upload — reaches the browsers.
    """

    def __init__(self, state: ServerState, period_s: float = 1.0, stale_after_s: float | None = None
                 ) -> None:
        self.state = state
        self.period_s = period_s
        self.stale_after_s = (state.settings.serve.stale_after_s if stale_after_s is None
                              else stale_after_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="khazar-live", daemon=True)
        with state.locked() as store:
            self.watermark = repo.top_rowid(store, "positions")

    def start(self) -> None:
        self._thread.start()

    def poll_once(self) -> int:
        """Publish the vessels changed since the last call; returns how many."""
        with self.state.locked() as store:
            rows, top, clock = repo.changed_vessels(store, self.watermark)
        if top <= self.watermark:
            return 0
        self.watermark = top
        if not rows:
            return 0
        own = self.state.settings.own_fleet_mmsis
        authorised = frozenset(
            m for ms in self.state.settings.registry.authorised.values() for m in ms
        )
        self.state.hub.publish(
            "positions", positions_update(rows, clock, self.stale_after_s, own, authorised))
        return len(rows)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.poll_once()
            except Exception as exc:  # keep publishing; show the problem on /api/status
                logger.exception("live publisher: publishing changed vessels failed")
                self.state.components["live_publisher"] = f"error: {type(exc).__name__}: {exc}"
                self.state.count("live.publisher_errors")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
