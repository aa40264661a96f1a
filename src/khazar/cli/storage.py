"""Moving and restoring whole stores: ``khazar migrate`` (DuckDB ↔ PostgreSQL),
``khazar restore`` (a backup made by ``khazar backup``) and ``khazar archive`` (history as
GeoParquet)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.audit import Action, require
from khazar.cli._app import (
    ActingUserOption,
    ConfigOption,
    DbOption,
    OutputFormat,
    PasswordFileOption,
    TheatreOption,
    app,
    console,
    credentials,
    err_console,
    identify,
    print_json,
    settings_from,
)
from khazar.errors import InputError, StoreError
from khazar.store import Store, open_store
from khazar.store.archive import write_archive
from khazar.store.restore import restore_backup
from khazar.store.transfer import AuditHead, TransferReport, migrate_store
from khazar.units import to_utc

_WHERE = "a DuckDB file or a postgresql://user@host/database URL"


def _same(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a == b
    return Path(a).resolve() == Path(b).resolve()


@app.command()
def migrate(
    source: Annotated[str, typer.Option("--from", help=f"the store to copy: {_WHERE}",
                                        show_default=False)],
    target: Annotated[str, typer.Option("--to", help=f"an empty store to fill: {_WHERE} "
                                        "(created when missing)", show_default=False)],
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Copy a whole store into an empty one, DuckDB ↔ PostgreSQL, in one transaction.
    An admin of the source store acts (--user, authenticated there).

    Every table, in insertion order, and the audit chain with its head; PostgreSQL's rowid
    and PostGIS geometry are generated again. Prints each table's rows in both stores and
    both audit heads; exits 3 when anything differs (the copy is then rolled back). The
    migration is recorded in the target's audit log."""
    if _same(source, target):
        raise InputError(f"--from and --to are the same store ({source}); give a new target")
    if "://" not in source and not Path(source).exists():
        raise InputError(f"--from {source}: no such store file")

    def progress(table: str, rows: int) -> None:
        if fmt is OutputFormat.table:
            err_console.print(f"  {table}: {rows:,} row{'s' if rows != 1 else ''}",
                              highlight=False, soft_wrap=True)

    creds = credentials(user, password_file, "`khazar migrate`")
    new_file = None if "://" in target or Path(target).exists() else Path(target)
    committed = False
    try:
        with open_store(source, read_only=True) as src:
            who = identify(src, creds)
            require(who, Action.backup_run)
        with open_store(source, read_only=True) as src, open_store(target) as dst:
            if fmt is OutputFormat.table:
                err_console.print(f"migrating {src.location} ({src.dialect}) → "
                                  f"{dst.location} ({dst.dialect})", highlight=False,
                                  soft_wrap=True)
            report = migrate_store(src, dst, actor=who.username, progress=progress)
            committed = report.committed
    finally:
        if new_file is not None and not committed:  # leave no empty store behind
            for path in (new_file, new_file.with_name(new_file.name + ".wal")):
                path.unlink(missing_ok=True)
    if fmt is OutputFormat.json:
        print_json(report.as_dict())
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(StoreError.exit_code)


def _head(h: AuditHead | None) -> str:
    return "none (no audit entries)" if h is None else f"seq {h.seq} {h.hash}"


def _print(report: TransferReport) -> None:
    table = Table(title=f"{report.source} → {report.target}")
    table.add_column("table")
    table.add_column("source", justify="right")
    table.add_column("target", justify="right")
    table.add_column("")
    for t in report.tables:
        mark = "DIFFERS" if not t.ok else "" if t.copied else "(each store's own)"
        table.add_row(t.table, "-" if t.source is None else f"{t.source:,}",
                      "-" if t.target is None else f"{t.target:,}", mark)
    console.print(table)
    console.print(f"audit head, source: {_head(report.source_head)}", highlight=False,
                  soft_wrap=True)
    console.print(f"audit head, target: {_head(report.target_head)}", highlight=False,
                  soft_wrap=True)
    if report.ok:
        seq = report.recorded.seq if report.recorded else "?"
        console.print(f"migrated {report.rows:,} rows in {report.seconds:.1f} s; counts and "
                      f"audit head agree; recorded in the target's audit log (seq {seq})",
                      highlight=False, soft_wrap=True)
    elif not report.committed:
        console.print("the copy differs from the source and was rolled back: the target is "
                      "empty again", highlight=False, soft_wrap=True)
    else:
        console.print("the target differs from the source (see DIFFERS above)",
                      highlight=False, soft_wrap=True)


