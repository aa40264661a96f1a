"""The geography commands: zones, assets, route (json/geojson) and the map PNG."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from khazar.cli import app

runner = CliRunner()


def test_zones_geojson() -> None:
    result = runner.invoke(app, ["zones", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    fc = json.loads(result.stdout)
    assert fc["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"] for f in fc["features"]}
    assert {
        "territorial_sea",
        "fishery_zone",
        "border_sector",
        "platform_safety",
        "pipeline_corridor",
        "port_approach",
        "sector_line",
    } <= kinds
    ts = next(f for f in fc["features"] if f["properties"]["id"] == "aze-territorial-sea")
    assert ts["properties"]["provisional"] is True
    assert ts["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_zones_table_and_json() -> None:
    table = runner.invoke(app, ["zones"]).stdout
    assert "territorial_sea" in table and "sector_line" in table
    data = json.loads(runner.invoke(app, ["zones", "--format", "json"]).stdout)
    assert any(z["id"] == "aze-fishery-zone" and z["area_km2"] > 1000 for z in data["zones"])


def test_route_geojson_has_lengths_and_snaps() -> None:
    result = runner.invoke(
        app, ["route", "40.366,49.862", "43.6232,51.2365", "--format", "geojson"]
    )
    assert result.exit_code == 0, result.output
    feature = json.loads(result.stdout)["features"][0]
    props = feature["properties"]
    assert feature["geometry"]["type"] == "LineString"
    assert (
        props["length_km"] == round(props["length_nm"] * 1.852, 1)
        or abs(props["length_km"] - props["length_nm"] * 1.852) < 0.01
    )
    assert props["start_snap_m"] >= 0 and props["end_snap_m"] >= 0
    text = runner.invoke(app, ["route", "40.366,49.862", "43.6232,51.2365"]).stdout
    assert "nm" in text and "km" in text


def test_route_rejects_bad_points() -> None:
    result = runner.invoke(app, ["route", "40.3;49.8", "43.6,51.2"])
    assert result.exit_code != 0


def test_assets_geojson() -> None:
    fc = json.loads(runner.invoke(app, ["assets", "--format", "geojson"]).stdout)
    props = {f["properties"]["id"]: f["properties"] for f in fc["features"]}
    assert props["shah-deniz-alpha"]["safety_radius_m"] == 500
    assert props["acg-24in-oil"]["corridor_half_width_m"] == 1000
    assert props["acg-24in-oil"]["energy_node"] == "PL:ACG_24in_oil"
    assert props["sd1-gas"]["criticality"]["gas_bcm_yr"] > 10


def test_map_png(tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    result = runner.invoke(app, ["map", "--out", str(out), "--dpi", "40"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
