"""The live runtime of ``khazar serve`` and ``khazar listen``: feeds → ingest → live
detection → alert service → publisher, plus the exercise path.

:class:`LiveRuntime` owns the threads; the HTTP server (:mod:`khazar.api.server`) only wraps
it with uvicorn, and the app only subscribes to the hub. ``khazar listen`` runs the same
runtime without HTTP (and, by default, without detection or publishing).

Threads: one per transport (:mod:`khazar.live.transport`), one ingest thread per path (live,
exercise; :class:`~khazar.live.feeds.FeedPipeline`), detection (two per path: speculative and
committed), the publisher, and the reporter that logs per-source counts every
``live.stats_log_s`` and adds them to the store every ``live.counters_save_s`` (a restarted
process counts on from the store's totals, :mod:`khazar.store.feedcounts`).
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khazar.ingest.pipeline import IngestResult
from khazar.live.bounds import FeedBounds
from khazar.live.cluster import ServerLink
from khazar.live.detection import LiveDetection
from khazar.live.exercise import ExerciseDirector
from khazar.live.feeds import FeedPipeline, LivePublisher
from khazar.live.state import ServerState
from khazar.live.stats import SourceStats
from khazar.live.transport import FileFollower, TcpClient, Transport, UdpListener
from khazar.store.coordination import shared
from khazar.store.feedcounts import add_counts, load_counts

__all__ = ["LiveRuntime", "RuntimeOptions"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeOptions:
    """What the runtime runs. Ports 0 bind any free port (tests)."""

    #: UDP listeners (host, port)
    udp: tuple[tuple[str, int], ...] = ()
    #: TCP servers to read from (host, port)
    tcp: tuple[tuple[str, int], ...] = ()
    #: growing files to follow
    follow: tuple[Path, ...] = ()
    #: a UDP listener (host, port) for exercise traffic (stored flagged)
    exercise_udp: tuple[str, int] | None = None
    #: a UDP listener (host, port) for radar/SAR detections (CSV rows, one a line)
    radar_udp: tuple[str, int] | None = None
    #: the feeds above carry exercise traffic (``khazar listen --exercise``)
    exercise_feeds: bool = False
    #: live detection and alerting
    detect: bool = True
    #: publish changed vessels to the hub every ``publish_period_s`` (seconds)
    publish: bool = True
    publish_period_s: float = 1.0
    #: exercises started from the console (:class:`ExerciseDirector`)
    exercises: bool = True
    #: names the ingest runs (``serve``, ``listen``)
    run_source: str = "serve"


class LiveRuntime:
    """The threads of one live process over one :class:`ServerState`."""

    def __init__(self, state: ServerState, options: RuntimeOptions, *,
                 tcp_sleep: Callable[[float], Any] | None = None) -> None:
        """``tcp_sleep(seconds)`` replaces the TCP clients' back-off wait (tests)."""
        self.state = state
        self.options = options
        self._tcp_sleep = tcp_sleep
        self.pipeline: FeedPipeline | None = None
        self.detection: LiveDetection | None = None
        self.exercise_pipeline: FeedPipeline | None = None
        self.exercise_detection: LiveDetection | None = None
        self.publisher: LivePublisher | None = None
        self.transports: list[Transport] = []
        #: the first UDP listener and the exercise one (their ``address`` tells the port)
        self.udp: UdpListener | None = None
        self.exercise_udp: UdpListener | None = None
        self.radar_udp: UdpListener | None = None
        self._exercise_lock = threading.Lock()
        self._stop = threading.Event()
        self._reporter = threading.Thread(target=self._report_loop, name="khazar-feed-stats",
                                          daemon=True)
        self._last: dict[str, SourceStats] = {}
        self._last_at = time.monotonic()
        self._stopped = False
        #: the per-source totals last added to the store (None: not read from it yet)
        self._saved: dict[str, dict[str, int]] | None = None
        self._saved_at = time.monotonic()
        ingest = state.settings.ingest
        #: what each transport lets through (line length, rate)
        self.bounds = FeedBounds(ingest.max_line_chars, ingest.kept_prefix_chars,
                                 ingest.rate_lines_s, ingest.rate_burst_s)
        #: this server among others on one PostgreSQL database (None: the only one)
        self.link: ServerLink | None = None
        if options.exercises:
            state.exercises = ExerciseDirector(state, self.exercise_path)

    # paths ----------------------------------------------------------------------------
    def _path(self, exercise: bool) -> FeedPipeline:
        pipeline = FeedPipeline(self.state, exercise=exercise,
                                run_source=self.options.run_source)
        detection = None
        if self.link is not None and not exercise:  # live detection runs on the leader
            pipeline.on_stored = self.link.stored
        elif self.options.detect:  # created first: its watermark is the store before any feed
            detection = LiveDetection(self.state, exercise=exercise)
            pipeline.on_stored = detection.wake
        pipeline.start()
        if detection is not None:
            detection.start()
        if exercise:
            self.exercise_pipeline, self.exercise_detection = pipeline, detection
        else:
            self.pipeline, self.detection = pipeline, detection
        return pipeline

    def exercise_path(self) -> FeedPipeline:
        """The exercise ingest pipeline and its own live detection, started once (for an
        exercise UDP port, ``listen --exercise`` or the first exercise started from the
        console)."""
        with self._exercise_lock:
            if self.exercise_pipeline is None:
                return self._path(exercise=True)
            return self.exercise_pipeline

    # lifecycle ------------------------------------------------------------------------
    def start(self, owns_process: bool = False) -> None:
        """Start every thread; a feed that cannot start (a UDP port in use) stops the rest
        and raises :class:`~khazar.errors.InputError`. ``owns_process``: this runtime is the
        process's whole job (``khazar serve``, ``khazar listen``), so once live detection is
        set up its long-lived heap is frozen (:meth:`_settle_heap`), and the interpreter
        changes threads every ``live.gil_switch_ms``."""
        opts = self.options
        try:
            self._restore_counts()
            if shared(self.state.store) and (opts.detect or opts.publish):
                self.link = ServerLink(self.state, self._led,
                                       lead=opts.detect and not opts.exercise_feeds,
                                       poll_s=self.state.settings.live.lease_poll_s,
                                       takeover_window_s=self.state.settings.live
                                       .takeover_window_s)
            if opts.udp or opts.tcp or opts.follow or opts.radar_udp:
                self._start_feeds(self.exercise_path() if opts.exercise_feeds
                                  else self._path(exercise=False))
            elif self.link is not None:
                pass  # the leader's detection looks every period (API uploads)
            elif opts.detect and not opts.exercise_feeds:
                # no feed, yet positions arrive (API uploads): detection looks every period
                self.detection = LiveDetection(self.state)
                self.detection.start()
            if opts.exercise_udp is not None:
                self.exercise_udp = UdpListener(
                    self.exercise_path(), self.state.feeds, *opts.exercise_udp,
                    label="exercise-udp", bounds=self.bounds,
                    kernel_buffer=self.state.settings.ingest.udp_kernel_buffer)
                self._add(self.exercise_udp, "exercise.udp")
            if opts.publish:
                self.publisher = LivePublisher(self.state, opts.publish_period_s)
                self.publisher.start()
            if self.link is not None:
                self.link.start()
            self._reporter.start()
            if owns_process:
                # the feed's threads run Python most of the time: each request thread
                # waits for the interpreter behind them at every I/O or query it makes
                sys.setswitchinterval(self.state.settings.live.gil_switch_ms / 1000.0)
                threading.Thread(target=self._settle_heap, name="khazar-settle-heap",
                                 daemon=True).start()
        except BaseException:
            self.stop()
            raise

    def _led(self, detection: LiveDetection | None) -> None:
        """The link's word: this server now runs live detection (or no longer does)."""
        self.detection = detection

    def _settle_heap(self) -> None:
        """Move what lives as long as the process (modules, the app, the geography, the
        detectors: ~160k objects) out of the cyclic collector's way. A full collection over
        them holds the GIL for 0.1–0.3 s on this class of machine, stopping every thread,
        several times an hour under a feed: the tail of the live latency. Afterwards full
        collections look only at what was made since. Done once, when detection is set up."""
        for detection in (self.detection, self.exercise_detection):
            if detection is not None:
                detection.ready.wait(timeout=300)
        gc.collect()
        gc.freeze()
        logger.info("live runtime set up: %d long-lived objects frozen out of the collector",
                    gc.get_freeze_count())

    def _start_feeds(self, sink: FeedPipeline) -> None:
        opts = self.options
        ingest = self.state.settings.ingest
        prefix = "exercise." if sink.exercise else ""
        counter = sink.prefix + "tcp_reconnects"
        for host, port in opts.udp:
            udp = UdpListener(sink, self.state.feeds, host, port, bounds=self.bounds,
                              kernel_buffer=ingest.udp_kernel_buffer)
            self.udp = self.udp or udp
            self._add(udp, prefix + "udp")
        for host, port in opts.tcp:
            self._add(TcpClient(sink, self.state.feeds, host, port,
                                initial_s=ingest.reconnect_initial_s,
                                max_s=ingest.reconnect_max_s, sleep=self._tcp_sleep,
                                on_failure=lambda: self.state.count(counter),
                                bounds=self.bounds),
                      prefix + "tcp")
        if opts.radar_udp is not None:
            radar = UdpListener(sink, self.state.feeds, *opts.radar_udp, label="radar-udp",
                                bounds=self.bounds, kernel_buffer=ingest.udp_kernel_buffer)
            sink.add_radar(radar.name)
            self.radar_udp = radar
            self._add(radar, prefix + "radar-udp")
        for path in opts.follow:
            self._add(FileFollower(sink, self.state.feeds, path,
                                   poll_s=self.state.settings.live.follow_poll_s,
                                   bounds=self.bounds),
                      prefix + "follow")

    def _add(self, transport: Transport, component: str) -> None:
        self.transports.append(transport)
        self.state.components[component] = transport.name
        transport.start()

    def stop(self) -> None:
        """Stop the threads in flow order (feeds first, so what they queued is stored and
        seen by detection); safe to call twice."""
        self._stop.set()
        if isinstance(self.state.exercises, ExerciseDirector):
            self.state.exercises.stop_all()
        for transport in self.transports:
            transport.stop()
        for pipeline in (self.pipeline, self.exercise_pipeline):
            if pipeline is not None:
                pipeline.stop()
        if self.publisher is not None:
            self.publisher.stop()
        if self.link is not None:
            self.link.stop()  # and the detection it runs
        for detection in (self.detection, self.exercise_detection):
            if detection is not None:
                detection.stop()
        if self._reporter.ident is not None and not self._stopped:
            self._reporter.join(timeout=5)
            self.log_stats()  # the counts since the last line are not lost
            self.save_counts()
        self._stopped = True

    def run(self, duration_s: float | None = None) -> None:
        """Run in the foreground for ``duration_s`` seconds (None: until Ctrl-C), then stop."""
        self.start(owns_process=True)
        try:
            deadline = None if duration_s is None else time.monotonic() + duration_s
            while deadline is None or time.monotonic() < deadline:
                left = 1.0 if deadline is None else deadline - time.monotonic()
                if self._stop.wait(max(0.0, min(1.0, left))):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # reporting ------------------------------------------------------------------------
    def log_stats(self) -> None:
        """One INFO line per source: what it received, what ingest accepted and rejected and
        what was dropped since the last line."""
        now = time.monotonic()
        snap = self.state.feeds.snapshot()
        for name, s in sorted(snap.items()):
            was = self._last.get(name, SourceStats(name))
            kernel = s.kernel_drops - was.kernel_drops
            logger.info("%s: %d received, %d accepted, %d rejected, %d dropped in %.0f s%s%s",
                        name, s.received - was.received, s.accepted - was.accepted,
                        s.rejected - was.rejected, s.dropped - was.dropped, now - self._last_at,
                        f" ({kernel} datagrams dropped by the kernel)" if kernel else "",
                        "" if s.connected is not False else " (not connected)")
        self._last, self._last_at = snap, now

    def _restore_counts(self) -> None:
        """Count on from the store's totals (an earlier run's); once per runtime."""
        if self._saved is not None:
            return
        with self.state.locked() as store:
            saved = load_counts(store)
        self.state.feeds.restore(saved)
        self._saved = self.state.feeds.totals()
        self._last = self.state.feeds.snapshot()  # the log line counts this run's lines

    def save_counts(self) -> int:
        """Add what the feeds counted since the last save to the store; returns the rows
        written. A failure is logged and tried again at the next save."""
        if self._saved is None:
            return 0
        totals = self.state.feeds.totals()
        increments = {
            source: {name: value - self._saved.get(source, {}).get(name, 0)
                     for name, value in counters.items()}
            for source, counters in totals.items()}
        try:
            with self.state.locked() as store:
                written = add_counts(store, increments)
        except Exception:  # the feeds go on; the counts are added at the next save
            logger.exception("saving the per-source feed counts failed")
            return 0
        self._saved, self._saved_at = totals, time.monotonic()
        return written

    def _report_loop(self) -> None:
        live = self.state.settings.live
        logged_at = time.monotonic()
        while not self._stop.wait(min(live.stats_log_s, live.counters_save_s)):
            now = time.monotonic()
            try:
                if now - logged_at >= live.stats_log_s - 0.01:
                    logged_at = now
                    self.log_stats()
            except Exception:  # the feeds go on; only this report is missing
                logger.exception("logging the per-source feed counts failed")
            if now - self._saved_at >= live.counters_save_s - 0.01:
                self.save_counts()

    def summary(self) -> dict[str, Any]:
        """What the feeds did (``khazar listen``'s report): ingest totals and per source."""
        total = IngestResult()
        for pipeline in (self.pipeline, self.exercise_pipeline):
            if pipeline is not None:
                total.add(pipeline.total)
        return {
            "result": total.as_dict(),
            "sources": [
                {"source": s.source, "received": s.received, "accepted": s.accepted,
                 "rejected": s.rejected, "dropped": s.dropped, "kernel_drops": s.kernel_drops,
                 "connects": s.connects, "by_reason": dict(sorted(s.reasons.items()))}
                for s in sorted(self.state.feeds.snapshot().values(), key=lambda s: s.source)
            ],
        }
