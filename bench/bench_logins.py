"""Password guessing against a busy server (issue 18, "done when"): ``GET /api/alerts``
p99 alone, under a UDP feed, and under the feed plus 8 clients guessing passwords; then, with
the default throttling, the guessed account locks and an admin's live stream is told.

Phase ``unthrottled`` turns throttling off (every guess costs a full argon2 check: the worst
case for the CPU); phase ``default`` is the shipped configuration. ``khazar serve`` runs as
its own process, the feed and the clients from this one. Quote the ratios, not the times.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from bench.bench_latency import _free_port, _simulate
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.audit import list_entries

PASSWORD = "benchmark passphrase"
TARGET_PASSWORD = "the target's real passphrase"
GUESSERS = 8
RATE = 5000.0
SAMPLES = 200


def _serve(db: Path, env: dict[str, str], work: Path) -> tuple[subprocess.Popen[bytes], str,
                                                                int]:
    http_port, udp_port = _free_port(socket.SOCK_STREAM), _free_port(socket.SOCK_DGRAM)
    exe = shutil.which("khazar", path=str(Path(sys.executable).parent)) or "khazar"
    server = subprocess.Popen(
        [exe, "serve", "--db", str(db), "--port", str(http_port), "--udp", str(udp_port)],
        stdout=subprocess.DEVNULL, stderr=open(work / "serve.log", "a"),  # noqa: SIM115
        env={**os.environ, **env})
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/api/openapi.json", timeout=2).status_code == 200:
                return server, url, udp_port
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError((work / "serve.log").read_text()[-2000:])
        time.sleep(0.3)


class _Feed(threading.Thread):
    """Sends the lines round and round at ``RATE`` datagrams per second until stopped."""

    def __init__(self, lines: list[bytes], port: int) -> None:
        super().__init__(daemon=True)
        self.lines, self.port = lines, port
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            t0 = time.monotonic()
            while not self.stop.is_set():
                due = int((time.monotonic() - t0) * RATE)
                while self.sent < due:
                    line = self.lines[self.sent % len(self.lines)]
                    sock.sendto(line + b"\r\n", ("127.0.0.1", self.port))
                    self.sent += 1
                time.sleep(0.004)
        self.rate = self.sent / (time.monotonic() - t0)


class _Guessers:
    def __init__(self, url: str, username: str | None) -> None:
        self.url, self.username = url, username
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.threads = [threading.Thread(target=self._guess, args=(i,), daemon=True)
                        for i in range(GUESSERS)]

    def _guess(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as c:
            n = 0
            while not self.stop.is_set() and n < 2000:
                name = self.username or f"nobody{i}x{n}"
                r = c.post("/api/login", json={"username": name, "password": f"guess {i} {n}!"})
                self.statuses.append(r.status_code)
                n += 1

    def __enter__(self) -> _Guessers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def _p99(client: httpx.Client) -> dict[str, float]:
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        assert client.get("/api/alerts").status_code == 200
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1)}


def _admin(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    token = client.post("/api/login", json={"username": "bench", "password": PASSWORD}
                        ).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _phase(db: Path, work: Path, lines: list[bytes], env: dict[str, str],
           target: str | None) -> dict[str, Any]:
    server, url, udp = _serve(db, env, work)
    out: dict[str, Any] = {}
    seen: list[dict[str, Any]] = []
    try:
        admin = _admin(url)
        _p99(admin)
        out["quiet"] = _p99(admin)
        feed = _Feed(lines, udp)
        feed.start()
        time.sleep(2)
        out["feed"] = _p99(admin)
        watcher = threading.Thread(target=_watch, args=(url, seen), daemon=True)
        watcher.start()
        with _Guessers(url, target) as guessers:
            time.sleep(1)
            out["feed_and_guessers"] = _p99(admin)
        feed.stop.set()
        feed.join()
        out["feed_rate_per_s"] = round(feed.rate)
        out["guesses"] = {str(k): guessers.statuses.count(k) for k in set(guessers.statuses)}
        out["p99_ratio_to_quiet"] = round(
            out["feed_and_guessers"]["p99_ms"] / out["quiet"]["p99_ms"], 2)
        out["p99_ratio_to_feed_only"] = round(
            out["feed_and_guessers"]["p99_ms"] / out["feed"]["p99_ms"], 2)
        status = admin.get("/api/status").json()
        out["ingest_counters"] = {k: v for k, v in status["counters"].items()
                                  if k.startswith(("udp", "ingest", "lines"))}
        if target:
            r = httpx.post(url + "/api/login", json={"username": target,
                                                     "password": TARGET_PASSWORD})
            out["right_password_after"] = {"status": r.status_code,
                                           "retry_after": r.headers.get("Retry-After")}
            time.sleep(1)
            out["admin_security_events"] = seen[:3]
    finally:
        server.terminate()
        server.wait(timeout=30)
    with open_store(db, read_only=True) as store:
        entries = list_entries(store)
    out["audit"] = {a: sum(e.action == a for e in entries)
                    for a in ("session.login_failed", "session.lockout")}
    return out


def _watch(url: str, seen: list[dict[str, Any]]) -> None:
    c = _admin(url)
    try:
        with c.stream("GET", "/api/live") as stream:
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "security":
                    seen.append(json.loads(line[6:]))
    except httpx.HTTPError:
        return
    finally:
        c.close()


def run(quick: bool) -> dict[str, Any]:
    lines, _sim = _simulate(1.0 if quick else 3.0)
    work = Path(tempfile.mkdtemp(prefix="khazar-logins-"))
    try:
        out: dict[str, Any] = {"guessers": GUESSERS, "feed_target_per_s": RATE,
                               "feed_lines": len(lines), "samples": SAMPLES}
        for phase, env, target in (
            ("unthrottled", {"KHAZAR_LOGIN__BACKOFF_AFTER": "1000000",
                             "KHAZAR_LOGIN__LOCKOUT_AFTER": "1000000"}, None),
            ("default", {}, "target"),
        ):
            db = work / f"{phase}.duckdb"
            with open_store(db) as store:
                add_user(store, "bench", PASSWORD, "admin", actor="bench",
                         hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
                add_user(store, "target", TARGET_PASSWORD, "operator", actor="bench")
            out[phase] = _phase(db, work, lines, env, target)
            print(phase, json.dumps(out[phase]), flush=True)
        out["load_avg"] = os.getloadavg()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
