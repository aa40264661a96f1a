"""What each asset is worth: the supply lost when it fails (max-flow, networkx).

For an asset (its energy nodes and edges removed from the network):

* ``gas_bcm_yr``: gas that can no longer be delivered (bcm/yr), total max-flow before − after;
* ``gas_europe_bcm_yr``: of it, to Europe through TAP, a **lower bound**: the most gas that
  could reach TAP before minus the most that could reach it after (re-routing in TAP's
  favour as far as the network allows);
* ``oil_kbd``: crude and condensate no longer delivered (kb/d);
* ``value = a·gas_bcm_yr + b·oil_kbd`` with ``a``, ``b`` from ``settings.energy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from khazar.energy.network import EUROPE_VIA, SINK, SOURCE, Edge, EnergyNetwork

__all__ = ["Criticality", "SupplyLoss", "criticality_of", "supply_loss", "throughput"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class SupplyLoss:
    """Supply lost when some nodes and edges fail (bcm/yr, bcm/yr, kb/d)."""

    gas_bcm_yr: float
    gas_europe_bcm_yr: float
    oil_kbd: float


@dataclass(frozen=True, slots=True)
class Criticality:
    """An asset's criticality: the supply lost if it fails, and its defender value."""

    gas_bcm_yr: float
    gas_europe_bcm_yr: float  # lower bound, through TAP
    oil_kbd: float
    value: float

    def to_dict(self) -> dict[str, float]:
        return {
            "gas_bcm_yr": round(self.gas_bcm_yr, 4),
            "gas_europe_bcm_yr": round(self.gas_europe_bcm_yr, 4),
            "oil_kbd": round(self.oil_kbd, 3),
            "value": round(self.value, 4),
        }


def _max_flow(g: nx.DiGraph, target: str) -> float:
    if SOURCE not in g or target not in g:
        return 0.0
    value: float = nx.maximum_flow_value(g, SOURCE, target)
    return value


def throughput(
    net: EnergyNetwork, removed_nodes: Iterable[str] = (), removed_edges: Iterable[Edge] = ()
) -> SupplyLoss:
    """Delivered volumes of the (possibly damaged) network, as a :class:`SupplyLoss` shape."""
    nodes = tuple(removed_nodes)
    edges = tuple(removed_edges)
    gas = net.flow_graph("gas", nodes, edges)
    oil = net.flow_graph("oil", nodes, edges)
    return SupplyLoss(_max_flow(gas, SINK), _max_flow(gas, EUROPE_VIA), _max_flow(oil, SINK))


def supply_loss(
    net: EnergyNetwork,
    removed_nodes: Iterable[str] = (),
    removed_edges: Iterable[Edge] = (),
    base: SupplyLoss | None = None,
) -> SupplyLoss:
    """Volumes lost when the given nodes and edges fail (never negative)."""
    before = base if base is not None else throughput(net)
    after = throughput(net, removed_nodes, removed_edges)
    return SupplyLoss(
        max(0.0, before.gas_bcm_yr - after.gas_bcm_yr),
        max(0.0, before.gas_europe_bcm_yr - after.gas_europe_bcm_yr),
        max(0.0, before.oil_kbd - after.oil_kbd),
    )


def criticality_of(
    net: EnergyNetwork,
    nodes: Sequence[str],
    edges: Sequence[Edge],
    gas_weight: float,
    oil_weight: float,
    base: SupplyLoss | None = None,
) -> Criticality:
    """The criticality of something that carries ``nodes`` and ``edges``."""
    if not nodes and not edges:
        return Criticality(0.0, 0.0, 0.0, 0.0)
    loss = supply_loss(net, nodes, edges, base)
    gas = loss.gas_bcm_yr if loss.gas_bcm_yr > _EPS else 0.0
    eu = loss.gas_europe_bcm_yr if loss.gas_europe_bcm_yr > _EPS else 0.0
    oil = loss.oil_kbd if loss.oil_kbd > _EPS else 0.0
    return Criticality(gas, eu, oil, gas_weight * gas + oil_weight * oil)
