"""`khazar report` end to end on a small store: files written, exercise traffic excluded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from khazar.cli import app
from khazar.store import open_store


def _seed(db: Path) -> None:
    with open_store(db) as store:
        c = store.conn
        c.execute(
            "INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, heading_deg, status, "
            "msg_type, source, exercise, station, report_ts, msg_key) "
            "SELECT 423000000 + (i % 5), "
            "TIMESTAMPTZ '2026-05-01 00:00:00+00' + i * INTERVAL 10 SECOND, "
            "40.0 + (i % 100) * 0.001, 50.0 + (i % 7) * 0.01, 5.0, 90.0, 90, 0, 1, 'test', "
            "i % 10 = 0, 'st', TIMESTAMPTZ '2026-05-01 00:00:00+00' + i * INTERVAL 10 SECOND, "
            "i FROM range(2000) t(i)"
        )
        for i, (zone, exercise) in enumerate(
            [("aze-border-irn", False), ("aze-border-irn", True), ("aze-territorial-sea", False)]
        ):
            c.execute(
                "INSERT INTO events VALUES (?, 'zone_entry', 423000001, NULL, "
                "TIMESTAMPTZ '2026-05-01 01:00:00+00', TIMESTAMPTZ '2026-05-01 01:10:00+00', "
                "38.5, 49.0, ?, NULL, '{}', false, ?, now())",
                [f"e{i}", zone, exercise],
            )
        c.execute(
            "INSERT INTO alerts VALUES ('a1', 'protected-zone', 'loitering', 'critical', 9.0, "
            "'new', 423000002, NULL, 'chirag-1', NULL, 40.1, 50.9, "
            "TIMESTAMPTZ '2026-05-01 02:00:00+00', TIMESTAMPTZ '2026-05-01 02:30:00+00', "
            "'[]', 1, 'loitering over Chirag-1', NULL, NULL, false, false, now(), now())"
        )


def test_report_writes_html_figures_and_scorecard(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    _seed(db)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["report", "--db", str(db), "--out", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    values = {i["id"]: i["value"] for i in summary["scorecard"]}
    assert values["border_incursions"] == 1  # the exercise entry does not count
    assert values["open_critical_alerts"] == 1
    assert values["oil_at_risk"] > 0  # Chirag-1 carries oil
    html = (out / "index.html").read_text()
    assert "Charter scorecard" in html and "loitering over Chirag-1" in html
    assert "1,800" in html  # position reports: exercise rows (every 10th) excluded
    assert "AIS reception learned from the last 7 days of positions" in html
    for png in ("traffic_density.png", "events_map.png", "alert_timeline.png",
                "coverage_vs_value.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    card = json.loads((out / "scorecard.json").read_text())
    assert {c["goal"] for c in card} == {"energy", "peace", "trade", "defence", "governance"}


def test_report_on_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code != 0


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                    reason=f"{CHROMIUM} is absent (make test installs it)")
def test_report_opens_in_headless_chromium_offline(tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    db = tmp_path / "k.duckdb"
    _seed(db)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    outside: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(("file://", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.route("**/*", guard)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto((out / "index.html").as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(widths) == 4 and all(w > 300 for w in widths), widths
            assert page.locator("h2", has_text="Charter scorecard").count() == 1
            assert page.locator("td.goal").count() == 5
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert outside == []


def test_report_frames_and_local_time_come_from_the_theatre(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from khazar.report import plots

    frames: list[tuple[str, object]] = []
    for name, pos in (("traffic_density", 3), ("events_map", 3)):
        real = getattr(plots, name)

        def spy(*args: object, _real: object = real, _name: str = name, _pos: int = pos
                ) -> object:
            frames.append((_name, tuple(args[_pos])))  # type: ignore[arg-type]
            return _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(plots, name, spy)
    db = tmp_path / "k.duckdb"
    _seed(db)
    toy = tmp_path / "toy"
    toy.mkdir()
    (toy / "water.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[10, 55], [11, 55], [11, 56], [10, 56], [10, 55]]]}))
    (toy / "theatre.toml").write_text(
        'name = "toy"\n[files]\nwater = "water.geojson"\n[map]\nextent = [9, 54, 12, 57]\n')
    for theatre, frame, local in ((None, None, "Baku)"), (str(toy), (9.0, 54.0, 12.0, 57.0),
                                                           None)):
        out = tmp_path / f"report-{theatre is None}"
        frames.clear()
        args = ["report", "--db", str(db), "--out", str(out)]
        result = CliRunner().invoke(app, args + (["--theatre", theatre] if theatre else []))
        assert result.exit_code == 0, result.output
        html = (out / "index.html").read_text()
        if local is None:  # a built theatre: UTC, no Caspian frame or clock
            assert "Baku" not in html and "Alerts per hour (UTC time)" in html
            assert dict(frames) == {"traffic_density": frame, "events_map": frame}
        else:  # the Caspian: its manifest's overview and detail frames, Baku time
            assert local in html
            assert dict(frames) == {"traffic_density": (47.4, 37.6, 53.6, 44.0),
                                    "events_map": (48.3, 38.2, 51.9, 41.4)}
