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
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule

from khazar.cli._app import ConfigOption, TheatreOption, app, console, err_console
from khazar.errors import InputError, KhazarError
from khazar.sim.clock import day_ending

DEMO_USER = "demo"
DEMO_PASSWORD = "khazar-demo-2026"
#: written in every folder the demo creates: the names it wrote there, one a line, so that
#: a later run removes those and nothing else (a folder without it is never emptied)
MARKER = ".khazar-demo"
#: the console's HTTP address and the NMEA listener's address (``khazar serve``'s defaults)
_HOST = "127.0.0.1"
STORE = "khazar.duckdb"


def _prepare_out(out: Path) -> set[str]:
    """Make ``out`` ready and return the names already in it that are not the demo's.

    A missing or empty folder is used (and marked as the demo's). A folder the demo made
    before (it holds :data:`MARKER`) loses what the demo wrote there last time, listed in
    the marker, and nothing else. Any other non-empty folder is refused."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    present = {p.name for p in out.iterdir()}
    if present and not marker.is_file():
        raise InputError(f"--out {out} is not empty and was not made by `khazar demo` (no "
                         f"{MARKER} in it); choose an empty or new folder, nothing was deleted")
    if marker.is_file():
        listed = set(marker.read_text(encoding="utf-8").splitlines())
        # the store and what the server keeps next to it (WAL, audit head) after the marker
        # was written: a stale WAL must never meet a new store
        listed |= {n for n in present if n.startswith(STORE)}
        for name in sorted(listed):
            target = out / name
            if not name or name == MARKER or "/" in name or name in (".", ".."):
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    marker.write_text("", encoding="utf-8")
    return {p.name for p in out.iterdir()} - {MARKER}


def _mark_out(out: Path, theirs: set[str]) -> None:
    """List in the marker what the demo wrote in ``out`` (everything but ``theirs``)."""
    mine = sorted({p.name for p in out.iterdir()} - theirs - {MARKER})
    (out / MARKER).write_text("".join(f"{n}\n" for n in mine), encoding="utf-8")


def _check_ports(port: int, udp: int) -> None:
    """Bind each port the console will need, before the long job: one line naming the port
    and what to do when it is out of range or taken."""
    if port == udp:
        raise InputError(f"--port and --udp are both {port}; give them different ports")
    for value, option, kind, what in ((port, "--port", socket.SOCK_STREAM, "console (HTTP)"),
                                      (udp, "--udp", socket.SOCK_DGRAM, "NMEA listener (UDP)")):
        if not 1 <= value <= 65535:
            raise InputError(f"{option} {value} must be a port in 1..65535")
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:  # as the HTTP server binds it
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((_HOST, value))
            except OSError as exc:
                raise InputError(
                    f"{option} {value}: the {what} port on {_HOST} is in use or refused "
                    f"({exc.strerror}); stop what holds it (another `khazar demo` or `serve`?) "
                    f"or pass another {option}, or --no-serve") from None


def _run(args: list[str]) -> None:
    """Invoke one `khazar` command in-process; a failure stops the demo with its message."""
    try:
        app(args, standalone_mode=False)
    except SystemExit as exc:  # typer raises it for exit codes
        if exc.code not in (0, None):
            raise
    console.print()


def _demo_user(db: str) -> None:
    from khazar.services.users import add_user, get_user
    from khazar.store import open_store

    with open_store(db) as store:
        if get_user(store, DEMO_USER) is None:  # the store's first user: adds itself
            add_user(store, DEMO_USER, DEMO_PASSWORD, "admin", actor=DEMO_USER)


@contextlib.contextmanager
def _as_demo_user() -> Iterator[None]:
    """The demo's own commands act as the demo user, with its password (as a watch
    officer's script would, through $KHAZAR_PASSWORD); the environment is restored after."""
    from khazar.api.remote import PASSWORD_ENV

    before = os.environ.get(PASSWORD_ENV)
    os.environ[PASSWORD_ENV] = DEMO_PASSWORD
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = before


