"""The typer application every command module registers on. Commands stay thin:
parse options, call the package that does the work, print."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from khazar.config import Settings, load_settings
from khazar.errors import KhazarError, StoreLockedError

if TYPE_CHECKING:
    from khazar.api.client import ApiClient
    from khazar.store import Store

__all__ = [
    "ApiUserOption",
    "ConfigOption",
    "DbOption",
    "OutputFormat",
    "app",
    "console",
    "err_console",
    "print_json",
    "settings_from",
    "store_or_api",
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


#: ``--user``: who acts; also whom to log in as when a running server holds the store
ApiUserOption = Annotated[
    str | None,
    typer.Option("--user", "-u", help="while `khazar serve` holds the store, log in to it as "
                 "this user (or $KHAZAR_USER); password from $KHAZAR_PASSWORD or a prompt",
                 show_default=False),
]


@contextmanager
def store_or_api(db: Path, user: str | None, read_only: bool = False
                 ) -> Iterator[Store | ApiClient]:
    """The store; or, while a running ``khazar serve`` holds it, a client of that
    server logged in as ``user`` (see :mod:`khazar.api.remote`)."""
    from khazar.store import open_store

    try:
        store = open_store(db, read_only=read_only)
    except StoreLockedError as exc:
        from khazar.api.remote import connect

        api = connect(exc, user, lambda text: str(typer.prompt(text, hide_input=True)))
        try:
            yield api
        finally:
            api.close()
        return
    with store:
        yield store


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
