"""The API's collection reads never wait for the store's write lock (issue 18: a running
feed's batches, a long detection step or an admin's write must not hold a watch officer's
alert list): with the lock held by another thread for seconds, the collections answer at
once, with the stored data."""

from __future__ import annotations

import threading
import time

import pytest
from tests.api.conftest import ALERT_IDS, Served

#: wall-clock bounds: run alone, not beside another test (Makefile's `test`)
pytestmark = pytest.mark.serial


HOLD_S = 4.0


def test_collections_answer_while_the_write_lock_is_held(served: Served) -> None:
    client, _ = served.login("vera")
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with served.server.state.locked():
            held.set()
            release.wait(HOLD_S)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert held.wait(5)
        for path, check in (
            ("/api/alerts", lambda j: set(ALERT_IDS) <= {f["id"] for f in j["features"]}),
            ("/api/vessels", lambda j: j["numberMatched"] > 0),
            ("/api/tracks?datetime=2026-11-20T08:00:00Z/2026-11-20T09:00:00Z",
             lambda j: j["numberMatched"] > 0),
            ("/api/events", lambda j: "features" in j),
        ):
            t0 = time.monotonic()
            r = client.get(path)
            took = time.monotonic() - t0
            assert r.status_code == 200, (path, r.text)
            assert check(r.json()), path
            assert took < 1.0, f"{path} waited {took:.2f} s for the write lock"
    finally:
        release.set()
        t.join()
        client.close()
