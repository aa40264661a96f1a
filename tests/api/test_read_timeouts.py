"""HTTP read-time limits (issue 18, slowloris): a client that dribbles its headers or its
body slower than ``serve.read_header_timeout_s`` / ``read_body_timeout_s`` is cut off and
counted, while other clients are served meanwhile; a client within the limits is served,
and a body larger than the size limit is refused before it is read."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher

from khazar.api.guards import MAX_JSON_BYTES
from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.services.users import add_user
from khazar.store import open_store

HEADER_S, BODY_S = 0.6, 1.0


@dataclass
class Slow:
    server: KhazarServer
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slow]:
    db = tmp_path_factory.mktemp("slow") / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "vera", "a long test passphrase", "viewer", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    srv = KhazarServer(load_settings(serve={"read_header_timeout_s": HEADER_S,
                                            "read_body_timeout_s": BODY_S}),
                       ServeOptions(db=db, port=0, detect=False))
    url = srv.start_background()
    try:
        yield Slow(srv, url)
    finally:
        srv.stop()


def _connect(srv: Slow) -> socket.socket:
    host, port = srv.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _dribble(sock: socket.socket, parts: list[bytes], every_s: float) -> tuple[bytes, float]:
    """Send ``parts`` one by one ``every_s`` apart while the server keeps the connection;
    then read what it answers until it closes. (answer, seconds from the first byte)."""
    t0 = time.monotonic()
    for part in parts:
        try:
            sock.sendall(part)
        except OSError:  # the server closed the connection
            break
        time.sleep(every_s)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer, time.monotonic() - t0


def _counts(srv: Slow) -> dict[str, int]:
    state = srv.server.state
    with state.counters_lock:
        return {k: v for k, v in state.counters.items() if k.startswith("http.")}


def test_slow_headers_are_cut_off_and_counted(server: Slow) -> None:
    before = _counts(server).get("http.read_timeouts.headers", 0)
    url = server.url
    slow = _connect(server)
    request = b"GET /api/health/live HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 40
    # a byte every 0.1 s: 8 s to send all; the server closes after HEADER_S
    sock_parts = [request[i:i + 1] for i in range(len(request))]
    # others are served while the slow client dribbles
    quick = httpx.get(url + "/api/health/live", timeout=5)
    assert quick.status_code == 200
    answer, took = _dribble(slow, sock_parts, 0.1)
    slow.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert took < HEADER_S + 1.5, f"the slow client was held {took:.1f} s"
    assert _counts(server).get("http.read_timeouts.headers", 0) == before + 1
    with httpx.Client(base_url=url, timeout=5) as c:
        token = c.post("/api/login", json={"username": "vera",
                                           "password": "a long test passphrase"}).json()
        status = c.get("/api/status", headers={"Authorization": f"Bearer {token['token']}"})
    assert status.json()["counters"]["http.read_timeouts.headers"] == before + 1


def test_slow_body_is_cut_off_and_counted(server: Slow) -> None:
    before = _counts(server).get("http.read_timeouts.body", 0)
    slow = _connect(server)
    body = b'{"username": "vera", "password": "a long test passphrase"}'
    head = (b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    answer, took = _dribble(slow, [head] + [body[i:i + 1] for i in range(len(body))], 0.1)
    slow.close()
    assert b"200 OK" not in answer
    assert took < BODY_S + 1.5, f"the slow body was read for {took:.1f} s"
    assert _counts(server).get("http.read_timeouts.body", 0) == before + 1


def test_a_client_within_the_limits_and_keep_alive_are_served(server: Slow) -> None:
    sock = _connect(server)
    request = b"GET /api/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
    # in three pieces, 0.15 s apart: inside HEADER_S
    for piece in (request[:10], request[10:25], request[25:]):
        sock.sendall(piece)
        time.sleep(0.15)
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200"), first[:100]
    # the same connection, idle longer than HEADER_S (keep-alive is uvicorn's 5 s), then
    # a second request: its own deadline starts with its first byte
    time.sleep(HEADER_S + 0.3)
    sock.sendall(request)
    second = sock.recv(65536)
    sock.close()
    assert second.startswith(b"HTTP/1.1 200"), second[:100]


def test_a_body_over_the_size_limit_is_refused_unread(server: Slow) -> None:
    url = server.url
    sock = _connect(server)
    # Content-Length says 50 MB, of any content type: 413 before a byte of it is sent
    sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                 b"Content-Length: " + str(50 << 20).encode() + b"\r\n\r\n")
    answer = b""
    # the headers and the body may come in two segments: read to the end of the body
    while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
            answer.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0]
            if b"content-length: " in answer else 0):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert str(MAX_JSON_BYTES).encode() in answer
    r = httpx.post(url + "/api/login", content=b"x" * (MAX_JSON_BYTES + 1),
                   headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 413
