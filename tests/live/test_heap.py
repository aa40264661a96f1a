"""A runtime that owns its process freezes its long-lived heap once live detection is set up,
so that full garbage collections (which stop every thread) no longer walk it; one embedded in
another program (tests, a background server) leaves the collector alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

_PROGRAM = textwrap.dedent("""
    import gc, sys, time
    from khazar.config import load_settings
    from khazar.live.runtime import LiveRuntime, RuntimeOptions
    from khazar.live.state import ServerState
    from khazar.store import open_store

    with open_store(sys.argv[1]) as store:
        rt = LiveRuntime(ServerState.create(store, load_settings()), RuntimeOptions(
            udp=(("127.0.0.1", 0),), publish_period_s=0.1, exercises=False))
        owns = sys.argv[2] == "owns"
        rt.start(owns_process=owns)
        assert rt.detection is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (gc.get_freeze_count() if owns
                                                   else rt.detection.ready.is_set()):
            time.sleep(0.05)
        frozen = gc.get_freeze_count()
        ready = rt.detection.ready.is_set() and rt.detection.detector is not None
        rt.stop()
        print(frozen, ready)
""")


def _run(tmp_path: Path, mode: str) -> tuple[int, bool]:
    out = subprocess.run([sys.executable, "-c", _PROGRAM, str(tmp_path / f"{mode}.duckdb"), mode],
                         capture_output=True, text=True, timeout=180, check=True).stdout.split()
    return int(out[0]), out[1] == "True"


def test_an_owning_runtime_freezes_the_heap_after_detection_is_set_up(tmp_path: Path) -> None:
    frozen, ready = _run(tmp_path, "owns")
    assert ready  # frozen only once the detectors exist: they are the long-lived state
    assert frozen > 50_000  # modules, the geography, the detectors


def test_an_embedded_runtime_leaves_the_collector_alone(tmp_path: Path) -> None:
    frozen, ready = _run(tmp_path, "embedded")
    assert ready
    assert frozen == 0
