"""Store administration commands: stats, status, backup, users (sub-app) and audit
(sub-app)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.api.client import ApiClient
from khazar.api.remote import PASSWORD_ENV
from khazar.audit import PERMISSIONS, Role, parse_role
from khazar.cli._app import (
    ApiUserOption,
    DbOption,
    OutputFormat,
    app,
    console,
    print_json,
    store_or_api,
)
from khazar.errors import AuditError, InputError
from khazar.services.users import (
    add_user,
    disable_user,
    enable_user,
    list_users,
    set_password,
    set_role,
)
from khazar.store import Store, open_store
from khazar.store.audit import append, list_entries, verify_store
from khazar.store.feedcounts import load_counts


@app.command()
def stats(
    db: DbOption = "khazar.duckdb",
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


#: the columns of `khazar status` (key in a feed's counters, heading)
_FEED_COLUMNS = (("received", "received"), ("accepted", "accepted"),
                 ("rejected", "rejected"), ("dropped", "dropped (queue)"),
                 ("kernel_drops", "dropped (kernel)"))


def _stored_feeds(store: Store) -> list[dict[str, object]]:
    """The feed counters kept in the store, in the shape of /api/status's ``feeds``."""
    rows: list[dict[str, object]] = []
    for source, counters in load_counts(store).items():
        row: dict[str, object] = {"source": source, "open": False, "connected": None}
        row.update({key: counters.get(key, 0) for key, _ in _FEED_COLUMNS})
        row["connects"] = counters.get("connects", 0)
        row["by_reason"] = {name.removeprefix("reason:"): n for name, n in counters.items()
                            if name.startswith("reason:")}
        rows.append(row)
    return rows


@app.command()
def status(
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Feed counters per source since the store was made: lines received, accepted,
    rejected (by reason: line_too_long, rate_limited, bad_checksum …), dropped by a full
    queue, datagrams dropped by the kernel. Through a running `khazar serve`, its live
    counts (the sources it has open first)."""
    with store_or_api(db, user, read_only=True) as where:
        if isinstance(where, Store):
            feeds, live = _stored_feeds(where), False
        else:
            feeds, live = list(where.get("/status")["feeds"]), True
    if fmt is OutputFormat.json:
        print_json({"server": live, "feeds": feeds})
        return
    table = Table(title=f"feeds of {db}" + (" (running server)" if live else " (stored)"))
    table.add_column("source")
    for _, heading in _FEED_COLUMNS:
        table.add_column(heading, justify="right")
    table.add_column("rejected by reason")
    for f in feeds:
        reasons = f.get("by_reason") or {}
        assert isinstance(reasons, dict)
        name = str(f["source"]) + ("" if f.get("open") or not live else " (not open)")
        table.add_row(name, *(f"{int(str(f.get(key, 0))):,}" for key, _ in _FEED_COLUMNS),
                      ", ".join(f"{r} {n:,}" for r, n in sorted(reasons.items())))
    if not feeds:
        console.print("no feed has delivered anything to this store yet")
        return
    console.print(table)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="new file for the copy")],
    db: DbOption = "khazar.duckdb",
) -> None:
    """Write a consistent copy of the store: a DuckDB file (and its audit head file), or
    for PostgreSQL a pg_dump archive (the audit head is in it). `khazar restore` reads
    either back into a new store."""
    with open_store(db) as store:
        out = store.backup(dest)
        dialect = store.dialect
        # recorded after the copy, so the entry only exists when the backup does
        append(store, _cli_actor(), "backup.run", target=str(out))
    if dialect == "postgresql":
        console.print(f"backup written to {out} (pg_dump archive). Restore it into an empty "
                      f"database: createdb NEW, then `khazar restore {out} --db "
                      f"postgresql://…/NEW` (or pg_restore --no-owner -d NEW {out})",
                      highlight=False, soft_wrap=True)
    else:
        console.print(f"backup written to {out}. Restore it with `khazar restore {out} --db "
                      "NEW.duckdb` (copies the file and its audit head)", highlight=False,
                      soft_wrap=True)


# users --------------------------------------------------------------------------------

users_app = typer.Typer(
    name="users",
    help="Users and roles: add, list, disable, enable, passwd, role, roles. While `khazar "
    "serve` holds the store they go through its API: pass --user ADMIN (password from "
    "$KHAZAR_PASSWORD or a prompt); the user's open sessions end when it is disabled, "
    "changes role or gets a new password.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="read the password from the first line of stdin instead of prompting",
    ),
]


def _cli_actor() -> str:
    """Who acts from the command line: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InputError("--password-stdin given but stdin is empty; pipe the password in")
        return line.removesuffix("\n").removesuffix("\r")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="new user name (lower case)")],
    role: Annotated[
        str,
        typer.Option("--role", help=f"one of: {', '.join(r.value for r in Role)}"),
    ],
    password_stdin: PasswordStdin = False,
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Add a user with a role; the password is prompted (hidden, twice) or read from stdin."""
    parsed = parse_role(role)
    password = _read_password(password_stdin)  # before the store is held: no lock at a prompt
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            added = add_user(where, username, password, parsed, actor=_cli_actor())
            name, role_name = added.username, added.role.value
        else:
            answer = where.post("/users", {"username": username, "role": parsed.value,
                                           "password": password})
            name, role_name = answer["username"], answer["role"]
    console.print(f"user {name} added with role {role_name}")


@users_app.command("list")
def users_list(
    db: DbOption = "khazar.duckdb",
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    user: ApiUserOption = None,
) -> None:
    """List users with their role and state."""
    with store_or_api(db, user, read_only=True) as where:
        if isinstance(where, Store):
            users = [u.as_dict() for u in list_users(where)]
        else:
            users = where.get("/users")["users"]
    if fmt is OutputFormat.json:
        print_json(users)
        return
    table = Table(title=f"users in {db}")
    table.add_column("user")
    table.add_column("role")
    table.add_column("state")
    table.add_column("created (UTC)")
    for u in users:
        state = "disabled" if u["disabled"] else "enabled"
        created = datetime.fromisoformat(u["created_at"]).astimezone(UTC)
        table.add_row(u["username"], u["role"], state, created.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="user to disable")],
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Disable a user: it can no longer log in, and a running server ends its sessions
    (the last enabled admin is kept)."""
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            name, ended = disable_user(where, username, actor=_cli_actor()).username, 0
        else:
            answer = where.post(f"/users/{username}/disable")
            name, ended = answer["username"], answer["sessions_ended"]
    console.print(f"user {name} is disabled" + _ended(ended))


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="user to enable")],
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Enable a disabled user again."""
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            name = enable_user(where, username, actor=_cli_actor()).username
        else:
            name = where.post(f"/users/{username}/enable")["username"]
    console.print(f"user {name} is enabled")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="user whose password changes")],
    password_stdin: PasswordStdin = False,
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Set a user's password (prompted hidden twice, or from stdin); a running server
    ends the user's sessions."""
    ended = 0
    password = _read_password(password_stdin)
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            set_password(where, username, password, actor=_cli_actor())
        else:
            ended = where.post(f"/users/{username}/password",
                               {"password": password})["sessions_ended"]
    console.print(f"password of {username.strip().lower()} changed" + _ended(ended))


