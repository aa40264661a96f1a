"""Commands of the simulator: ``simulate``, ``evaluate``, ``eval-seeds``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import ConfigOption, OutputFormat, app, console, print_json, settings_from
from khazar.errors import InputError
from khazar.sim.engine import simulate
from khazar.sim.evaluate import EvaluationReport, evaluate, parse_events_jsonl
from khazar.sim.output import UdpTarget, replay_udp, write_run
from khazar.sim.scenarios import SCENARIOS
from khazar.sim.truth import Truth, parse_time


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
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
) -> None:
    """Simulate Caspian traffic with red-team scenarios: writes OUT/feed.nmea (tag-blocked
    AIVDM, like a receiver network), OUT/radar.csv and OUT/truth.json (ground truth)."""
    settings = settings_from(config)
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
