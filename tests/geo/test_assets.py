"""The asset registry: the shipped default, validation errors, user-replaced files."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, mapping

from khazar.config import Settings, load_settings
from khazar.energy import load_network
from khazar.errors import AssetValidationError, InputError
from khazar.geo import Geography, load_geography, parse_assets
from khazar.geo.assets import LANDFALL_ALLOWANCE_M
from khazar.units import geodesic_distance_m


def _default() -> dict[str, Any]:
    text = (
        files("khazar").joinpath("data/theatres/caspian/assets.geojson").read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _feature(fid: str, kind: str, geom: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": mapping(geom),
        "properties": {"id": fid, "name": fid, "kind": kind, **props},
    }


def _parse(geo: Geography, *features: dict[str, Any]) -> list[Any]:
    return parse_assets(
        {"type": "FeatureCollection", "features": list(features)},
        geo.water,
        geo.proj,
        "test.geojson",
    )


def test_default_registry_content(geo: Geography, settings: Settings) -> None:
    kinds = {a.kind for a in geo.assets}
    assert kinds == {"platform", "pipeline", "terminal", "port"}
    ids = {a.id for a in geo.assets}
    assert {
        "sangachal",
        "neft-daslari",
        "shah-deniz-alpha",
        "shah-deniz-bravo",
        "chirag-1",
        "central-azeri",
        "west-azeri",
        "east-azeri",
        "deepwater-gunashli",
        "west-chirag",
        "azeri-central-east",
        "absheron",
        "umid",
        "acg-24in-oil",
        "sd1-gas",
        "sd2-export",
        "port-alat",
        "port-baku-city",
        "port-aktau",
        "port-kuryk",
        "port-turkmenbashi",
        "port-makhachkala",
        "port-anzali",
        "port-lankaran",
    } <= ids
    for a in geo.assets:
        assert a.source and a.confidence
        if a.kind == "platform" and a.id != "neft-daslari":
            assert a.safety_radius_m == 500
        if a.kind == "pipeline":
            assert a.corridor_half_width_m == 1000
            assert a.drawn and "drawn" in a.drawn
        if a.confidence == "low":
            assert a.drawn, a.id  # low confidence always says how it was drawn
    # the vessel registry's authorised groups exist as asset groups
    groups = {a.group for a in geo.assets}
    assert set(settings.registry.authorised) <= groups


def test_protected_areas_have_the_right_size(geo: Geography) -> None:
    chirag = geo.asset("chirag-1")
    area_m2 = geo.proj.geom_to_xy(chirag.protected_area).area
    assert area_m2 == pytest.approx(np.pi * 500**2, rel=0.01)
    line = geo.asset("sd1-gas")
    corridor = geo.proj.geom_to_xy(line.protected_area)
    length = geo.proj.geom_to_xy(line.geometry).length
    assert corridor.area == pytest.approx(2 * 1000 * length, rel=0.03)
    assert geo.zone("chirag-1-safety").kind == "platform_safety"
    assert geo.zone("sd1-gas-corridor").kind == "pipeline_corridor"


def test_pipelines_land_at_sangachal_and_match_published_lengths(geo: Geography) -> None:
    sangachal = geo.asset("sangachal")
    for a in geo.assets:
        if a.kind != "pipeline":
            continue
        coords = list(a.geometry.coords)
        lon, lat = coords[-1]
        published = a.properties.get("published_length_km")
        if a.id != "absheron-oil-rocks":
            assert geodesic_distance_m(lat, lon, sangachal.lat, sangachal.lon) < 100
        if published is not None:
            lons = np.array([c[0] for c in coords])
            lats = np.array([c[1] for c in coords])
            from khazar.units import WGS84

            _, _, legs = WGS84.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
            assert float(np.sum(legs)) / 1000 == pytest.approx(published, rel=0.03), a.id
        # in water except at the landfalls
        ends = shapely.union_all(
            [
                geo.proj.geom_to_xy(Point(c)).buffer(LANDFALL_ALLOWANCE_M)
                for c in (coords[0], coords[-1])
            ]
        )
        middle = shapely.difference(geo.proj.geom_to_xy(a.geometry), ends)
        assert shapely.difference(middle, geo.proj.geom_to_xy(geo.water)).length < 1.0, a.id


def test_every_energy_node_exists_in_the_network(geo: Geography) -> None:
    net = load_network()
    known = set(net.graphs["gas"].nodes) | set(net.graphs["oil"].nodes)
    for a in geo.assets:
        if a.kind == "port":
            continue
        assert a.energy_nodes or a.energy_edges, a.id
        for n in a.energy_nodes:
            assert n in known, (a.id, n)
        for u, v in a.energy_edges:
            assert net.graphs["gas"].has_edge(u, v) or net.graphs["oil"].has_edge(u, v)


def test_ports_have_visit_circles_and_approaches(geo: Geography) -> None:
    assert len(geo.ports) >= 8
    for p in geo.ports:
        assert (p.entry_radius_m, p.exit_radius_m) == (3000.0, 4000.0)
        assert p.approach is not None, p.id
        assert geo.proj.geom_to_xy(shapely.difference(p.approach, geo.water)).area < 1e4
        assert geo.zone(f"{p.id}-approach").kind == "port_approach"
    alat = next(p for p in geo.ports if p.id == "port-alat")
    assert (
        alat.seaward_bearing_deg is not None and 45 < alat.seaward_bearing_deg < 180
    )  # sea is east


PLATFORM_AT_SEA = Point(50.5, 40.0)
ON_LAND = Point(48.5, 40.5)  # inland Azerbaijan


@pytest.mark.parametrize(
    "feature,needle",
    [
        (_feature("x1", "rig", PLATFORM_AT_SEA, safety_radius_m=500), "unknown kind 'rig'"),
        (
            _feature(
                "x2",
                "platform",
                Polygon([(50, 40), (50.1, 40.1), (50.1, 40), (50, 40.1)]),
                safety_radius_m=500,
            ),
            "invalid geometry",
        ),
        (_feature("x3", "platform", ON_LAND, safety_radius_m=500), "on land"),
        (
            _feature(
                "x4",
                "pipeline",
                LineString([(50.3, 40.0), (48.5, 40.5), (47.0, 41.0), (50.4, 40.1)]),
                corridor_half_width_m=1000,
            ),
            "over land",
        ),
        (
            _feature("x5", "pipeline", LineString([(50.3, 40.0), (50.5, 40.0)])),
            "missing corridor_half_width_m",
        ),
        (_feature("x6", "platform", PLATFORM_AT_SEA), "missing safety_radius_m"),
        (
            _feature(
                "x7", "cable", LineString([(50.3, 40.0), (50.5, 40.0)]), corridor_half_width_m=-5
            ),
            "positive number",
        ),
        (_feature("x8", "platform", Point(40.0, 50.5), safety_radius_m=500), "on land"),
    ],
)
def test_validation_errors_name_the_feature_and_problem(
    geo: Geography, feature: dict[str, Any], needle: str
) -> None:
    with pytest.raises(AssetValidationError) as exc:
        _parse(geo, feature)
    message = str(exc.value)
    assert repr(feature["properties"]["id"]) in message
    assert needle in message
    assert "test.geojson" in message


def test_duplicate_ids_and_missing_geometry(geo: Geography) -> None:
    a = _feature("dup", "platform", PLATFORM_AT_SEA, safety_radius_m=500)
    with pytest.raises(AssetValidationError, match="duplicate id"):
        _parse(geo, a, copy.deepcopy(a))
    bad = {
        "type": "Feature",
        "geometry": None,
        "properties": {"id": "g", "name": "g", "kind": "port"},
    }
    with pytest.raises(AssetValidationError, match=r"'g'.*missing geometry"):
        _parse(geo, bad)


def test_user_asset_file_replaces_the_default(tmp_path: Path) -> None:
    data: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                "my-rig",
                "platform",
                PLATFORM_AT_SEA,
                safety_radius_m=750,
                group="mine",
                energy_node="Chirag",
            ),
            _feature(
                "my-cable",
                "cable",
                LineString([(50.3, 40.0), (50.6, 40.05)]),
                corridor_half_width_m=500,
            ),
        ],
    }
    path = tmp_path / "assets.geojson"
    path.write_text(json.dumps(data))
    geo = load_geography(load_settings(assets_file=path))
    assert [a.id for a in geo.assets] == ["my-rig", "my-cable"]
    assert geo.asset("my-rig").safety_radius_m == 750
    assert {z.kind for z in geo.zones} >= {
        "platform_safety",
        "pipeline_corridor",
        "territorial_sea",
    }
    assert geo.ports == []
    bad = tmp_path / "bad.geojson"
    data["features"][1]["properties"].pop("corridor_half_width_m")
    bad.write_text(json.dumps(data))
    with pytest.raises(
        AssetValidationError, match=r"bad.geojson: asset 'my-cable' \(feature 1\): missing corridor"
    ):
        load_geography(load_settings(assets_file=bad))


def test_user_coastline_replaces_natural_earth(tmp_path: Path, geo: Geography) -> None:
    # add an island on the open sea between Baku and Aktau: routes must go around it
    island = Polygon([(50.3, 41.9), (50.9, 41.9), (50.9, 42.3), (50.3, 42.3)])
    water = shapely.difference(geo.water, island)
    path = tmp_path / "coast.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(water)}))
    mine = load_geography(load_settings(coastline_file=path))
    assert not mine.water_mask(np.array([42.1]), np.array([50.6]))[0]
    r = mine.router.route(41.5, 50.6, 42.7, 50.6)
    line = LineString([(lo, la) for la, lo in r.coords])
    assert not line.intersects(island)
    assert mine.water.covers(line)
    assert r.length_m > geo.router.route(41.5, 50.6, 42.7, 50.6).length_m + 1000


def test_bad_coastline_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.geojson"
    path.write_text(json.dumps({"type": "Point", "coordinates": [50, 40]}))
    with pytest.raises(InputError, match="no Polygon"):
        load_geography(load_settings(coastline_file=path))
    path.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        load_geography(load_settings(coastline_file=path))


def test_default_file_is_what_the_builder_writes() -> None:
    assert _default()["type"] == "FeatureCollection"
    assert all("id" in f["properties"] for f in _default()["features"])
