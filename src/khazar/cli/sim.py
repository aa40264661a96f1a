"""Commands of the simulator: ``simulate``, ``evaluate``, ``eval-seeds``."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    OutputFormat,
    TheatreOption,
    app,
    check_range,
    console,
    print_json,
    settings_from,
)
from khazar.errors import InputError
from khazar.services.evaluation import EVAL_SEEDS, SEED_SETS, evaluate_seed, score_seed_alerts
from khazar.sim.engine import simulate, simulate_movements
from khazar.sim.evaluate import (
    AlertScore,
    EvaluationReport,
    aggregate,
    evaluate,
    parse_events_jsonl,
)
from khazar.sim.output import UdpTarget, replay_udp, write_run
from khazar.sim.plot import render_density
from khazar.sim.scenarios import SCENARIOS
from khazar.sim.truth import Truth, parse_time
from khazar.sim.world import World


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def _fmt(x: float | None, pct: bool = True) -> str:
    if x is None:
        return "—"
    return f"{100 * x:.0f} %" if pct else f"{x:.0f}"


def print_report(report: EvaluationReport) -> None:
    """Human-readable evaluation table on the console."""
    table = Table(title=f"evaluation: {report.scenario} seed {report.seed}, {report.days:.2f} d")
    for col in ("type", "recall", "precision", "TP", "FP", "FP/day", "exempt", "look-alike",
                "TTD median s"):
        table.add_column(col, justify="right" if col != "type" else "left")
    for t in report.types:
        j = t.to_json(report.days)
        table.add_row(
            t.type,
            f"{_fmt(t.recall)} ({t.detected}/{t.required_by})",
            _fmt(t.precision),
            str(t.true_positives),
            str(t.false_positives),
            str(j["false_positives_per_day"]),
            str(t.exempt),
            str(t.lookalike_hits),
            _fmt(j["ttd_median_s"], pct=False),
        )
    console.print(table)
    for b in report.behaviours:
        mark = "[green]detected[/]" if b.detected else "[red]missed[/]"
        missing = "" if b.detected else f" missing {[list(g) for g in b.missing_groups]}"
        console.print(f"  {b.id:<28} {mark} by {list(b.matched_types)}{missing}")
    if report.prealerts is not None:
        for d in report.prealerts.drags:
            lead = d.lead_s
            said = ("[red]no anchor_down[/]" if lead is None else
                    f"anchor_down {lead / 60:.0f} min before its first corridor crossing"
                    if lead > 0 else f"[red]anchor_down {-lead / 60:.0f} min after it[/]")
            console.print(f"  {d.id:<28} pre-alert: {said}")
        console.print(f"  false pre-alerts: {len(report.prealerts.false_ids)}")


@app.command("evaluate")
def evaluate_cmd(
    truth: Annotated[Path, typer.Option("--truth", help="truth.json written by `simulate`")],
    events: Annotated[Path, typer.Option("--events", help="events JSONL written by `detect`")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
) -> None:
    """Score detected events against a simulation's ground truth: per scored event type
    recall, precision (unmatched events of scored types are false positives, look-alikes
    included) and time to detect."""
    t = Truth.loads(_read_text(truth, "truth file"))
    evs = parse_events_jsonl(_read_text(events, "events file"))
    report = evaluate(t, evs)
    if fmt is OutputFormat.json:
        print_json(report.to_json())
    else:
        print_report(report)


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    scenario: Annotated[
        str, typer.Option("--scenario", help=f"one of: {', '.join(SCENARIOS)}")
    ] = "mixed",
    hours: Annotated[float, typer.Option("--hours", help="simulated hours")] = 24.0,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 1,
    start: Annotated[
        str, typer.Option("--start", help="simulated start time, ISO 8601 UTC")
    ] = "2026-01-01T00:00:00Z",
    density: Annotated[float, typer.Option("--density", help="traffic multiplier")] = 1.0,
    udp: Annotated[
        str | None, typer.Option("--udp", help="also send the feed to HOST:PORT over UDP")
    ] = None,
    speed: Annotated[
        float, typer.Option("--speed", help="UDP pacing: × real time (0 = as fast as possible)")
    ] = 1.0,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
) -> None:
    """Simulate Caspian traffic with red-team scenarios: writes OUT/feed.nmea (tag-blocked
    AIVDM, like a receiver network), OUT/radar.csv and OUT/truth.json (ground truth)."""
    check_range("--hours", hours, 0.1, 24.0 * 31, " h")
    check_range("--density", density, 0.01, 20.0)
    check_range("--speed", speed, 0.0, 10_000.0)
    check_range("--seed", seed, 0, 2**32 - 1)
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario {scenario!r} is not one of {', '.join(SCENARIOS)}")
    settings = settings_from(config, theatre)
    target = UdpTarget.parse(udp) if udp else None
    with console.status(f"simulating {hours:g} h of '{scenario}' (seed {seed})…"):
        run = simulate(scenario, hours, seed, parse_time(start), settings, density=density)
        paths = write_run(run, out)
    sent = replay_udp(run, target, speed) if target else 0
    summary = {**run.truth.stats, "behaviours": len(run.truth.behaviours),
               "lookalikes": len(run.truth.lookalikes),
               **{k: str(v) for k, v in paths.items()}, "udp_sent": sent}
    if fmt is OutputFormat.json:
        print_json(summary)
    else:
        for k, v in summary.items():
            console.print(f"{k:>18}: {v}")


@app.command("density-map")
def density_map_cmd(
    out: Annotated[Path, typer.Option("--out", help="PNG file to write")],
    days: Annotated[float, typer.Option("--days", help="simulated days")] = 7.0,
    scenario: Annotated[str, typer.Option("--scenario", help="scenario planted")] = "mixed",
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 1,
    start: Annotated[str, typer.Option("--start", help="ISO 8601 UTC")] = "2026-01-01T00:00:00Z",
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Plot the traffic density of a simulated period (true tracks, no AIS) as a PNG."""
    check_range("--days", days, 0.01, 31.0, " days")
    check_range("--seed", seed, 0, 2**32 - 1)
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario {scenario!r} is not one of {', '.join(SCENARIOS)}")
    if out.is_dir():
        raise InputError(f"--out {out} is a folder: give a PNG file name")
    settings = settings_from(config, theatre)
    with console.status(f"simulating {days:g} days of traffic…"):
        mv = simulate_movements(scenario, days * 24.0, seed, parse_time(start), settings)
        render_density(
            mv.vessels, mv.world, out,
            f"Simulated traffic density, {days:g} days from {start[:10]} "
            f"({len({v.mmsi for v in mv.vessels})} vessels, seed {seed})",
        )
    console.print(f"wrote {out}")


