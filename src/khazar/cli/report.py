"""`khazar report`: the HTML report with plots and the Charter scorecard."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    DbOption,
    OutputFormat,
    TheatreOption,
    app,
    console,
    print_json,
    settings_from,
)
from khazar.report import GOALS, build_report
from khazar.services.reception import learned_reception
from khazar.services.scorecard import report_data
from khazar.store import open_store


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="directory for index.html and figures")],
    db: DbOption = "khazar.duckdb",
    plan: Annotated[
        Path | None, typer.Option("--plan", help="patrol plan GeoJSON from `khazar plan`")
    ] = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Write the HTML report (traffic, events, alerts, patrol coverage) and the scorecard."""
    settings = settings_from(config, theatre)
    with open_store(db, read_only=True) as store:
        data = report_data(store)
        # where the picture is blind: the learned AIS reception map
        data = dataclasses.replace(data, reception=learned_reception(store, settings))
    result = build_report(data, settings, out, plan)
    if fmt is OutputFormat.json:
        print_json({
            "html": str(result.html),
            "scorecard": [
                {"goal": i.goal, "id": i.id, "value": i.value, "unit": i.unit}
                for i in result.indicators
            ],
        })
        return
    table = Table(title="Charter scorecard")
    table.add_column("goal")
    table.add_column("indicator")
    table.add_column("value", justify="right")
    table.add_column("unit")
    labels = dict(GOALS)
    for ind in result.indicators:
        value = "—" if ind.value is None else f"{ind.value:g}"
        table.add_row(labels[ind.goal], ind.name, value, ind.unit)
    console.print(table)
    console.print(f"report written to {result.html}")
