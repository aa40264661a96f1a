"""Patrol commands: solve-game, plan, fleet, dispatch, evaluate-patrols (thin adapters)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from khazar.audit import Action
from khazar.cli._app import (
    ActingUserOption,
    ConfigOption,
    DbOption,
    OutputFormat,
    PasswordFileOption,
    TheatreOption,
    acting,
    app,
    check_range,
    console,
    err_console,
    parse_point,
    parse_time,
    print_json,
    settings_from,
    store_or_api,
)
from khazar.config import Boat, Settings
from khazar.domain.fleet import BoatState
from khazar.errors import GameError, InputError
from khazar.geo import load_geography
from khazar.patrol.evaluate import evaluate_policies
from khazar.patrol.export import write_tracks
from khazar.patrol.game import game_from_dict, solution_to_dict
from khazar.patrol.routes import BoatTrack, RoutePlan, SampledShift, draw_routes, sample_shift
from khazar.patrol.service import PatrolSetup, check_shift, patrol_setup, plan_shift
from khazar.patrol.solvers import SolverName, solve_game
from khazar.store import Store, open_store
from khazar.store.fleet import alert_counts, fleet_status, last_positions
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


def _start_time(start: str | None) -> datetime:
    if start is None:
        now = datetime.now(UTC)
        return now.replace(minute=0, second=0, microsecond=0)
    t0 = parse_time(start, "--start")
    check_range("--start year", t0.year, 2000, 2100)
    return t0


@app.command()
def plan(
    out: Annotated[list[Path], typer.Option(
        "--out", help="plan.geojson | plan.gpx | plan.kml (repeat for several formats)")],
    boats: Annotated[int | None, typer.Option(
        "--boats", help="boats to use: the first N of the fleet, 1..fleet size (default: all)",
        show_default=False)] = None,
    hours: Annotated[float, typer.Option(
        "--hours", help="shift length, 1.5 h up to the boats' endurance, in 0.5 h steps")] = 12.0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the shift's draw (logged)")] = 0,
    start: Annotated[str | None, typer.Option("--start", help="shift start, ISO 8601 UTC")] = None,
    areas: Annotated[int | None, typer.Option("--areas", help="approximate number of patrol "
                                              "areas (cell size adapts)")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="KHAZAR_DB", help="store (a DuckDB file or a postgresql:// URL): alert "
        "history raises threat, unavailable boats are left out", show_default=False)] = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Plan one shift of randomized patrols and export the sampled routes."""
    settings = settings_from(config, theatre)
    # every input is checked before the expensive solve, not after it
    n_fleet = len(settings.fleet)
    if boats is not None:
        check_range("--boats", boats, 1, n_fleet, what=f"the fleet has {n_fleet} boats")
    fleet = list(settings.fleet)[:boats]
    check_shift(fleet, hours)
    check_range("--seed", seed, 0, 2**63 - 1)
    if areas is not None:
        check_range("--areas", areas, 1, MAX_AREAS)
    counts: dict[str, int] = {}
    _check_outputs(out)
    t0 = _start_time(start)
    if db is not None:
        with open_store(db, read_only=True) as store:
            counts = alert_counts(store, t0)
            status = {s.boat: s.status for s in fleet_status(store, fleet)}
        fleet = [b for b in fleet if status[b.name] in (BoatState.available, BoatState.on_patrol)]
    cell = 6.0 if areas is None else max(2.0, 6.0 * (242.0 / max(areas, 1)) ** 0.5)
    setup = patrol_setup(settings, counts, cell)
    rp, shift, tracks, props = _shift_routes(setup, fleet, t0, hours, seed, "no plan")
    for path in out:
        write_tracks(path, tracks, props)
    err_console.print(f"plan: {len(tracks)} boats, {setup.areas.n} areas, seed {seed} "
                      f"(plan {shift.plan_index} of {len(rp.decomposition.plans)}), "
                      f"{rp.seconds:.1f} s -> {', '.join(str(p) for p in out)}")


#: beyond this many areas the cells reach their 2 nm floor (see `plan --areas`)
MAX_AREAS = 2000


def _check_outputs(paths: list[Path]) -> None:
    """Route files the writers know, in a folder that exists or can be made."""
    for path in paths:
        if path.suffix.lower() not in (".geojson", ".json", ".gpx", ".kml"):
            raise InputError(f"unknown plan format {path.suffix!r} for {str(path)!r}: "
                             "use .geojson, .gpx or .kml")
        if path.is_dir():
            raise InputError(f"{path} is a folder: give a file name ending .geojson, .gpx "
                             "or .kml")


