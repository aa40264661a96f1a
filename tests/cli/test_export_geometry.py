"""GeoJSON exports keep the real shape of lines and polygons (pipelines, zones)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from khazar.cli import app
from khazar.store import open_store


def test_assets_and_zones_export_with_their_geometry(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    open_store(db).close()
    runner = CliRunner()
    kinds: dict[str, set[str]] = {}
    for kind in ("assets", "zones"):
        result = runner.invoke(app, ["export", kind, "--db", str(db), "--format", "geojson"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        kinds[kind] = {f["geometry"]["type"] for f in data["features"]}
        assert all("geometry" not in f["properties"] for f in data["features"])
    assert {"Point", "LineString"} <= kinds["assets"]  # platforms and pipelines
    assert kinds["zones"] <= {"Polygon", "MultiPolygon"}
