"""A failure inside any thread loop of the runtime is logged with its traceback, counted where
/api/status shows it, and the loop goes on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from khazar.config import load_settings
from khazar.ingest.pipeline import Ingestor
from khazar.live import transport
from khazar.live.detection import LiveDetection
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.store import live as store_live
from khazar.store import open_store

from .helpers import MMSI, data_of, lines_of, send_udp, wait_for


class Boom(RuntimeError):
    """The injected failure."""


def fail_once(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, except that its first call raises :class:`Boom`."""
    calls = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Boom("injected")
        return real(*args, **kwargs)

    return wrapper


def _logged_with_traceback(caplog: pytest.LogCaptureFixture, logger: str, start: str) -> bool:
    for r in caplog.records:
        if r.name == logger and r.getMessage().startswith(start) and r.exc_info:
            assert r.levelno == logging.ERROR and isinstance(r.exc_info[1], Boom)
            assert r.exc_text is None or "Boom" in r.exc_text
            return True
    return False


@pytest.fixture
def runtime(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveRuntime]:
    """A listen-style runtime (UDP on a free port) started after the test's patches."""
    with open_store(tmp_path / "k.duckdb") as store:
        rt = LiveRuntime(ServerState.create(store, load_settings()), RuntimeOptions(
            udp=(("127.0.0.1", 0),), detect=False, publish_period_s=0.1, exercises=False,
            **getattr(request, "param", {})))
        try:
            yield rt
        finally:
            rt.stop()


def _stored(rt: LiveRuntime) -> set[int]:
    with rt.state.locked() as store:
        return {int(r[0]) for r in store.conn.execute("SELECT mmsi FROM positions").fetchall()}


def test_a_failing_ingest_batch_is_logged_and_ingest_goes_on(
        runtime: LiveRuntime, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Ingestor, "feed", fail_once(Ingestor.feed))
    runtime.start()
    assert runtime.udp is not None
    port = runtime.udp.address[1]
    send_udp(port, data_of("tcp-first"))  # this batch is lost
    wait_for(lambda: runtime.state.counters.get("feed.ingest_errors", 0) == 1)
    send_udp(port, data_of("udp"))
    wait_for(lambda: MMSI["udp"] in _stored(runtime))
    assert _logged_with_traceback(caplog, "khazar.live.feeds", "khazar-ingest: ingest of")


def test_a_failing_transport_thread_is_logged_and_starts_over(
        runtime: LiveRuntime, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "decode_lines", fail_once(transport.decode_lines))
    monkeypatch.setattr(transport, "RESTART_PAUSE_S", 0.05)
    runtime.start()
    assert runtime.udp is not None
    port = runtime.udp.address[1]
    send_udp(port, data_of("tcp-first"))
    wait_for(lambda: _logged_with_traceback(
        caplog, "khazar.live.transport", f"udp:{port}: the receiving thread failed"))
    wait_for(lambda: runtime.state.feeds.snapshot()[f"udp:{port}"].connected is True)
    send_udp(port, data_of("udp"))
    wait_for(lambda: MMSI["udp"] in _stored(runtime))
    assert runtime.state.feeds.snapshot()[f"udp:{port}"].received == len(lines_of("udp"))


def test_a_failing_file_follower_is_logged_and_starts_over(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "decode_lines", fail_once(transport.decode_lines))
    monkeypatch.setattr(transport, "RESTART_PAUSE_S", 0.05)
    follow = tmp_path / "feed.nmea"
    follow.write_bytes(data_of("file-before"))
    with open_store(tmp_path / "k.duckdb") as store:
        rt = LiveRuntime(ServerState.create(store, load_settings()), RuntimeOptions(
            follow=(follow,), detect=False, publish=False, exercises=False))
        rt.start()
        try:
            wait_for(lambda: _logged_with_traceback(
                caplog, "khazar.live.transport", f"file:{follow}: the receiving thread failed"))
            # as with a socket, the chunk in hand is lost; the follower goes on after it
            with follow.open("ab") as out:
                out.write(data_of("file-appended"))
            wait_for(lambda: MMSI["file-appended"] in _stored(rt))
        finally:
            rt.stop()


def test_a_failing_publisher_is_logged_and_publishes_on(
        runtime: LiveRuntime, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_live, "changed_vessels", fail_once(store_live.changed_vessels))
    runtime.start()
    assert runtime.udp is not None
    wait_for(lambda: runtime.state.counters.get("live.publisher_errors", 0) == 1)
    assert _logged_with_traceback(caplog, "khazar.live.feeds", "live publisher:")
    published = runtime.state.hub.published
    send_udp(runtime.udp.address[1], data_of("udp"))
    wait_for(lambda: runtime.state.hub.published > published)


def test_failing_detection_setup_is_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LiveDetection, "_setup", fail_once(LiveDetection._setup))
    with open_store(tmp_path / "k.duckdb") as store:
        rt = LiveRuntime(ServerState.create(store, load_settings()), RuntimeOptions(
            publish=False, exercises=False))
        rt.start()
        try:
            wait_for(lambda: str(rt.state.components.get("detection")).startswith(
                "unavailable: Boom"))
        finally:
            rt.stop()
    assert _logged_with_traceback(caplog, "khazar.live.detection",
                                  "detection: setting up the detectors failed")
    assert rt.state.detection_lag_s is None
