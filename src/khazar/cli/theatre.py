"""Theatre commands: ``theatre list``, ``theatre show``, ``theatre build`` (docs/theatres.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    DbOption,
    OutputFormat,
    TheatreOption,
    app,
    check_range,
    console,
    print_json,
    settings_from,
)
from khazar.errors import InputError

__all__ = ["build_cmd", "learn_water_cmd", "list_cmd", "show_cmd"]

theatre_app = typer.Typer(
    help="Theatres: the sea Khazar watches (coast, zones, ports, assets, receivers, map).",
    no_args_is_help=True,
)
app.add_typer(theatre_app, name="theatre")


@theatre_app.command("list")
def list_cmd(fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table
             ) -> None:
    """The theatres shipped with Khazar (any folder built by `theatre build` works too)."""
    from khazar.geo import load_theatre, shipped_theatres

    rows = [load_theatre(n) for n in shipped_theatres()]
    if fmt is OutputFormat.json:
        print_json([t.to_dict() for t in rows])
        return
    table = Table(title="shipped theatres")
    for col in ("name", "title", "extent (W, S, E, N)"):
        table.add_column(col)
    for t in rows:
        table.add_row(t.name, t.title, ", ".join(f"{v:g}" for v in t.extent))
    console.print(table)


@theatre_app.command("show")
def show_cmd(
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """The theatre in use: its manifest and what its geography holds."""
    from khazar.geo import load_geography

    geo = load_geography(settings_from(config, theatre))
    t = geo.theatre
    doc = {**t.to_dict(), "coastline": geo.coastline_source, "assets_source": geo.assets_source,
           "coastal_states": sorted({s.state for s in geo.coast}),
           "zones": len(geo.zones), "ports": len(geo.ports), "assets": len(geo.assets),
           "islands": len(geo.water.interiors)}
    if fmt is OutputFormat.json:
        print_json(doc)
        return
    for key, value in doc.items():
        console.print(f"[bold]{key}[/]: {value}")


@theatre_app.command("build")
def build_cmd(
    name: Annotated[str, typer.Argument(help="the theatre's name, e.g. danish-straits")],
    bbox: Annotated[str, typer.Option("--bbox", help="W,S,E,N in decimal degrees")],
    out: Annotated[Path, typer.Option("--out", help="folder to write the theatre into")],
    water: Annotated[Path | None, typer.Option(
        "--water", help="the sea as a GeoJSON polygon (lon/lat) instead of GSHHG",
        show_default=False)] = None,
    borders: Annotated[Path | None, typer.Option(
        "--borders", help="GeoJSON of the coastal states' land (iso_a3, iso_a2 or code "
        "property): gives the coast to states", show_default=False)] = None,
    states: Annotated[str | None, typer.Option(
        "--states", help="coastal states from GMT's DCW instead, ISO alpha-2 codes: DK,SE,DE",
        show_default=False)] = None,
    ports: Annotated[Path | None, typer.Option(
        "--ports", help="GeoJSON points of ports (name property)", show_default=False)] = None,
    assets: Annotated[Path | None, typer.Option(
        "--assets", help="asset registry GeoJSON (docs/geography.md)", show_default=False)
    ] = None,
    territorial_nm: Annotated[float, typer.Option(
        "--territorial-nm", help="territorial sea breadth (UNCLOS: 12)")] = 12.0,
    contiguous_nm: Annotated[float, typer.Option(
        "--contiguous-nm", help="contiguous zone outer limit (UNCLOS: 24)")] = 24.0,
    resolution: Annotated[str, typer.Option(
        "--resolution", help="GSHHG resolution: f, h, i, l or c (gmt-gshhg-high gives h)")
    ] = "h",
    inset_m: Annotated[float, typer.Option(
        "--inset-m", help="routes keep this far from the coast; below half the narrowest "
        "channel that must stay open (Suez Canal ~300 m: 50); smaller makes a bigger "
        "routing graph")] = 400.0,
    simplify_m: Annotated[float, typer.Option(
        "--simplify-m", help="routing polygon simplification, below --inset-m")] = 200.0,
    title: Annotated[str | None, typer.Option("--title", help="display name")] = None,
    home_state: Annotated[str | None, typer.Option(
        "--home-state", help="the state whose zones and assets are protected")] = None,
    force: Annotated[bool, typer.Option(help="overwrite a theatre in --out")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Build a theatre for any sea: GSHHG coast (or --water), coast by state (--borders or
    --states), zones at the given breadths, ports and assets; then use it with
    `--theatre DIR` on any command."""
    from khazar.geo import load_geography
    from khazar.geo.build import BuildRequest, build_theatre, parse_bbox

    box = parse_bbox(bbox)
    check_range("--territorial-nm", territorial_nm, 0.1, 200.0, " nm")
    check_range("--contiguous-nm", contiguous_nm, 0.1, 400.0, " nm")
    check_range("--inset-m", inset_m, 10.0, 5000.0, " m")
    check_range("--simplify-m", simplify_m, 1.0, 5000.0, " m")
    codes = tuple(c for c in (states or "").split(",") if c.strip())
    for label, path in (("--water", water), ("--borders", borders), ("--ports", ports),
                        ("--assets", assets)):
        if path is not None and not path.is_file():
            raise InputError(f"{label} {path}: no such file")
    result = build_theatre(BuildRequest(
        name=name, bbox=box, out=out, water=water, states_file=borders, states=codes,
        ports=ports, assets=assets, territorial_nm=territorial_nm,
        contiguous_nm=contiguous_nm, resolution=resolution, inset_m=inset_m,
        simplify_m=simplify_m, title=title, home_state=home_state, force=force))
    geo = load_geography(settings_from(None, str(result.root)))  # validates what was written
    doc = {**result.to_dict(), "zones": len(geo.zones), "ports": len(geo.ports),
           "coastal_states": sorted({s.state for s in geo.coast})}
    if fmt is OutputFormat.json:
        print_json(doc)
        return
    console.print(f"theatre {name!r} written to {result.root}: {result.water_km2:,.0f} km² of "
                  f"water ({result.source}), {result.islands} islands, "
                  f"{doc['zones']} zones, {doc['ports']} ports, {result.assets} assets; "
                  f"coast: {', '.join(doc['coastal_states'])}")
    if result.pieces_dropped:
        console.print(f"note: {result.pieces_dropped} water bodies not connected to the "
                      "largest were left out (a lagoon, or a channel too narrow at this "
                      "resolution: pass --water to keep it)")
    console.print(f"use it with: --theatre {result.root}")


