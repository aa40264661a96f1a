"""Live streams read on a thread of their own, and a UDP feed that keeps them busy: what the
revocation tests (single server and two servers on one database) share."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from tests.api.feed import position_lines


@dataclass
class Frame:
    at: float  # time.monotonic() when it arrived
    event: str
    data: str


@dataclass
class Stream:
    """``/api/live`` of one session, read on a thread: every frame with its arrival time,
    and when the server ended the stream (``ended_at``; None while it is open)."""

    base_url: str
    token: str
    frames: list[Frame] = field(default_factory=list)
    ended_at: float | None = None
    error: str | None = None
    status: int | None = None
    _client: httpx.Client | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Stream:
        self._client = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(60, read=60))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        assert self._client is not None
        try:
            with self._client.stream("GET", "/api/live", headers={
                    "Authorization": f"Bearer {self.token}"}) as r:
                self.status = r.status_code
                event = ""
                for line in r.iter_lines():
                    if self._closing.is_set():
                        return
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        with self._lock:
                            self.frames.append(Frame(time.monotonic(), event, line[6:]))
            self.ended_at = time.monotonic()
        except Exception as exc:  # a broken stream: kept for the asserts
            self.error = f"{type(exc).__name__}: {exc}"
            self.ended_at = time.monotonic()

    def events(self, kind: str, after: float = 0.0) -> list[Frame]:
        with self._lock:
            return [f for f in self.frames if f.event == kind and f.at > after]

    def wait_for(self, kind: str, after: float = 0.0, timeout: float = 20.0) -> Frame:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(kind, after)
            if found:
                return found[0]
            if self.ended_at is not None:
                raise AssertionError(f"stream ended ({self.error}) before a {kind!r} event")
            time.sleep(0.02)
        raise AssertionError(f"no {kind!r} event within {timeout} s")

    def wait_end(self, timeout: float = 5.0) -> float:
        assert self._thread is not None
        self._thread.join(timeout)
        assert self.ended_at is not None, f"the stream is still open after {timeout} s"
        return self.ended_at

    def close(self) -> None:
        """Stop reading (at the next line: the feed still runs when the tests close)."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._client is not None:
            self._client.close()
        if self._thread is not None:
            self._thread.join(10)


class Feed:
    """One vessel reporting over UDP every ``period_s`` until stopped: the live streams
    always have positions to send, so nothing waits for a 15 s quiet keep-alive."""

    def __init__(self, ports: list[int], mmsi: int, period_s: float = 0.2) -> None:
        self.ports, self.mmsi, self.period_s = ports, mmsi, period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Feed:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        i = 0
        try:
            while not self._stop.is_set():
                now = datetime.now(UTC).replace(microsecond=0)
                lines = position_lines(self.mmsi, now, 40.1 + 0.001 * (i % 500),
                                       50.4, 11.0, 0.0)
                for port in self.ports:
                    sock.sendto(("\r\n".join(lines) + "\r\n").encode(), ("127.0.0.1", port))
                i += 1
                self._stop.wait(self.period_s)
        finally:
            sock.close()


def ended_reason(stream: Stream) -> dict[str, str]:
    """The ``session_ended`` frame's data; it must be the stream's last frame."""
    with stream._lock:
        frames = list(stream.frames)
    assert frames, "the stream carried nothing"
    last = frames[-1]
    assert last.event == "session_ended", \
        f"the stream's last frame is {last.event!r}, not session_ended"
    data: dict[str, str] = json.loads(last.data)
    return data
