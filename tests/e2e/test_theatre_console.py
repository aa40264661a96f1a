"""The console on a built theatre: the Danish straits (GSHHG through gmt) with the real DMA
log. Debian's Chromium logs in; the map opens on the theatre's view, draws its land, zones
and the vessels, and a screenshot is written (theatre-danish.png; the README's from
``KHAZAR_SCREENSHOTS=docs/console``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, LocalOnly, log_in, needs_chromium
from typer.testing import CliRunner

from khazar.api.server import KhazarServer, ServeOptions
from khazar.cli import app
from khazar.config import load_settings
from khazar.services.users import add_user
from khazar.store import open_store

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("KHAZAR_SCREENSHOTS") or ROOT / "test-artifacts")
if not SHOTS.is_absolute():
    SHOTS = ROOT / SHOTS
DMA_LOG = ROOT / "tests" / "data" / "ais" / "dma" / "stream_example.txt"
PASSWORD = "correct horse battery"
BBOX = (9.5, 54.5, 13.5, 57.8)

pytestmark = [needs_chromium, pytest.mark.skipif(shutil.which("gmt") is None,
                                                 reason="gmt absent (scripts/setup.sh)")]


def test_console_draws_the_danish_theatre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("KHAZAR_CACHE_DIR", str(tmp_path / "cache"))
    theatre = tmp_path / "danish"
    runner = CliRunner()
    built = runner.invoke(app, ["theatre", "build", "danish-straits", "--bbox",
                                ",".join(map(str, BBOX)), "--out", str(theatre),
                                "--states", "DK,SE,DE", "--title", "Danish straits"])
    assert built.exit_code == 0, built.output
    db = tmp_path / "k.duckdb"
    ingested = runner.invoke(app, ["ingest", str(DMA_LOG), "--db", str(db)])
    assert ingested.exit_code == 0, ingested.output
    with open_store(db) as store:
        add_user(store, "operator", PASSWORD, "operator", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    settings = load_settings(theatre=str(theatre))
    server = KhazarServer(settings, ServeOptions(db=db, port=0, udp_port=0,
                                                 live_period_s=0.5, detect=False))
    url = server.start_background()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=LAUNCH_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1440, "height": 900},
                                              bypass_csp=True)
                guard = LocalOnly(url)
                context.route("**/*", guard)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                log_in(page, url, "operator", PASSWORD)
                basemap = page.evaluate("fetch('/api/basemap').then(r => r.json())")
                water = next(f for f in basemap["features"]
                             if f["properties"]["layer"] == "water")
                assert water["properties"]["theatre"] == "danish-straits"
                assert water["properties"]["extent"] == list(BBOX)
                page.wait_for_function("window.khazarConsole.vesselCount() >= 100",
                                       timeout=60_000)
                page.wait_for_timeout(1500)
                # the map opened on the theatre, not on the Caspian
                lon, lat = page.evaluate("(() => { const c = window.khazarConsole.map"
                                         ".getCenter(); return [c.lng, c.lat]; })()")
                assert BBOX[0] < lon < BBOX[2] and BBOX[1] < lat < BBOX[3], (lon, lat)
                zones = page.evaluate("fetch('/api/zones').then(r => r.json())")
                kinds = {f["properties"]["kind"] for f in zones["features"]}
                assert {"territorial_sea", "contiguous_zone"} <= kinds
                # a built theatre keeps UTC: no Caspian local clock, the theatre's title
                assert page.is_hidden("#clock-local")
                assert page.title() == "Khazar · Danish straits"
                assert "Baku" not in (page.text_content("header") or "")
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "theatre-danish.png"))
                assert not errors, errors
                assert not guard.blocked, guard.blocked
            finally:
                browser.close()
    finally:
        server.stop()
