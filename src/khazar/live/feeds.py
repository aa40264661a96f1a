"""The live feed path of ``khazar serve``: listeners → bounded queue → one ingest thread.

Listeners (UDP datagrams, a TCP client with back-off) only split lines and offer them
to a bounded queue; when it is full the line is dropped and counted, so a burst never
blocks a socket. One thread drains the queue in batches (at most ``flush_s`` apart, so a
message waits ≤ 0.1 s) into the ingest package's :class:`~khazar.ingest.pipeline.Ingestor`
under the store lock, then wakes the live detection (``on_stored``). A publisher thread
pushes the vessels whose positions changed to the live stream once a second.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from khazar.interop.features import positions_update
from khazar.live.state import ServerState
from khazar.store import queries

__all__ = ["FeedPipeline", "LivePublisher", "TcpClient", "UdpListener"]


class FeedPipeline:
    """Bounded queue of received lines and the single thread that ingests them."""

    def __init__(
        self, state: ServerState, queue_max: int, batch_max: int = 5000, flush_s: float = 0.1,
        exercise: bool = False,
    ) -> None:
        self.state = state
        #: exercise traffic is stored flagged, kept out of the live picture and the scorecard
        self.exercise = exercise
        self.prefix = "exercise." if exercise else "feed."
        self.queue: queue.Queue[tuple[str, str, datetime]] = queue.Queue(maxsize=queue_max)
        self.batch_max = batch_max
        self.flush_s = flush_s
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="khazar-ingest-exercise" if exercise else "khazar-ingest",
            daemon=True)
        self._ingestor: Any = None
        #: called (on the ingest thread) after each stored batch: wakes live detection
        self.on_stored: Callable[[], None] | None = None

    def start(self) -> None:
        from khazar.ingest.pipeline import Ingestor
        from khazar.store.ingest import IngestRepo

        with self.state.locked() as store:
            self._ingestor = Ingestor(
                IngestRepo(store), run_source="serve-exercise" if self.exercise else "serve",
                exercise=self.exercise,
                multipart_timeout_s=self.state.settings.ingest.multipart_timeout_s,
            )
        self.state.components[self.prefix + "ingest"] = "running"
        self._thread.start()

    def offer(self, text: str, source: str) -> bool:
        """Queue one line without blocking; False (and counted) when the queue is full."""
        try:
            self.queue.put_nowait((text, source, datetime.now(UTC)))
        except queue.Full:
            self.state.count(self.prefix + "dropped")
            return False
        self.state.count(self.prefix + "received")
        return True

    def _drain(self) -> list[tuple[str, str, datetime]]:
        items: list[tuple[str, str, datetime]] = []
        deadline = time.monotonic() + self.flush_s
        while len(items) < self.batch_max:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                items.append(self.queue.get(timeout=timeout))
            except queue.Empty:
                break
        return items

    def _run(self) -> None:
        from khazar.ingest.pipeline import RawLine

        while not self._stop.is_set():
            items = self._drain()
            if not items:
                continue
            lines = [RawLine(text, source=src, received_at=t) for text, src, t in items]
            with self.state.locked():
                result = self._ingestor.feed(lines)
            self.state.count(self.prefix + "ingested_lines", len(items))
            self.state.count(self.prefix + "positions", int(result.positions))
            self.state.count(self.prefix + "rejected", int(result.rejected_total))
            if self.on_stored is not None:
                self.on_stored()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._ingestor is not None:
            with self.state.locked():
                self._ingestor.close()


class UdpListener:
    """NMEA over UDP (as AIS-catcher and gpsd send): each datagram holds one or more lines."""

    def __init__(self, pipeline: FeedPipeline, host: str, port: int) -> None:
        self.pipeline = pipeline
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # a large kernel buffer absorbs bursts while the GIL is busy elsewhere
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)
        self.address = self.sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="khazar-udp", daemon=True)

    def start(self) -> None:
        key = "exercise.udp" if self.pipeline.exercise else "udp"
        self.pipeline.state.components[key] = f"listening on {self.address[0]}:{self.address[1]}"
        self._thread.start()

    def _run(self) -> None:
        source = ("exercise-udp:" if self.pipeline.exercise else "udp:") + str(self.address[1])
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                break
            for line in data.decode("ascii", errors="replace").splitlines():
                if line.strip():
                    self.pipeline.offer(line, source)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class TcpClient:
    """A TCP feed client (line-oriented NMEA) that reconnects with exponential back-off."""

    def __init__(self, pipeline: FeedPipeline, host: str, port: int) -> None:
        self.pipeline = pipeline
        self.host, self.port = host, port
        ingest = pipeline.state.settings.ingest
        self.initial_s, self.max_s = ingest.reconnect_initial_s, ingest.reconnect_max_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="khazar-tcp", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        backoff = self.initial_s
        source = f"tcp:{self.host}:{self.port}"
        components = self.pipeline.state.components
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5) as sock:
                    sock.settimeout(1.0)
                    components["tcp"] = f"connected to {self.host}:{self.port}"
                    backoff = self.initial_s
                    self._read(sock, source)
            except OSError as exc:
                components["tcp"] = (
                    f"reconnecting to {self.host}:{self.port} in {backoff:.0f} s ({exc})"
                )
                self.pipeline.state.count("feed.tcp_reconnects")
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, self.max_s)

    def _read(self, sock: socket.socket, source: str) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode("ascii", errors="replace").strip()
                if line:
                    self.pipeline.offer(line, source)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)


class LivePublisher:
    """Once per ``period_s``: vessels with new positions since the last look → ``positions``.

    New rows are found by the positions table's insertion order (``rowid``), so anything
    this process stored — UDP, TCP, an API upload — reaches the browsers.
    """

    def __init__(self, state: ServerState, period_s: float = 1.0, stale_after_s: float = 600.0
                 ) -> None:
        self.state = state
        self.period_s = period_s
        self.stale_after_s = stale_after_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="khazar-live", daemon=True)
        with state.locked() as store:
            row = store.conn.execute("SELECT coalesce(max(rowid), -1) FROM positions").fetchone()
        self.watermark = int(row[0]) if row else -1

    def start(self) -> None:
        self._thread.start()

    def poll_once(self) -> int:
        """Publish the vessels changed since the last call; returns how many."""
        with self.state.locked() as store:
            cur = store.conn.cursor()
            rows, top = queries.changed_vessels(cur, self.watermark)
            clock = queries.picture_time(cur)
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
                self.state.components["live_publisher"] = f"error: {type(exc).__name__}: {exc}"
                self.state.count("live.publisher_errors")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
