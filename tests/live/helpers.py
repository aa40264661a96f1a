"""A TCP line server the feed client connects to, free ports, and NMEA lines per vessel."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.api.feed import position_lines

#: one vessel per way in, so the store tells which transport delivered what
MMSI = {"udp": 423600001, "tcp-first": 423600002, "tcp-again": 423600003,
        "file-before": 423600004, "file-appended": 423600005}


def lines_of(key: str) -> list[str]:
    """Two position reports (tagged, checksummed) of the vessel ``MMSI[key]``."""
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return (position_lines(MMSI[key], t, 40.1, 50.2, 9.0, 45.0)
            + position_lines(MMSI[key], t + timedelta(seconds=10), 40.101, 50.201, 9.0, 45.0))


def data_of(key: str) -> bytes:
    return ("\r\n".join(lines_of(key)) + "\r\n").encode()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def send_udp(port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.sendto(data, ("127.0.0.1", port))


def wait_for(pred: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what or pred}"
        time.sleep(0.05)


class LineServer:
    """A TCP server on a loopback port that serves one client at a time."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = int(self.sock.getsockname()[1])

    def accept(self, timeout_s: float = 30.0) -> socket.socket:
        self.sock.settimeout(timeout_s)
        conn, _ = self.sock.accept()
        return conn

    def close(self) -> None:
        self.sock.close()


def drive(udp_port: int, server: LineServer, follow: Path) -> socket.socket:
    """The feed scenario: TCP lines, the server drops the connection, the client reconnects
    and more lines come; UDP lines; lines appended to the followed file. Returns the open
    connection (close it after the runtime stopped)."""
    first = server.accept()
    first.sendall(data_of("tcp-first"))
    time.sleep(0.2)
    first.close()  # the peer hangs up: the client backs off and reconnects
    again = server.accept()
    again.sendall(data_of("tcp-again"))
    send_udp(udp_port, data_of("udp"))
    with follow.open("ab") as f:
        f.write(data_of("file-appended"))
    return again
