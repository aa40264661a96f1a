"""Store administration commands: stats, status, backup, users (sub-app) and audit
(sub-app)."""

from __future__ import annotations

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
from khazar.audit import PERMISSIONS, Action, Role, parse_role
from khazar.cli._app import (
    ActingUserOption,
    ApiUserOption,
    DbOption,
    OutputFormat,
    PasswordFileOption,
    acting,
    app,
    console,
    err_console,
    print_json,
    store_or_api,
)
from khazar.errors import AuditError, InputError, StoreError, StoreLockedError
from khazar.live.cluster import announce_session_end
from khazar.services.sessions import EndReason
from khazar.services.users import (
    add_user,
    disable_user,
    enable_user,
    list_users,
    normalise_username,
    set_password,
    set_role,
)
from khazar.store import Store, open_store
from khazar.store.audit import (
    append,
    export_head,
    list_entries,
    verify_store,
)
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
    counts (the sources it has open first) and the lines it refused per sending address
    (a UDP port's senders each have their own ingest.rate_lines_s)."""
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
    senders = Table(title="lines refused per sending address (this server's run)")
    for heading in ("source", "sender", "refused by reason"):
        senders.add_column(heading)
    for f in feeds:
        by_sender = f.get("refused_by_sender") or {}
        assert isinstance(by_sender, dict)
        for sender, reasons in by_sender.items():
            senders.add_row(str(f["source"]), str(sender),
                            ", ".join(f"{r} {n:,}" for r, n in sorted(reasons.items())))
    if senders.row_count:
        console.print(senders)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="new file for the copy")],
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Write a consistent copy of the store: a DuckDB file (and its audit head file), or
    for PostgreSQL a pg_dump archive (the audit head is in it). `khazar restore` reads
    either back into a new store. An admin's action (--user, audited backup.run)."""
    with acting(db, user, Action.backup_run, password_file, api=False) as (store, actor):
        assert isinstance(store, Store)
        out = store.backup(dest)
        dialect = store.dialect
        # recorded after the copy, so the entry only exists when the backup does
        append(store, actor, "backup.run", target=str(out))
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


def _no_users(db: str) -> bool:
    """Whether the store has no user yet (or does not exist): the first admin may then be
    added without logging in (bootstrap). A store a server holds has users."""
    try:
        store = open_store(db, read_only=True)
    except StoreLockedError:
        return False
    except StoreError:
        return True  # not created yet: `users add` creates it
    with store:
        return not list_users(store)


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
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Add a user with a role; the password is prompted (hidden, twice) or read from stdin.
    An admin's action (--user ADMIN, authenticated), except the first user of a store: an
    admin, who adds itself (audited as its own act)."""
    parsed = parse_role(role)
    bootstrap = _no_users(db)
    if bootstrap and parsed is not Role.admin:
        raise InputError(f"the store has no user yet: the first one must be an admin (--role "
                         f"admin), who then adds the others; not {parsed.value}")
    password = _read_password(password_stdin)  # before the store is held: no lock at a prompt
    if bootstrap:
        with open_store(db) as store:
            if list_users(store):  # someone else bootstrapped meanwhile
                raise InputError(f"{db} has users now: add {username} as an admin (--user)")
            added = add_user(store, username, password, parsed,
                             actor=normalise_username(username))
        console.print(f"user {added.username} added with role {added.role.value} (the "
                      f"store's first user)")
        return
    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        if isinstance(where, Store):
            added = add_user(where, username, password, parsed, actor=actor)
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
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Disable a user: it can no longer log in, and a running server ends its sessions
    (the last enabled admin is kept)."""
    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        if isinstance(where, Store):
            name, ended = disable_user(where, username, actor=actor).username, 0
            _announce(where, name, EndReason.disabled)
        else:
            answer = where.post(f"/users/{username}/disable")
            name, ended = answer["username"], answer["sessions_ended"]
    console.print(f"user {name} is disabled" + _ended(ended))


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="user to enable")],
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Enable a disabled user again."""
    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        if isinstance(where, Store):
            name = enable_user(where, username, actor=actor).username
        else:
            name = where.post(f"/users/{username}/enable")["username"]
    console.print(f"user {name} is enabled")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="user whose password changes")],
    password_stdin: PasswordStdin = False,
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Set a user's password (prompted hidden twice, or from stdin); a running server
    ends the user's sessions. An admin's action (--user ADMIN, authenticated)."""
    ended = 0
    password = _read_password(password_stdin)
    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        if isinstance(where, Store):
            set_password(where, username, password, actor=actor)
            _announce(where, normalise_username(username), EndReason.password_changed)
        else:
            ended = where.post(f"/users/{username}/password",
                               {"password": password})["sessions_ended"]
    console.print(f"password of {username.strip().lower()} changed" + _ended(ended))


