"""The adapter: read the shipped network CSVs once and answer criticality questions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from khazar.config import Settings
from khazar.energy.criticality import Criticality, SupplyLoss, criticality_of, throughput
from khazar.energy.network import NODE_CAPACITY_UNITS, EnergyNetwork, build_network
from khazar.energy.rows import parse_network_csv, to_model_unit
from khazar.geo.assets import Asset

__all__ = ["asset_criticality", "baseline", "group_criticality", "load_network"]

_DATA = files("khazar") / "data" / "energy"


@cache
def load_network() -> EnergyNetwork:
    """The network from ``khazar/data/energy`` (read once per process)."""
    rows = parse_network_csv(_DATA.joinpath("energy_network.csv").read_text(encoding="utf-8"))
    nodes_text = _DATA.joinpath("energy_nodes.csv").read_text(encoding="utf-8")
    types: dict[str, str] = {}
    caps: list[tuple[str, str, float]] = []
    for rec in csv.DictReader(io.StringIO(nodes_text)):
        types.setdefault(rec["id"], rec["type"])
        for node, com, prefix in NODE_CAPACITY_UNITS:
            if rec["id"] == node and rec["unit"].startswith(prefix) and rec["node_capacity"]:
                value = to_model_unit(float(rec["node_capacity"]), rec["unit"], com)
                if value is not None:
                    caps.append((node, com, value))
    return build_network(rows, types, caps)


@cache
def baseline() -> SupplyLoss:
    """Delivered volumes of the intact network (gas bcm/yr, to Europe via TAP, oil kb/d)."""
    return throughput(load_network())


def asset_criticality(settings: Settings, assets: Iterable[Asset]) -> dict[str, Criticality]:
    """Criticality of every asset (zero for assets that carry no energy nodes or edges)."""
    net = load_network()
    base = baseline()
    a = settings.energy.gas_weight_per_bcm_yr
    b = settings.energy.oil_weight_per_kbd
    return {x.id: criticality_of(net, x.energy_nodes, x.energy_edges, a, b, base) for x in assets}


def group_criticality(settings: Settings, assets: Iterable[Asset]) -> dict[str, Criticality]:
    """Criticality of each asset group failing as a whole (e.g. all of "shah-deniz")."""
    net = load_network()
    base = baseline()
    groups: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    for x in assets:
        if x.group is None:
            continue
        nodes, edges = groups.setdefault(x.group, ([], []))
        nodes.extend(x.energy_nodes)
        edges.extend(x.energy_edges)
    a = settings.energy.gas_weight_per_bcm_yr
    b = settings.energy.oil_weight_per_kbd
    return {g: criticality_of(net, n, e, a, b, base) for g, (n, e) in groups.items()}
