"""`khazar demo`: the main job of DESIGN.md, end to end, through the real commands.

Simulates a day of Caspian traffic with every red-team scenario, ingests it through the real
pipeline, detects, raises alerts, plans patrols for the 12 boats, writes the report, creates
the demo login and serves the console. Each stage is the same command a user would type
(invoked in-process), so the demo exercises exactly the documented contracts.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule

from khazar.cli._app import ConfigOption, app, console
from khazar.errors import KhazarError

DEMO_USER = "demo"
DEMO_PASSWORD = "khazar-demo-2026"
DEMO_START = "2026-05-01T00:00:00Z"


def _run(args: list[str]) -> None:
    """Invoke one `khazar` command in-process; a failure stops the demo with its message."""
    try:
        app(args, standalone_mode=False)
    except SystemExit as exc:  # typer raises it for exit codes
        if exc.code not in (0, None):
            raise
    console.print()


def _demo_user(db: Path) -> None:
    from khazar.services.users import add_user, get_user
    from khazar.store import open_store

    with open_store(db) as store:
        if get_user(store, DEMO_USER) is None:
            add_user(store, DEMO_USER, DEMO_PASSWORD, "admin", actor="demo")


def _capture_json(args: list[str]) -> Any:
    """Run a command with ``--format json`` in-process and parse what it printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _run([*args, "--format", "json"])
    return json.loads(buf.getvalue())


def _at(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _respond(db: Path, cfg: list[str], end: datetime) -> None:
    """The watch officer takes the most severe open alert at the end of the simulated period:
    acknowledges it 4 minutes after it was raised, dispatches and assigns a boat at 9."""
    alerts = _capture_json(["alerts", "--db", str(db), "--open", "--no-update"])
    if not alerts:
        console.print("no open alert to respond to")
        return
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    ranked = sorted(alerts, key=lambda a: (order.get(a["severity"], 9), -float(a["score"])))
    now = _at(end + timedelta(minutes=9))
    top: dict[str, Any] | None = None
    for candidate in ranked:
        try:  # a boat must be able to reach it (a spoofed position on land cannot be)
            options = _capture_json(["dispatch", "--db", str(db), "--alert", candidate["id"],
                                     "--now", now, *cfg])
        except KhazarError as exc:
            console.print(f"skipping {candidate['summary']}: {exc}")
            continue
        if options.get("recommended") is not None:
            top = candidate
            break
    if top is None:
        console.print("no open alert a boat can reach")
        return
    console.print(f"most severe reachable alert: {top['summary']} ({top['severity']})")
    _run(["alerts", "ack", top["id"], "--db", str(db), "--user", DEMO_USER,
          "--now", _at(end + timedelta(minutes=4))])
    # the same use case as the console's Dispatch button: assigns the alert, marks the
    # boat dispatched and audits one dispatch.order, all in one transaction
    plan = _capture_json(["dispatch", "--db", str(db), "--alert", top["id"], "--now", now,
                          "--assign", "--user", DEMO_USER, *cfg])
    boat = plan["assigned"]["boat"]
    best = next(o for o in plan["options"] if o["boat"] == boat)
    console.print(f"dispatched {boat} from {best['base']}: ETA {best['eta_min']} min, "
                  f"course {best['course_deg']}°, {best['distance_nm']} nm")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="working directory")] = Path("demo-out"),
    hours: Annotated[float, typer.Option(help="simulated hours")] = 24.0,
    seed: Annotated[int, typer.Option(help="simulation seed")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the console")] = True,
    port: Annotated[int, typer.Option(help="console port")] = 8000,
    config: ConfigOption = None,
) -> None:
    """Run the main job: simulate → ingest → detect → alerts → plan → report → console."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "khazar.duckdb"
    sim = out / "sim"
    cfg = ["--config", str(config)] if config else []
    end = datetime.fromisoformat(DEMO_START) + timedelta(hours=hours)
    steps: list[tuple[str, Callable[[], None]]] = [
        (f"Simulate {hours:g} h of Caspian traffic with every red-team scenario (seed {seed})",
         lambda: _run(["simulate", "--scenario", "mixed", "--hours", str(hours), "--seed",
                       str(seed), "--start", DEMO_START, "--out", str(sim), *cfg])),
        ("Ingest the receiver feed and the coastal radar through the real pipeline",
         lambda: _run(["ingest", str(sim / "feed.nmea"), str(sim / "radar.csv"),
                       "--db", str(db)])),
        ("Detect behaviour (batch engine)",
         lambda: _run(["detect", "--db", str(db), "--out", str(out / "events.jsonl"), *cfg])),
        ("Score detection against the simulator's ground truth",
         lambda: _run(["evaluate", "--truth", str(sim / "truth.json"), "--events",
                       str(out / "events.jsonl")])),
        ("Create the demo login", lambda: _demo_user(db)),
        ("Raise alerts from the events (rules, exemptions, severity)",
         lambda: _run(["alerts", "--db", str(db), "--open", "--now", _at(end), *cfg])),
        ("Plan a 12-hour randomized patrol shift for the 12 boats (GeoJSON, GPX, KML)",
         lambda: _run(["plan", "--boats", "12", "--hours", "12", "--seed", str(seed),
                       "--start", _at(end), "--db", str(db),
                       "--out", str(out / "plan.geojson"), "--out", str(out / "plan.gpx"),
                       "--out", str(out / "plan.kml"), *cfg])),
        ("Watch officer: acknowledge the most severe alert, dispatch the nearest boat",
         lambda: _respond(db, cfg, end)),
        ("Write the report and the Charter scorecard",
         lambda: _run(["report", "--db", str(db), "--out", str(out / "report"), "--plan",
                       str(out / "plan.geojson"), *cfg])),
        ("Verify the audit log", lambda: _run(["audit", "verify", "--db", str(db)])),
    ]
    started = time.perf_counter()
    for i, (title, step) in enumerate(steps, 1):
        console.print(Rule(f"[bold]{i}/{len(steps)} {title}"))
        t0 = time.perf_counter()
        step()
        console.print(f"[dim]({time.perf_counter() - t0:.1f} s)[/]")
    console.print(Rule("[bold green]Done"))
    console.print(f"Main job finished in {time.perf_counter() - started:.0f} s. Outputs in {out}/:")
    console.print(f"  report      {out / 'report' / 'index.html'}")
    console.print(f"  events      {out / 'events.jsonl'}")
    console.print(f"  patrol plan {out / 'plan.geojson'} (.gpx, .kml)")
    console.print(f"  store       {db}")
    if not serve:
        return
    console.print(f"\n[bold]Console: http://127.0.0.1:{port}/[/]   "
                  f"login [bold]{DEMO_USER}[/] / password [bold]{DEMO_PASSWORD}[/] (admin)")
    console.print("Stop with Ctrl-C.\n")
    _run(["serve", "--db", str(db), "--port", str(port), "--udp", "10110", "--plan",
          str(out / "plan.geojson"), *cfg])