@app.command()
def restore(
    backup: Annotated[Path, typer.Argument(help="a file written by `khazar backup`")],
    db: Annotated[str, typer.Option(
        "--db", envvar="KHAZAR_DB", show_default=False,
        help="where to restore: a new DuckDB file, or an empty PostgreSQL database "
        "(createdb) as a postgresql:// URL")],
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Restore a backup into a new store: a DuckDB copy (and its audit head file) into a
    new file; a pg_dump archive into an empty PostgreSQL database (pg_restore). The audit
    log is verified and the restore recorded in it, under an admin of the backup's users
    (--user, authenticated against the restored store; refused: nothing is kept of a
    DuckDB restore)."""
    creds = credentials(user, password_file, "`khazar restore`")

    def admin(store: Store) -> str:
        who = identify(store, creds)
        require(who, Action.backup_run)
        return who.username

    result = restore_backup(backup, db, actor=admin)
    console.print(f"restored {backup} into {result.location}: {result.rows:,} rows in "
                  f"{result.tables} tables; audit log OK ({result.entries:,} entries, last "
                  f"seq {result.last_seq}, the restore recorded)", highlight=False,
                  soft_wrap=True)


@app.command()
def archive(
    db: DbOption = "khazar.duckdb",
    out: Annotated[Path, typer.Option("--out", help="the archive's folder (created when "
                                      "missing; an existing archive is brought up to date)",
                                      show_default=False)] = Path("archive"),
    start: Annotated[datetime | None, typer.Option(
        "--from", help="first day to archive (UTC; widened to the whole day); default: the "
        "first stored")] = None,
    end: Annotated[datetime | None, typer.Option(
        "--to", help="last day to archive (UTC; the whole day); default: the last stored")
    ] = None,
    theatre: TheatreOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
) -> None:
    """Write the store's history (raw sentences, rejects, positions, base stations, static
    reports, radar contacts, events) as GeoParquet, one file per table, theatre and UTC day,
    with a manifest of every file's rows and SHA-256 (docs/scale.md). Running it again
    rewrites only days that changed; a day the store now holds fewer rows of than the
    archive is kept, and said. `khazar ingest DIR` reads an archive back."""
    from khazar.geo.theatre import load_theatre

    name = load_theatre(settings_from(config, theatre).theatre).name
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower())

    def progress(table: str, day: str, rows: int) -> None:
        if fmt is OutputFormat.table:
            err_console.print(f"  {table} {day}: {rows:,} row{'s' if rows != 1 else ''}",
                              highlight=False, soft_wrap=True)

    with open_store(db, read_only=True) as store:
        report = write_archive(store, out, slug, to_utc(start) if start else None,
                               to_utc(end) if end else None, progress)
    if fmt is OutputFormat.json:
        print_json(report.as_dict())
        return
    table = Table(title=f"archive {out} (theatre {slug})")
    for col in ("table", "rows", "days written", "days unchanged"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for t in report.rows:
        table.add_row(t, f"{report.rows[t]:,}", str(report.written.get(t, 0)),
                      str(report.unchanged.get(t, 0)))
    console.print(table)
    span = f"{report.days[0]} to {report.days[1]}" if report.days else "no stored day"
    console.print(f"{span}; {report.bytes / 1e6:,.1f} MB", highlight=False)
    for kept in report.kept:
        err_console.print(f"[yellow]kept[/] {kept}: the archive's file stays", highlight=False,
                          soft_wrap=True)