def _capture_json(args: list[str]) -> Any:
    """Run a command with ``--format json`` in-process and parse what it printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _run([*args, "--format", "json"])
    return json.loads(buf.getvalue())


def _at(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _respond(db: str, cfg: list[str], end: datetime) -> None:
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
    with _as_demo_user():
        _run(["alerts", "ack", top["id"], "--db", str(db), "--user", DEMO_USER,
              "--now", _at(end + timedelta(minutes=4))])
        # the same use case as the console's Dispatch button: assigns the alert, marks the
        # boat dispatched and audits one dispatch.order, all in one transaction
        plan = _capture_json(["dispatch", "--db", str(db), "--alert", top["id"], "--now",
                              now, "--assign", "--user", DEMO_USER, *cfg])
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
    port: Annotated[int, typer.Option(help="console (HTTP) port")] = 8000,
    udp: Annotated[int, typer.Option(help="the console's NMEA listener (UDP) port")] = 10110,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    server_profile: Annotated[bool, typer.Option(
        "--server-profile", help="run it all on PostgreSQL + PostGIS: a throw-away cluster "
        "started in a temporary folder and removed when the demo ends")] = False,
) -> None:
    """Run the main job: simulate → ingest → detect → alerts → plan → report → console.

    The simulated day ends at the wall clock's present (to the minute), so the picture,
    escalation, the handover and the scorecard run on one clock. ``--out`` must be new,
    empty or a folder an earlier demo made; the ports are checked before anything runs."""
    if not 0 < hours <= 24.0 * 31:  # the simulator's range
        raise InputError(f"--hours {hours:g} must be in (0, 744]")
    if serve:
        _check_ports(port, udp)
    # every step that reads geography gets the configuration and the theatre
    cfg = [*(["--config", str(config)] if config else []),
           *(["--theatre", theatre] if theatre else [])]
    theirs = _prepare_out(out)
    with _store_for(out, server_profile) as db:
        try:
            _main_job(out, db, hours, seed, cfg)
        finally:
            _mark_out(out, theirs)
        if serve:
            _serve(out, db, port, udp, cfg)


@contextlib.contextmanager
def _store_for(out: Path, server_profile: bool) -> Iterator[str]:
    """The demo's store: a DuckDB file in ``out``, or a database of a throw-away PostgreSQL
    cluster (``--server-profile``) that is stopped and removed afterwards."""
    if not server_profile:
        yield str(out / STORE)
        return
    from khazar.store.pgcluster import running_cluster

    with running_cluster() as cluster:
        url = cluster.create_database("khazar")
        console.print(f"Server profile: PostgreSQL + PostGIS at {url} (throw-away cluster in "
                      f"{cluster.root}, removed when the demo ends)")
        yield url


def _serve(out: Path, db: str, port: int, udp: int, cfg: list[str]) -> None:
    console.print(f"\n[bold]Console: http://{_HOST}:{port}/[/]   "
                  f"login [bold]{DEMO_USER}[/] / password [bold]{DEMO_PASSWORD}[/] (admin)")
    console.print("Stop with Ctrl-C.\n")
    try:
        _run(["serve", "--db", str(db), "--port", str(port), "--udp", str(udp), "--plan",
              str(out / "plan.geojson"), *cfg])
    except OSError as exc:  # a port taken between the check and now
        err_console.print(f"[bold red]error:[/] the console could not start: {exc}; "
                          f"run `khazar serve --db {db}` with another --port/--udp",
                          highlight=False)
        raise SystemExit(1) from None


def _main_job(out: Path, db: str, hours: float, seed: int, cfg: list[str]) -> None:
    sim = out / "sim"
    start, end = day_ending(datetime.now(UTC), hours)
    console.print(f"Simulated period {_at(start)} → {_at(end)} (ends at the wall clock's now)")
    steps: list[tuple[str, Callable[[], None]]] = [
        (f"Simulate {hours:g} h of Caspian traffic with every red-team scenario (seed {seed})",
         lambda: _run(["simulate", "--scenario", "mixed", "--hours", str(hours), "--seed",
                       str(seed), "--start", _at(start), "--out", str(sim), *cfg])),
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
