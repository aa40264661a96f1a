"""Waiting for a ``khazar serve`` subprocess to answer, shared by the tests that start one."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path,
                       timeout_s: float = 90.0, path: str = "/api/health/live") -> None:
    """Return once ``url + path`` answers 200; if the server exits or ``timeout_s`` passes,
    kill it and fail with the end of its log."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"khazar serve did not come up: {log.read_text()[-2000:]}")
        time.sleep(0.2)
