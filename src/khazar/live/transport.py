"""Feed transports of the live runtime: a UDP listener, a TCP client that reconnects with
exponential back-off, and a follower of a growing file (``tail -f``).

Each transport is one thread that only receives bytes, cuts them into lines and offers the
lines to a :class:`LineSink` (the runtime's bounded queue, which counts what it drops), so a
burst never blocks a socket. All three read at most :data:`RECV_BYTES` at a time and decode
the same way (:func:`decode_lines`: UTF-8, undecodable bytes replaced by U+FFFD): non-ASCII
garbage reaches ingest as text that it rejects and counts, never as an exception here.

Before a line is offered it meets the feed's :class:`~khazar.live.bounds.FeedBounds`: over
its sender's rate it is refused (``rate_limited``, counted; a followed file is read slower
instead, as it keeps its lines): each address sending to a UDP port has a rate of its own
(counted per address too), so one flooding sender cannot crowd out the others. Longer
than the maximum it is refused (``line_too_long``) and only a prefix of it is kept. A TCP
stream or a file never holds more than the maximum of one unterminated line
(:class:`~khazar.live.bounds.LineCutter`). The UDP listener reads the kernel's count of
datagrams dropped on its socket (:func:`udp_kernel_drops`) every second.

Connection state goes to :class:`~khazar.live.stats.FeedCounters` (``connected``, ``connects``)
and to the log: INFO on connect, WARNING with the reason on disconnect. An unexpected error in
a thread is logged with its traceback and the transport starts over after a pause.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from khazar.errors import InputError
from khazar.live.bounds import (
    LINE_TOO_LONG,
    RATE_LIMITED,
    FeedBounds,
    LineCutter,
    RateLimiter,
)
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
    "udp_kernel_drops",
]

logger = logging.getLogger(__name__)

#: bytes per read, the same for every transport: the largest UDP datagram fits
RECV_BYTES = 65_536
#: kernel receive buffer asked for the UDP socket: absorbs bursts while the GIL is elsewhere
UDP_KERNEL_BUFFER = 16 << 20
_SO_RCVBUFFORCE = 33  # Linux: exceeds rmem_max when privileged
#: pause before a transport whose thread failed unexpectedly starts over (seconds)
RESTART_PAUSE_S = 1.0
#: how often the UDP listener reads the kernel's drop count of its socket (seconds)
KERNEL_DROPS_POLL_S = 1.0
#: sending addresses a UDP listener keeps a rate limiter for; beyond, the longest silent
#: one is forgotten (it starts again with a full burst)
MAX_PEERS = 4096
#: datagrams a UDP listener reads in one go once the socket is readable (those waiting):
#: their lines are offered per sender in one call, not one call per datagram
UDP_BURST = 256


class LineSink(Protocol):
    """Where transports put lines (the runtime's bounded ingest queue)."""

    def offer_many(self, texts: list[str], source: str) -> int:
        """Queue ``texts`` from ``source`` without blocking; returns how many were queued."""
        ...

    def refuse(self, source: str, reason: str, count: int, kept: Sequence[str] = ()) -> None:
        """Count ``count`` lines of ``source`` refused for ``reason``; ``kept`` are the
        (bounded) texts to store with the rejection, one per refused line, or none."""
        ...


def udp_kernel_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel has dropped on ``sock`` (its receive buffer was full), from the
    ``drops`` column of ``/proc/net/udp`` or ``udp6`` for the socket's inode; None where
    there is no such file (not Linux) or the socket is not found."""
    try:
        inode = str(os.fstat(sock.fileno()).st_ino)
    except OSError:
        return None
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table, encoding="ascii", errors="replace") as f:
                next(f, None)  # the header
                for line in f:
                    fields = line.split()
                    if len(fields) >= 13 and fields[9] == inode:
                        return int(fields[12])
        except (OSError, ValueError):
            continue
    return None


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

    #: a source over its rate waits (a file keeps its lines) rather than losing lines
    pace = False

    def __init__(self, name: str, sink: LineSink, feeds: FeedCounters,
                 bounds: FeedBounds | None = None) -> None:
        #: the source label: stored with every line, the key of the per-source counters
        self.name = name
        self.sink = sink
        self.feeds = feeds
        self.bounds = bounds or FeedBounds()
        #: a rate limiter per sending address (one for a TCP connection or a file), the
        #: most recently heard last; at most MAX_PEERS (the longest silent is forgotten)
        self._limiters: OrderedDict[str, RateLimiter | None] = OrderedDict()
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

    def _limiter(self, peer: str) -> RateLimiter | None:
        """The rate limiter of ``peer`` (made on its first line)."""
        limiters = self._limiters
        if peer in limiters:
            limiters.move_to_end(peer)
            return limiters[peer]
        if len(limiters) >= MAX_PEERS:
            limiters.popitem(last=False)
        made = limiters[peer] = self.bounds.limiter()
        return made

    def _deliver(self, lines: list[str], cut: Sequence[str] = (), peer: str = "") -> None:
        """Offer ``lines`` within the bounds; refuse (and count) those over the rate of
        their sender (``peer``: a UDP datagram's source address; "" for the one sender of a
        TCP connection or a file) and those too long. ``cut``: lines already cut at the
        bound (a stream's over-long line)."""
        n = len(lines) + len(cut)
        if not n:
            return
        limiter = self._limiter(peer)
        if limiter is not None:
            granted = limiter.take(n)
            while self.pace and granted < n and not self._stop.is_set():
                self._stop.wait(limiter.wait_s(n - granted))
                granted += limiter.take(n - granted)
            if granted < n:
                self.sink.refuse(self.name, RATE_LIMITED, n - granted)
                if peer:
                    self.feeds.peer_refused(self.name, peer, RATE_LIMITED, n - granted)
                lines, cut = lines[:granted], cut[:max(0, granted - len(lines))]
        ok, too_long = self.bounds.split(lines)
        if cut:
            too_long += [c[:self.bounds.kept_prefix_chars] for c in cut]
        if too_long:
            self.sink.refuse(self.name, LINE_TOO_LONG, len(too_long), too_long)
            if peer:
                self.feeds.peer_refused(self.name, peer, LINE_TOO_LONG, len(too_long))
        if ok:
            self.sink.offer_many(ok, self.name)

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
                 label: str = "udp", bounds: FeedBounds | None = None,
                 kernel_buffer: int = UDP_KERNEL_BUFFER) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, kernel_buffer)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, kernel_buffer)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise InputError(f"cannot listen on UDP {host}:{port}: {exc}; choose another "
                             "port or stop the program using it") from exc
        sock.setblocking(False)  # waits in select(), 0.2 s at most: how fast stop() is noticed
        self.sock = sock
        self.address: tuple[str, int] = sock.getsockname()
        super().__init__(f"{label}:{self.address[1]}", sink, feeds, bounds)
        #: the kernel's drop count of the socket at the last reading (None: not readable)
        self.kernel_drops: int | None = udp_kernel_drops(sock)
        self._drops_at = time.monotonic()

    def poll_kernel_drops(self) -> int:
        """Count the datagrams the kernel dropped since the last reading; returns them."""
        self._drops_at = time.monotonic()
        now = udp_kernel_drops(self.sock)
        if now is None or self.kernel_drops is None:
            self.kernel_drops = now
            return 0
        new, self.kernel_drops = max(0, now - self.kernel_drops), now
        if new:
            self.feeds.kernel_dropped(self.name, new)
            logger.warning("%s: the kernel dropped %d datagrams (the receive buffer was full)",
                           self.name, new)
        return new

    def _serve(self) -> None:
        self.feeds.connected(self.name, True)
        logger.info("%s: listening on %s:%d", self.name, *self.address)
        while not self._stop.is_set():
            if time.monotonic() - self._drops_at >= KERNEL_DROPS_POLL_S:
                self.poll_kernel_drops()
            try:
                if not select.select([self.sock], [], [], 0.2)[0]:
                    continue
                got = self._read_burst()
            except (OSError, ValueError) as exc:  # (ValueError: closed under select)
                if not self._stop.is_set():
                    logger.warning("%s: the socket failed (%s); no longer listening",
                                   self.name, exc)
                self.feeds.connected(self.name, False)
                self._stop.set()
                return
            # the rate is each sending address's own: a flooding sender is refused while
            # the others go on (per address, not address and port: a new socket of the
            # same host is the same sender)
            for peer, lines in got.items():
                self._deliver(lines, peer=peer)

    def _read_burst(self) -> dict[str, list[str]]:
        """The datagrams waiting (:data:`UDP_BURST` at most): their lines per sender, in
        the order received."""
        got: dict[str, list[str]] = {}
        for _ in range(UDP_BURST):
            try:
                data, sender = self.sock.recvfrom(RECV_BYTES)
            except BlockingIOError:
                break
            lines = got.get(sender[0])
            if lines is None:
                lines = got[sender[0]] = []
            lines.extend(decode_lines(data))
        return got

    def _close(self) -> None:
        if self.sock.fileno() >= 0:
            self.poll_kernel_drops()
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
                 on_failure: Callable[[], Any] | None = None, label: str = "tcp",
                 bounds: FeedBounds | None = None) -> None:
        super().__init__(f"{label}:{host}:{port}", sink, feeds, bounds)
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
        cutter = LineCutter(self.bounds.max_line_chars, decode_lines)
        while not self._stop.is_set():
            try:
                data = sock.recv(RECV_BYTES)
            except TimeoutError:
                continue
            if not data:
                return
            self._deliver(*cutter.feed(data))

    def _close(self) -> None:
        self.feeds.connected(self.name, False)


