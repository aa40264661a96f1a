"""Wrong passwords do not stall the server: argon2 runs on the password workers, never
while the store is held (issue 18, finding 1)."""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD, answers_built, login_server

from khazar.config import LoginSettings

#: wall-clock bounds: run alone, not beside another test (Makefile's `test`)
pytestmark = pytest.mark.serial


GUESSERS = 8
SAMPLES = 100


@pytest.fixture(scope="module")
def unthrottled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose throttling never starts, so every guess costs a full argon2 check;
    each alert list is built from the store (what the password checks must not hold)."""
    with login_server(tmp_path_factory.mktemp("load"), LoginSettings(
            backoff_after=10**6, lockout_after=10**6), udp_port=None,
            exercise_udp_port=None) as server, answers_built(server):
        yield server.url  # type: ignore[attr-defined]


def _p99(client: httpx.Client) -> float:
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        r = client.get("/api/alerts")
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
    return statistics.quantiles(times, n=100)[98]


def test_alerts_not_stalled_by_wrong_passwords(unthrottled: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=unthrottled, timeout=30) as admin:
        token = admin.post("/api/login", json={"username": "ada", "password": PASSWORD}
                           ).json()["token"]
        admin.headers["Authorization"] = f"Bearer {token}"
        # as `khazar serve` does once set up: the test process's long-lived heap (pytest,
        # every module imported) out of the collector's way; a full collection over it
        # stops every thread for 0.1-0.2 s, a stall that is this process's, not the server's
        gc.collect()
        gc.freeze()
        try:
            _p99(admin)  # warm the caches
            quiet = _p99(admin)
            loaded, statuses = _under_guessers(unthrottled, admin)
        finally:
            gc.unfreeze()
    assert statuses and set(statuses) <= {401, 503}, set(statuses)
    assert statuses.count(401) >= GUESSERS  # argon2 really ran
    assert loaded <= 2 * quiet, (f"p99 /api/alerts {loaded * 1000:.0f} ms under "
                                 f"{GUESSERS} guessers, {quiet * 1000:.0f} ms quiet")


def _under_guessers(url: str, admin: httpx.Client) -> tuple[float, list[int]]:
    """The p99 of ``admin``'s alert list while GUESSERS clients send wrong passwords, and
    the status of each guess."""
    stop = threading.Event()
    statuses: list[int] = []

    def guess(i: int) -> None:
        # unknown names: each costs the full default argon2 verification
        with httpx.Client(base_url=url, timeout=30) as c:
            n = 0
            while not stop.is_set() and n < 200:  # bounded
                r = c.post("/api/login", json={"username": f"nobody{i}x{n}",
                                                "password": "wrong password!"})
                statuses.append(r.status_code)
                n += 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(GUESSERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)  # the guessers are all waiting on argon2 now
        return _p99(admin), statuses
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
