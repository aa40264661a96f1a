"""A server started in the background (the tests, the benches) answers without Nagle's
wait: before, its socket did not say IPPROTO_TCP, asyncio left TCP_NODELAY off, and an
answer's body waited for the ACK of its headers, 40 ms, whenever a client asked two
servers in turn (``bench api`` measured 22 requests/s on one store and 318 on the other)."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import httpx
from tests.api.conftest import PASSWORD, build_store

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings


def test_answers_do_not_wait_for_a_delayed_ack(tmp_path: Path) -> None:
    servers, conns = [], []
    try:
        for name in ("a", "b"):
            db = tmp_path / f"{name}.duckdb"
            build_store(db)
            server = KhazarServer(load_settings(), ServeOptions(db=db, port=0, detect=False))
            url = server.start_background()
            servers.append(server)
            token = httpx.post(url + "/api/login", json={"username": "vera",
                                                         "password": PASSWORD}).json()["token"]
            host, port = url.removeprefix("http://").split(":")
            sock = socket.create_connection((host, int(port)))
            conns.append((sock, (f"GET /api/vessels HTTP/1.1\r\nHost: {host}\r\n"
                                 f"Authorization: Bearer {token}\r\n\r\n").encode()))
        times = []
        for _ in range(15):
            for sock, request in conns:
                t0 = time.perf_counter()
                sock.sendall(request)
                _read_answer(sock)
                times.append(time.perf_counter() - t0)
        assert statistics.median(times) < 0.02, sorted(times)
    finally:
        for sock, _ in conns:
            sock.close()
        for server in servers:
            server.stop()


def _read_answer(sock: socket.socket) -> None:
    got = b""
    while b"\r\n\r\n" not in got:
        got += sock.recv(65536)
    head, _, body = got.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