def _shift_routes(
    setup: PatrolSetup, boats: list[Boat], t0: datetime, hours: float, seed: int, what: str,
) -> tuple[RoutePlan, SampledShift, list[BoatTrack], dict[str, object]]:
    """Solve a shift of ``hours`` from ``t0`` for ``boats``, draw the day's routes with
    ``seed`` and summarise them; :class:`InputError` starting with ``what`` when no plan
    exists."""
    rp = plan_shift(setup, boats, t0, hours)
    if not rp.decomposition.plans:
        raise InputError(f"{what}: {rp.status.value}: {'; '.join(rp.notes)}")
    shift = sample_shift(rp, seed)
    geo = setup.geo
    tracks = draw_routes(rp, shift, lambda a, b, c, d: geo.router.route(a, b, c, d).coords)
    return rp, shift, tracks, _plan_summary(rp, shift, setup.areas.n)


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
    db: DbOption = "khazar.duckdb",
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    set_boat: Annotated[str | None, typer.Option("--set", help="boat name to update")] = None,
    status: Annotated[BoatState | None, typer.Option("--status", help="its new status")] = None,
    detail: Annotated[str | None, typer.Option("--detail", help="note (e.g. alert id)")] = None,
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
    config: ConfigOption = None,
) -> None:
    """The patrol boats and their status; --set BOAT --status S --user U changes one
    (audited ``fleet.status``)."""
    from khazar.services import fleet as fleet_service

    settings = settings_from(config)
    if set_boat is not None and status is None:
        raise InputError("--set needs --status (available, on_patrol, dispatched, "
                         "maintenance)")
    rows: list[dict[str, Any]]
    with ExitStack() as stack:
        actor = None
        if set_boat is not None:  # a status change: by an authenticated user, audited
            where, actor = stack.enter_context(
                acting(db, user, Action.fleet_status, password_file))
        else:
            where = stack.enter_context(store_or_api(db, user, read_only=True))
        if isinstance(where, Store):
            if set_boat is not None and status is not None and actor:
                fleet_service.set_status(where, settings.fleet, set_boat, status, detail,
                                         actor, datetime.now(UTC))
            rows = [{"boat": r.boat, "base": r.base, "mmsi": r.mmsi, "status": r.status.value,
                     "detail": r.detail, "updated_at": r.updated_at}
                    for r in fleet_status(where, settings.fleet)]
        else:
            if set_boat is not None and status is not None:
                where.post(f"/fleet/{set_boat}/status",
                           {"status": status.value, "detail": detail})
            rows = [{"boat": p["name"], "base": p["base"], "mmsi": p["mmsi"],
                     "status": p["status"], "detail": p["detail"],
                     "updated_at": p["status_updated"]}
                    for p in (f["properties"] for f in where.get("/fleet")["features"])]
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title="fleet")
    for col in ("boat", "base", "mmsi", "status", "detail", "updated"):
        table.add_column(col)
    for r in rows:
        updated = r["updated_at"]
        table.add_row(r["boat"], r["base"], str(r["mmsi"]), r["status"], r["detail"] or "",
                      updated.isoformat() if isinstance(updated, datetime) else updated or "")
    console.print(table)


