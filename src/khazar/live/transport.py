"""Feed transports of the live runtime: a UDP listener, a TCP client that reconnects with
exponential back-off, and a follower of a growing file (``tail -f``).

Each transport is one thread that only receives bytes, cuts them into lines and offers the
lines to a :class:`LineSink` (the runtime's bounded queue, which counts what it drops), so a
burst never blocks a socket. All three read at most :data:`RECV_BYTES` at a time and decode
the same way (:func:`decode_lines`: UTF-8, undecodable bytes replaced by U+FFFD): non-ASCII
garbage reaches ingest as text that it rejects and counts, never as an exception here.

Connection state goes to :class:`~khazar.live.stats.FeedCounters` (``connected``, ``connects``)
and to the log: INFO on connect, WARNING with the reason on disconnect. An unexpected error in
a thread is logged with its traceback and the transport starts over after a pause.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from khazar.errors import InputError
from khazar.live.stats import FeedCounters

__all__ = [
    "RECV_BYTES",
    "FileFollower",
    "LineSink",
    "TcpClient",
    "Transport",
    "UdpListener",
    "decode_lines",
    "split_complete",
]

logger = logging.getLogger(__name__)

#: bytes per read, the same for every transport: the largest UDP datagram fits
RECV_BYTES = 65_536
#: kernel receive buffer asked for the UDP socket: absorbs bursts while the GIL is elsewhere
UDP_KERNEL_BUFFER = 16 << 20
_SO_RCVBUFFORCE = 33  # Linux: exceeds rmem_max when privileged
#: pause before a transport whose thread failed unexpectedly starts over (seconds)
RESTART_PAUSE_S = 1.0


class LineSink(Protocol):
    """Where transports put lines (the runtime's bounded ingest queue)."""

    def offer_many(self, texts: list[str], source: str) -> int:
        """Queue ``texts`` from ``source`` without blocking; returns how many were queued."""
        ...


def decode_lines(data: bytes) -> list[str]:
    """Complete lines of ``data`` as text (UTF-8, undecodable bytes → U+FFFD), stripped of
    surrounding white space; blank lines are left out."""
    return [s for line in data.decode("utf-8", "replace").splitlines() if (s := line.strip())]


def split_complete(buffer: bytes) -> tuple[list[str], bytes]:
    """The lines of ``buffer`` up to its last newline, and the unterminated rest (kept for
    the next read: a line, or a multi-byte character, split across reads is joined)."""
    cut = buffer.rfind(b"\n") + 1
    if not cut:
        return [], buffer
    return decode_lines(buffer[:cut]), buffer[cut:]


class Transport:
    """One receiving thread; subclasses implement :meth:`_serve` (return when stopped)."""

    def __init__(self, name: str, sink: LineSink, feeds: FeedCounters) -> None:
        #: the source label: stored with every line, the key of the per-source counters
        self.name = name
        self.sink = sink
        self.feeds = feeds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"khazar-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _deliver(self, lines: list[str]) -> None:
        if lines:
            self.sink.offer_many(lines, self.name)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve()
            except Exception:
                logger.exception("%s: the receiving thread failed; starting over in %.0f s",
                                 self.name, RESTART_PAUSE_S)
                self.feeds.connected(self.name, False)
                self._stop.wait(RESTART_PAUSE_S)

    def _serve(self) -> None:  # pragma: no cover - every transport overrides it
        raise NotImplementedError

    def _close(self) -> None:
        """Release what the transport holds once its thread has ended."""


class UdpListener(Transport):
    """NMEA datagrams on a UDP port (AIS-catcher, gpsd and rtl-ais send to 10110); each
    datagram holds whole lines."""

    def __init__(self, sink: LineSink, feeds: FeedCounters, host: str, port: int,
                 label: str = "udp") -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, UDP_KERNEL_BUFFER)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_KERNEL_BUFFER)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise InputError(f"cannot listen on UDP {host}:{port}: {exc}; choose another "
                             "port or stop the program using it") from exc
        sock.settimeout(0.2)  # how fast stop() is noticed
        self.sock = sock
        self.address: tuple[str, int] = sock.getsockname()
        super().__init__(f"{label}:{self.address[1]}", sink, feeds)

    def _serve(self) -> None:
        self.feeds.connected(self.name, True)
        logger.info("%s: listening on %s:%d", self.name, *self.address)
        while not self._stop.is_set():
            try:
                data = self.sock.recv(RECV_BYTES)
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._stop.is_set():
                    logger.warning("%s: the socket failed (%s); no longer listening",
                                   self.name, exc)
                self.feeds.connected(self.name, False)
                self._stop.set()
                return
            self._deliver(decode_lines(data))

    def _close(self) -> None:
        self.feeds.connected(self.name, False)
        self.sock.close()