@app.command("eval-seeds")
def eval_seeds_cmd(
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds", help=f"how many seeds of the set (all by default; eval: {EVAL_SEEDS})"
        ),
    ] = None,
    seed_set: Annotated[
        str,
        typer.Option(
            "--set",
            help="which fixed seed set: 'eval' (measure only, never tune on it) or 'tuning' "
            "(201-210, for diagnosing detectors)",
        ),
    ] = "eval",
    only: Annotated[
        list[int] | None,
        typer.Option("--only", help="run only these seeds of the set (repeatable)"),
    ] = None,
    hours: Annotated[float, typer.Option("--hours", help="simulated hours per seed")] = 24.0,
    work: Annotated[
        Path | None, typer.Option("--work", help="keep the runs in this directory")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", help="seeds run side by side (same figures, less wall time)")
    ] = 1,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
) -> None:
    """`make eval`: simulate scenario `mixed` for a fixed seed set (default: the evaluation
    seeds), run each through `khazar ingest` and `khazar detect`, score against the truth,
    raise alerts, score them, and pool the results."""
    if seed_set not in SEED_SETS:
        raise InputError(f"--set {seed_set!r} is not one of {sorted(SEED_SETS)}")
    set_seeds, first_day = SEED_SETS[seed_set]
    n = len(set_seeds) if seeds is None else seeds
    if not 1 <= n <= len(set_seeds):
        raise InputError(f"--seeds {n} must be between 1 and {len(set_seeds)}")
    unknown = sorted(set(only or ()) - set(set_seeds))
    if unknown:
        raise InputError(f"--only {unknown} not in the {seed_set} seeds {set_seeds}")
    chosen = [(i, s) for i, s in enumerate(set_seeds[:n]) if not only or s in only]
    check_range("--jobs", jobs, 1, 64)
    check_range("--hours", hours, 0.5, 24.0 * 31, " h")
    settings = settings_from(config, theatre)
    world = World.load(settings)
    reports: list[EvaluationReport] = []
    alert_scores: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="khazar-eval-") as tmp:
        base = work or Path(tmp)

        def one(i: int, seed: int) -> tuple[EvaluationReport, AlertScore]:
            run_dir = base / f"seed-{seed}"
            report = evaluate_seed(i, seed, hours, run_dir, settings, world, first_day=first_day)
            return report, score_seed_alerts(run_dir)

        # the work is mostly child processes (ingest, detect): threads are enough
        with ThreadPoolExecutor(max_workers=jobs) as pool, console.status(
            f"{len(chosen)} seeds of {hours:g} h: simulate, ingest, detect, evaluate…"
        ):
            results = list(pool.map(lambda c: one(*c), chosen))
        for (_, seed), (report, alerts) in zip(chosen, results, strict=True):
            reports.append(report)
            alert_scores.append({"seed": seed, **alerts.to_dict()})
            if fmt is not OutputFormat.json:
                print_report(report)
                console.print(
                    f"  alerts: {alerts.alerts} ({alerts.true_alerts} true, "
                    f"{alerts.false_alerts} false = {alerts.false_per_day:.2f}/day; on "
                    f"look-alikes {alerts.lookalike_alerts}, on authorised boats "
                    f"{alerts.authorised_alerts}); behaviours alerted "
                    f"{alerts.behaviours_alerted}/{alerts.behaviours}"
                )
    pooled = aggregate(reports)
    days = sum(float(str(a["days"])) for a in alert_scores)
    false_total = sum(int(str(a["false_alerts"])) for a in alert_scores)
    pooled["alerts"] = {
        "per_seed": alert_scores,
        "false_alerts": false_total,
        "false_per_day": round(false_total / days, 3) if days > 0 else None,
        "max_false_per_day": max(float(str(a["false_per_day"])) for a in alert_scores),
        "lookalike_alerts": sum(int(str(a["lookalike_alerts"])) for a in alert_scores),
        "authorised_alerts": sum(int(str(a["authorised_alerts"])) for a in alert_scores),
    }
    pooled["seed_set"] = seed_set
    if fmt is OutputFormat.json:
        print_json(pooled)
        return
    table = Table(title=f"pooled over {len(chosen)} {seed_set} seeds, {pooled['days']} days")
    for col in ("type", "recall", "precision", "FP/day", "look-alike hits", "TTD median s"):
        table.add_column(col, justify="right" if col != "type" else "left")
    for t in pooled["types"]:
        table.add_row(
            t["type"], f"{_fmt(t['recall'])} ({t['detected']}/{t['required_by']})",
            _fmt(t["precision"]), str(t["false_positives_per_day"]), str(t["lookalike_hits"]),
            _fmt(t["ttd_median_s"], pct=False),
        )
    console.print(table)
    for name, s in pooled["scenarios"].items():
        console.print(f"  {name:<22} detected {s['detected']}/{s['planted']}")
    p = pooled["prealerts"]
    console.print(f"pre-alerts (anchor_down before the first corridor crossing): "
                  f"{p['prealerted']}/{p['drags']} drags, median lead {p['lead_median_min']} "
                  f"min (shortest {p['lead_min_min']}); {p['false']} false = "
                  f"{p['false_per_day']}/day; anchor_drag {p['drag_after_crossing_median_min']} "
                  f"min after the first crossing (median)")
    a = pooled["alerts"]
    console.print(f"alerts: {a['false_alerts']} false over {pooled['days']} days "
                  f"({a['false_per_day']}/day, worst day {a['max_false_per_day']}); on "
                  f"look-alikes {a['lookalike_alerts']}, on authorised boats "
                  f"{a['authorised_alerts']}")
