"""`khazar ingest` (files) and `khazar listen` (UDP / TCP feeds)."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    DbOption,
    OutputFormat,
    TheatreOption,
    app,
    check_port,
    check_range,
    console,
    err_console,
    print_json,
    settings_from,
)
from khazar.errors import InputError
from khazar.ingest import FileKind, FileProgress, IngestResult, ingest_file
from khazar.ingest.clocks import ClockKind
from khazar.store import open_store
from khazar.store.archive import is_archive
from khazar.store.ingest import IngestRepo

_PROGRESS_MIN_BYTES = 5 << 20


def _summary(results: list[tuple[str, IngestResult]], total: IngestResult) -> None:
    files = Table(title="ingest")
    for col in ("file", "lines", "accepted", "rejected", "positions", "static", "detections",
                "duplicates"):
        files.add_column(col, justify="left" if col == "file" else "right")
    for name, r in results:
        label = name + (" (already ingested)" if r.skipped else "")
        files.add_row(label, f"{r.lines:,}", f"{r.accepted:,}", f"{r.rejected_total:,}",
                      f"{r.positions:,}", f"{r.statics:,}", f"{r.detections:,}",
                      f"{r.duplicates:,}")
    console.print(files)
    for name, r in results:
        for note in _notes(r):
            console.print(f"{name}: {note}", highlight=False)
    if total.rejected:
        reasons = Table(title="rejected lines by reason")
        reasons.add_column("reason")
        reasons.add_column("lines", justify="right")
        for reason, n in sorted(total.rejected.items(), key=lambda kv: -kv[1]):
            reasons.add_row(reason, f"{n:,}")
        console.print(reasons)
    if total.internal_errors:
        err_console.print(f"[bold red]{total.internal_errors} internal errors[/]: a bug; the "
                          "lines are kept in the rejects table, please report them")


_CLOCKS = {
    ClockKind.gnss.value: "the receiver's GNSS clock in the file (ZDA/RMC), interpolated by "
    "line order",
    ClockKind.gatehouse.value: "the file's Gatehouse headers, interpolated by line order",
    ClockKind.base_station.value: "AIS base stations' UTC (types 4/11; the file has no receiver "
    "clock), interpolated by line order",
}


def _notes(r: IngestResult) -> list[str]:
    """Where line times came from, and flagged MMSIs, in words (table output)."""
    notes = []
    if r.clock in _CLOCKS:
        notes.append("times of lines without their own: " + _CLOCKS[r.clock])
    if r.time_fallback:
        notes.append(f"no clock in the file (tag blocks, Gatehouse headers, ZDA/RMC or base "
                     f"stations): {r.time_fallback:,} lines got the file's time "
                     "(--received-at to give another)")
    if r.invalid_mmsi:
        notes.append(f"{r.invalid_mmsi:,} positions carry an invalid MMSI (0, a MID outside "
                     "201-775 ...): stored and flagged, left out of the vessel picture")
    return notes


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(
        help="NMEA or CSV files, or archive folders written by `khazar archive`",
        show_default=False)],
    db: DbOption = "khazar.duckdb",
    kind: Annotated[FileKind | None, typer.Option(
        "--kind", help="what the files hold, instead of guessing from their first lines: "
        "nmea, ais (a CSV of positions) or radar (a CSV of detections)"
    )] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    exercise: Annotated[bool, typer.Option(help="mark the data as exercise data")] = False,
    force: Annotated[bool, typer.Option(
        help="read files again even when already ingested (adds nothing new)")] = False,
    received_at: Annotated[datetime | None, typer.Option(
        help="receive time (UTC) for lines without one in a file without a clock; default: "
        "the file's mtime")] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="lines per committed batch (default from configuration)")] = None,
    progress_jsonl: Annotated[bool, typer.Option(
        help="write one JSON line per committed batch to stderr (for supervisors)")] = False,
    config: ConfigOption = None,
) -> None:
    """Ingest NMEA (plain, tag blocks, USCG trailers, Gatehouse) and CSV (DMA, MarineCadastre,
    generic, radar/SAR detections) files, plain or gzip; every line is accepted or rejected
    with a reason. NMEA lines without a time of their own take it from the file's clock
    (Gatehouse headers, the receiver's ZDA/RMC, else base stations), interpolated by line
    order; only a file without any clock gives them its modification time, and says how many."""
    settings = settings_from(config).ingest
    archives = [f for f in files if is_archive(f)]
    files = [f for f in files if f not in archives]
    for f in files:
        if not f.is_file():
            raise InputError(f"{str(f)!r} is not a readable file nor an archive folder "
                             "(`khazar archive`); check the path")
    if archives and files:
        raise InputError("give archive folders and files to separate `khazar ingest` runs "
                         f"(archives: {', '.join(map(str, archives))})")
    if archives:
        _ingest_archives(archives, db, fmt)
        return
    if batch_size is not None:
        check_range("--batch-size", batch_size, 1, 10_000_000)
    results: list[tuple[str, IngestResult]] = []
    total = IngestResult()
    show_bar = fmt is OutputFormat.table and sys.stderr.isatty() and sum(
        f.stat().st_size for f in files) >= _PROGRESS_MIN_BYTES
    with open_store(db) as store, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=err_console, disable=not show_bar,
    ) as bar:
        for f in files:
            task = bar.add_task(f.name, total=f.stat().st_size)

            def report(p: FileProgress, task: TaskID = task) -> None:
                bar.update(task, completed=p.bytes_read)
                if progress_jsonl:
                    sys.stderr.write(json.dumps({"file": str(p.path), "bytes": p.bytes_read,
                                                 **p.result.as_dict()}) + "\n")
                    sys.stderr.flush()

            result = ingest_file(
                IngestRepo(store), f, kind=kind, received_at=received_at, exercise=exercise,
                force=force,
                batch_lines=batch_size or settings.batch_size,
                multipart_timeout_s=settings.multipart_timeout_s,
                pause_after_batch_s=settings.pause_after_batch_s, on_progress=report,
                max_line_chars=settings.max_line_chars,
                kept_prefix_chars=settings.kept_prefix_chars,
            )
            results.append((str(f), result))
            total.add(result)
    if fmt is OutputFormat.json:
        print_json({"files": [{"file": n, **r.as_dict()} for n, r in results],
                    "total": total.as_dict()})
    else:
        _summary(results, total)
    empty = [(n, r) for n, r in results
             if not r.skipped and r.accepted <= _header_lines(Path(n), kind)]
    if empty:
        raise InputError("; ".join(
            f"{n}: nothing accepted from {r.lines:,} lines ({_reasons(r)})" for n, r in empty)
            + "; check the file and its format (NMEA or a CSV with a known header, --kind "
            "ais|radar)")


def _ingest_archives(folders: list[Path], db: str, fmt: OutputFormat) -> None:
    """Read archives (``khazar archive``) back: the rows the store does not hold yet."""
    from khazar.store.archive import read_archive

    def progress(table: str, part: str, rows: int) -> None:
        if fmt is OutputFormat.table:
            err_console.print(f"  {table} {part}: {rows:,} new", highlight=False,
                              soft_wrap=True)

    with open_store(db) as store:
        reports = [read_archive(store, folder, progress) for folder in folders]
    if fmt is OutputFormat.json:
        print_json({"archives": [r.as_dict() for r in reports]})
        return
    for r in reports:
        table = Table(title=f"ingest of archive {r.source} ({r.files} files)")
        for col in ("table", "rows read", "inserted", "already held"):
            table.add_column(col, justify="left" if col == "table" else "right")
        for name, n in r.read.items():
            new = r.inserted.get(name, 0)
            table.add_row(name, f"{n:,}", f"{new:,}", f"{n - new:,}")
        console.print(table)


def _header_lines(path: Path, kind: FileKind | None) -> int:
    """1 for a CSV file (its header is counted as an accepted line), 0 for NMEA."""
    from khazar.ingest.files import sniff

    return 1 if sniff(path, kind)[1] is not None else 0


def _reasons(r: IngestResult) -> str:
    top = sorted(r.rejected.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{n:,} {reason}" for reason, n in top) or "no data lines"


@app.command()
def listen(
    db: DbOption = "khazar.duckdb",
    udp: Annotated[list[int] | None, typer.Option(
        "--udp", help="UDP port to listen on (AIS-catcher, gpsd: 10110); repeatable")] = None,
    tcp: Annotated[list[str] | None, typer.Option(
        "--tcp", help="HOST:PORT of a TCP NMEA server to read from; repeatable")] = None,
    follow: Annotated[list[Path] | None, typer.Option(
        "--follow", help="a growing NMEA file to follow (tail -f: survives truncation and "
        "rotation); repeatable")] = None,
    duration_s: Annotated[float | None, typer.Option(
        "--duration", help="stop after this many seconds (default: until Ctrl-C)")] = None,
    exercise: Annotated[bool, typer.Option(help="mark the data as exercise data")] = False,
    detect: Annotated[bool, typer.Option(
        help="run live detection and alerting on what arrives (as `khazar serve` does)")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Ingest live feeds (UDP listeners, TCP clients with reconnect and back-off, followed
    files) into the store, with bounded queues (drops are counted, never block the socket);
    the same live runtime as `khazar serve`, without HTTP."""
    from khazar.api.server import parse_host_port
    from khazar.live.runtime import LiveRuntime, RuntimeOptions
    from khazar.live.state import ServerState

    settings = settings_from(config, theatre)
    udp_ports = list(udp or [])
    for port in udp_ports:
        check_port("--udp", port)
    if duration_s is not None:
        check_range("--duration", duration_s, 0.0, 365 * 86400.0, " s")
    tcp_addrs = [parse_host_port(a) for a in tcp or []]
    for path in follow or []:
        if path.is_dir():
            raise InputError(f"--follow {path} is a folder: give the NMEA file to follow")
    if not udp_ports and not tcp_addrs and not follow:
        udp_ports = [settings.ingest.udp_port]
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    with open_store(db) as store:
        runtime = LiveRuntime(ServerState.create(store, settings), RuntimeOptions(
            udp=tuple(("0.0.0.0", p) for p in udp_ports), tcp=tuple(tcp_addrs),
            follow=tuple(follow or ()), exercise_feeds=exercise, detect=detect,
            publish=False, exercises=False, run_source="listen"))
        if fmt is not OutputFormat.json:
            err_console.print("listening (Ctrl-C to stop)", highlight=False)
        runtime.run(duration_s)
        summary = runtime.summary()
    summary["elapsed_s"] = round(time.monotonic() - started, 1)
    if fmt is OutputFormat.json:
        print_json(summary)
    else:
        console.print(summary)
