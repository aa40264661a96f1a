"""Sources: one interface for file replay, UDP, TCP client, the simulator and an in-memory fake.

Every source is polled: ``poll(max_lines, wait_s)`` returns the next :class:`LineBatch` (or
``None`` when nothing arrived within ``wait_s``) and ``exhausted`` turns true when no more lines
will come. Network sources receive on a thread into a bounded queue: when the consumer is
slower than the feed, lines are dropped and counted (``drops``), never block the socket.
"""

from __future__ import annotations

import itertools
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from khazar.config import IngestSettings
from khazar.errors import InputError
from khazar.ingest.pipeline import Ingestor, LineBatch
from khazar.store.db import Store
from khazar.store.ingest import IngestRepo

__all__ = [
    "FileSource",
    "MemorySource",
    "QueueSource",
    "Source",
    "TcpSource",
    "UdpSource",
    "listen_loop",
]


class Source(Protocol):
    """What the ingest loop reads from."""

    name: str

    @property
    def exhausted(self) -> bool: ...

    def poll(self, max_lines: int, wait_s: float) -> LineBatch | None: ...

    def close(self) -> None: ...


class MemorySource:
    """Lines from any iterable (a list in tests, the simulator's generator): the fake source."""

    def __init__(self, lines: Iterable[str], name: str = "memory",
                 received_us: int | None = None) -> None:
        self.name = name
        self._it: Iterator[str] = iter(lines)
        self._received_us = received_us
        self._next_line = 1
        self._done = False

    @property
    def exhausted(self) -> bool:
        return self._done

    def poll(self, max_lines: int, wait_s: float = 0.0) -> LineBatch | None:
        texts = list(itertools.islice(self._it, max_lines))
        if len(texts) < max_lines:
            self._done = True
        if not texts:
            return None
        first = self._next_line
        self._next_line += len(texts)
        recv = self._received_us if self._received_us is not None else time.time_ns() // 1000
        return LineBatch(self.name, texts, first, recv)

    def close(self) -> None:
        self._done = True


class FileSource(MemorySource):
    """Replay of a file, line by line, all lines received at the file's modification time."""

    def __init__(self, path: Path, received_us: int | None = None) -> None:
        if not path.is_file():
            raise InputError(f"{path} is not a readable file; check the path")
        self._file = path.open("r", encoding="utf-8", errors="replace", newline="")
        super().__init__((line.rstrip("\r\n") for line in self._file), name=path.name,
                         received_us=received_us if received_us is not None
                         else int(path.stat().st_mtime * 1_000_000))

    def poll(self, max_lines: int, wait_s: float = 0.0) -> LineBatch | None:
        batch = super().poll(max_lines, wait_s)
        if self.exhausted:
            self._file.close()
        return batch

    def close(self) -> None:
        super().close()
        self._file.close()


class QueueSource:
    """Base of network sources: a receiving thread fills a bounded queue, drops are counted."""

    def __init__(self, name: str, queue_max: int) -> None:
        self.name = name
        self.drops = 0
        self.received = 0
        self._queue: queue.Queue[tuple[str, int]] = queue.Queue(maxsize=queue_max)
        self._stop = threading.Event()
        self._base = time.time_ns() // 1000 * 1000
        self._count = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> QueueSource:
        self._thread.start()
        return self

    @property
    def exhausted(self) -> bool:
        return self._stop.is_set() and self._queue.empty()

    def _put_lines(self, data: str) -> None:
        now = time.time_ns() // 1000
        for line in data.splitlines():
            if not line.strip():
                continue
            self.received += 1
            try:
                self._queue.put_nowait((line, now))
            except queue.Full:
                self.drops += 1

    def poll(self, max_lines: int, wait_s: float) -> LineBatch | None:
        try:
            first = self._queue.get(timeout=wait_s) if wait_s > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        texts = [first[0]]
        recv = [first[1]]
        while len(texts) < max_lines:
            try:
                text, us = self._queue.get_nowait()
            except queue.Empty:
                break
            texts.append(text)
            recv.append(us)
        line_no = self._base + self._count
        self._count += len(texts)
        return LineBatch(self.name, texts, line_no, recv)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def stats(self) -> dict[str, Any]:
        return {"source": self.name, "received": self.received, "drops": self.drops}

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class UdpSource(QueueSource):
    """NMEA datagrams on a UDP port (AIS-catcher, gpsd and rtl-ais send to 10110)."""

    def __init__(self, port: int, host: str = "0.0.0.0", queue_max: int = 100_000) -> None:
        super().__init__(f"udp:{port}", queue_max)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise InputError(f"cannot listen on UDP {host}:{port}: {exc}; choose another "
                             "port or stop the program using it") from exc
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.name = f"udp:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65_535)
            except TimeoutError:
                continue
            except OSError:
                break
            self._put_lines(data.decode("utf-8", "replace"))
        self.sock.close()


