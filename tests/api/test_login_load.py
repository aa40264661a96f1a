"""Wrong passwords do not stall the server: argon2 runs on the password workers, never
while the store is held (issue 18, finding 1)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD, login_server

from khazar.config import LoginSettings

#: wall-clock bounds: run alone, not beside another test (Makefile's `test`)
pytestmark = pytest.mark.serial


GUESSERS = 8
SAMPLES = 100


@pytest.fixture(scope="module")
def unthrottled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose throttling never starts, so every guess costs a full argon2 check."""
    with login_server(tmp_path_factory.mktemp("load"), LoginSettings(
            backoff_after=10**6, lockout_after=10**6), udp_port=None,
            exercise_udp_port=None) as server:
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
        _p99(admin)  # warm the caches
        quiet = _p99(admin)
        stop = threading.Event()
        statuses: list[int] = []

        def guess(i: int) -> None:
            # unknown names: each costs the full default argon2 verification
            with httpx.Client(base_url=unthrottled, timeout=30) as c:
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
            loaded = _p99(admin)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    assert statuses and set(statuses) <= {401, 503}, set(statuses)
    assert statuses.count(401) >= GUESSERS  # argon2 really ran
    assert loaded <= 2 * quiet, (f"p99 /api/alerts {loaded * 1000:.0f} ms under "
                                 f"{GUESSERS} guessers, {quiet * 1000:.0f} ms quiet")
