"""Energy criticality on the real network (shipped copy of shared/data/caspian)."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest
from typer.testing import CliRunner

from khazar.cli import app
from khazar.config import load_settings
from khazar.energy import (
    BBL_PER_TONNE,
    BCM_YR_PER_MCM_D,
    asset_criticality,
    baseline,
    group_criticality,
    load_network,
    supply_loss,
)
from khazar.energy.network import ACG_PLATFORMS, SINK, SOURCE
from khazar.energy.rows import RowKind, classify_unit, parse_network_csv, to_model_unit
from khazar.geo import load_geography


@pytest.fixture(scope="module")
def geo():  # type: ignore[no-untyped-def]
    return load_geography(load_settings())


def _through(node: str, removed: tuple[str, ...] = ()) -> float:
    """Most flow that can pass through ``node`` (max-flow from the supplies to it)."""
    g = load_network().flow_graph("gas", removed)
    return float(nx.maximum_flow_value(g, SOURCE, node)) if node in g else 0.0


def test_unit_factors() -> None:
    assert BBL_PER_TONNE == 7.33 and BCM_YR_PER_MCM_D == 0.365
    assert to_model_unit(3, "mcm/d actual", "gas") == pytest.approx(1.095)
    assert to_model_unit(945000, "t/yr actual (field output)", "oil") == pytest.approx(
        18.978, abs=1e-3
    )
    assert to_model_unit(4.3, "Mt/yr condensate actual", "oil") == pytest.approx(86.353, abs=1e-3)
    assert to_model_unit(19300, "b/d actual (derived estimate)", "oil") == pytest.approx(19.3)
    assert to_model_unit(249, "km of BTC in Georgia", "oil") is None


@pytest.mark.parametrize(
    "unit,kind",
    [
        ("b/d actual", RowKind.actual),
        ("bcm/yr design capacity (SD Stage 1)", RowKind.design),
        ("b/d maximum capacity", RowKind.design),
        ("bcm actual, Jan-Jul 2024 only", RowKind.other),
        ("Mt actual, H1 only (incl. 2.455 Mt third-party transit)", RowKind.other),
        ("mcm/d actual export throughput, H1 average", RowKind.other),
        ("b/d expected end-2024 rate (bp guidance, not actual)", RowKind.other),
        ("bcm cumulative to Europe, Dec 2020 - end 2024", RowKind.other),
        ("mcm/d planned after 54 km 20-inch subsea line", RowKind.other),
        ("bcm/yr associated gas delivered to state (~7 mcm/d; rest reinjected)", RowKind.actual),
    ],
)
def test_row_classification(unit: str, kind: RowKind) -> None:
    assert classify_unit(unit) is kind


def test_part_year_and_agg_rows_are_never_added() -> None:
    net = load_network()
    oil = net.supply["oil"]
    # ACG: the per-platform 2024 rows (318 kb/d) plus the AGG residual for ACE = bp's 342 kb/d
    assert sum(oil[p] for p in ACG_PLATFORMS) == pytest.approx(342.0)
    assert oil["Azeri_Central_East_ACE"] == pytest.approx(24.0)
    assert oil["Central_Azeri"] == pytest.approx(79.7)  # 2024 row, not the 2022 one
    gas = net.supply["gas"]
    sd = gas["Shah_Deniz_Alpha_SDA"] + gas["Shah_Deniz_Bravo_SDB"]
    assert sd == pytest.approx(27.8)  # not 27.8 + 28 + 14
    assert gas["Shah_Deniz_Bravo_SDB"] / gas["Shah_Deniz_Alpha_SDA"] == pytest.approx(1.6)
    assert "Absheron_platform" not in oil  # only a part-year 2023 figure exists
    assert "Kazakh_Turkmen_tanker_crude" not in oil  # H1 only
    assert all(not n.startswith("AGG:") for g in net.graphs.values() for n in g.nodes)


def test_capacities_are_design_or_unbounded() -> None:
    g = load_network().graphs["gas"]
    assert g.edges["Sangachal_terminal", "SCP_SCPX"]["capacity"] == pytest.approx(23.4)
    assert g.edges["TAP_at_Kipoi_(GR-TR_border)", "TAP"]["capacity"] == pytest.approx(10.0)
    assert math.isinf(g.edges["SCP_SCPX", "Georgia_offtake_Gardabani"]["capacity"])
    oil = load_network().graphs["oil"]
    assert oil.has_edge("PL:ACG_24in_oil", "Sangachal_terminal#in")  # Sangachal's 1.2 Mb/d node cap


def test_baseline_flows() -> None:
    base = baseline()
    assert base.gas_europe_bcm_yr == pytest.approx(10.0)  # TAP design: 10 bcm/yr
    assert base.oil_kbd == pytest.approx(342 + 86.35 + 109 + 3.6, abs=0.1)
    assert base.gas_bcm_yr > 30


def test_sangachal_out_loses_all_scp_gas(geo) -> None:  # type: ignore[no-untyped-def]
    scp_before = _through("SCP_SCPX")
    assert scp_before > 20
    assert _through("SCP_SCPX", ("Sangachal_terminal", "Sangachal_terminal/SOCAR")) == 0.0
    crit = asset_criticality(load_settings(), geo.assets)["sangachal"]
    assert crit.gas_bcm_yr >= scp_before - 1e-6
    assert crit.gas_europe_bcm_yr == pytest.approx(baseline().gas_europe_bcm_yr)
    assert crit.oil_kbd == pytest.approx(342 + 86.35, abs=0.1)  # ACG and SD condensate


@pytest.mark.parametrize(
    "asset_id",
    [
        "chirag-1",
        "central-azeri",
        "west-azeri",
        "east-azeri",
        "deepwater-gunashli",
        "west-chirag",
        "azeri-central-east",
    ],
)
def test_one_acg_platform_out_loses_only_its_oil(geo, asset_id: str) -> None:  # type: ignore[no-untyped-def]
    asset = geo.asset(asset_id)
    (node,) = asset.energy_nodes
    share = load_network().supply["oil"][node]
    crit = asset_criticality(load_settings(), [asset])[asset_id]
    assert crit.oil_kbd == pytest.approx(share)
    assert 0 < crit.oil_kbd < 0.3 * 342
    assert crit.gas_europe_bcm_yr == 0.0
    assert crit.gas_bcm_yr == pytest.approx(load_network().supply["gas"][node])


def test_shah_deniz_out_europe_loses_taps_flow(geo) -> None:  # type: ignore[no-untyped-def]
    tap_flow = _through("TAP")
    assert tap_flow == pytest.approx(10.0)
    sd = group_criticality(load_settings(), geo.assets)["shah-deniz"]
    assert sd.gas_europe_bcm_yr == pytest.approx(tap_flow)
    assert sd.gas_bcm_yr == pytest.approx(27.8)
    # one platform alone: the other can still fill TAP, so the lower bound is 0
    alpha = asset_criticality(load_settings(), [geo.asset("shah-deniz-alpha")])["shah-deniz-alpha"]
    assert alpha.gas_europe_bcm_yr == 0.0 and alpha.gas_bcm_yr > 10


def test_pipelines_carry_flow(geo) -> None:  # type: ignore[no-untyped-def]
    crit = asset_criticality(load_settings(), geo.assets)
    oil = load_network().supply["oil"]
    assert crit["acg-30in-oil"].oil_kbd == pytest.approx(sum(oil[p] for p in ACG_PLATFORMS[1:]))
    assert crit["acg-24in-oil"].oil_kbd == pytest.approx(oil["Chirag"])
    assert crit["sd1-gas"].gas_bcm_yr == pytest.approx(
        load_network().supply["gas"]["Shah_Deniz_Alpha_SDA"]
    )
    assert crit["absheron-oil-rocks"].gas_bcm_yr == pytest.approx(1.5)
    assert crit["port-aktau"].value == 0.0


def test_value_uses_the_configured_weights(geo) -> None:  # type: ignore[no-untyped-def]
    s = load_settings(energy={"gas_weight_per_bcm_yr": 2.0, "oil_weight_per_kbd": 0.5})
    c = asset_criticality(s, [geo.asset("shah-deniz-alpha")])["shah-deniz-alpha"]
    assert c.value == pytest.approx(2.0 * c.gas_bcm_yr + 0.5 * c.oil_kbd)


def test_removing_nothing_loses_nothing() -> None:
    loss = supply_loss(load_network())
    assert (loss.gas_bcm_yr, loss.gas_europe_bcm_yr, loss.oil_kbd) == (0.0, 0.0, 0.0)
    assert SINK in load_network().flow_graph("oil")


def test_cli_assets_json_prints_the_figures() -> None:
    result = CliRunner().invoke(app, ["assets", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {a["id"]: a for a in data["assets"]}
    assert by_id["sangachal"]["criticality"]["gas_europe_bcm_yr"] == pytest.approx(10.0)
    assert by_id["chirag-1"]["criticality"]["oil_kbd"] == pytest.approx(19.3)
    assert data["groups"]["shah-deniz"]["gas_europe_bcm_yr"] == pytest.approx(10.0)
    assert data["network"]["unit_factors"] == {"bbl_per_tonne": 7.33, "bcm_yr_per_mcm_d": 0.365}


def test_parse_csv_rows() -> None:
    rows = parse_network_csv(
        "from,to,commodity,capacity,unit,year,source_url,confidence\n"
        "A,B,oil,1000,b/d actual,2024,u,verified\n"
        'A,B,oil,2,"Mt actual, H1 only",2025,u,verified\n'
    )
    assert [r.kind for r in rows] == [RowKind.actual, RowKind.other]
    assert rows[0].value == pytest.approx(1.0)
