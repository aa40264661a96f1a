"""Adapters that put a simulation run somewhere: a directory, or a UDP socket in (scaled) time."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from khazar.errors import InputError
from khazar.sim.engine import SimulationRun

__all__ = ["FEED_FILE", "RADAR_FILE", "TRUTH_FILE", "UdpTarget", "replay_udp", "write_run"]

FEED_FILE = "feed.nmea"
TRUTH_FILE = "truth.json"
RADAR_FILE = "radar.csv"


def write_run(run: SimulationRun, out_dir: Path) -> dict[str, Path]:
    """Write ``feed.nmea``, ``radar.csv`` and ``truth.json`` into ``out_dir``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        feed_path = out_dir / FEED_FILE
        with feed_path.open("wb") as f:
            for _, lines in run.feed.chunks():
                if lines:
                    f.write(b"\n".join(lines))
                    f.write(b"\n")
        radar_path = out_dir / RADAR_FILE
        radar_path.write_text("\n".join(run.radar.csv_lines()) + "\n", encoding="ascii")
        truth_path = out_dir / TRUTH_FILE
        truth_path.write_text(run.truth.dumps(), encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the simulation to {out_dir}: {exc.strerror or exc}"
        ) from exc
    return {"feed": feed_path, "radar": radar_path, "truth": truth_path}


@dataclass(frozen=True, slots=True)
class UdpTarget:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> UdpTarget:
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InputError(f"--udp {text!r} must be HOST:PORT, e.g. 127.0.0.1:10110")
        return cls(host, int(port))


def replay_udp(
    run: SimulationRun,
    target: UdpTarget,
    speed: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send the feed line by line as UDP datagrams, paced at ``speed`` × real time
    (``speed`` 0 = as fast as possible). Returns the number of datagrams sent."""
    if speed < 0:
        raise InputError(f"--speed {speed} must be ≥ 0 (0 = as fast as possible)")
    sent = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        wall0 = clock()
        sim0: float | None = None
        for times, lines in run.feed.chunks():
            for t, line in zip(times.tolist(), lines, strict=True):
                if sim0 is None:
                    sim0 = t
                if speed > 0:
                    due = wall0 + (t - sim0) / speed
                    delay = due - clock()
                    if delay > 0.001:
                        sleep(delay)
                sock.sendto(line + b"\r\n", (target.host, target.port))
                sent += 1
    except OSError as exc:
        raise InputError(f"cannot send to udp {target.host}:{target.port}: {exc}") from exc
    finally:
        sock.close()
    return sent
