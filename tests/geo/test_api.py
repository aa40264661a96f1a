"""The public surface other packages code against (notes/GEO_API.md)."""

from __future__ import annotations

import dataclasses

import numpy as np

import khazar.energy
import khazar.geo
from khazar.geo import Asset, Geography, Port, Route, SeaRouter, Zone


def test_exported_names() -> None:
    for name in ("load_geography", "Geography", "Zone", "Port", "Asset", "SeaRouter", "Route"):
        assert name in khazar.geo.__all__ and hasattr(khazar.geo, name)
    for name in ("asset_criticality", "Criticality"):
        assert name in khazar.energy.__all__ and hasattr(khazar.energy, name)


def test_value_types_have_the_contract_fields() -> None:
    def fields(t: type) -> set[str]:
        return {f.name for f in dataclasses.fields(t)}

    assert {"id", "name", "kind", "geometry", "provisional", "source"} <= fields(Zone)
    assert {"id", "name", "lat", "lon", "entry_radius_m", "exit_radius_m", "approach"} <= fields(
        Port
    )
    assert {
        "id",
        "name",
        "kind",
        "geometry",
        "safety_radius_m",
        "corridor_half_width_m",
        "energy_nodes",
        "energy_edges",
        "group",
        "source",
        "confidence",
        "protected_area",
    } <= fields(Asset)
    assert {"coords", "length_m", "start_snap_m", "end_snap_m"} <= fields(Route)
    assert {"gas_bcm_yr", "gas_europe_bcm_yr", "oil_kbd", "value"} <= fields(
        khazar.energy.Criticality
    )


def test_geography_surface(geo: Geography) -> None:
    assert geo.water.geom_type == "Polygon"
    assert isinstance(geo.router, SeaRouter)
    assert geo.router is geo.router  # built once
    m = geo.water_mask(np.array([40.0, 40.5]), np.array([51.0, 48.5]))
    assert m.tolist() == [True, False]
    kinds = {z.kind for z in geo.zones}
    assert {
        "territorial_sea",
        "fishery_zone",
        "platform_safety",
        "pipeline_corridor",
        "port_approach",
        "border_sector",
    } <= kinds
    assert all(isinstance(p, Port) for p in geo.ports)
    assert geo.asset("chirag-1").group == "acg"
