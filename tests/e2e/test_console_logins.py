"""The console's logins (issue 18): a user changes their own password in the Password
dialog; an admin's console shows a login lockout; a throttled sign-in says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import PASSWORD, build_store
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, LocalOnly, log_in, needs_chromium
from tests.e2e.test_console import context_for

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import LoginSettings, load_settings

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("console-logins") / "khazar.duckdb"
    build_store(db)
    settings = load_settings().model_copy(update={"login": LoginSettings(
        backoff_after=3, lockout_after=3, lockout_s=120.0, address_factor=100)})
    server = KhazarServer(settings, ServeOptions(db=db, port=0, detect=False,
                                                 live_period_s=0.2))
    base = server.start_background()
    try:
        yield base
    finally:
        server.stop()


def test_password_dialog_and_lockout_notice(url: str) -> None:
    from playwright.sync_api import sync_playwright

    guard = LocalOnly(url)
    new = "amber light on the pier"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = context_for(browser, guard).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(page, url, "anna", PASSWORD)
            page.click("#password-button")
            page.fill("#password-current", PASSWORD)
            page.fill("#password-new", "password1234")
            page.fill("#password-confirm", "password1234")
            page.click("#password-submit")
            page.wait_for_function(
                "document.getElementById('password-error').textContent.includes('too common')")
            page.fill("#password-new", new)
            page.fill("#password-confirm", new)
            page.click("#password-submit")
            page.wait_for_function(
                "document.getElementById('status-message').textContent.includes('Password "
                "changed')")
            assert not page.is_visible("#password-dialog")
            assert httpx.post(url + "/api/login", json={"username": "anna", "password": new}
                              ).status_code == 200

            admin = context_for(browser, guard).new_page()
            admin.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(admin, url, "ada", PASSWORD)
            admin.wait_for_selector("#live-indicator.on", timeout=20_000)
            for i in range(3):
                assert httpx.post(url + "/api/login", json={
                    "username": "omar", "password": f"guess number {i}"}).status_code == 401
            admin.wait_for_function(
                "document.getElementById('status-message').textContent.includes("
                "'Login lockout') && document.getElementById('status-message')"
                ".textContent.includes('omar')", timeout=20_000)

            # the sign-in form of a locked account says why
            locked = context_for(browser, guard).new_page()
            locked.goto(url + "/")
            locked.fill("#login-username", "omar")
            locked.fill("#login-password", PASSWORD)
            locked.click("#login-submit")
            locked.wait_for_function(
                "document.getElementById('login-error').textContent.includes('Too many')")
        finally:
            browser.close()
    assert errors == []
    assert guard.blocked == []