class FileFollower(Transport):
    """Lines appended to a file, as ``tail -f -F``: reads the file from its start, then
    what is appended, every ``poll_s``. A file truncated in place is read again from the
    start; a file replaced (rotated: another inode at the path) is read to its end, then the
    new one from its start; a missing file is waited for. After an unexpected failure the
    chunk in hand is lost, as with a socket, and reading goes on after it (retrying the same
    bytes could fail forever)."""

    pace = True  # the file keeps its lines: over the rate, read slower

    def __init__(self, sink: LineSink, feeds: FeedCounters, path: Path, *,
                 poll_s: float = 0.2, label: str = "file",
                 bounds: FeedBounds | None = None) -> None:
        super().__init__(f"{label}:{path}", sink, feeds, bounds)
        self.path = path
        self.poll_s = poll_s
        self._file: BinaryIO | None = None
        self._cutter = LineCutter(self.bounds.max_line_chars, decode_lines)
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
        self._cutter.reset()
        self.feeds.connected(self.name, True)
        logger.info("%s: following", self.name)
        return True

    def _drain(self) -> None:
        assert self._file is not None
        while not self._stop.is_set():
            data = self._file.read(RECV_BYTES)
            if not data:
                return
            self._deliver(*self._cutter.feed(data))

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
                # the last line had no newline: it is complete now
                self._deliver(self._cutter.flush())
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