class TcpClient(Transport):
    """A TCP client of a line-oriented NMEA server; when the connection fails or the peer
    hangs up it waits (``initial_s``, doubling up to ``max_s``; back to ``initial_s`` after a
    successful connection) and connects again. ``sleep(seconds)`` waits between attempts
    (default: interruptible by :meth:`stop`); tests inject their own. ``on_failure()`` is
    called after each failed attempt or lost connection (a counter)."""

    def __init__(self, sink: LineSink, feeds: FeedCounters, host: str, port: int, *,
                 initial_s: float = 1.0, max_s: float = 60.0,
                 sleep: Callable[[float], Any] | None = None,
                 on_failure: Callable[[], Any] | None = None, label: str = "tcp") -> None:
        super().__init__(f"{label}:{host}:{port}", sink, feeds)
        self.host, self.port = host, port
        self.initial_s, self.max_s = initial_s, max_s
        self._sleep: Callable[[float], Any] = sleep or self._stop.wait
        self._on_failure = on_failure
        #: successful connections and failed attempts (or dropped connections)
        self.connects = 0
        self.failures = 0
        #: the back-off waits taken, in seconds (tests, /api/status)
        self.waits_s: list[float] = []

    def _serve(self) -> None:
        delay = self.initial_s
        while not self._stop.is_set():
            reason, was_up = "the peer closed the connection", False
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as sock:
                    sock.settimeout(0.2)  # how fast stop() is noticed
                    self.connects += 1
                    delay, was_up = self.initial_s, True
                    self.feeds.connected(self.name, True)
                    logger.info("%s: connected", self.name)
                    self._read(sock)
            except OSError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if self._stop.is_set():
                break
            self.failures += 1
            if self._on_failure is not None:
                self._on_failure()
            self.feeds.connected(self.name, False)
            logger.warning("%s: %s (%s); reconnecting in %.1f s", self.name,
                           "disconnected" if was_up else "cannot connect", reason, delay)
            self.waits_s.append(delay)
            self._sleep(delay)
            delay = min(delay * 2.0, self.max_s)

    def _read(self, sock: socket.socket) -> None:
        rest = b""
        while not self._stop.is_set():
            try:
                data = sock.recv(RECV_BYTES)
            except TimeoutError:
                continue
            if not data:
                return
            lines, rest = split_complete(rest + data)
            self._deliver(lines)
            if len(rest) > RECV_BYTES:  # no newline in 64 KiB: not NMEA; pass it on to reject
                self._deliver(decode_lines(rest))
                rest = b""

    def _close(self) -> None:
        self.feeds.connected(self.name, False)


class FileFollower(Transport):
    """Lines appended to a file, as ``tail -f -F``: reads the file from its start, then
    what is appended, every ``poll_s``. A file truncated in place is read again from the
    start; a file replaced (rotated: another inode at the path) is read to its end, then the
    new one from its start; a missing file is waited for. After an unexpected failure the
    chunk in hand is lost, as with a socket, and reading goes on after it (retrying the same
    bytes could fail forever)."""

    def __init__(self, sink: LineSink, feeds: FeedCounters, path: Path, *,
                 poll_s: float = 0.2, label: str = "file") -> None:
        super().__init__(f"{label}:{path}", sink, feeds)
        self.path = path
        self.poll_s = poll_s
        self._file: BinaryIO | None = None
        self._rest = b""
        self._waiting = False  # the missing file was reported
        #: times the file was (re)opened: the first open, truncations and rotations
        self.opens = 0

    def _open(self) -> bool:
        try:
            self._file = self.path.open("rb")
        except OSError as exc:
            if not self._waiting:
                logger.warning("%s: cannot open (%s); waiting for it", self.name, exc)
                self.feeds.connected(self.name, False)
                self._waiting = True
            return False
        self._waiting = False
        self.opens += 1
        self._rest = b""
        self.feeds.connected(self.name, True)
        logger.info("%s: following", self.name)
        return True

    def _drain(self) -> None:
        assert self._file is not None
        while not self._stop.is_set():
            data = self._file.read(RECV_BYTES)
            if not data:
                return
            lines, self._rest = split_complete(self._rest + data)
            self._deliver(lines)

    def _switched(self) -> str | None:
        """Why the open file is no longer the one to read (None: it still is)."""
        assert self._file is not None
        try:
            now = os.stat(self.path)
        except OSError:
            return None  # removed, not yet replaced: keep what is open
        mine = os.fstat(self._file.fileno())
        if (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev):
            return "rotated"
        if now.st_size < self._file.tell():
            return "truncated"
        return None

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self._file is None and not self._open():
                self._stop.wait(self.poll_s)
                continue
            self._drain()
            why = self._switched()
            if why is not None:
                self._drain()  # what was written before the switch
                if self._rest:  # the last line had no newline: it is complete now
                    self._deliver(decode_lines(self._rest))
                logger.warning("%s: %s; reading it again from the start", self.name, why)
                self._close_file()
                continue
            self._stop.wait(self.poll_s)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _close(self) -> None:
        self._close_file()
        self.feeds.connected(self.name, False)

