"""The typer application every command module registers on. Commands stay thin:
parse options, call the package that does the work, print."""

from __future__ import annotations

import enum
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from khazar.config import Settings, load_settings
from khazar.domain.picture import parse_instant
from khazar.errors import (
    AuditError,
    AuthError,
    ConfigError,
    InputError,
    KhazarError,
    StoreError,
    StoreLockedError,
    Unavailable,
)

if TYPE_CHECKING:
    from khazar.api.client import ApiClient
    from khazar.audit import Action
    from khazar.services.users import User
    from khazar.store import Store

__all__ = [
    "EXIT_CODES",
    "ActingUserOption",
    "ApiUserOption",
    "ConfigOption",
    "Credentials",
    "DbOption",
    "OptionalDbOption",
    "OutputFormat",
    "PasswordFileOption",
    "TheatreOption",
    "acting",
    "app",
    "check_port",
    "check_range",
    "console",
    "credentials",
    "err_console",
    "exit_code_of",
    "guard_commands",
    "identify",
    "parse_point",
    "parse_time",
    "print_json",
    "settings_from",
    "store_or_api",
]

#: what `khazar` exits with (README, "Exit codes"); one place, from the error tree
EXIT_CODES: dict[int, str] = {
    0: "done",
    KhazarError.exit_code: "failed (e.g. no route, or a bug: then please report it)",
    InputError.exit_code: "usage: a bad option, argument, file or value (the line names it)",
    StoreError.exit_code: "the store cannot be opened or used (locked, missing, old schema)",
    AuthError.exit_code: "authentication or permission refused",
    AuditError.exit_code: "the audit log is not intact",
    Unavailable.exit_code: "a capability is not installed or failed to load",
}
assert ConfigError.exit_code in EXIT_CODES

app = typer.Typer(
    name="khazar",
    help="Khazar: maritime security and energy-infrastructure protection at sea (the Caspian "
    "by default; any sea with --theatre).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"


_DB_HELP = "store: a DuckDB file, or a postgresql://user@host/database URL ($KHAZAR_DB)"
#: ``--db``: the store, a DuckDB file or a ``postgresql://`` URL (the server profile)
DbOption = Annotated[str, typer.Option("--db", envvar="KHAZAR_DB", help=_DB_HELP)]
#: ``--db`` where a group's own listing needs it and its subcommands do not
OptionalDbOption = Annotated[str | None, typer.Option("--db", envvar="KHAZAR_DB", help=_DB_HELP,
                                                      show_default=False)]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="TOML configuration file", show_default=False)
]


#: ``--theatre``: the theatre whose geography the command uses (docs/theatres.md)
TheatreOption = Annotated[
    str | None,
    typer.Option("--theatre", help="theatre: a shipped name (caspian) or a folder built by "
                 "`khazar theatre build`; default: `theatre` in the configuration, else caspian",
                 show_default=False),
]


def settings_from(config: Path | None, theatre: str | None = None) -> Settings:
    """The settings of ``--config``, with ``--theatre`` (when given) replacing the theatre."""
    if theatre is not None:
        return load_settings(config, theatre=theatre)
    return load_settings(config)


#: ``--user``: who acts; also whom to log in as when a running server holds the store
ApiUserOption = Annotated[
    str | None,
    typer.Option("--user", "-u", help="while `khazar serve` holds the store, log in to it as "
                 "this user (or $KHAZAR_USER); password from $KHAZAR_PASSWORD or a prompt",
                 show_default=False),
]