@users_app.command("role")
def users_role(
    username: Annotated[str, typer.Argument(help="user whose role changes")],
    role: Annotated[str, typer.Argument(help=f"one of: {', '.join(r.value for r in Role)}")],
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Change a user's role; a running server ends the user's sessions."""
    ended = 0
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            changed = set_role(where, username, role, actor=_cli_actor())
            name, role_name = changed.username, changed.role.value
        else:
            answer = where.post(f"/users/{username}/role", {"role": parse_role(role).value})
            name, role_name, ended = answer["username"], answer["role"], answer["sessions_ended"]
    console.print(f"user {name} now has role {role_name}" + _ended(ended))


@users_app.command("change-password")
def users_change_password(
    password_stdin: PasswordStdin = False,
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """Change your own password through the running server: log in as --user with the
    current password (prompted, or KHAZAR_PASSWORD), then give the new one (prompted
    twice, or from stdin). Your other sessions end."""
    new = _read_password(password_stdin)
    with _server(db, user, "change your own password") as api:
        current = os.environ.get(PASSWORD_ENV) or str(
            typer.prompt("Current password (again, to confirm it is you)", hide_input=True))
        answer = api.post("/me/password", {"current_password": current, "new_password": new})
    console.print(f"password of {answer['username']} changed" + _ended(answer["sessions_ended"]))


@users_app.command("sessions")
def users_sessions(
    db: DbOption = "khazar.duckdb",
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    user: ApiUserOption = None,
) -> None:
    """List the open sessions of the running server (admin): handle, user, role, since."""
    with _server(db, user, "list sessions") as api:
        found = api.get("/sessions")["sessions"]
    if fmt is OutputFormat.json:
        print_json(found)
        return
    table = Table(title="open sessions")
    for column in ("handle", "user", "role", "since (UTC)", "expires (UTC)"):
        table.add_column(column)
    for s in found:
        table.add_row(s["handle"] + (" (this one)" if s["current"] else ""), s["username"],
                      s["role"], s["created_at"], s["expires_at"])
    console.print(table)


@users_app.command("end-session")
def users_end_session(
    handle: Annotated[str, typer.Argument(help="the session's handle (khazar users sessions)")],
    db: DbOption = "khazar.duckdb",
    user: ApiUserOption = None,
) -> None:
    """End one open session of the running server (admin; audited session.end)."""
    with _server(db, user, "end a session") as api:
        answer = api.delete(f"/sessions/{handle}")
    console.print(f"session {answer['handle']} of {answer['username']} ended")


@contextmanager
def _server(db: str, user: str | None, what: str) -> Iterator[ApiClient]:
    """The running server's API; sessions live in its memory, so there is no offline way."""
    with store_or_api(db, user, read_only=True) as where:
        if isinstance(where, Store):
            raise InputError(
                f"no `khazar serve` holds {db}: sessions live in a running server; start it, "
                f"then {what} with --user NAME"
            )
        yield where


def _ended(n: int) -> str:
    return f" ({n} open session{'s' if n != 1 else ''} ended)" if n else ""


@users_app.command("roles")
def users_roles(
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """The permission model: the actions each role may perform."""
    model = {role.value: sorted(a.value for a in PERMISSIONS[role]) for role in Role}
    if fmt is OutputFormat.json:
        print_json(model)
        return
    table = Table(title="roles and their actions")
    table.add_column("role")
    table.add_column("actions")
    for role, actions in model.items():
        table.add_row(role, "every action" if role == Role.admin else ", ".join(actions))
    console.print(table)


# audit --------------------------------------------------------------------------------

audit_app = typer.Typer(
    name="audit",
    help="The tamper-evident audit log: verify the hash chain, show entries.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = "khazar.duckdb",
    head: Annotated[
        Path | None,
        typer.Option(
            "--head",
            help="head file to check against (default: DB.audit-head next to the store); "
            "use a copy kept off the host",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Recompute the hash chain and check it against the head file next to the store.

    Reports every edited, removed, reordered or truncated entry and a chain rewritten
    in the store; exits 0 when the log is intact, 5 otherwise.
    """
    with open_store(db, read_only=True) as store:
        head_path = head or store.audit_head_path
        report = verify_store(store, head_path)
    if fmt is OutputFormat.json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "last_seq": report.last_seq,
                "head_file": str(head_path),
                "head_records": report.head_records,
                "problems": [p.as_dict() for p in report.problems],
            }
        )
    elif report.ok:
        console.print(
            f"audit log OK: {report.entries:,} entries, chain and head file agree "
            f"(last seq {report.last_seq})",
            highlight=False,
            soft_wrap=True,
        )
    else:
        for p in report.problems:
            console.print(
                f"{p.kind.value:<14} {p.message}", highlight=False, markup=False, soft_wrap=True
            )
        console.print(
            f"audit log FAILED: {len(report.problems)} problem(s) in {report.entries:,} "
            f"entries of {db}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(AuditError.exit_code)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since {value!r} is not an ISO time like 2026-05-01T06:00Z") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@audit_app.command("show")
def audit_show(
    db: DbOption = "khazar.duckdb",
    limit: Annotated[int, typer.Option("--limit", min=1, help="latest N entries")] = 50,
    actor: Annotated[str | None, typer.Option("--actor", help="only this actor")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="action or prefix, e.g. alerts")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="only this target")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO time, UTC when no offset is given")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List audit entries, oldest first (the latest --limit that match)."""
    with open_store(db, read_only=True) as store:
        entries = list_entries(
            store,
            limit=limit,
            actor=actor,
            action=action,
            target=target,
            since=_parse_since(since),
        )
    if fmt is OutputFormat.json:
        print_json(
            [
                {
                    "seq": e.seq,
                    "ts": e.ts.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail_dict(),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ]
        )
        return
    table = Table(title=f"audit log of {db}")
    for col in ("seq", "time (UTC)", "actor", "action", "target", "detail", "hash"):
        table.add_column(col, justify="right" if col == "seq" else "left")
    for e in entries:
        table.add_row(
            str(e.seq),
            e.ts.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.target or "",
            e.detail if e.detail not in (None, "{}") else "",
            e.hash[:12],
        )
    console.print(table)
