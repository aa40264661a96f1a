"""`khazar export KIND --format jsonl|csv|geojson|kml|gpx`: stored records in the field's formats.

Kinds are a registry (:data:`EXPORTS`): a kind is a function from an open store to an iterator
of flat records (dicts with ``lat``/``lon`` when located). Writers take any kind, so adding
events, alerts, assets or zones is one :func:`register_export` call; adding KML or GPX is one
writer in :data:`WRITERS`.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from khazar.cli._app import ConfigOption, DbOption, TheatreOption, app, err_console, settings_from
from khazar.config import Settings
from khazar.errors import InputError
from khazar.store import Store, open_store
from khazar.store.export import iter_positions, iter_vessels
from khazar.store.files import open_private

__all__ = ["EXPORTS", "WRITERS", "export_settings", "register_export", "register_writer"]

#: the settings (configuration and theatre) of the export running: kinds that read
#: geography (assets, zones) take the theatre from here
_SETTINGS: ContextVar[Settings | None] = ContextVar("export_settings", default=None)


def export_settings() -> Settings:
    """The running export's settings (``--config``, ``--theatre``); the defaults outside one."""
    return _SETTINGS.get() or settings_from(None)

Records = Iterator[dict[str, Any]]
EXPORTS: dict[str, Callable[[Store], Records]] = {
    "positions": iter_positions,
    "vessels": iter_vessels,
}


def register_export(kind: str, records: Callable[[Store], Records]) -> None:
    """Make ``khazar export KIND`` available (e.g. events, alerts, assets, zones)."""
    EXPORTS[kind] = records


def _jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for rec in records:
        out.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def _csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    writer: csv.DictWriter[str] | None = None
    n = 0
    for rec in records:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(rec), lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: "" if v is None else v for k, v in rec.items()})
        n += 1
    return n


def _geojson(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    out.write('{"type": "FeatureCollection", "features": [\n')
    n = 0
    for rec in records:
        lat, lon = rec.get("lat"), rec.get("lon")
        geometry: Any = None if lat is None or lon is None else {
            "type": "Point", "coordinates": [lon, lat]}
        drop: tuple[str, ...] = ("lat", "lon")
        if rec.get("geometry"):  # lines and polygons (assets, zones) keep their real shape
            raw = rec["geometry"]
            geometry = json.loads(raw) if isinstance(raw, str) else raw
            drop = ("geometry",)
        props = {k: v for k, v in rec.items() if k not in drop}
        feature = {"type": "Feature", "geometry": geometry, "properties": props}
        out.write(("" if n == 0 else ",\n") + json.dumps(feature, ensure_ascii=False,
                                                         default=str))
        n += 1
    out.write("\n]}\n")
    return n


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]], IO[str]], int]] = {
    "jsonl": _jsonl,
    "csv": _csv,
    "geojson": _geojson,
}


def register_writer(fmt: str, writer: Callable[[Iterable[dict[str, Any]], IO[str]], int]
                    ) -> None:
    """Add an output format (e.g. kml, gpx) for every kind."""
    WRITERS[fmt] = writer


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(path) as f:  # the store's data: 0600, as the store
        yield f


@app.command()
def export(
    kind: Annotated[str, typer.Argument(
        help="what to export: positions, vessels, events, alerts, assets, zones")],
    db: DbOption = "khazar.duckdb",
    fmt: Annotated[str, typer.Option(
        "--format", help="jsonl, csv, geojson, kml or gpx")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")] = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Export stored records (positions carry mmsi, timestamp, lat, lon, sog, cog, heading,
    status)."""
    if kind not in EXPORTS:
        raise InputError(f"unknown export kind {kind!r}; choose one of {', '.join(EXPORTS)}")
    if fmt not in WRITERS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(WRITERS)}")
    token = _SETTINGS.set(settings_from(config, theatre))
    try:
        with open_store(db, read_only=True) as store, _output(out) as stream:
            n = WRITERS[fmt](EXPORTS[kind](store), stream)
    finally:
        _SETTINGS.reset(token)
    if out is not None:
        err_console.print(f"{n:,} {kind} written to {out}")
