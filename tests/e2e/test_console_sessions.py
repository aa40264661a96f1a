"""The console when its session ends elsewhere (issue 18, point 2): an admin disables the
user, or changes their role, while a UDP feed keeps the live stream busy; the console shows
the login screen at once with the reason, and does not keep reconnecting to the stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.conftest import PASSWORD, build_store
from tests.api.streams import Feed
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, LocalOnly, log_in, needs_chromium
from tests.e2e.test_console import context_for

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings

#: a 1 s bound on the console's reaction: run alone (Makefile's `test`)
pytestmark = [needs_chromium, pytest.mark.serial]


@dataclass
class Site:
    url: str
    server: KhazarServer
    udp: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db: Path = tmp_path_factory.mktemp("console-sessions") / "khazar.duckdb"
    build_store(db)
    server = KhazarServer(load_settings(), ServeOptions(db=db, port=0, udp_port=0,
                                                        detect=False, live_period_s=0.2))
    url = server.start_background()
    assert server.udp is not None
    try:
        yield Site(url, server, int(server.udp.address[1]))
    finally:
        server.stop()


class Counting(LocalOnly):
    """The local-only guard, counting the requests that open the live stream (the
    console's worker makes them)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.live = 0

    def __call__(self, route: Any) -> None:
        if route.request.url.endswith("/api/live"):
            self.live += 1
        super().__call__(route)


def _admin(url: str) -> httpx.Client:
    r = httpx.post(url + "/api/login", json={"username": "ada", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=url, timeout=30,
                        headers={"Authorization": f"Bearer {r.json()['token']}"})


@pytest.mark.parametrize(("user", "change", "says"), [
    ("omar", ("disable", None), "your account was disabled by an administrator"),
    ("anna", ("role", {"role": "viewer"}), "your role was changed"),
])
def test_console_shows_the_login_screen_with_the_reason(
        site: Site, user: str, change: tuple[str, dict[str, str] | None], says: str) -> None:
    from playwright.sync_api import sync_playwright

    guard = Counting(site.url)
    action, body = change
    with sync_playwright() as pw, Feed([site.udp], 423_880_301), _admin(site.url) as admin:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = context_for(browser, guard).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(page, site.url, user, PASSWORD)
            page.wait_for_selector("#live-indicator.on", timeout=30_000)
            # the feed reaches the page: the stream is busy, never idle for a keep-alive
            page.wait_for_function("window.khazarConsole.vesselCount() > 0", timeout=30_000)
            assert site.server.state.hub.subscribers == 1
            assert guard.live == 1

            sent = time.monotonic()
            r = admin.post(f"/api/users/{user}/{action}", json=body)
            assert r.status_code == 200 and r.json()["sessions_ended"] == 1, r.text
            page.wait_for_selector("#login-view", state="visible", timeout=5_000)
            shown = time.monotonic() - sent
            print(f"{user}: the login screen showed {shown:.2f} s after the {action}")
            assert shown <= 2.0
            assert page.is_hidden("#app-view")
            assert says in page.text_content("#login-error").lower()

            # no reconnect loop: the page's stream is gone and stays gone (the stream
            # asks for a retry after 2 s; the worker must not make it)
            time.sleep(3.0)
            assert site.server.state.hub.subscribers == 0
            assert guard.live == 1
            assert page.is_visible("#login-view")
            assert says in page.text_content("#login-error").lower()
        finally:
            browser.close()
            if action == "disable":
                admin.post(f"/api/users/{user}/enable")
    assert errors == []
    assert guard.blocked == []
