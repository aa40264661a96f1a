"""What the browser tests share: Debian's Chromium, its launch arguments, and a guard that
lets only the local server's requests through (an operations centre is air-gapped)."""

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"{CHROMIUM} is absent (scripts/setup-browser.sh installs it; make test runs it)",
)


class LocalOnly:
    """A Playwright route handler: requests to ``url``'s host (and data:/blob: URLs) go
    through; any other is aborted and kept in :attr:`blocked` for the test to assert on."""

    def __init__(self, url: str) -> None:
        self.local = urlsplit(url).netloc
        self.blocked: list[str] = []

    def __call__(self, route: Any) -> None:
        target = urlsplit(route.request.url)
        if target.scheme in ("data", "blob") or target.netloc == self.local:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()
