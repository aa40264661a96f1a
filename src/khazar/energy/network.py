"""The Azerbaijani oil and gas network as two capacitated flow graphs (gas, oil).

Rules (see docs/geography.md, "Energy"):

* **Supply** of a producing node (platform, field, hub's own output) = the latest
  full-year *actual* of its outgoing rows; part-year, planned and cumulative rows are never
  used. **Capacity** of an edge = its latest *design* figure, unbounded when none; a design
  figure below the observed actual is treated as debottlenecked (capacity = actual).
* ``AGG:`` rows are never added to per-platform rows. An aggregate's actual is used only
  for the *residual* its members' own rows do not cover, shared among the members that have
  no actual of their own, in proportion to their design capacity (else their oil supply,
  else equally). Example: ACG oil 342 kb/d − 318.0 kb/d of per-platform rows = 24 kb/d for
  Azeri Central East; Shah Deniz's 27.8 bcm/yr split 10:16 between Alpha and Bravo.
* Subsea export lines are explicit nodes (``PL:…``) between platforms and Sangachal, so
  that a pipeline asset carries flow (:data:`SUBSEA_LINES`).
* ACG associated gas and Umid gas are handed to SOCAR at Sangachal (node
  ``Sangachal_terminal/SOCAR``) and go to the domestic grid: they do not enter the South
  Caucasus Pipeline, which carries Shah Deniz gas.
* Consumers (nodes without outgoing edges) take any volume: losses come from
  disconnection and design bottlenecks, not from demand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from khazar.energy.rows import FlowRow, RowKind

__all__ = [
    "AGG_MEMBERS",
    "EUROPE_VIA",
    "SANGACHAL_SOCAR",
    "SUBSEA_LINES",
    "EnergyNetwork",
    "build_network",
]

SANGACHAL = "Sangachal_terminal"
SANGACHAL_SOCAR = "Sangachal_terminal/SOCAR"
EUROPE_VIA = "TAP"
SOURCE = "__supply__"
SINK = "__demand__"

ACG_PLATFORMS = (
    "Chirag",
    "Central_Azeri",
    "West_Azeri",
    "East_Azeri",
    "Deepwater_Gunashli",
    "West_Chirag",
    "Azeri_Central_East_ACE",
)
AGG_MEMBERS: dict[str, tuple[str, ...]] = {
    "AGG:ACG_(all_platforms)": ACG_PLATFORMS,
    "AGG:Shah_Deniz_(SDA+SDB)": ("Shah_Deniz_Alpha_SDA", "Shah_Deniz_Bravo_SDB"),
}
#: SOCAR's volumes sent ashore through the Neft Daşları hub (a derived AGG row) minus the
#: hub's own field output enter the hub from SOCAR's other fields
HUB_RESIDUAL = ("AGG:SOCAR_own_fields", "Neft_Daslari", "oil", "SOCAR_other_fields_via_hub")

#: (line node, commodity, platforms feeding it, where it lands)
SUBSEA_LINES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("PL:ACG_24in_oil", "oil", ("Chirag",), SANGACHAL),
    ("PL:ACG_30in_oil", "oil", ACG_PLATFORMS[1:], SANGACHAL),
    ("PL:ACG_gas", "gas", ACG_PLATFORMS, SANGACHAL_SOCAR),
    ("PL:SD1_gas", "gas", ("Shah_Deniz_Alpha_SDA",), SANGACHAL),
    ("PL:SD1_condensate", "oil", ("Shah_Deniz_Alpha_SDA",), SANGACHAL),
    ("PL:SD2", "gas", ("Shah_Deniz_Bravo_SDB",), SANGACHAL),
    ("PL:SD2", "oil", ("Shah_Deniz_Bravo_SDB",), SANGACHAL),
)
#: node types (energy_nodes.csv) whose outgoing actuals are supply
PRODUCER_TYPES = ("platform", "field", "maritime flow")
#: node capacities applied (energy_nodes.csv): (node, commodity, unit prefix)
NODE_CAPACITY_UNITS = (
    ("Sangachal_terminal", "oil", "b/d oil"),
    ("Sangachal_terminal", "gas", "mcm/d"),
)

Edge = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EnergyNetwork:
    """Two flow graphs with ``capacity`` on edges (missing = unbounded) and the supplies."""

    graphs: dict[str, nx.DiGraph]
    supply: dict[str, dict[str, float]]  # commodity -> producer -> bcm/yr or kb/d
    notes: tuple[str, ...]

    def flow_graph(
        self, commodity: str, removed_nodes: Iterable[str] = (), removed_edges: Iterable[Edge] = ()
    ) -> nx.DiGraph:
        """The graph with super source/sink, without the failed nodes and edges."""
        full = self.graphs[commodity]
        # consumers are decided on the intact graph: a node cut off downstream is not one
        sinks = [n for n in full.nodes if full.out_degree(n) == 0]
        g = full.copy()
        for n in removed_nodes:
            for variant in (n, f"{n}#in"):
                if variant in g:
                    g.remove_node(variant)
        for u, v in removed_edges:
            for uu in (u,):
                for vv in (v, f"{v}#in"):
                    if g.has_edge(uu, vv):
                        g.remove_edge(uu, vv)
        for p, s in self.supply[commodity].items():
            if p in g and s > 0:
                g.add_edge(SOURCE, p, capacity=s)
        for n in sinks:
            if n in g:
                g.add_edge(n, SINK)
        return g


def _latest(rows: Sequence[FlowRow], kind: RowKind) -> FlowRow | None:
    cand = [r for r in rows if r.kind is kind and r.value is not None and r.year is not None]
    if not cand:
        return None
    top = max(r.year for r in cand if r.year is not None)
    same = [r for r in cand if r.year == top]
    verified = [r for r in same if r.confidence == "verified"]
    pick = verified or same
    if kind is RowKind.design:
        return max(pick, key=lambda r: r.value or 0.0)
    return pick[0]


def build_network(
    rows: Sequence[FlowRow],
    node_types: dict[str, str],
    node_capacities: Sequence[tuple[str, str, float]] = (),
) -> EnergyNetwork:
    """Build the gas and oil graphs from classified rows (see the module docstring).

    ``node_types``: node id → type (energy_nodes.csv); ``node_capacities``: (node,
    commodity, capacity in model units) applied by splitting the node.
    """
    notes: list[str] = []
    by_edge: dict[tuple[str, str, str], list[FlowRow]] = defaultdict(list)
    agg: dict[tuple[str, str, str], list[FlowRow]] = defaultdict(list)
    for r in rows:
        if r.is_bookkeeping or (r.kind is RowKind.other and r.value is None and not r.unit):
            continue
        if r.src.startswith("AGG:"):
            agg[(r.src, r.dst, r.commodity)].append(r)
        elif not r.is_aggregate:
            by_edge[(r.src, r.dst, r.commodity)].append(r)

    actual: dict[tuple[str, str, str], float] = {}
    design: dict[tuple[str, str, str], float] = {}
    actual_year: dict[tuple[str, str, str], int] = {}
    for key, rs in by_edge.items():
        a = _latest(rs, RowKind.actual)
        d = _latest(rs, RowKind.design)
        if a is not None and a.value is not None and a.year is not None:
            actual[key] = a.value
            actual_year[key] = a.year
        if d is not None and d.value is not None:
            design[key] = d.value

    # aggregate residuals shared among members without their own actual
    for (src, dst, com), rs in agg.items():
        members = AGG_MEMBERS.get(src)
        a = _latest(rs, RowKind.actual)
        if members is None or a is None or a.value is None:
            continue
        own = {m: actual.get((m, dst, com)) for m in members}
        covered = sum(
            v for m, v in own.items() if v is not None and actual_year.get((m, dst, com)) == a.year
        )
        stale = [m for m, v in own.items() if v is None or actual_year.get((m, dst, com)) != a.year]
        residual = a.value - covered
        if residual <= 0 or not stale:
            continue
        weights, basis = _residual_weights(stale, dst, com, design, actual)
        total_w = sum(weights.values())
        for m in stale:
            actual[(m, dst, com)] = residual * weights[m] / total_w
            actual_year[(m, dst, com)] = a.year or 0
        notes.append(
            f"{src} -> {dst} {com}: {a.value:.4g} ({a.year}) minus members' own rows "
            f"{covered:.4g} = {residual:.4g} shared among {', '.join(stale)} by {basis}"
        )

    hub_src, hub, hub_com, hub_node = HUB_RESIDUAL
    hub_rows = [r for r in agg.get((hub_src, hub, hub_com), []) if r.value is not None]
    if hub_rows:
        own_out = sum(v for (s, _, c), v in actual.items() if s == hub and c == hub_com)
        via = (hub_rows[0].value or 0.0) - own_out
        if via > 0:
            actual[(hub_node, hub, hub_com)] = via
            node_types[hub_node] = "field"
            notes.append(
                f"{hub_src} via {hub}: {hub_rows[0].value:.4g} kb/d minus the hub's own output "
                f"{own_out:.4g} = {via:.4g} kb/d from SOCAR's other fields"
            )

    graphs = {"gas": nx.DiGraph(), "oil": nx.DiGraph()}
    keys = set(by_edge) | set(actual) | set(design)
    for src, dst, com in keys:
        if com not in graphs:
            continue
        cap = design.get((src, dst, com), math.inf)
        flow = actual.get((src, dst, com))
        if flow is not None and flow > cap:
            cap = flow  # debottlenecked: the observed flow proves the capacity
        graphs[com].add_edge(src, dst, capacity=cap)

    # ACG gas and Umid/Dashgil gas reach SOCAR at Sangachal, not the SCP
    g = graphs["gas"]
    if g.has_edge("Dashgil_terminal", SANGACHAL):
        attrs = g.edges["Dashgil_terminal", SANGACHAL]
        g.remove_edge("Dashgil_terminal", SANGACHAL)
        g.add_edge("Dashgil_terminal", SANGACHAL_SOCAR, **attrs)
    g.add_edge(SANGACHAL_SOCAR, "Azerbaijan_domestic_gas_grid", capacity=math.inf)

    for line, com, feeders, landing in SUBSEA_LINES:
        gg = graphs[com]
        for f in feeders:
            cap = math.inf
            if gg.has_edge(f, SANGACHAL):
                cap = gg.edges[f, SANGACHAL].get("capacity", math.inf)
                gg.remove_edge(f, SANGACHAL)
            gg.add_edge(f, line, capacity=cap)
        gg.add_edge(line, landing, capacity=math.inf)

    for node, com, cap in node_capacities:
        _split_node(graphs[com], node, cap)

    supply: dict[str, dict[str, float]] = {"gas": {}, "oil": {}}
    for (src, _dst, com), v in actual.items():
        if com in supply and _is_producer(src, node_types):
            supply[com][src] = supply[com].get(src, 0.0) + v
    return EnergyNetwork(graphs, supply, tuple(notes))


def _residual_weights(
    members: Sequence[str],
    dst: str,
    com: str,
    design: dict[tuple[str, str, str], float],
    actual: dict[tuple[str, str, str], float],
) -> tuple[dict[str, float], str]:
    """Shares of an aggregate's residual: by design capacity of the commodity, else by the
    members' oil supply, else by their design capacity of the other commodity, else equal."""
    other = "gas" if com == "oil" else "oil"
    for basis, key in (
        ("design capacity", com),
        ("oil supply", "oil-actual"),
        (f"{other} design capacity", other),
    ):
        if key == "oil-actual":
            w = {m: actual.get((m, dst, "oil"), 0.0) for m in members}
        else:
            w = {m: design.get((m, dst, key), 0.0) for m in members}
        if sum(w.values()) > 0:
            return w, basis
    return dict.fromkeys(members, 1.0), "equal shares"


def _is_producer(node: str, node_types: dict[str, str]) -> bool:
    t = node_types.get(node, "")
    return any(p in t for p in PRODUCER_TYPES)


def _split_node(g: nx.DiGraph, node: str, cap: float) -> None:
    if node not in g:
        return
    inn = f"{node}#in"
    for u in list(g.predecessors(node)):
        attrs = dict(g.edges[u, node])
        g.remove_edge(u, node)
        g.add_edge(u, inn, **attrs)
    g.add_edge(inn, node, capacity=cap)