SAILED_WATER = "sailed_water.geojson"


@theatre_app.command("learn-water")
def learn_water_cmd(
    db: DbOption,
    theatre: Annotated[str, typer.Option(
        "--theatre", help="the theatre folder to add the water to (one you built: shipped "
        "theatres are not changed)")],
    min_vessels: Annotated[int, typer.Option(
        "--min-vessels", help="distinct vessels that must have sailed a cell")] = 5,
    cell_m: Annotated[float, typer.Option("--cell-m", help="cell size, metres")] = 250.0,
    config: ConfigOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Add to a theatre the water its coastline lacks but real ships sail (a canal or
    harbour newer than the coast): cells off the water that --min-vessels distinct vessels
    crossed under way (2–40 kn, reports ≤ 30 min apart), connected to the water. Written to
    sailed_water.geojson in the folder (look at it on the map; delete it to undo)."""
    import json

    from shapely.geometry import mapping

    from khazar.geo import load_geography
    from khazar.geo.sailed import sailed_water
    from khazar.geo.theatre import MANIFEST, shipped_root
    from khazar.store import open_store
    from khazar.store.picture import load_fixes

    check_range("--min-vessels", min_vessels, 2, 1000)
    check_range("--cell-m", cell_m, 50.0, 2000.0, " m")
    settings = settings_from(config, theatre)
    geo = load_geography(settings)
    t = geo.theatre
    if t.root.resolve().is_relative_to(shipped_root().resolve()):
        raise InputError(f"theatre {t.name} is shipped with Khazar: build your own "
                         "(`khazar theatre build`) or copy the folder, then pass it")
    with open_store(db) as store:
        fixes = load_fixes(store, include_exercise=False)
    found = sailed_water(geo.water, geo.proj, fixes.mmsi, fixes.t_s, fixes.lat, fixes.lon,
                         min_vessels=min_vessels, cell_m=cell_m)
    doc = {"theatre": str(t.root), "positions": len(fixes), "legs": found.legs,
           "cells": found.cells, "vessels": found.vessels,
           "area_km2": round(found.area_km2, 2), "not_connected_cells": found.dropped_cells,
           "file": None}
    if found.cells:
        manifest = _manifest_with_added_water(t.root, SAILED_WATER)  # fails before writing
        path = t.root / SAILED_WATER
        props = {"source": f"khazar theatre learn-water: cells of {cell_m:g} m sailed by "
                 f">= {min_vessels} vessels under way, from {db}",
                 "vessels": found.vessels, "positions": len(fixes)}
        feats = [{"type": "Feature", "properties": props, "geometry": mapping(found.geometry)}]
        if path.is_file():  # learned before: keep it, add the new
            feats = json.loads(path.read_text(encoding="utf-8")).get("features", []) + feats
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                        encoding="utf-8")
        if manifest is not None:
            (t.root / MANIFEST).write_text(manifest, encoding="utf-8")
        load_geography(settings)  # validates the theatre as every command will read it
        doc["file"] = str(path)
    if fmt is OutputFormat.json:
        print_json(doc)
        return
    if not found.cells:
        console.print(f"no water to add: no cell off the water was sailed by {min_vessels} "
                      f"vessels ({found.legs} legs under way in {len(fixes)} positions)")
        return
    console.print(f"{found.cells} cells ({found.area_km2:.1f} km²) sailed by {found.vessels} "
                  f"vessels added to theatre {t.name}: {doc['file']}")
    if found.dropped_cells:
        console.print(f"note: {found.dropped_cells} sailed cells not connected to the water "
                      "were left out")


def _manifest_with_added_water(root: Path, name: str) -> str | None:
    """The manifest's text with ``name`` in ``[files] added_water`` (None: listed already)."""
    from khazar.geo.theatre import MANIFEST, load_theatre

    if any(p.name == name for p in load_theatre(root).added_water):
        return None
    manifest = root / MANIFEST
    lines = manifest.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "[files]":
            for j in range(i + 1, len(lines)):
                if lines[j].startswith("["):
                    break
                if lines[j].split("=")[0].strip() == "added_water":
                    raise InputError(f"{manifest}: [files] added_water: add {name!r} to the "
                                     "list yourself, then run learn-water again")
            lines.insert(i + 1, f'added_water = ["{name}"]  # water the coastline lacks')
            return "\n".join(lines) + "\n"
    raise InputError(f"{manifest}: no [files] table")
