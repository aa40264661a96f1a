"""``khazar serve``: one process that owns the store, runs the feed listeners and the API.

:class:`KhazarServer` wires it together and can run in the foreground (the CLI) or in a
background thread on an already bound socket (the tests, the demo).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from khazar.api.app import create_app
from khazar.api.routes_fleet import load_plan
from khazar.config import Settings
from khazar.errors import InputError
from khazar.live.detection import LiveDetection
from khazar.live.exercise import ExerciseDirector
from khazar.live.feeds import FeedPipeline, LivePublisher, TcpClient, UdpListener
from khazar.live.state import ServerState
from khazar.store import Store, open_store

__all__ = ["KhazarServer", "ServeOptions", "parse_host_port"]


def parse_host_port(value: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port), with a message naming the value when malformed."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--tcp {value!r} must be HOST:PORT, e.g. 127.0.0.1:5631")
    return host, int(port)


@dataclass(frozen=True)
class ServeOptions:
    """What ``khazar serve`` was asked to do."""

    db: Path
    host: str = "127.0.0.1"
    port: int = 8000
    udp_port: int | None = None
    udp_host: str = "127.0.0.1"
    tcp: tuple[str, int] | None = None
    live_period_s: float = 1.0
    plan_file: Path | None = None
    exercise_udp_port: int | None = None
    detect: bool = True
    log_level: str = "warning"


@dataclass
class KhazarServer:
    """The store, the app, the feed path and uvicorn of one serving process."""

    settings: Settings
    options: ServeOptions
    store: Store = field(init=False)
    state: ServerState = field(init=False)
    udp: UdpListener | None = field(init=False, default=None)
    tcp: TcpClient | None = field(init=False, default=None)
    pipeline: FeedPipeline | None = field(init=False, default=None)
    exercise_pipeline: FeedPipeline | None = field(init=False, default=None)
    exercise_udp: UdpListener | None = field(init=False, default=None)
    publisher: LivePublisher = field(init=False)
    detection: LiveDetection | None = field(init=False, default=None)
    exercise_detection: LiveDetection | None = field(init=False, default=None)
    _uvicorn: uvicorn.Server | None = field(init=False, default=None)
    _thread: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.store = open_store(self.options.db)
        self.state = ServerState.create(self.store, self.settings)
        if self.options.plan_file is not None:
            self.state.cache["patrol_plan"] = load_plan(self.options.plan_file)
        self._exercise_lock = threading.Lock()
        self.state.exercises = ExerciseDirector(self.state, self._exercise_path)
        self.app = create_app(self.state)

    # feed path ----------------------------------------------------------------------
    def _start_feeds(self) -> None:
        opts = self.options
        if opts.udp_port is not None or opts.tcp is not None:
            self.pipeline = FeedPipeline(self.state, self.settings.ingest.queue_max)
            self.pipeline.start()
        if opts.udp_port is not None and self.pipeline is not None:
            self.udp = UdpListener(self.pipeline, opts.udp_host, opts.udp_port)
            self.udp.start()
        if opts.tcp is not None and self.pipeline is not None:
            self.tcp = TcpClient(self.pipeline, *opts.tcp)
            self.tcp.start()
        if opts.exercise_udp_port is not None:
            pipeline = self._exercise_path()
            self.exercise_udp = UdpListener(pipeline, opts.udp_host, opts.exercise_udp_port)
            self.exercise_udp.start()
        self.publisher = LivePublisher(self.state, opts.live_period_s)
        self.publisher.start()
        if opts.detect:
            self.detection = LiveDetection(self.state)
            if self.pipeline is not None:  # look as soon as a batch is stored
                self.pipeline.on_stored = self.detection.wake
            self.detection.start()

    def _exercise_path(self) -> FeedPipeline:
        """The exercise ingest pipeline and its own live detection, started once (for
        ``--exercise-udp`` or the first exercise started from the console)."""
        with self._exercise_lock:
            if self.exercise_pipeline is None:
                self.exercise_pipeline = FeedPipeline(
                    self.state, self.settings.ingest.queue_max, exercise=True)
                self.exercise_pipeline.start()
                if self.options.detect:
                    self.exercise_detection = LiveDetection(self.state, exercise=True)
                    self.exercise_pipeline.on_stored = self.exercise_detection.wake
                    self.exercise_detection.start()
            return self.exercise_pipeline

    def _stop_feeds(self) -> None:
        if isinstance(self.state.exercises, ExerciseDirector):
            self.state.exercises.stop_all()
        for part in (self.udp, self.tcp, self.exercise_udp):
            if part is not None:
                part.stop()
        for pipeline in (self.pipeline, self.exercise_pipeline):
            if pipeline is not None:
                pipeline.stop()
        self.publisher.stop()
        for detection in (self.detection, self.exercise_detection):
            if detection is not None:
                detection.stop()

    # http ---------------------------------------------------------------------------
    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app, host=self.options.host, port=self.options.port,
            # log_config=None: uvicorn's loggers keep the handler khazar.logs gave them
            log_level=self.options.log_level, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=2,
        )

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (Ctrl-C / SIGTERM)."""
        self._start_feeds()
        try:
            self._uvicorn = uvicorn.Server(self._config())
            self._uvicorn.run()
        finally:
            self._stop_feeds()
            self.store.close()

    def start_background(self) -> str:
        """Serve from a background thread on a freshly bound socket; returns the base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.options.host, self.options.port))
        port = sock.getsockname()[1]
        self._start_feeds()
        self._uvicorn = uvicorn.Server(self._config())
        server = self._uvicorn
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="khazar-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the API server did not start within 10 s")
            time.sleep(0.02)
        return f"http://{self.options.host}:{port}"

    def stop(self) -> None:
        """Stop a background server and close the store."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._stop_feeds()
        self.store.close()
