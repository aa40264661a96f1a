"""Energy criticality (DESIGN C5): supply lost per asset by max-flow on the real network."""

from khazar.energy.criticality import Criticality, SupplyLoss, criticality_of, supply_loss
from khazar.energy.loader import asset_criticality, baseline, group_criticality, load_network
from khazar.energy.network import EnergyNetwork, build_network
from khazar.energy.rows import BBL_PER_TONNE, BCM_YR_PER_MCM_D, parse_network_csv

__all__ = [
    "BBL_PER_TONNE",
    "BCM_YR_PER_MCM_D",
    "Criticality",
    "EnergyNetwork",
    "SupplyLoss",
    "asset_criticality",
    "baseline",
    "build_network",
    "criticality_of",
    "group_criticality",
    "load_network",
    "parse_network_csv",
    "supply_loss",
]
