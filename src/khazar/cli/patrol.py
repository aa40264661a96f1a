"""Patrol commands: solve-game, plan, fleet, dispatch, evaluate-patrols (thin adapters)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    DbOption,
    OutputFormat,
    app,
    console,
    err_console,
    print_json,
    settings_from,
)
from khazar.errors import GameError, InputError
from khazar.geo import load_geography
from khazar.patrol.dispatch import estimate_motion, plan_dispatch
from khazar.patrol.evaluate import evaluate_policies
from khazar.patrol.export import write_tracks
from khazar.patrol.game import game_from_dict, solution_to_dict
from khazar.patrol.routes import RoutePlan, SampledShift, draw_routes, sample_shift
from khazar.patrol.service import patrol_setup, plan_shift
from khazar.patrol.solvers import SolverName, solve_game
from khazar.store import open_store
from khazar.store.fleet import (
    BoatState,
    alert_counts,
    alert_target,
    fleet_status,
    last_positions,
    set_boat_status,
)
from khazar.units import to_utc


@app.command("solve-game")
def solve_game_cmd(
    game_file: Annotated[Path, typer.Argument(help="game JSON: resources, targets, zero_sum")],
    solver: Annotated[
        SolverName | None,
        typer.Option("--solver", help="origami (default), multiple-lp, eraser, zero-sum "
                     "(default for zero-sum games)"),
    ] = None,
) -> None:
    """Solve a security game (strong Stackelberg) and print the coverage as JSON."""
    try:
        data = json.loads(game_file.read_text())
    except OSError as exc:
        raise InputError(f"cannot read game file {game_file}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise GameError(f"{game_file} is not valid JSON: {exc}") from exc
    game = game_from_dict(data)
    name = solver or (SolverName.zero_sum if game.zero_sum else SolverName.origami)
    with _stdout_to_stderr():  # HiGHS's C code may print progress lines on fd 1
        sol = solve_game(game, name)
    print_json(solution_to_dict(game, sol))


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _parse_latlon(text: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = text.split(",")
        return float(lat_s), float(lon_s)
    except ValueError as exc:
        raise InputError(f"position {text!r} must be LAT,LON in degrees (e.g. 40.1,50.3)") from exc


def _start_time(start: str | None) -> datetime:
    if start is None:
        now = datetime.now(UTC)
        return now.replace(minute=0, second=0, microsecond=0)
    try:
        return to_utc(datetime.fromisoformat(start))
    except ValueError as exc:
        raise InputError(f"--start {start!r} is not an ISO 8601 time") from exc


@app.command()
def plan(
    out: Annotated[list[Path], typer.Option(
        "--out", help="plan.geojson | plan.gpx | plan.kml (repeat for several formats)")],
    boats: Annotated[int, typer.Option("--boats", help="boats to use (first N of the fleet)")] = 12,
    hours: Annotated[float, typer.Option("--hours", help="shift length")] = 12.0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the shift's draw (logged)")] = 0,
    start: Annotated[str | None, typer.Option("--start", help="shift start, ISO 8601 UTC")] = None,
    areas: Annotated[int | None, typer.Option("--areas", help="approximate number of patrol "
                                              "areas (cell size adapts)")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="store: alert history raises threat, "
                                            "unavailable boats are left out")] = None,
    config: ConfigOption = None,
) -> None:
    """Plan one shift of randomized patrols and export the sampled routes."""
    settings = settings_from(config)
    fleet = list(settings.fleet)[:boats]
    counts: dict[str, int] = {}
    for path in out:  # fail before the expensive solve, not after it
        if path.suffix.lower() not in (".geojson", ".json", ".gpx", ".kml"):
            raise InputError(f"unknown plan format {path.suffix!r} for {path}: "
                             "use .geojson, .gpx or .kml")
    t0 = _start_time(start)
    if db is not None:
        with open_store(db, read_only=True) as store:
            counts = alert_counts(store, t0)
            status = {s.boat: s.status for s in fleet_status(store, fleet)}
        fleet = [b for b in fleet if status[b.name] in (BoatState.available, BoatState.on_patrol)]
    cell = 6.0 if areas is None else max(2.0, 6.0 * (242.0 / max(areas, 1)) ** 0.5)
    setup = patrol_setup(settings, counts, cell)
    rp = plan_shift(setup, fleet, t0, hours)
    if not rp.decomposition.plans:
        raise InputError(f"no plan: {rp.status.value}: {'; '.join(rp.notes)}")
    shift = sample_shift(rp, seed)
    geo = setup.geo
    tracks = draw_routes(rp, shift, lambda a, b, c, d: geo.router.route(a, b, c, d).coords)
    props = _plan_summary(rp, shift, setup.areas.n)
    for path in out:
        write_tracks(path, tracks, props)
    err_console.print(f"plan: {len(tracks)} boats, {setup.areas.n} areas, seed {seed} "
                      f"(plan {shift.plan_index} of {len(rp.decomposition.plans)}), "
                      f"{rp.seconds:.1f} s -> {', '.join(str(p) for p in out)}")


def _plan_summary(rp: RoutePlan, shift: SampledShift, n_areas: int) -> dict[str, object]:
    sol = rp.solution
    return {
        "seed": shift.seed,
        "plan_index": shift.plan_index,
        "plans": len(rp.decomposition.plans),
        "areas": n_areas,
        "status": sol.status.value,
        "attacker_utility": sol.attacker_utility,
        "defender_utility": sol.defender_utility,
        "coverage_error": rp.decomposition.max_coverage_error,
        "unreachable_windows": sol.unreachable,
        "start": rp.start.isoformat(),
        "step_h": rp.graph.step_h,
        "notes": rp.notes,
        "seconds": round(rp.seconds, 2),
    }


@app.command()
def fleet(
    db: DbOption = Path("khazar.duckdb"),
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    set_boat: Annotated[str | None, typer.Option("--set", help="boat name to update")] = None,
    status: Annotated[BoatState | None, typer.Option("--status", help="its new status")] = None,
    detail: Annotated[str | None, typer.Option("--detail", help="note (e.g. alert id)")] = None,
    config: ConfigOption = None,
) -> None:
    """The patrol boats and their status; --set BOAT --status S changes one."""
    settings = settings_from(config)
    with open_store(db, read_only=set_boat is None) as store:
        if set_boat is not None:
            if status is None:
                raise InputError("--set needs --status (available, on_patrol, dispatched, "
                                 "maintenance)")
            set_boat_status(store, settings.fleet, set_boat, status, detail, datetime.now(UTC))
        rows = fleet_status(store, settings.fleet)
    if fmt is OutputFormat.json:
        print_json([{"boat": r.boat, "base": r.base, "mmsi": r.mmsi, "status": r.status.value,
                     "detail": r.detail, "updated_at": r.updated_at} for r in rows])
        return
    table = Table(title="fleet")
    for col in ("boat", "base", "mmsi", "status", "detail", "updated"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.boat, r.base, str(r.mmsi), r.status.value, r.detail or "",
                      r.updated_at.isoformat() if r.updated_at else "")
    console.print(table)


@app.command()
def dispatch(
    db: DbOption = Path("khazar.duckdb"),
    at: Annotated[str | None, typer.Option("--at", help="target position LAT,LON")] = None,
    mmsi: Annotated[int | None, typer.Option("--mmsi", help="target vessel (its stored track)")]
    = None,
    alert: Annotated[str | None, typer.Option("--alert", help="alert id (alerts table)")] = None,
    now: Annotated[str | None, typer.Option("--now", help="time of the decision, ISO 8601 "
                                            "(default: the target's last fix or now)")] = None,
    assign: Annotated[bool, typer.Option("--assign", help="mark the recommended boat "
                                         "dispatched")] = False,
    replan_out: Annotated[Path | None, typer.Option(
        "--replan-out", help="re-solve the shift without the recommended boat and write its "
        "routes here (.geojson/.gpx/.kml)")] = None,
    hours: Annotated[float, typer.Option("--hours", help="length of the re-planned shift")]
    = 12.0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the re-planned shift")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
) -> None:
    """Each available boat's water ETA and intercept course to a target; the recommendation."""
    settings = settings_from(config)
    if sum(x is not None for x in (at, mmsi, alert)) != 1:
        raise InputError("give exactly one of --at LAT,LON, --mmsi M or --alert ID")
    with open_store(db, read_only=not assign) as store:
        fixes: list[tuple[datetime, float, float]] = []
        if alert is not None:
            lat, lon, amm = alert_target(store, alert)
            fixes = last_positions(store, amm) if amm is not None else []
            if not fixes:
                fixes = [(_start_time(now), lat, lon)]
        elif mmsi is not None:
            fixes = last_positions(store, mmsi)
            if not fixes:
                raise InputError(f"no stored positions for MMSI {mmsi}")
        else:
            lat, lon = _parse_latlon(at or "")
            fixes = [(_start_time(now), lat, lon)]
        t_now = to_utc(datetime.fromisoformat(now)) if now else fixes[-1][0]
        motion = estimate_motion(fixes, t_now)
        avail = [s for s in fleet_status(store, settings.fleet)
                 if s.status in (BoatState.available, BoatState.on_patrol)]
        boats = {b.name: b for b in settings.fleet}
        geo = load_geography(settings)
        cand = []
        for s in avail:
            b = boats[s.boat]
            pos = last_positions(store, b.mmsi, 1)
            lat0, lon0 = (pos[-1][1], pos[-1][2]) if pos and \
                (t_now - pos[-1][0]).total_seconds() < 3600 else (b.base_lat, b.base_lon)
            cand.append((b.name, b.base, lat0, lon0, b.max_speed_kn))
        result = plan_dispatch(motion, cand, geo.router.distance_m,
                               lambda a, b_, c, d: geo.router.route(a, b_, c, d).coords,
                               in_water=geo.router.in_routing_water)
        rec = result.recommended
        if assign and rec is not None:
            set_boat_status(store, settings.fleet, rec.boat, BoatState.dispatched,
                            alert or (f"mmsi {mmsi}" if mmsi else at), t_now)
    options: list[dict[str, Any]] = [{
        "boat": o.boat, "base": o.base, "from": [o.from_lat, o.from_lon],
        "eta_min": None if o.eta_s is None else round(o.eta_s / 60.0, 1),
        "intercept": None if o.intercept_lat is None else [o.intercept_lat, o.intercept_lon],
        "course_deg": None if o.course_deg is None else round(o.course_deg, 1),
        "distance_nm": None if o.distance_m is None else round(o.distance_m / 1852.0, 2),
    } for o in result.options]
    out: dict[str, Any] = {
        "target": {"lat": motion.lat, "lon": motion.lon, "at": motion.at,
                   "speed_kn": round(motion.speed_kn, 2)},
        "recommended": rec.boat if rec else None,
        "options": options,
        "replan": None,
    }
    if replan_out is not None and rec is not None:
        remaining = [boats[s.boat] for s in avail if s.boat != rec.boat]
        setup = patrol_setup(settings)
        rp = plan_shift(setup, remaining, t_now, hours)
        if not rp.decomposition.plans:
            raise InputError(f"re-plan failed: {rp.status.value}: {'; '.join(rp.notes)}")
        shift = sample_shift(rp, seed)
        tracks = draw_routes(rp, shift, lambda a, b_, c, d: geo.router.route(a, b_, c, d).coords)
        summary = _plan_summary(rp, shift, setup.areas.n)
        write_tracks(replan_out, tracks, summary)
        out["replan"] = {"out": str(replan_out), "boats": len(tracks), **summary}
    if fmt is OutputFormat.json:
        print_json(out)
        return
    table = Table(title=f"dispatch to {motion.lat:.4f},{motion.lon:.4f} "
                  f"({motion.speed_kn:.1f} kn); recommended: {out['recommended']}")
    for col in ("boat", "base", "ETA min", "course", "distance nm"):
        table.add_column(col)
    for o in options:
        table.add_row(o["boat"], o["base"], str(o["eta_min"]), str(o["course_deg"]),
                      str(o["distance_nm"]))
    console.print(table)


