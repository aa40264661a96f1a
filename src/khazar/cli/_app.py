"""The typer application every command module registers on. Commands stay thin:
parse options, call the package that does the work, print."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from khazar.config import Settings, load_settings
from khazar.errors import KhazarError

__all__ = [
    "ConfigOption",
    "DbOption",
    "OutputFormat",
    "app",
    "console",
    "err_console",
    "print_json",
    "settings_from",
]

app = typer.Typer(
    name="khazar",
    help="Khazar: maritime security and energy-infrastructure protection for the Caspian Sea.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"


DbOption = Annotated[Path, typer.Option("--db", help="store file (DuckDB)")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML configuration file", show_default=False)
]


def settings_from(config: Path | None) -> Settings:
    return load_settings(config)


def print_json(value: Any) -> None:
    """Machine-readable output on stdout, nothing else on it."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def run() -> None:
    """Entry point: domain errors become one clear line on stderr and their exit code."""
    try:
        app()
    except KhazarError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(exc.exit_code) from None
