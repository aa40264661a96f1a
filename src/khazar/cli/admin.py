"""Store administration commands: stats, backup (users and audit arrive with their package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import DbOption, OutputFormat, app, console, print_json
from khazar.store import open_store


@app.command()
def stats(
    db: DbOption = Path("khazar.duckdb"),
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Row counts of every table in the store."""
    with open_store(db, read_only=True) as store:
        counts = store.table_counts()
        version = store.schema_version
    if fmt is OutputFormat.json:
        print_json({"schema_version": version, "tables": counts})
        return
    table = Table(title=f"{db} (schema {version})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="new file for the copy")],
    db: DbOption = Path("khazar.duckdb"),
) -> None:
    """Write a consistent copy of the store (and its audit head file)."""
    with open_store(db) as store:
        out = store.backup(dest)
    console.print(f"backup written to {out}")