#: ``--user`` of a command that writes: who acts, authenticated (password or prompt)
ActingUserOption = Annotated[
    str | None,
    typer.Option("--user", "-u", help="who acts (or $KHAZAR_USER): a user of the store, "
                 "authenticated by the password in $KHAZAR_PASSWORD, --password-file or a "
                 "prompt; the action is audited under this name (through a running server: "
                 "whom to log in as)", show_default=False),
]
#: ``--password-file``: the acting user's password, first line of a file
PasswordFileOption = Annotated[
    Path | None,
    typer.Option("--password-file", help="read the acting user's password from the first "
                 "line of this file (or $KHAZAR_PASSWORD_FILE) instead of $KHAZAR_PASSWORD "
                 "or a prompt", show_default=False),
]
PASSWORD_FILE_ENV = "KHAZAR_PASSWORD_FILE"
#: an API token an admin issued (`khazar users tokens issue`), instead of a password
TOKEN_ENV = "KHAZAR_TOKEN"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who says they act, and their password or API token (checked by :func:`identify`)."""

    name: str
    password: str = ""
    token: str = ""

    def __repr__(self) -> str:  # never the secret, not even in a traceback
        return f"Credentials({self.name!r})"


def identify(store: Store, creds: Credentials) -> User:
    """The :class:`~khazar.services.users.User` ``creds`` prove to be, against the store's
    users table (and its API tokens); :class:`AuthenticationError` otherwise."""
    from khazar.errors import AuthenticationError
    from khazar.services.tokens import authenticate_token
    from khazar.services.users import authenticate

    if not creds.token:
        return authenticate(store, creds.name, creds.password)
    who: User = authenticate_token(store, creds.token)
    if creds.name and creds.name.strip().lower() != who.username:
        raise AuthenticationError(f"${TOKEN_ENV} is {who.username}'s token, not "
                                  f"{creds.name.strip().lower()}'s; drop --user or use theirs")
    return who


def _read_password_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"--password-file {path}: {reason or exc}") from exc
    line = text.splitlines()[0] if text else ""
    if not line:
        raise InputError(f"--password-file {path} is empty; put the password on its first line")
    return line


def credentials(user: str | None, password_file: Path | None, what: str) -> Credentials:
    """The acting user's name (``--user`` or $KHAZAR_USER) and password: ``--password-file``
    (or $KHAZAR_PASSWORD_FILE), else $KHAZAR_PASSWORD, else a hidden prompt on a terminal.
    :class:`AuthenticationError` when either is missing: a write is never anonymous."""
    from khazar.api.remote import PASSWORD_ENV, USER_ENV
    from khazar.errors import AuthenticationError

    name = (user or os.environ.get(USER_ENV) or "").strip()
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token and password_file is None:
        return Credentials(name, token=token)
    if not name:
        raise AuthenticationError(
            f"{what} is audited under the user who does it: pass --user NAME (or set "
            f"{USER_ENV}), a user of the store, with the password in {PASSWORD_ENV}, "
            f"--password-file or at the prompt (or an API token in {TOKEN_ENV})"
        )
    env_file = os.environ.get(PASSWORD_FILE_ENV)
    if password_file is None and env_file:
        password_file = Path(env_file)
    if password_file is not None:
        return Credentials(name, _read_password_file(password_file))
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return Credentials(name, password)
    if not sys.stdin.isatty():
        raise AuthenticationError(
            f"{what} needs {name}'s password: set {PASSWORD_ENV} or {PASSWORD_FILE_ENV}, "
            f"or give --password-file (no terminal to prompt on)"
        )
    return Credentials(name, str(typer.prompt(f"Password for {name}", hide_input=True)))


@contextmanager
def store_or_api(db: Path | str, user: str | None, read_only: bool = False
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


@contextmanager
def acting(db: Path | str, user: str | None, action: Action | str,
           password_file: Path | None = None, *, api: bool = True,
           read_only: bool = False) -> Iterator[tuple[Store | ApiClient, str]]:
    """``(where, actor)`` for a command that writes: the store with ``actor`` the user
    authenticated against its users table (password checked, a disabled user refused,
    the role's right to ``action`` required: :func:`khazar.audit.require`), or, while a
    running ``khazar serve`` holds the store (and ``api``), a client logged in to it as
    that user (the server checks the role and audits). The password is read before the
    store is held, so no prompt keeps it locked."""
    from khazar.audit import require
    from khazar.store import open_store

    creds = credentials(user, password_file, f"`{action}`")
    try:
        store = open_store(db, read_only=read_only)
    except StoreLockedError as exc:
        if not api:
            raise
        from khazar.api.remote import PASSWORD_ENV, connect
        from khazar.errors import AuthenticationError

        if creds.token:
            raise AuthenticationError(
                f"store {exc.path} is held by a running server, which logs in with "
                f"passwords only: unset {TOKEN_ENV} and give --user NAME with its password"
            ) from None

        env = {**os.environ, PASSWORD_ENV: creds.password}
        client = connect(exc, creds.name, lambda text: creds.password, env)
        try:
            yield client, creds.name
        finally:
            client.close()
        return
    with store:
        who = identify(store, creds)
        require(who, action)
        yield store, who.username


def check_range(option: str, value: float, lo: float, hi: float, unit: str = "",
                what: str = "") -> None:
    """:class:`InputError` naming ``option``, its ``value`` and the allowed ``lo..hi``
    (``what`` says where the bounds come from, e.g. "the fleet's 12 boats")."""
    if math.isfinite(value) and lo <= value <= hi:
        return
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    bounds = f"{lo:g}..{hi:g}" if math.isfinite(hi) else f"at least {lo:g}"
    why = f" ({what})" if what else ""
    raise InputError(f"{option} {shown} is out of range: allowed {bounds}{unit}{why}")


def check_port(option: str, port: int) -> None:
    """A TCP/UDP port a listener can bind: 0..65535 (0: any free port)."""
    check_range(option, port, 0, 65535)


def parse_point(text: str, option: str) -> tuple[float, float]:
    """``LAT,LON`` in decimal degrees → (lat, lon); :class:`InputError` naming ``option``."""
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise InputError(
            f"{option} {text!r}: expected LAT,LON in decimal degrees, e.g. 40.35,49.87"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also refuses nan
        raise InputError(f"{option} {text!r}: latitude must be within -90..90 and longitude "
                         f"within -180..180 degrees")
    return lat, lon


def parse_time(value: str, option: str) -> datetime:
    """ISO 8601 → UTC datetime (a time without offset is taken as UTC)."""
    return parse_instant(value, option)


def print_json(value: Any) -> None:
    """Machine-readable output on stdout, nothing else on it."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def _guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` with the low-level errors of files and sockets it meets turned into
    domain errors naming the file or address (an unreadable, binary or vanished file, a
    port taken), so every command says what was wrong in one line."""

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except UnicodeDecodeError as exc:
            raise InputError(f"a file given is not UTF-8 text ({exc.reason} at byte "
                             f"{exc.start}); check the path") from exc
        except OSError as exc:
            if exc.filename is not None:  # a path the user gave
                raise InputError(f"{exc.filename}: {exc.strerror or exc}") from exc
            raise KhazarError(f"{exc.strerror or exc}") from exc  # a socket, a device

    return guarded


def guard_commands(typer_app: typer.Typer) -> None:
    """Apply :func:`_guarded` to every command and group callback of ``typer_app``; called
    once, after every command module has registered (``khazar.cli``)."""
    for info in typer_app.registered_commands:
        if info.callback is not None and not hasattr(info.callback, "__wrapped__"):
            info.callback = _guarded(info.callback)
    for group in typer_app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        cb = sub.registered_callback
        if cb is not None and cb.callback is not None and not hasattr(cb.callback,
                                                                      "__wrapped__"):
            cb.callback = _guarded(cb.callback)
        guard_commands(sub)


def exit_code_of(exc: KhazarError) -> int:
    """The exit code ``khazar`` gives for a domain error (its family's)."""
    return exc.exit_code


def run() -> None:
    """Entry point: domain errors become one clear line on stderr and their exit code."""
    try:
        app()
    except KhazarError as exc:
        # escaped: a message quotes the user's value, which may look like markup ("[/]");
        # soft-wrapped: one line, however narrow the terminal
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        raise SystemExit(exit_code_of(exc)) from None
