"""``khazar serve``: one process that owns the store, runs the live runtime and the API.

:class:`KhazarServer` wraps the live runtime (:class:`~khazar.live.runtime.LiveRuntime`: feeds,
ingest, detection, alerts, publisher, exercises) with uvicorn and the HTTP app, which only
reads the store and subscribes to the hub. It runs in the foreground (the CLI) or in a
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
from khazar.api.protocol import read_limited_protocol
from khazar.api.routes_fleet import load_plan
from khazar.config import Settings
from khazar.errors import InputError
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.live.transport import UdpListener
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

    #: a DuckDB file or a postgresql:// URL
    db: Path | str
    host: str = "127.0.0.1"
    port: int = 8000
    udp_port: int | None = None
    udp_host: str = "127.0.0.1"
    tcp: tuple[str, int] | None = None
    live_period_s: float = 1.0
    plan_file: Path | None = None
    exercise_udp_port: int | None = None
    #: a UDP port for radar/SAR detections (CSV rows)
    radar_udp_port: int | None = None
    #: growing files to follow (``--follow``)
    follow: tuple[Path, ...] = ()
    detect: bool = True
    log_level: str = "warning"


@dataclass
class KhazarServer:
    """The store, the live runtime, the app and uvicorn of one serving process."""

    settings: Settings
    options: ServeOptions
    store: Store = field(init=False)
    state: ServerState = field(init=False)
    runtime: LiveRuntime = field(init=False)
    _uvicorn: uvicorn.Server | None = field(init=False, default=None)
    _thread: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        opts = self.options
        self.store = open_store(opts.db)
        self.state = ServerState.create(self.store, self.settings)
        if opts.plan_file is not None:
            self.state.cache["patrol_plan"] = load_plan(opts.plan_file)
        self.runtime = LiveRuntime(self.state, RuntimeOptions(
            udp=((opts.udp_host, opts.udp_port),) if opts.udp_port is not None else (),
            tcp=(opts.tcp,) if opts.tcp is not None else (),
            follow=opts.follow,
            exercise_udp=(None if opts.exercise_udp_port is None
                          else (opts.udp_host, opts.exercise_udp_port)),
            radar_udp=(None if opts.radar_udp_port is None
                       else (opts.udp_host, opts.radar_udp_port)),
            detect=opts.detect, publish_period_s=opts.live_period_s, run_source="serve"))
        self.app = create_app(self.state)

    @property
    def udp(self) -> UdpListener | None:
        """The feed's UDP listener (``address`` holds the bound port), once started."""
        return self.runtime.udp

    @property
    def exercise_udp(self) -> UdpListener | None:
        """The exercise UDP listener, once started."""
        return self.runtime.exercise_udp

    # http ---------------------------------------------------------------------------
    def _config(self) -> uvicorn.Config:
        serve = self.settings.serve
        proxies = list(serve.trusted_proxies)
        state = self.state
        return uvicorn.Config(
            self.app, host=self.options.host, port=self.options.port,
            # HTTP/1.1 with deadlines for reading a request (uvicorn has none: slowloris)
            http=read_limited_protocol(
                serve.read_header_timeout_s, serve.read_body_timeout_s,
                lambda part: state.count(f"http.read_timeouts.{part}")),
            # log_config=None: uvicorn's loggers keep the handler khazar.logs gave them
            log_level=self.options.log_level, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=2,
            # X-Forwarded-For / -Proto only from the proxies named in serve.trusted_proxies
            # (uvicorn's default believes any loopback peer)
            proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
        )

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (Ctrl-C / SIGTERM)."""
        self.runtime.start(owns_process=True)
        try:
            self._uvicorn = uvicorn.Server(self._config())
            self._uvicorn.run()
        finally:
            self.runtime.stop()
            self.store.close()

    def start_background(self) -> str:
        """Serve from a background thread on a freshly bound socket; returns the base URL."""
        # proto given: asyncio sets TCP_NODELAY only on sockets that say IPPROTO_TCP, and an
        # answer sent after its headers would wait 40 ms for their delayed ACK (Nagle)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.options.host, self.options.port))
        port = sock.getsockname()[1]
        try:
            self.runtime.start()
        except BaseException:
            sock.close()
            raise
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
        self.runtime.stop()
        self.store.close()
