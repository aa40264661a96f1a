"""Track viewers against the alert list (issue 18: "four viewers pulling 10.5 MB track
queries stalled ``/api/alerts`` for 3.6 s"): ``GET /api/alerts`` p99 quiet and while four
clients pull a whole simulated day's tracks in a loop, once with every track in one answer
(``serve.track_page_points`` at its maximum) and once with the shipped pages.

``khazar serve`` runs as its own process over a store holding the simulated day; the
viewers and the alert reader run here. Every loop is bounded in time and count.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from bench.bench_latency import _simulate
from bench.bench_logins import PASSWORD, _admin, _serve

from khazar.ingest.pipeline import Ingestor, RawLine
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.ingest import IngestRepo

VIEWERS = 4
SAMPLES = 200
SAMPLE_S = 120.0
#: a viewer stops after this many pages, or when the samples are taken
MAX_PAGES = 20_000
DAY = "2026-11-20T00:00:00Z/2026-11-21T00:00:00Z"
_NEXT = re.compile(rb'"href":"([^"]+)","rel":"next"')


class _Viewers:
    """``VIEWERS`` clients, each pulling the day's tracks (every page) again and again."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.pages = 0
        self.answers = 0
        self.largest_bytes = 0
        self.total_bytes = 0
        self.errors: list[str] = []
        self._count = threading.Lock()
        self.threads = [threading.Thread(target=self._pull, daemon=True)
                        for _ in range(VIEWERS)]

    def _pull(self) -> None:
        with httpx.Client(base_url=self.url, timeout=300,
                          headers={"Authorization": f"Bearer {self.token}"}) as c:
            while not self.stop.is_set() and self.pages < MAX_PAGES:
                path: str | None = f"/api/tracks?limit=5000&datetime={DAY}"
                while path is not None and not self.stop.is_set():
                    r = c.get(path)
                    if r.status_code != 200:
                        self.errors.append(f"{r.status_code} {r.text[:200]}")
                        return
                    with self._count:
                        self.pages += 1
                        self.total_bytes += len(r.content)
                        self.largest_bytes = max(self.largest_bytes, len(r.content))
                    # the links close the answer: read them, not the whole page (this
                    # process shares the two cores with the server; a real viewer's
                    # parsing happens on its own machine)
                    nxt = _NEXT.search(r.content[-4096:])
                    path = httpx.URL(nxt.group(1).decode()).raw_path.decode() if nxt else None
                    if path is None:
                        with self._count:
                            self.answers += 1

    def __enter__(self) -> _Viewers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=300)


def _p99(client: httpx.Client) -> dict[str, float]:
    """``GET /api/alerts`` ``SAMPLES`` times (or for ``SAMPLE_S`` seconds at most)."""
    times: list[float] = []
    until = time.monotonic() + SAMPLE_S
    while len(times) < SAMPLES and (len(times) < 20 or time.monotonic() < until):
        t0 = time.perf_counter()
        assert client.get("/api/alerts").status_code == 200
        times.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "max_ms": round(max(times) * 1000, 1), "samples": len(times)}


def _phase(db: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    server, url, _udp = _serve(db, env, work)
    out: dict[str, Any] = {}
    try:
        admin = _admin(url)
        _p99(admin)  # warm
        out["quiet"] = _p99(admin)
        token = str(admin.headers["Authorization"]).removeprefix("Bearer ")
        t0 = time.monotonic()
        with _Viewers(url, token) as viewers:
            time.sleep(1)
            out["viewers"] = _p99(admin)
        out["viewer_seconds"] = round(time.monotonic() - t0, 1)
        out["pages"] = viewers.pages
        out["whole_answers"] = viewers.answers
        out["largest_page_mb"] = round(viewers.largest_bytes / 2**20, 2)
        out["pulled_mb"] = round(viewers.total_bytes / 2**20, 1)
        out["errors"] = viewers.errors[:3]
        out["p99_ratio_to_quiet"] = round(out["viewers"]["p99_ms"] / out["quiet"]["p99_ms"], 2)
        admin.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return out


def _store(db: Path, hours: float) -> dict[str, Any]:
    lines, info = _simulate(hours)
    with open_store(db) as store:
        add_user(store, "bench", PASSWORD, "admin", actor="bench",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        ingestor = Ingestor(IngestRepo(store), run_source="reliability")
        ingestor.feed(RawLine(line.decode("ascii", "replace"), source="sim")
                      for line in lines)
        ingestor.close()
        positions = store.table_counts().get("positions", 0)
    return {**info, "lines": len(lines), "positions": positions}


def run(quick: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="khazar-tracks-"))
    try:
        db = work / "day.duckdb"
        out: dict[str, Any] = {"viewers": VIEWERS, "samples": SAMPLES,
                               "store": _store(db, 6.0 if quick else 24.0)}
        print("tracks store", out["store"], flush=True)
        for phase, env in (("one answer", {"KHAZAR_SERVE__TRACK_PAGE_POINTS": "1000000"}),
                           ("pages", {})):
            out[phase] = _phase(db, work, env)
            print("tracks", phase, out[phase], flush=True)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