@app.command()
def dispatch(
    db: DbOption = "khazar.duckdb",
    at: Annotated[str | None, typer.Option("--at", help="target position LAT,LON")] = None,
    mmsi: Annotated[int | None, typer.Option("--mmsi", help="target vessel (its stored track)")]
    = None,
    alert: Annotated[str | None, typer.Option("--alert", help="alert id (alerts table)")] = None,
    now: Annotated[str | None, typer.Option("--now", help="time of the decision, ISO 8601 "
                                            "(default: the target's newest fix; for --at: "
                                            "now); with --assign, also the order's time")] = None,
    assign: Annotated[bool, typer.Option("--assign", help="send a boat to the --alert: assign "
                                         "it, mark the boat dispatched (audited "
                                         "dispatch.order)")] = False,
    boat: Annotated[str | None, typer.Option("--boat", help="with --assign: the boat to send "
                                             "(default: the recommended one)")] = None,
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
    replan_out: Annotated[Path | None, typer.Option(
        "--replan-out", help="re-solve the shift without the recommended boat and write its "
        "routes here (.geojson/.gpx/.kml)")] = None,
    hours: Annotated[float, typer.Option("--hours", help="length of the re-planned shift")]
    = 12.0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the re-planned shift")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Each available boat's water ETA and intercept course to a target; the recommendation
    (the same as the console's for an alert). --assign sends a boat to the --alert."""
    from khazar.cli.alerts import alert_id_in  # here: keeps the help's command order
    from khazar.services.dispatch import dispatch_alert, plan_for_alert, plan_for_fixes

    settings = settings_from(config, theatre)
    if sum(x is not None for x in (at, mmsi, alert)) != 1:
        raise InputError("give exactly one of --at LAT,LON, --mmsi M or --alert ID")
    if (assign or boat is not None) and alert is None:
        raise InputError("--assign and --boat send a boat to an alert: give --alert ID "
                         "(to mark a boat busy otherwise, use `khazar fleet --set`)")
    if boat is not None and not assign:
        raise InputError(f"--boat {boat} is the boat to send: add --assign")
    decided = parse_time(now, "--now") if now else None
    if at is not None:
        parse_point(at, "--at")
    if replan_out is not None:
        _check_outputs([replan_out])
        check_shift([b for b in settings.fleet], hours)
        check_range("--seed", seed, 0, 2**63 - 1)
    out: dict[str, Any]
    # an alert's dispatch goes through a running server like the console's; a dispatch
    # to a vessel or a position is a read of the store's own picture
    with ExitStack() as stack:
        actor = None
        if assign:  # the order: by an authenticated user, audited
            where, actor = stack.enter_context(
                acting(db, user, Action.dispatch_order, password_file))
        elif alert is not None:
            where = stack.enter_context(store_or_api(db, user, read_only=True))
        else:
            where = stack.enter_context(open_store(db, read_only=True))
        if alert is not None:
            alert = alert_id_in(where, alert)
        if not isinstance(where, Store):
            if now is not None:
                raise InputError(f"--now {now!r} cannot be used while `khazar serve` holds "
                                 f"the store: the server plans at the picture time; drop --now")
            out = where.get(f"/alerts/{alert}/dispatch")
            if assign:
                chosen = boat or out["recommended"]
                if chosen is None:
                    raise InputError(f"alert {alert}: no available boat can catch the target")
                sent = where.post(f"/alerts/{alert}/dispatch", {"boat": chosen})
                out["assigned"] = {"boat": chosen, "eta_min": sent["eta_min"]}
        else:
            geo = load_geography(settings)
            if alert is not None and assign and actor:
                # --now dates the order too (a replayed day is answered in its own time)
                order = dispatch_alert(where, settings, geo.router, alert, boat, actor,
                                       decided or datetime.now(UTC), decided)
                out = order.view.to_dict()
                out["assigned"] = {"boat": order.option.boat,
                                   "eta_min": round((order.option.eta_s or 0.0) / 60.0, 1)}
            elif alert is not None:
                out = plan_for_alert(where, settings, geo.router, alert, decided).to_dict()
            elif mmsi is not None:
                fixes = last_positions(where, mmsi, until=decided)
                if not fixes:
                    raise InputError(f"no stored positions for MMSI {mmsi}")
                out = plan_for_fixes(where, settings, geo.router, f"mmsi {mmsi}", fixes,
                                     decided_at=decided).to_dict()
            else:
                lat, lon = parse_point(at or "", "--at")
                t = decided or datetime.now(UTC)
                out = plan_for_fixes(where, settings, geo.router, f"{lat},{lon}",
                                     [(t, lat, lon)], decided_at=t).to_dict()
    out["replan"] = None
    if replan_out is not None and out["recommended"] is not None:
        out["replan"] = _replan(settings, out, replan_out, hours, seed)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    target = out["target"]
    table = Table(title=f"dispatch to {target['lat']:.4f},{target['lon']:.4f} "
                  f"({target['speed_kn']:.1f} kn) at {out['decided_at']}; "
                  f"recommended: {out['recommended']}")
    for col in ("boat", "base", "ETA min", "course", "distance nm", "intercept"):
        table.add_column(col)
    for o in out["options"]:
        aim = ("-" if o["eta_min"] is None else
               f"capped at {o['cap_min']} min" if o["capped"] else
               f"{o['extrapolated_min']} min ahead")
        table.add_row(o["boat"], o["base"], str(o["eta_min"]), str(o["course_deg"]),
                      str(o["distance_nm"]), aim)
    console.print(table)
    if any(o["capped"] for o in out["options"]):
        console.print(f"target's course followed at most {out['max_extrapolation_min']} min "
                      f"past its last fix (dispatch.max_extrapolation_min): a capped "
                      f"intercept is where it was last expected")
    if out.get("assigned"):
        console.print(f"dispatched {out['assigned']['boat']} to {alert} "
                      f"(ETA {out['assigned']['eta_min']} min)")


def _replan(settings: Settings, plan: dict[str, Any], path: Path, hours: float,
            seed: int) -> dict[str, Any]:
    """Re-solve the shift from the decision time with the boats still free (the plan's
    options but the recommended one) and write its routes to ``path``."""
    free = {o["boat"] for o in plan["options"]} - {plan["recommended"]}
    remaining = [b for b in settings.fleet if b.name in free]
    t0 = to_utc(datetime.fromisoformat(plan["decided_at"]))
    _, _, tracks, summary = _shift_routes(patrol_setup(settings), remaining, t0, hours, seed,
                                          "re-plan failed")
    write_tracks(path, tracks, summary)
    return {"out": str(path), "boats": len(tracks), **summary}


@app.command("evaluate-patrols")
def evaluate_patrols(
    hours: Annotated[float, typer.Option("--hours")] = 12.0,
    observed: Annotated[int, typer.Option("--observed", help="shifts the attacker watches")] = 30,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Game plan vs uniform random vs fixed-round patrols against an observing attacker."""
    settings = settings_from(config, theatre)
    check_shift(settings.fleet, hours)
    check_range("--observed", observed, 1, 10_000)
    check_range("--seed", seed, 0, 2**63 - 1)
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
