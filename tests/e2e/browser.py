"""What the browser tests (and the browser benchmarks in bench/) share: Debian's Chromium,
its launch arguments, logging in to the console, and a guard that lets only the local
server's requests through (an operations centre is air-gapped)."""

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


#: run in a console page: ``window.__seen`` maps each alert id to the wall time (epoch s) it
#: first appeared on the page (the triage queue, the map, anywhere it is drawn)
STAMP_ALERTS = """() => {
  window.__seen = {};
  const stamp = () => {
    for (const el of document.querySelectorAll('[data-alert-id]')) {
      const id = el.getAttribute('data-alert-id');
      if (!(id in window.__seen)) window.__seen[id] = Date.now() / 1000;
    }
  };
  new MutationObserver(stamp).observe(document.body, {childList: true, subtree: true});
  stamp();
}"""


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


def log_in(page: Any, url: str, user: str, password: str) -> None:
    """Open the console at ``url`` and log in; returns once the app view shows."""
    page.goto(url + "/")
    page.wait_for_selector("#login-form", state="visible")
    page.fill("#login-username", user)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("#app-view", state="visible")