@users_app.command("role")
def users_role(
    username: Annotated[str, typer.Argument(help="user whose role changes")],
    role: Annotated[str, typer.Argument(help=f"one of: {', '.join(r.value for r in Role)}")],
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Change a user's role; a running server ends the user's sessions."""
    ended = 0
    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        if isinstance(where, Store):
            changed = set_role(where, username, role, actor=actor)
            name, role_name = changed.username, changed.role.value
            _announce(where, name, EndReason.role_changed)
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
    """End one open session (admin; audited session.end) and its live streams. On a
    shared PostgreSQL database a handle the answering server does not hold is passed to
    the other servers."""
    with _server(db, user, "end a session") as api:
        answer = api.delete(f"/sessions/{handle}")
    if answer.get("relayed"):
        console.print(f"session {answer['handle']} is not this server's: the other servers "
                      f"of the database were told to end it")
    else:
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


def _announce(store: Store, username: str, reason: EndReason) -> None:
    """Written to a shared database directly: the servers on it end the user's sessions
    (and live streams) as if the change had been made through one of them."""
    if announce_session_end(store, {"username": username, "reason": reason.value}):
        console.print(f"the servers of this database were told to end {username}'s sessions")


def _ended(n: int) -> str:
    return f" ({n} open session{'s' if n != 1 else ''} ended)" if n else ""


tokens_app = typer.Typer(
    name="tokens",
    help="API tokens for scripts and services: issue (shown once), list, revoke. A token "
    "acts as its user (its role, refused once the user is disabled): set $KHAZAR_TOKEN "
    "instead of a password. Against the store; a running server logs in with passwords.",
    no_args_is_help=True,
)
users_app.add_typer(tokens_app, name="tokens")


def _offline(where: Store | ApiClient, what: str) -> Store:
    if not isinstance(where, Store):
        raise InputError(f"{what} works on the store: stop `khazar serve` first (tokens are "
                         f"not managed through the API)")
    return where


@tokens_app.command("issue")
def tokens_issue(
    username: Annotated[str, typer.Argument(help="the user the token acts as")],
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Issue a token for USERNAME (an admin's action, audited users.token.issue). The
    token is printed once, on stdout alone: only its hash is kept."""
    from khazar.services.tokens import issue_token

    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        row, token = issue_token(_offline(where, "issuing a token"), username, actor=actor)
    err_console.print(f"token {row.id} for {row.username} (keep it secret; it is shown only "
                      f"now; revoke with `khazar users tokens revoke {row.id}`):",
                      highlight=False, soft_wrap=True)
    sys.stdout.write(token + "\n")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (khazar users tokens list)")],
    db: DbOption = "khazar.duckdb",
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Revoke a token (an admin's action, audited users.token.revoke)."""
    from khazar.services.tokens import revoke_token

    with acting(db, user, Action.users_manage, password_file) as (where, actor):
        row = revoke_token(_offline(where, "revoking a token"), token_id, actor=actor)
    console.print(f"token {row.id} of {row.username} revoked", highlight=False)


@tokens_app.command("list")
def tokens_list(
    db: DbOption = "khazar.duckdb",
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """The tokens issued: id, user, by whom, when, revoked (never the secret)."""
    from khazar.services.tokens import list_tokens

    with open_store(db, read_only=True) as store:
        rows = [{"id": t.id, "username": t.username, "created_by": t.created_by,
                 "created_at": t.created_at.isoformat(),
                 "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}
                for t in list_tokens(store)]
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title=f"API tokens in {db}")
    for column in ("id", "user", "issued by", "issued (UTC)", "revoked (UTC)"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["id"], r["username"], r["created_by"], r["created_at"],
                      r["revoked_at"] or "")
    console.print(table)


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
        list[Path] | None,
        typer.Option(
            "--head",
            help="also check against this copy of the head kept off the host (a file "
            "written by `khazar audit export-head`, or a backup's head file); repeatable",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Recompute the hash chain and check it against the store's head (the file next to
    it, or PostgreSQL's audit_heads), each head record's mac against the audit key, and
    every --head copy.

    Reports every edited, removed, reordered or truncated entry, a chain rewritten in the
    store, a head rewritten without the key; exits 0 when the log is intact, 5 otherwise.
    A tail cut off together with its head lines is found only against a --head copy.
    """
    copies = list(head or [])
    with open_store(db, read_only=True) as store:
        head_path = store.audit_head_path
        report = verify_store(store, copies=copies)
    if fmt is OutputFormat.json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "last_seq": report.last_seq,
                "head_file": str(head_path) if head_path is not None else "audit_heads",
                "head_records": report.head_records,
                "head_copies": [str(c) for c in copies],
                "problems": [p.as_dict() for p in report.problems],
            }
        )
    elif report.ok:
        also = f" and {len(copies)} head cop{'ies' if len(copies) != 1 else 'y'}" if copies \
            else ""
        console.print(
            f"audit log OK: {report.entries:,} entries, chain and head file{also} agree "
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


def _syslog_address(text: str) -> str | tuple[str, int]:
    """``/dev/log`` (a local socket) or ``HOST:PORT`` (UDP) for SysLogHandler."""
    if text.startswith("/"):
        return text
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--syslog {text!r}: give a socket path such as /dev/log or "
                         f"HOST:PORT (UDP), e.g. logs.example.org:514")
    return host.strip("[]"), int(port)


def _send_syslog(address: str | tuple[str, int], message: str) -> None:
    import logging
    import logging.handlers

    try:
        handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH)
    except OSError as exc:
        raise InputError(f"--syslog {address}: {exc.strerror or exc}") from exc
    record = logging.LogRecord("khazar.audit", logging.INFO, __file__, 0, message, None, None)
    try:
        handler.emit(record)
    finally:
        handler.close()


@audit_app.command("export-head")
def audit_export_head(
    db: DbOption = "khazar.duckdb",
    out: Annotated[Path | None, typer.Option(
        "--out", help="append the head record to this file (keep it off the host: a mounted "
        "remote folder, write-once media); `khazar audit verify --head FILE` checks it",
        show_default=False)] = None,
    syslog: Annotated[str | None, typer.Option(
        "--syslog", help="also send it to syslog (facility auth): /dev/log or HOST:PORT (UDP)",
        show_default=False)] = None,
) -> None:
    """Export the keyed head of the audit chain (seq, hash, mac of the last entry) so a copy
    lives off the host. The log is verified first; a failing log is not exported (exit 5).
    Run it often (cron, or after each shift): entries removed after the last export and a
    chain re-hashed in the store are found by `khazar audit verify --head FILE`."""
    if out is None and syslog is None:
        raise InputError("give --out FILE or --syslog ADDRESS (or both): where the head goes")
    address = _syslog_address(syslog) if syslog is not None else None
    with open_store(db, read_only=True) as store:
        record = export_head(store)
        where = store.location
    if out is not None:
        with out.open("a", encoding="ascii") as f:  # an OSError names the file (guarded)
            f.write(record.line())
            f.flush()
            os.fsync(f.fileno())
    if address is not None:
        _send_syslog(address, f"khazar-audit-head {where}: {record.line().strip()}")
    sent = " and ".join(x for x in (str(out) if out else "", f"syslog {syslog}" if syslog
                                    else "") if x)
    console.print(f"audit head seq {record.seq} ({record.hash[:12]}…) exported to {sent}",
                  highlight=False, soft_wrap=True)


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
