"""Password guessing against a busy server (issue 18, "done when"): ``GET /api/alerts``
p99 alone, under a UDP feed, and under the feed plus 8 clients guessing passwords; then, with
the default throttling, the guessed account locks and an admin's live stream is told.

Phase ``unthrottled`` turns throttling off (every guess costs a full argon2 check: the worst
case for the CPU); phase ``default`` is the shipped configuration; ``answers_built`` is
the shipped configuration with every alert list built from the store
(``serve.answer_cache_s`` 0: no answer kept for the next reader). ``khazar serve`` runs as
its own process; the feed, the guessers and an admin's open console (its live stream, open
in every phase) each run in a process of their own, so that the client timing the requests
has this one to itself. Quote the ratios, not the times.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
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
SAMPLES = 1000


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


def _send(lines: list[bytes], port: int, stop: Event, sent_rate: Any) -> None:
    """(Own process.) Send the lines round and round at ``RATE`` datagrams per second until
    ``stop``; the rate reached goes to ``sent_rate``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        t0 = time.monotonic()
        sent = 0
        while not stop.is_set():
            due = int((time.monotonic() - t0) * RATE)
            while sent < due:
                sock.sendto(lines[sent % len(lines)] + b"\r\n", ("127.0.0.1", port))
                sent += 1
            time.sleep(0.004)
        sent_rate.value = sent / (time.monotonic() - t0)


def _guess(url: str, username: str | None, stop: Event, statuses: Any) -> None:
    """(Own process.) ``GUESSERS`` clients, each posting wrong passwords in a loop (to
    ``username``, or each time to a new unknown name) until ``stop``; each status code
    goes to ``statuses``."""

    def one(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            n = 0
            while not stop.is_set() and n < 2000:
                name = username or f"nobody{i}x{n}"
                try:
                    r = c.post("/api/login", json={"username": name,
                                                   "password": f"guess {i} {n}!"})
                except httpx.HTTPError:
                    statuses.put(0)
                    return
                statuses.put(r.status_code)
                n += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(GUESSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def _watch(url: str, stop: Event, ready: Event, seen: Any) -> None:
    """(Own process.) An admin's live stream (``ready`` once open); its ``security``
    events go to ``seen``."""
    c = _admin(url)
    try:
        with c.stream("GET", "/api/live") as stream:
            event = ""
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                    ready.set()
                elif line.startswith("data: ") and event == "security":
                    seen.put(json.loads(line[6:]))
    except httpx.HTTPError:
        return
    finally:
        c.close()


class _Load:
    """The feed, the guessers and the admin watching, each in a process of its own, so
    that the client timing ``GET /api/alerts`` has its interpreter to itself (sending
    5,000 datagrams a second, eight guessing clients and a live stream in its own process
    would share its GIL and add their waits to the times measured)."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.stop = self.ctx.Event()
        self.ready = self.ctx.Event()
        self.procs: dict[str, BaseProcess] = {}
        self.rate = self.ctx.Value("d", 0.0)
        self.statuses: Any = self.ctx.Queue()  # the guessers' status codes
        self.seen: Any = self.ctx.Queue()  # the watcher's security events

    def start(self, name: str, target: Any, *args: Any) -> None:
        proc = self.ctx.Process(target=target, args=(*args,), daemon=True, name=name)
        proc.start()
        self.procs[name] = proc

    def end(self, name: str) -> None:
        """Stop every part (one stop for all) and wait for ``name``."""
        self.stop.set()
        proc = self.procs.pop(name)
        proc.join(timeout=150)
        if proc.is_alive():
            proc.kill()

    def drain(self, q: Any) -> list[Any]:
        out = []
        with contextlib.suppress(queue.Empty):
            while True:
                out.append(q.get(timeout=0.5))
        return out

    def close(self) -> None:
        """Stop what is left (a watcher blocked on a quiet stream is killed after 5 s)."""
        self.stop.set()
        for proc in self.procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def _p99(client: httpx.Client) -> dict[str, float]:
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        assert client.get("/api/alerts").status_code == 200
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1)}


def _settled(client: httpx.Client, timeout_s: float = 30.0) -> None:
    """Wait until the server's counters stop moving for a second (the feed's backlog
    ingested and detected), at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    before = client.get("/api/status").json().get("counters")
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = client.get("/api/status").json().get("counters")
        if now == before:
            return
        before = now


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
    load, guessing, watching = _Load(), _Load(), _Load()
    try:
        admin = _admin(url)
        # an admin's console is open throughout, as on a watch floor: the server streams
        # the feed to it in every phase, so the phases differ by the feed and the guessers
        watching.start("watch", _watch, url, watching.stop, watching.ready, watching.seen)
        if not watching.ready.wait(60):
            raise RuntimeError("the admin's live stream did not open in 60 s")
        _p99(admin)
        out["quiet"] = _p99(admin)
        load.start("feed", _send, lines, udp, load.stop, load.rate)
        time.sleep(2)
        out["feed"] = _p99(admin)
        # (each part has a stop of its own: the feed runs on and the watcher reads on after
        # the guessers stop)
        guessing.start("guess", _guess, url, target, guessing.stop, guessing.statuses)
        time.sleep(1)
        out["feed_and_guessers"] = _p99(admin)
        security: list[Any] = []
        if target:  # the guessing goes on until the admin hears of the lockout (90 s at most)
            with contextlib.suppress(queue.Empty):
                security.append(watching.seen.get(timeout=90))
        guessing.end("guess")
        load.end("feed")
        # quiet again, over the alerts the feed raised meanwhile: the same answer's cost
        # without the load (the first quiet list was shorter)
        _settled(admin)
        out["quiet_after"] = _p99(admin)
        statuses = guessing.drain(guessing.statuses)
        out["feed_rate_per_s"] = round(load.rate.value)
        out["guesses"] = {str(k): statuses.count(k) for k in sorted(set(statuses))}
        out["p99_ratio_to_quiet"] = round(
            out["feed_and_guessers"]["p99_ms"] / out["quiet"]["p99_ms"], 2)
        out["p99_ratio_to_quiet_after"] = round(
            out["feed_and_guessers"]["p99_ms"] / out["quiet_after"]["p99_ms"], 2)
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
            out["admin_security_events"] = (security + watching.drain(watching.seen))[:3]
    finally:
        guessing.close()
        watching.close()
        load.close()
        server.terminate()
        server.wait(timeout=30)
    with open_store(db, read_only=True) as store:
        entries = list_entries(store)
    out["audit"] = {a: sum(e.action == a for e in entries)
                    for a in ("session.login_failed", "session.lockout")}
    return out


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
            # every alert list built from the store, as before the kept answers
            ("answers_built", {"KHAZAR_SERVE__ANSWER_CACHE_S": "0"}, "target"),
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
