"""Send datagrams or a stream to an endpoint given as ``udp://HOST:PORT`` or ``tcp://HOST:PORT``.

The only sockets of :mod:`khazar.interop`: one function, so CoT and NMEA out share it and
tests can point it at a local listener.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from khazar.errors import InputError

__all__ = ["Endpoint", "parse_endpoint", "send_messages"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str  # "udp" | "tcp"
    host: str
    port: int


def parse_endpoint(url: str) -> Endpoint:
    """``udp://239.2.3.1:6969`` → Endpoint; a clear error for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("udp", "tcp") or not parts.hostname:
        raise InputError(f"endpoint {url!r} is not udp://HOST:PORT or tcp://HOST:PORT")
    try:
        port = parts.port
    except ValueError as exc:
        raise InputError(f"endpoint {url!r}: the port is not a number 1..65535") from exc
    if port is None:
        raise InputError(f"endpoint {url!r} has no port; e.g. udp://127.0.0.1:10110")
    return Endpoint(parts.scheme, parts.hostname, port)


def send_messages(endpoint: Endpoint, messages: Iterable[bytes], timeout_s: float = 5.0) -> int:
    """Send each message (a datagram each over UDP, concatenated over TCP); return the count."""
    count = 0
    try:
        if endpoint.scheme == "udp":
            family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                if family == socket.AF_INET:  # TAK mesh SA is multicast: stay on the LAN
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
                for msg in messages:
                    sock.sendto(msg, (endpoint.host, endpoint.port))
                    count += 1
        else:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s) as s:
                for msg in messages:
                    s.sendall(msg)
                    count += 1
    except OSError as exc:
        raise InputError(
            f"cannot send to {endpoint.scheme}://{endpoint.host}:{endpoint.port}: "
            f"{exc.strerror or exc}; is the receiver listening?"
        ) from exc
    return count
