"""The ingest stage of the live runtime: a bounded queue of received lines → one thread.

Transports (:mod:`khazar.live.transport`) and the exercise replay only offer lines to the
queue; when it is full (``ingest.queue_max`` lines or ``ingest.queue_max_bytes`` bytes) a
line is dropped and counted, so a burst never blocks a socket. Lines a transport refused
(over a bound, :mod:`khazar.live.bounds`) are counted here; the kept prefixes of over-long
lines go through the same queue and are stored in ``rejects`` with their reason. One
thread drains the queue in batches (at most ``flush_s`` apart, so a line waits ≤ 0.1 s by
default) into the ingest package's :class:`~khazar.ingest.pipeline.Ingestor` under the store
lock, counts what was accepted and rejected per source, then wakes live detection
(``on_stored``). Lines of a radar source (:meth:`FeedPipeline.add_radar`) are radar/SAR
detections, one CSV row each (``timestamp,lat,lon,length_m,source``, the columns of
``khazar simulate``'s radar.csv, no header): stored as detections, a bad row counted as a
reject with its reason like any line. A publisher thread pushes the vessels whose positions
changed to the live stream once a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from khazar.ingest.csvfiles import CsvLayout, detect_layout
from khazar.ingest.pipeline import Ingestor, IngestResult, LineBatch, RawLine
from khazar.ingest.reasons import Reason
from khazar.interop.features import positions_update
from khazar.live.bounds import LINE_TOO_LONG, ByteBoundedQueue, Queued
from khazar.live.state import ServerState
from khazar.store import live as repo
from khazar.store.ingest import IngestRepo

__all__ = ["FeedPipeline", "LivePublisher"]

logger = logging.getLogger(__name__)

#: the columns of a radar feed's rows
RADAR_COLUMNS = "timestamp,lat,lon,length_m,source"


def _radar_layout() -> CsvLayout:
    layout = detect_layout(RADAR_COLUMNS, "radar")
    assert layout is not None
    return layout


class FeedPipeline:
    """Bounded queue of received lines and the single thread that ingests them.

    ``queue_max`` (lines), ``queue_max_bytes`` and ``flush_s`` (seconds) default to the
    settings' ``ingest.queue_max``, ``ingest.queue_max_bytes`` and ``live.flush_s``. Counters:
    ``<prefix>received``, ``dropped``, ``ingested_lines``, ``positions``, ``rejected`` (and
    ``rejected.<reason>`` for lines refused before the queue) in ``state.counters`` (prefix
    ``feed.`` or ``exercise.``) and per source in ``state.feeds``.
    """

    def __init__(
        self, state: ServerState, queue_max: int | None = None, batch_max: int = 5000,
        flush_s: float | None = None, exercise: bool = False, run_source: str = "serve",
        queue_max_bytes: int | None = None,
    ) -> None:
        self.state = state
        #: exercise traffic is stored flagged, kept out of the live picture and the scorecard
        self.exercise = exercise
        self.prefix = "exercise." if exercise else "feed."
        self.run_source = run_source + ("-exercise" if exercise else "")
        self.queue = ByteBoundedQueue(queue_max or state.settings.ingest.queue_max,
                                      queue_max_bytes or state.settings.ingest.queue_max_bytes)
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
        #: sources whose lines are radar detections (CSV rows), and their lines counted
        self._radar: dict[str, int] = {}
        self._radar_layout = _radar_layout()
        self._session_base = time.time_ns() // 1000 * 1000

    def add_radar(self, source: str) -> None:
        """The lines of ``source`` are radar detections (CSV rows of
        :data:`RADAR_COLUMNS`), not NMEA."""
        self._radar.setdefault(source, 0)

    def start(self) -> None:
        with self.state.locked() as store:
            self._ingestor = Ingestor(
                IngestRepo(store), run_source=self.run_source, exercise=self.exercise,
                multipart_timeout_s=self.state.settings.ingest.multipart_timeout_s,
                max_line_chars=self.state.settings.ingest.max_line_chars,
                kept_prefix_chars=self.state.settings.ingest.kept_prefix_chars,
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
        queued = self.queue.put_many([(text, source, now, "") for text in texts])
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

    def refuse(self, source: str, reason: str, count: int, kept: Sequence[str] = ()) -> None:
        """Lines of ``source`` a transport refused for ``reason`` (over a bound): counted as
        received and rejected. ``kept`` (the bounded prefixes of over-long lines) are queued
        to be stored in ``rejects``; when they do not fit they are dropped and counted."""
        kept = list(kept)
        now = datetime.now(UTC)
        queued = self.queue.put_many([(text, source, now, reason) for text in kept])
        dropped = len(kept) - queued
        counted = count - len(kept)  # nothing of them to store: rejected here and now
        self.state.count(self.prefix + "received", count)
        if queued or dropped:  # the queued ones are counted as rejected once stored
            self.state.feeds.received(source, queued + dropped)
        if counted:
            self.state.feeds.refused(source, reason, counted)
            self.state.count(self.prefix + "rejected", counted)
            self.state.count(f"{self.prefix}rejected.{reason}", counted)
        if dropped:
            self.state.feeds.dropped(source, dropped)
            self.state.count(self.prefix + "dropped", dropped)

    def _drain(self, wait_s: float) -> list[Queued]:
        return self.queue.get_batch(self.batch_max, wait_s)

    def _ingest(self, items: list[Queued]) -> None:
        """Store one batch; counts per source (each source is fed as its own run of lines;
        refused lines as runs of their own, in arrival order)."""
        assert self._ingestor is not None, "start() first"
        by_source: dict[str, list[tuple[str, list[RawLine]]]] = {}
        for text, src, t, reason in items:
            runs = by_source.setdefault(src, [])
            if not runs or runs[-1][0] != reason:
                runs.append((reason, []))
            runs[-1][1].append(RawLine(text, source=src, received_at=t))
        total = IngestResult()
        limit = self.state.settings.ingest.max_line_chars
        results: list[tuple[str, IngestResult]] = []
        with self.state.locked():
            for src, runs in by_source.items():
                result = IngestResult()
                for reason, lines in runs:
                    if not reason and src in self._radar:
                        result.add(self._feed_radar(src, lines))
                    elif not reason:
                        result.add(self._ingestor.feed(lines))
                    else:
                        detail = (f"longer than {limit} characters; the first "
                                  f"{self.state.settings.ingest.kept_prefix_chars} kept"
                                  if reason == LINE_TOO_LONG else "refused by the feed")
                        result.add(self._ingestor.refuse(lines, Reason(reason), detail))
                        self.state.count(f"{self.prefix}rejected.{reason}", len(lines))
                results.append((src, result))
        for src, result in results:
            self.state.feeds.ingested(src, result.accepted, result.rejected)
            total.add(result)
        self.state.count(self.prefix + "ingested_lines", len(items))
        self.state.count(self.prefix + "positions", total.positions)
        self.state.count(self.prefix + "rejected", total.rejected_total)

    def _feed_radar(self, source: str, lines: list[RawLine]) -> IngestResult:
        """Radar rows of one source: stored as detections (numbered after the last)."""
        assert self._ingestor is not None, "start() first"
        first = self._session_base + self._radar[source]
        self._radar[source] += len(lines)
        recv = [int(ln.received_at.timestamp() * 1_000_000) if ln.received_at is not None
                else time.time_ns() // 1000 for ln in lines]
        batch = LineBatch(source, [ln.text for ln in lines], first, recv)
        # (header_line 0: no line of a feed is a header; a header row is a bad row)
        return self._ingestor.feed_csv_batch(batch, self._radar_layout, header_line=0)

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
