"""Geography commands: zones, assets (with energy criticality), route, map."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from khazar.cli._app import (
    ConfigOption,
    TheatreOption,
    app,
    check_range,
    console,
    parse_point,
    print_json,
)
from khazar.config import Settings, load_settings
from khazar.errors import InputError
from khazar.geo import Geography, load_geography

__all__ = ["assets", "map_", "route", "zones"]


class GeoFormat(enum.StrEnum):
    table = "table"
    json = "json"
    geojson = "geojson"


FormatOption = Annotated[GeoFormat, typer.Option("--format", help="table, json or geojson")]
AssetsOption = Annotated[
    Path | None,
    typer.Option(
        "--assets", help="asset registry GeoJSON replacing the default", show_default=False
    ),
]
CoastOption = Annotated[
    Path | None,
    typer.Option(
        "--coastline", help="sea polygon GeoJSON replacing the theatre's water", show_default=False
    ),
]


def _settings(
    config: Path | None, assets: Path | None = None, coastline: Path | None = None,
    theatre: str | None = None,
) -> Settings:
    overrides: dict[str, Any] = {}
    if theatre is not None:
        overrides["theatre"] = theatre
    if assets is not None:
        overrides["assets_file"] = assets
    if coastline is not None:
        overrides["coastline_file"] = coastline
    return load_settings(config, **overrides)


def _geo(
    config: Path | None, assets: Path | None = None, coastline: Path | None = None,
    theatre: str | None = None,
) -> tuple[Settings, Geography]:
    settings = _settings(config, assets, coastline, theatre)
    return settings, load_geography(settings)


@app.command()
def zones(
    fmt: FormatOption = GeoFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    assets: AssetsOption = None,
    coastline: CoastOption = None,
) -> None:
    """Maritime zones of the theatre: territorial sea and contiguous (or fishery) zone at its
    breadths, border sectors, platform safety zones, pipeline corridors, port approaches;
    plus sector lines."""
    from khazar.interop.features import collection, sector_line_feature, zone_feature

    _, geo = _geo(config, assets, coastline, theatre)
    zone_feats = [zone_feature(z) for z in geo.zones]
    line_feats = [sector_line_feature(s) for s in geo.sector_lines]
    if fmt is GeoFormat.geojson:
        print_json(collection([*zone_feats, *line_feats]))
        return
    if fmt is GeoFormat.json:
        print_json(
            {
                "zones": [f["properties"] for f in zone_feats],
                "sector_lines": [f["properties"] for f in line_feats],
                "coastline": geo.coastline_source,
            }
        )
        return
    table = Table(title=f"zones ({geo.coastline_source})")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("area km²", justify="right", no_wrap=True)
    table.add_column("prov.")
    table.add_column("name")
    for f in zone_feats:
        p = f["properties"]
        table.add_row(
            p["id"], p["kind"], f"{p['area_km2']:,.1f}", "yes" if p["provisional"] else "",
            p["name"],
        )
    for f in line_feats:
        p = f["properties"]
        table.add_row(
            p["id"],
            "sector_line",
            f"{p['length_km']:,.1f} km",
            "yes" if p["provisional"] else "",
            p["name"],
        )
    console.print(table)


@app.command()
def assets(
    fmt: FormatOption = GeoFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    assets_file: AssetsOption = None,
) -> None:
    """Protected assets with their energy criticality (gas bcm/yr lost, of it to Europe via
    TAP as a lower bound, oil kb/d lost, value = a·bcm/yr + b·kb/d)."""
    from khazar.energy import asset_criticality, baseline, group_criticality, load_network
    from khazar.energy.rows import BBL_PER_TONNE, BCM_YR_PER_MCM_D
    from khazar.interop.features import asset_feature, collection

    settings, geo = _geo(config, assets_file, theatre=theatre)
    crit = asset_criticality(settings, geo.assets)
    feats = [asset_feature(a, crit[a.id]) for a in geo.assets]
    if fmt is GeoFormat.geojson:
        print_json(collection(feats))
        return
    if fmt is GeoFormat.json:
        base = baseline()
        print_json(
            {
                "assets": [f["properties"] for f in feats],
                "groups": {
                    g: c.to_dict() for g, c in group_criticality(settings, geo.assets).items()
                },
                "network": {
                    "delivered_gas_bcm_yr": round(base.gas_bcm_yr, 4),
                    "delivered_gas_via_tap_bcm_yr": round(base.gas_europe_bcm_yr, 4),
                    "delivered_oil_kbd": round(base.oil_kbd, 3),
                    "value_weights": {
                        "a_per_bcm_yr": settings.energy.gas_weight_per_bcm_yr,
                        "b_per_kbd": settings.energy.oil_weight_per_kbd,
                    },
                    "unit_factors": {
                        "bbl_per_tonne": BBL_PER_TONNE,
                        "bcm_yr_per_mcm_d": BCM_YR_PER_MCM_D,
                    },
                    "notes": list(load_network().notes),
                },
                "source": geo.assets_source,
            }
        )
        return
    table = Table(title=f"assets ({geo.assets_source})")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for col in ("gas bcm/yr", "to EU ≥", "oil kb/d", "value"):
        table.add_column(col, justify="right")
    for a in geo.assets:
        c = crit[a.id]
        table.add_row(
            a.id,
            a.kind,
            f"{c.gas_bcm_yr:.2f}",
            f"{c.gas_europe_bcm_yr:.2f}",
            f"{c.oil_kbd:.1f}",
            f"{c.value:.2f}",
        )
    console.print(table)


#: how far a route's end may lie from the routing water before `route` refuses it (km)
MAX_SNAP_KM = 10.0


def _theatre_point(geo: Geography, text: str, what: str, max_snap_km: float
                   ) -> tuple[float, float]:
    """``text`` as (lat, lon) inside the theatre: within the sea's bounds and at most
    ``max_snap_km`` from its water (a point on a quay or a beach is snapped to the water)."""
    lat, lon = parse_point(text, what)
    lon0, lat0, lon1, lat1 = geo.water.bounds
    if not (lat0 <= lat <= lat1 and lon0 <= lon <= lon1):
        raise InputError(f"{what} {text!r} is outside the theatre: allowed latitude "
                         f"{lat0:.2f}..{lat1:.2f} and longitude {lon0:.2f}..{lon1:.2f}")
    snap_km = geo.router.snap_m(lat, lon) / 1000.0
    if snap_km > max_snap_km:
        raise InputError(f"{what} {text!r} is {snap_km:,.1f} km from the sea's water: allowed "
                         f"at most {max_snap_km:g} km (--max-snap-km)")
    return lat, lon


@app.command()
def route(
    start: Annotated[str, typer.Argument(help="start LAT,LON (decimal degrees)")],
    end: Annotated[str, typer.Argument(help="end LAT,LON (decimal degrees)")],
    fmt: FormatOption = GeoFormat.table,
    max_snap_km: Annotated[float, typer.Option(
        "--max-snap-km", help="refuse an end farther than this from the water (a point on "
        "land nearer than this is snapped to the water)")] = MAX_SNAP_KM,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
) -> None:
    """Shortest water-only route (never across land or islands); endpoints on land are
    snapped to water and the snap distance reported; length in nm and km."""
    check_range("--max-snap-km", max_snap_km, 0.0, 1000.0, " km")
    lat1, lon1 = parse_point(start, "start")
    lat2, lon2 = parse_point(end, "end")
    if (lat1, lon1) == (lat2, lon2):
        raise InputError(f"start and end are the same point ({start}): give two positions")
    _, geo = _geo(config, theatre=theatre)
    _theatre_point(geo, start, "start", max_snap_km)
    _theatre_point(geo, end, "end", max_snap_km)
    from khazar.interop.features import collection, route_feature

    r = geo.router.route(lat1, lon1, lat2, lon2)
    feature = route_feature(r)
    if fmt is GeoFormat.geojson:
        print_json(collection([feature]))
        return
    if fmt is GeoFormat.json:
        print_json({**feature["properties"], "coords": [[la, lo] for la, lo in r.coords]})
        return
    console.print(
        f"{r.length_nm:,.1f} nm ({r.length_km:,.1f} km), {len(r.coords)} points; "
        f"start snapped {r.start_snap_m:,.0f} m, end snapped {r.end_snap_m:,.0f} m"
    )


#: what ``khazar map --out`` writes (matplotlib's writers the project uses)
_MAP_FORMATS = frozenset({".png", ".svg", ".pdf"})


@app.command("map")
def map_(
    out: Annotated[Path, typer.Option("--out", help="PNG file to write")] = Path("docs/map.png"),
    dpi: Annotated[int, typer.Option("--dpi", help="resolution, 30..600 dots per inch")] = 150,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    assets_file: AssetsOption = None,
) -> None:
    """Write a PNG map of coast (by state), zones, assets and ports."""
    import matplotlib.pyplot as plt

    check_range("--dpi", dpi, 30, 600)
    if out.is_dir() or not out.name:
        raise InputError(f"--out {str(out)!r} must name a PNG file, not a folder")
    if out.suffix.lower() not in _MAP_FORMATS:
        raise InputError(f"--out {str(out)!r}: a map is written as "
                         f"{', '.join(sorted(_MAP_FORMATS))}; end the file name with one")

    from khazar.geo.mapplot import draw_map

    _, geo = _geo(config, assets_file, theatre=theatre)
    fig = draw_map(geo)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
    except OSError as exc:
        raise InputError(f"cannot write map {out}: {exc.strerror}") from None
    finally:
        plt.close(fig)
    console.print(f"map written to {out}")