class TcpSource(QueueSource):
    """A TCP client of an NMEA server; reconnects with exponential back-off when dropped."""

    def __init__(self, host: str, port: int, *, queue_max: int = 100_000,
                 backoff_initial_s: float = 1.0, backoff_max_s: float = 60.0,
                 sleep: Callable[[float], Any] | None = None) -> None:
        super().__init__(f"tcp:{host}:{port}", queue_max)
        self.host = host
        self.port = port
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.connects = 0
        self.failures = 0
        self.waits_s: list[float] = []
        self._sleep = sleep or self._stop.wait

    def _run(self) -> None:
        delay = self.backoff_initial_s
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as sock:
                    self.connects += 1
                    delay = self.backoff_initial_s
                    sock.settimeout(0.2)
                    self._read(sock)
            except OSError:
                self.failures += 1
            if self._stop.is_set():
                break
            self.waits_s.append(delay)
            self._sleep(delay)
            delay = min(delay * 2.0, self.backoff_max_s)

    def _read(self, sock: socket.socket) -> None:
        rest = ""
        while not self._stop.is_set():
            try:
                data = sock.recv(65_536)
            except TimeoutError:
                continue
            if not data:
                return
            text = rest + data.decode("utf-8", "replace")
            cut = text.rfind("\n") + 1
            rest = text[cut:]
            if cut:
                self._put_lines(text[:cut])

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "connects": self.connects, "failures": self.failures}


def listen_loop(
    store: Store, *, udp_ports: list[int], tcp_addrs: list[str], settings: IngestSettings,
    duration_s: float | None = None, exercise: bool = False,
    log: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Read the network sources into the store until ``duration_s`` or Ctrl-C."""
    sources: list[QueueSource] = []
    try:
        for port in udp_ports:
            sources.append(UdpSource(port, queue_max=settings.queue_max).start())
        for addr in tcp_addrs:
            host, _, port_s = addr.rpartition(":")
            if not host or not port_s.isdigit():
                raise InputError(f"--tcp {addr!r} is not HOST:PORT")
            sources.append(TcpSource(host, int(port_s), queue_max=settings.queue_max,
                                     backoff_initial_s=settings.reconnect_initial_s,
                                     backoff_max_s=settings.reconnect_max_s).start())
        if log is not None:
            log("listening on " + ", ".join(s.name for s in sources) + " (Ctrl-C to stop)")
        ingestor = Ingestor(IngestRepo(store), run_source="listen", kind="nmea", exercise=exercise,
                            multipart_timeout_s=settings.multipart_timeout_s,
                            batch_lines=settings.batch_size)
        deadline = None if duration_s is None else time.monotonic() + duration_s
        try:
            while deadline is None or time.monotonic() < deadline:
                for src in sources:
                    batch = src.poll(settings.batch_size, 0.2 / max(1, len(sources)))
                    if batch is not None:
                        ingestor.feed_batch(batch)
        except KeyboardInterrupt:
            pass
        finally:
            for src in sources:
                src.close()
            while any(not s.exhausted for s in sources):
                for src in sources:
                    batch = src.poll(settings.batch_size, 0.0)
                    if batch is not None:
                        ingestor.feed_batch(batch)
            ingestor.close()
    finally:
        for src in sources:
            src.close()
    return {"result": ingestor.total.as_dict(), "sources": [s.stats() for s in sources]}
