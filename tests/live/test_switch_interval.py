"""A process whose whole job is the live runtime hands the interpreter between threads every
``live.gil_switch_ms`` (a request thread waits that long at most behind the feed's threads);
a runtime inside another program leaves the interpreter as it is."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from khazar.config import load_settings
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.store import open_store


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = sys.getswitchinterval()
    # (the owner also freezes the heap once set up: not the test process's)
    monkeypatch.setattr(LiveRuntime, "_settle_heap", lambda self: None)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("owns", [True, False])
def test_the_runtime_sets_the_switch_interval_only_when_it_owns_the_process(
        tmp_path: Path, restored: None, owns: bool) -> None:
    settings = load_settings(live={"gil_switch_ms": 0.7})
    sys.setswitchinterval(0.005)
    with open_store(tmp_path / "k.duckdb") as store:
        rt = LiveRuntime(ServerState.create(store, settings), RuntimeOptions(
            udp=(("127.0.0.1", 0),), detect=False, publish=False, exercises=False))
        rt.start(owns_process=owns)
        try:
            assert sys.getswitchinterval() == pytest.approx(0.0007 if owns else 0.005)
        finally:
            rt.stop()
