"""`khazar detect` (batch detection over the store) and `khazar events` (list them)."""

from __future__ import annotations

import enum
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import (
    ApiUserOption,
    ConfigOption,
    DbOption,
    OptionalDbOption,
    OutputFormat,
    TheatreOption,
    app,
    check_range,
    console,
    err_console,
    print_json,
    settings_from,
    store_or_api,
)
from khazar.config import Settings
from khazar.errors import InputError
from khazar.store import Store, open_store
from khazar.store.events import event_record, list_events, upsert_events
from khazar.store.files import open_private
from khazar.units import to_utc


class DetectEngine(enum.StrEnum):
    embedded = "embedded"
    spark = "spark"


@app.command("detect")
def detect_cmd(
    out: Annotated[Path, typer.Option("--out", help="events file to write (JSON lines)")],
    db: OptionalDbOption = None,
    engine: Annotated[DetectEngine, typer.Option(
        "--engine", help="embedded (this process, over --db) or spark (over --archive)")] = (
        DetectEngine.embedded),
    archive: Annotated[Path | None, typer.Option(
        "--archive", help="GeoParquet archive folder (`khazar archive`), --engine spark")] = (
        None),
    master: Annotated[str, typer.Option(
        "--master", help="Spark master URL (local[N] on this machine, spark://HOST:PORT)")] = (
        "local[*]"),
    cell_deg: Annotated[float, typer.Option(
        "--cell-deg", help="Spark: side of the space cells of the cross-vessel detectors")] = 1.0,
    margin_km: Annotated[float, typer.Option(
        "--margin-km", help="Spark: overlap of each cell with its neighbours")] = 20.0,
    assets: Annotated[Path | None, typer.Option(
        "--assets", help="asset registry GeoJSON replacing the default")] = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="summary format")] = (
        OutputFormat.table),
) -> None:
    """Detect behaviours over every stored position and detection (batch mode): write one
    event per line to --out and store them (upsert by id). With --engine spark, over an
    archive instead of a store, on Apache Spark (the same kernels, the same event ids); the
    events then go to --out only."""
    from khazar.detect import detect_batch
    from khazar.detect.adapters import geography_from_geo
    from khazar.geo import load_geography
    from khazar.store.picture import fishing_mmsis, load_detections, load_fixes, load_reception

    settings = settings_from(config, theatre)
    if assets is not None:
        if not assets.is_file():
            raise InputError(f"assets file {assets} does not exist")
        settings = settings.model_copy(update={"assets_file": assets})
    if engine is DetectEngine.spark:
        if archive is None:
            raise InputError("--engine spark reads an archive: give --archive DIR")
        _detect_spark(archive, out, settings, master, cell_deg, margin_km, output)
        return
    if archive is not None:
        raise InputError("--archive goes with --engine spark")
    if db is None:
        raise InputError("give --db (or $KHAZAR_DB), or --engine spark --archive DIR")
    started = time.perf_counter()
    with open_store(db) as store:
        geo = geography_from_geo(load_geography(settings), settings, fishing_mmsis(store))
        if settings.detect.reception_days > 0:
            geo.reception.map = load_reception(store, geo, settings.detect.reception_days)
        fixes = load_fixes(store)
        dets = load_detections(store)
        events = detect_batch(fixes, settings.detect, geo, dets)
        with store.transaction() as tx:
            upsert_events(tx, events, datetime.now(UTC))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_private(out, newline=None) as fh:  # the store's data: 0600, as the store
        for ev in events:
            fh.write(json.dumps(event_record(ev), ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for ev in events:
        counts[ev.type] = counts.get(ev.type, 0) + 1
    summary = {"positions": len(fixes), "detections": len(dets), "events": len(events),
               "by_type": dict(sorted(counts.items())), "out": str(out),
               "seconds": round(time.perf_counter() - started, 2)}
    if output == OutputFormat.json:
        print_json(summary)
        return
    err_console.print(f"{len(fixes)} positions, {len(dets)} detections → {len(events)} events "
                      f"in {summary['seconds']} s; written to {out}")
    for t, n in sorted(counts.items()):
        console.print(f"  {t:<12} {n}")


def _detect_spark(archive: Path, out: Path, settings: Settings, master: str, cell_deg: float,
                  margin_km: float, output: OutputFormat) -> None:
    from khazar.services.spark_detect import check_run, detect_archive, spark_session

    check_run(archive, cell_deg, margin_km)
    started = time.perf_counter()
    spark = spark_session(master)
    try:
        run = detect_archive(archive, settings, spark, cell_deg, margin_km)
    finally:
        spark.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_private(out, newline=None) as fh:
        for rec in run.records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    counts = run.counts()
    summary = {"engine": "spark", "master": master, "positions": run.positions,
               "detections": run.detections, "vessels": run.vessels, "cells": run.cells,
               "events": len(run.records), "by_type": counts, "out": str(out),
               "seconds": round(time.perf_counter() - started, 2)}
    if output == OutputFormat.json:
        print_json(summary)
        return
    err_console.print(f"{run.positions} positions of {run.vessels} vessels, {run.detections} "
                      f"detections in {run.cells} cells → {len(run.records)} events in "
                      f"{summary['seconds']} s on Spark ({master}); written to {out}")
    for t, n in counts.items():
        console.print(f"  {t:<12} {n}")


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise InputError(f"time {text!r} is not ISO 8601 (e.g. 2026-01-01T06:00:00Z)") from None


@app.command("events")
def events_cmd(
    db: DbOption,
    type_: Annotated[str | None, typer.Option("--type", help="only this event type")] = None,
    mmsi: Annotated[int | None, typer.Option("--mmsi", help="only events of this vessel")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="only events ending at or after this ISO 8601 time")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table),
    user: ApiUserOption = None,
) -> None:
    """List stored events (oldest first); through the API of a running server if it
    holds the store (--user, password from $KHAZAR_PASSWORD or a prompt)."""
    with store_or_api(db, user, read_only=True) as where:
        if isinstance(where, Store):
            events = list_events(where, type=type_, mmsi=mmsi,
                                 since=_parse_time(since), limit=limit)
        else:
            from khazar.api.remote import events as remote_events

            events = remote_events(where, type_, mmsi, _parse_time(since), limit)
    if output == OutputFormat.json:
        print_json([event_record(e) for e in events])
        return
    table = Table("start", "end", "type", "mmsi", "other", "zone", "lat", "lon", "open")
    for e in events:
        table.add_row(e.start.strftime("%Y-%m-%d %H:%M:%S"), e.end.strftime("%H:%M:%S"), e.type,
                      str(e.mmsi or ""), str(e.other_mmsi or ""), e.zone_id or "",
                      f"{e.lat:.4f}", f"{e.lon:.4f}", "yes" if e.open else "")
    console.print(table)
    err_console.print(f"{len(events)} events")


class ReceptionFormat(enum.StrEnum):
    table = "table"
    json = "json"
    geojson = "geojson"


@app.command("reception")
def reception_cmd(
    db: DbOption,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    days: Annotated[float | None, typer.Option(
        "--days", help="learn from this many days before the newest position "
        "(default: detect.reception_days)")] = None,
    output: Annotated[ReceptionFormat, typer.Option(
        "--format", help="table, json (one row per cell) or geojson (cell polygons)")] = (
        ReceptionFormat.table),
) -> None:
    """The AIS reception map learned from the stored positions: per grid cell, the share
    of expected reports received (the receivers' nominal range as the prior). An AIS gap
    counts only where a cell is covered."""
    from khazar.services.reception import learned_reception, reception_geojson

    if days is not None:
        check_range("--days", days, 0.0, 90.0, " days")
    settings = settings_from(config, theatre)
    with open_store(db, read_only=True) as store:
        m = learned_reception(store, settings, days)
    if output == ReceptionFormat.geojson:
        print_json(reception_geojson(m))
        return
    rows = m.records()
    if output == ReceptionFormat.json:
        print_json({"cell_deg": m.cell_deg, "days": m.days, "min_share": m.min_share,
                    "cells": rows})
        return
    blind = sum(1 for r in rows if not r["covered"])
    err_console.print(f"{len(rows)} cells of {m.cell_deg:g}° learned from {m.days:g} days; "
                      f"{blind} not covered (share < {m.min_share:g})")
    table = Table("cell (W S)", "share", "received", "expected", "prior", "covered")
    for r in rows:
        table.add_row(f"{r['west']:.2f} {r['south']:.2f}", f"{r['share']:.2f}",
                      f"{r['received']:g}", f"{r['expected']:g}", f"{r['prior']:.1f}",
                      "yes" if r["covered"] else "no")
    console.print(table)
