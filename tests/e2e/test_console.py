"""End to end: Debian's Chromium (headless, driven by Playwright) against ``khazar serve``
fed over UDP by the simulator. Every request that is not to the local server is blocked
and recorded; none may be attempted. Screenshots go to test-artifacts/."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, LocalOnly, log_in, needs_chromium
from tests.exercise_truth import planted_intruder

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.units import deg_decimal_minutes

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SPLIT_S = 15 * 60  # first part of the feed before login, the rest while watching
SCENARIO, HOURS = "safety_zone_entry", 1.5  # a red-team boat enters a platform safety zone
#: the exercise the director starts from the console (its intruder is read from the truth)
EXERCISE = {"scenario": "safety_zone_entry", "hours": 1, "speed": 900, "seed": 3,
            "density": 0.03}


EXERCISE_INTRUDER = planted_intruder()

#: the patrol plan: SBS-01's planned route is the route it sails in the simulation (on
#: plan), SBS-02's is its own shifted 5 nm (1/12 degree) north (off plan)
ON_PLAN, OFF_PLAN = "SBS-01", "SBS-02"
PLAN_STEP_S = 120


def _plan_file(path: Path, run: object, settings: Any) -> Path:
    import json

    from pyais import decode

    mmsi = {b.name: b.mmsi for b in settings.fleet}
    wanted = {mmsi[ON_PLAN]: ON_PLAN, mmsi[OFF_PLAN]: OFF_PLAN}
    fixes: dict[str, list[tuple[float, float, float]]] = {ON_PLAN: [], OFF_PLAN: []}
    for times, lines in run.feed.chunks():  # type: ignore[attr-defined]
        for t, line in zip(times.tolist(), lines, strict=True):
            body = line.decode().rsplit("\\", 1)[-1]
            if ",1,1,," not in body:  # single-sentence messages only (positions)
                continue
            msg: Any = decode(body)
            if msg.mmsi in wanted and msg.msg_type in (1, 2, 3):
                fixes[wanted[msg.mmsi]].append((t, msg.lat, msg.lon))
    feats = []
    for boat, shift_deg in ((ON_PLAN, 0.0), (OFF_PLAN, 5 / 60)):
        pts = sorted(fixes[boat])
        sampled, last_t = [], -1e18
        for p in pts:
            if p[0] - last_t >= PLAN_STEP_S or p is pts[-1]:
                sampled.append(p)
                last_t = p[0]
        assert len(sampled) >= 2, (boat, len(pts))
        # the shift runs on past the picture's time (deviation is judged only on shift):
        # the boat holds its last planned point for an hour more
        sampled.append((sampled[-1][0] + 3600, sampled[-1][1], sampled[-1][2]))
        feats.append({"type": "Feature",
                      "geometry": {"type": "LineString",
                                   "coordinates": [[lon, lat + shift_deg]
                                                   for _, lat, lon in sampled]},
                      "properties": {"boat": boat, "base": "Baku", "times": [
                          datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")
                          for t, _, _ in sampled]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


pytestmark = needs_chromium


def _send(lines: list[bytes], port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for line in lines:
            sock.sendto(line + b"\r\n", ("127.0.0.1", port))
    finally:
        sock.close()


def _split_feed(run: object) -> tuple[list[bytes], list[bytes]]:
    first: list[bytes] = []
    rest: list[bytes] = []
    t_split = START.timestamp() + SPLIT_S
    for times, lines in run.feed.chunks():  # type: ignore[attr-defined]
        for t, line in zip(times.tolist(), lines, strict=True):
            (first if t < t_split else rest).append(line)
    return first, rest


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, KhazarServer]]:
    from khazar.sim.engine import simulate

    settings = load_settings()
    db = tmp_path_factory.mktemp("e2e") / "khazar.duckdb"
    with open_store(db) as store:
        fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        add_user(store, "omar", PASSWORD, "operator", actor="test", hasher=fast)
        add_user(store, "xena", PASSWORD, "exercise_director", actor="test", hasher=fast)
    run = simulate(SCENARIO, HOURS, 7, START, settings, density=0.15)
    plan = _plan_file(db.parent / "plan.geojson", run, settings)
    server = KhazarServer(settings, ServeOptions(db=db, port=0, udp_port=0, live_period_s=0.5,
                                                 plan_file=plan))
    url = server.start_background()
    assert server.udp is not None
    (behaviour,) = run.truth.behaviours
    first, rest = _split_feed(run)
    _send(first, int(server.udp.address[1]))
    try:
        yield url, server, rest, behaviour.mmsis[0]  # type: ignore[misc]
    finally:
        server.stop()


def context_for(browser: Any, guard: Any) -> Any:
    """A fresh browser context (its own cookies) whose every request goes through guard."""
    # bypass_csp: Playwright evaluates its predicates as strings, which the CSP forbids
    context = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
    context.route("**/*", guard)
    return context


#: asks the map for a pitch, then counts the sky passes (draws with MapLibre's sky shader)
#: in the next frame: [pitch, sky passes]
_SKY_PASSES_JS = """(pitch) => new Promise((done) => {
  const map = window.khazarConsole.map, gl = map.painter.context.gl, draw = gl.drawElements;
  map.setPitch(pitch);
  let sky = 0;
  gl.drawElements = function (...args) {
    const program = gl.getParameter(gl.CURRENT_PROGRAM);
    const src = gl.getAttachedShaders(program).map((s) => gl.getShaderSource(s)).join("");
    if (src.includes("u_sky_color")) sky++;
    return draw.apply(gl, args);
  };
  map.once("render", () => { gl.drawElements = draw; done([map.getPitch(), sky]); });
  map.triggerRepaint(); })"""


def test_login_see_moving_vessels_and_logout(console: tuple[str, KhazarServer, list[bytes]]
                                             ) -> None:
    from playwright.sync_api import sync_playwright

    url, server, rest, intruder = console  # type: ignore[misc]
    ARTIFACTS.mkdir(exist_ok=True)
    guard = LocalOnly(url)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=LAUNCH_ARGS)
        try:
            page = context_for(browser, guard).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/")
            page.wait_for_selector("#login-form", state="visible")
            page.fill("#login-username", "omar")
            page.fill("#login-password", "wrong password!")
            page.click("#login-submit")
            page.wait_for_function("document.getElementById('login-error').textContent !== ''")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("#app-view", state="visible")
            assert page.text_content("#user-role") == "operator"

            # the simulated feed arrived over UDP: vessels are listed and drawn on the map
            page.wait_for_function("window.khazarConsole.vesselCount() >= 20", timeout=30_000)
            page.wait_for_function("window.khazarConsole.renderedVessels() >= 10",
                                   timeout=30_000)
            count = page.evaluate("window.khazarConsole.vesselCount()")
            assert int(page.text_content("#vessel-count") or 0) == count
            # the Caspian theatre's local clock beside UTC (utc_offset_h = 4, "Baku")
            page.wait_for_selector("#clock-local", state="visible")
            assert page.text_content("#clock-local-name") == "Baku"
            before = page.evaluate(
                "Object.fromEntries([...window.khazarConsole.state.vessels.values()]"
                ".map(f => [f.properties.mmsi, f.geometry.coordinates.join(',')]))")

            # the rest of the feed: the same vessels move (pushed over /api/live)
            _send(rest, int(server.udp.address[1]))
            page.wait_for_function(
                """(before) => [...window.khazarConsole.state.vessels.values()].filter(
                     f => before[f.properties.mmsi] !== undefined &&
                          before[f.properties.mmsi] !== f.geometry.coordinates.join(',')
                   ).length >= 5""",
                arg=before, timeout=60_000,
            )
            page.wait_for_timeout(1500)  # one more flush to the map
            page.screenshot(path=str(ARTIFACTS / "console-map.png"))

            # live rows carry raw coordinates: the page writes degrees and decimal minutes
            # exactly as the server does for /api/vessels
            values = [40.3651237, 50.1234567, 0.0, -12.5, 39.99999999, 49.9999995, 51.00005]
            for is_lat in (True, False):
                assert page.evaluate(
                    f"(vs) => vs.map((v) => window.KhazarPanels.fmtDM(v, {str(is_lat).lower()}))",
                    values) == [deg_decimal_minutes(v, is_lat) for v in values]

            # the console looks straight down, and draws no sky it cannot show (MapLibre
            # would draw a full-screen sky pass every frame); pitched, the sky is drawn
            assert page.evaluate(_SKY_PASSES_JS, 60) == [0, 0]
            page.evaluate("window.khazarConsole.map.setMaxPitch(60)")
            assert page.evaluate(_SKY_PASSES_JS, 40) == [40, 1]
            page.evaluate("window.khazarConsole.map.setPitch(0); "
                          "window.khazarConsole.map.setMaxPitch(0)")

            # the red-team boat's entry into a platform safety zone becomes an alert
            card = page.locator(f".alert-card:has-text('{intruder}')").first
            card.wait_for(state="visible", timeout=90_000)
            card.locator(".act-ack").click()
            card = page.locator(f".alert-card[data-state=acknowledged]:has-text('{intruder}')")
            card.first.wait_for(state="visible", timeout=15_000)

            # dispatch: the boats' water ETAs, fastest first, the recommended one highlighted
            card.first.locator(".act-dispatch").click()
            rows = card.first.locator(".dispatch-row")
            rows.first.wait_for(state="visible", timeout=30_000)
            assert rows.count() == 12
            etas = [float((rows.nth(i).locator(".eta").text_content() or "").split()[0])
                    for i in range(rows.count())]
            assert etas == sorted(etas), etas
            rec = card.first.locator(".dispatch-row.recommended")
            assert rec.count() == 1 and rec.get_attribute("data-boat") == \
                rows.first.get_attribute("data-boat")
            boat = rec.get_attribute("data-boat") or ""
            page.screenshot(path=str(ARTIFACTS / "console-dispatch-options.png"))
            rec.locator(".act-send").click()
            card = page.locator(f".alert-card[data-state=assigned]:has-text('{intruder}')")
            card.first.wait_for(state="visible", timeout=15_000)
            assert boat in (card.first.text_content() or "")
            # the boat's intercept route is drawn on the map
            page.wait_for_function(
                "window.khazarConsole.map.queryRenderedFeatures("
                "{layers: ['dispatch-routes']}).length >= 1", timeout=15_000)
            page.wait_for_timeout(800)
            page.screenshot(path=str(ARTIFACTS / "console-dispatch-route.png"))
            page.click(".tab[data-tab=fleet]")
            page.wait_for_selector("#fleet-table")
            assert page.locator("#fleet-table tr").count() == 13  # header + 12 boats
            row = f"#fleet-table tr[data-boat='{boat}']"
            assert page.input_value(f"{row} .fleet-set") == "dispatched"
            alert_id = card.first.get_attribute("data-alert-id") or ""
            assert alert_id and alert_id in (page.text_content(f"{row} .fleet-status") or "")
            others = page.eval_on_selector_all(
                "#fleet-table .fleet-set", "els => els.map(e => e.value)")
            assert others.count("dispatched") == 1
            assert page.locator("#dispatch-unavailable").count() == 0
            # patrol plan deviation: one boat on its route, one 5 nm off it, both on the map
            # (the offset is where the plan puts the boat at its last fix: 5 nm north)
            on = page.locator(f"#fleet-table tr[data-boat='{ON_PLAN}'] .fleet-plan[data-status]")
            off = page.locator(f"#fleet-table tr[data-boat='{OFF_PLAN}'] .fleet-plan")
            on.wait_for(timeout=15_000)
            assert on.get_attribute("data-status") == "on_plan"
            assert off.get_attribute("data-off-plan") == "true"
            assert "5.0 nm" in (off.text_content() or "")
            assert page.evaluate(
                "window.khazarConsole.map.querySourceFeatures('geo', {filter: "
                "['==', ['get', 'part'], 'plan']}).length") >= 2
            page.screenshot(path=str(ARTIFACTS / "console-fleet.png"))

            # the learned AIS reception: switched on in the layers panel, drawn as cells
            # coloured by the share of reports received (GET /api/reception)
            page.click(".tab[data-tab=layers]")
            page.locator("#panel-layers label:has-text('AIS reception') input").check()
            page.wait_for_function(
                "window.khazarConsole.map.queryRenderedFeatures("
                "{layers: ['reception']}).length >= 1", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "console-reception.png"))

            # the Charter scorecard: the five goals, each indicator with its definition
            page.click(".tab[data-tab=scorecard]")
            page.wait_for_function(
                "document.querySelectorAll('#panel-scorecard .indicator').length >= 8",
                timeout=30_000)
            assert page.locator("#panel-scorecard .goal").count() == 5
            defs = page.locator("#panel-scorecard .indicator-def").all_text_contents()
            assert all(len(d) > 10 for d in defs)
            page.screenshot(path=str(ARTIFACTS / "console-scorecard.png"))

            # vessel panel: identity, kinematics, position in degrees and decimal minutes
            mmsi = page.evaluate(
                "[...window.khazarConsole.state.vessels.values()]"
                ".find(f => f.properties.name && f.properties.sog_kn > 1).properties.mmsi")
            page.evaluate(f"window.khazarConsole.selectVessel({mmsi})")
            details = page.text_content("#vessel-details") or ""
            assert str(mmsi) in details and "UTC" in details and "Baku" in details
            assert "′N" in details and "′E" in details
            page.click("text=Track (6 h)")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "console-vessel.png"))

            # history replay: the picture one hour before the newest report
            live_clock = page.text_content("#clock-picture")
            page.check("#replay-toggle")
            page.eval_on_selector("#replay-slider",
                                  "e => { e.value = -60; e.dispatchEvent(new Event('change')); }")
            page.wait_for_function(
                "(live) => document.getElementById('clock-picture').textContent !== live",
                arg=live_clock, timeout=15_000)
            replayed = page.text_content("#clock-picture") or ""
            assert replayed < (live_clock or ""), (replayed, live_clock)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "console-replay.png"))
            page.uncheck("#replay-toggle")

            # the exercise picture is kept apart: no exercise traffic was sent
            page.check("#exercise-toggle")
            page.wait_for_function("window.khazarConsole.vesselCount() === 0", timeout=15_000)
            page.uncheck("#exercise-toggle")
            page.wait_for_function("window.khazarConsole.vesselCount() >= 20", timeout=15_000)

            # exercise: the operator may not start one; the director does, in another browser
            page.click(".tab[data-tab=exercise]")
            page.wait_for_selector("#exercise-start")
            assert page.is_disabled("#exercise-start")
            director = context_for(browser, guard).new_page()
            director.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in(director, url, "xena", PASSWORD)
            director.click(".tab[data-tab=exercise]")
            director.wait_for_selector("#exercise-start:not([disabled])")
            director.select_option("#exercise-scenario", EXERCISE["scenario"])
            for key in ("hours", "speed", "seed", "density"):
                director.fill(f"#exercise-{key}", str(EXERCISE[key]))
            director.click("#exercise-start")
            director.wait_for_selector(".exercise-run[data-state=running], "
                                       ".exercise-run[data-state=replayed]", timeout=30_000)

            # the operator watches the exercise picture: the planted intrusion is an alert,
            # purple, and is answered like a live one
            page.click(".tab[data-tab=alerts]")
            page.check("#exercise-toggle")
            card = page.locator(f".alert-card.exercise:has-text('{EXERCISE_INTRUDER}')").first
            card.wait_for(state="visible", timeout=90_000)
            card.locator(".act-ack").click()
            card = page.locator(f".alert-card.exercise[data-state=acknowledged]"
                                f":has-text('{EXERCISE_INTRUDER}')").first
            card.wait_for(state="visible", timeout=15_000)
            card.locator(".act-dispatch").click()
            card.locator(".dispatch-row.recommended .act-send").click(timeout=30_000)
            page.locator(f".alert-card.exercise[data-state=assigned]"
                         f":has-text('{EXERCISE_INTRUDER}')").first.wait_for(timeout=15_000)
            # only the exercise's intercept route is drawn in the exercise picture
            page.wait_for_function(
                "(() => { const f = window.khazarConsole.map.queryRenderedFeatures("
                "{layers: ['dispatch-routes']}); return f.length >= 1 && "
                "f.every(x => x.properties.exercise === true); })()", timeout=15_000)
            page.wait_for_timeout(800)
            page.screenshot(path=str(ARTIFACTS / "console-exercise-picture.png"))

            # the director finishes it and reads the score sheet
            director.click(".exercise-finish")
            director.wait_for_selector(".exercise-run[data-state=finished] .score-sheet",
                                       timeout=60_000)
            assert director.text_content(".score-raised") == "1 / 1"
            assert director.text_content(".score-missed") == "0"
            row = director.locator(".score-sheet tr.hit").first
            for cell in (".score-ack", ".score-dispatch", ".score-intercept"):
                assert (row.locator(cell).text_content() or "—").strip()[0].isdigit(), cell
            director.screenshot(path=str(ARTIFACTS / "console-exercise-score.png"))
            director.close()
            page.uncheck("#exercise-toggle")
            page.wait_for_function("window.khazarConsole.vesselCount() >= 20", timeout=15_000)

            # Azerbaijani strings, then log out
            page.click("#app-view button.lang[data-lang=az]")
            assert page.text_content("#logout-button") == "Çıxış"
            page.click(".tab[data-tab=fleet]")
            assert "PLANDAN KƏNAR" in (page.text_content(
                f"#fleet-table tr[data-boat='{OFF_PLAN}'] .fleet-plan") or "")
            page.click("#app-view button.lang[data-lang=en]")
            page.click("#logout-button")
            page.wait_for_selector("#login-form", state="visible")
            status = page.evaluate("fetch('/api/me').then(r => r.status)")
            assert status == 401
            assert errors == []
        finally:
            browser.close()
    assert guard.blocked == [], f"non-local requests were attempted: {guard.blocked}"