@app.command("evaluate-patrols")
def evaluate_patrols(
    hours: Annotated[float, typer.Option("--hours")] = 12.0,
    observed: Annotated[int, typer.Option("--observed", help="shifts the attacker watches")] = 30,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
) -> None:
    """Game plan vs uniform random vs fixed-round patrols against an observing attacker."""
    settings = settings_from(config)
    setup = patrol_setup(settings)
    rp = plan_shift(setup, settings.fleet, _start_time(None), hours)
    res = evaluate_policies(rp.graph, setup.areas.payoffs, setup.areas.value,
                            rp.decomposition.plans, rp.decomposition.weights,
                            rp.solution.window_steps, observed, seed=seed)
    game = res[0]
    rows = [{"policy": r.policy, "attacker_gain": r.attacker_gain,
             "energy_at_risk": r.energy_at_risk, "struck_area": setup.areas.ids[r.struck_area],
             "struck_targets": list(setup.areas.targets[r.struck_area]),
             "capture_probability": r.capture_probability,
             "gain_ratio_vs_game": r.attacker_gain / game.attacker_gain
             if game.attacker_gain else None} for r in res]
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title=f"observing attacker ({observed} shifts watched)")
    for col in ("policy", "attacker gain", "energy at risk", "struck", "P(caught)", "× game"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["policy"]), f"{r['attacker_gain']:.3f}", f"{r['energy_at_risk']:.3f}",
                      ",".join(r["struck_targets"][:2]) or str(r["struck_area"]),  # type: ignore[index]
                      f"{r['capture_probability']:.3f}", f"{r['gain_ratio_vs_game']:.2f}")
    console.print(table)
