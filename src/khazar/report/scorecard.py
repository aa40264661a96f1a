"""The Charter scorecard: indicators for each of the five goals, computed from the data.

Each indicator carries its definition, so the report can print what was measured. Pure:
the inputs are a :class:`~khazar.domain.reporting.ReportSnapshot` and plain values.
An indicator whose inputs are missing has ``value=None`` and says why in ``note``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from khazar.domain.reporting import ReportSnapshot

__all__ = ["GOALS", "Indicator", "ScorecardInputs", "TradePorts", "compute_scorecard"]

GOALS = (
    ("energy", "Energy security"),
    ("peace", "Regional peace"),
    ("trade", "Economic trade"),
    ("defence", "Defence capabilities"),
    ("governance", "Governance reforms"),
)

_SEVERE = frozenset({"high", "critical"})
#: an action stamped more than this after the picture's newest report was not taken on the
#: picture's clock (a live feed that stopped for longer is a replay to the scorecard)
CLOCK_SLACK_S = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class TradePorts:
    """The trade indicators' ports, from the theatre (``[trade]`` in theatre.toml): the home
    state's ports, the partner ports across the sea, the AIS destinations (free text, upper
    case) that name a partner port, and port names for the definitions. Empty: the theatre
    names none, and the indicators say so instead of counting."""

    home: frozenset[str] = frozenset()
    home_name: str = "home ports"
    partners: frozenset[str] = frozenset()
    partner_name: str = "partner ports"
    destinations: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    def listed(self, ids: frozenset[str]) -> str:
        return ", ".join(sorted(self.names.get(i, i) for i in ids))


@dataclass(frozen=True, slots=True)
class Indicator:
    goal: str
    id: str
    name: str
    value: float | None
    unit: str
    definition: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScorecardInputs:
    snapshot: ReportSnapshot
    #: asset id → defender value (a·bcm/yr + b·kb/d), gas bcm/yr, oil kb/d
    asset_value: Mapping[str, float]
    asset_gas_bcm_yr: Mapping[str, float]
    asset_oil_kbd: Mapping[str, float]
    #: asset id → fraction of the shift with a boat near (None: no plan given)
    coverage: Mapping[str, float] | None
    patrol_hours: float | None
    fleet: Sequence[str]
    boat_status: Mapping[str, str]
    border_zone_ids: frozenset[str]
    audit_ok: bool
    audit_entries: int
    audit_problems: int
    trade: TradePorts = field(default_factory=TradePorts)


def _energy(inp: ScorecardInputs) -> list[Indicator]:
    out: list[Indicator] = []
    total = sum(inp.asset_value.values())
    if inp.coverage is None or total <= 0:
        out.append(Indicator(
            "energy", "energy_covered", "Energy value covered by patrols", None, "%",
            "Σ value(asset)·coverage(asset) / Σ value(asset), coverage = share of the shift "
            "with a planned boat within 5 nm of the asset", note="no patrol plan given",
        ))
    else:
        covered = sum(v * inp.coverage.get(k, 0.0) for k, v in inp.asset_value.items())
        out.append(Indicator(
            "energy", "energy_covered", "Energy value covered by patrols",
            round(100.0 * covered / total, 1), "%",
            "Σ value(asset)·coverage(asset) / Σ value(asset), coverage = share of the shift "
            "with a planned boat within 5 nm of the asset",
        ))
    open_alerts = [
        a for a in inp.snapshot.alerts
        if a.state != "resolved" and a.asset_id and inp.asset_value.get(a.asset_id, 0.0) > 0
    ]
    severe = [a for a in open_alerts if a.severity in _SEVERE]
    out.append(Indicator(
        "energy", "open_critical_alerts", "Open high/critical alerts at energy assets",
        float(len(severe)), "alerts",
        "alerts not resolved, severity high or critical, at an asset carrying energy supply",
    ))
    at_risk = {a.asset_id for a in open_alerts if a.asset_id}
    out.append(Indicator(
        "energy", "gas_at_risk", "Gas supply at assets with open alerts",
        round(sum(inp.asset_gas_bcm_yr.get(x, 0.0) for x in at_risk), 2), "bcm/yr",
        "sum of the gas each asset with an open alert would cut if it failed (max-flow, C5)",
    ))
    out.append(Indicator(
        "energy", "oil_at_risk", "Oil supply at assets with open alerts",
        round(sum(inp.asset_oil_kbd.get(x, 0.0) for x in at_risk), 1), "kb/d",
        "sum of the oil each asset with an open alert would cut if it failed (max-flow, C5)",
    ))
    return out


def _defence(inp: ScorecardInputs) -> list[Indicator]:
    available = [b for b in inp.fleet if inp.boat_status.get(b, "available") != "maintenance"]
    out = [
        Indicator(
            "defence", "boats_available", "Boats available", float(len(available)),
            f"of {len(inp.fleet)}", "fleet boats whose latest status is not maintenance",
        ),
        Indicator(
            "defence", "patrol_hours", "Planned patrol hours", inp.patrol_hours, "boat-hours",
            "hours at sea summed over the boats of the patrol plan",
            note="" if inp.patrol_hours is not None else "no patrol plan given",
        ),
    ]
    if inp.coverage:
        mean_cov = 100.0 * sum(inp.coverage.values()) / len(inp.coverage)
        out.append(Indicator(
            "defence", "mean_coverage", "Mean asset coverage", round(mean_cov, 1), "%",
            "unweighted mean over protected assets of the share of the shift with a boat near",
        ))
    responses, note = _response_minutes(inp.snapshot)
    out.append(Indicator(
        "defence", "response_min", "Median time to assign a boat",
        round(median(responses), 1) if responses else None, "min",
        "median over alerts of (first assignment to a boat − alert creation), both on the "
        "picture's clock", note=note,
    ))
    return out


def _response_minutes(snap: ReportSnapshot) -> tuple[list[float], str]:
    """Minutes from each alert's creation to its first assignment, measured on the picture's
    clock, and a note on what was left out.

    An action is stamped with the clock of whoever took it: the data's (a batch command
    given ``--now``, a simulation placed on the wall clock) or the wall's (the console).
    When those differ — a replayed or simulated day acted on later — the pair measures the
    gap between the clocks, not the response (the demo's day dated months back gave a
    "median" of 157,739.7 min). So a pair is kept only when both ends are on the picture's
    clock: the alert raised before the picture's newest report (+ :data:`CLOCK_SLACK_S`)
    and the assignment no later than that, or both after it (a live store whose feed
    stopped, acted on in wall time); an assignment stamped before its alert is dropped too.
    """
    pic_end = float(snap.position_ts_s.max()) if snap.position_ts_s.size else None
    kept: list[float] = []
    before = mixed = 0
    for a in snap.alerts:
        assigned = snap.first_transition_s.get(a.id, {}).get("assigned")
        if assigned is None:
            continue
        if assigned < a.created_s:
            before += 1
            continue
        if pic_end is not None and (
            (a.created_s <= pic_end + CLOCK_SLACK_S) != (assigned <= pic_end + CLOCK_SLACK_S)
        ):
            mixed += 1
            continue
        kept.append((assigned - a.created_s) / 60.0)
    notes = []
    if before:
        notes.append(f"{before} assignment(s) timed before their alert ignored")
    if mixed:
        notes.append(f"{mixed} assignment(s) stamped on the wall clock after the picture's "
                     "newest report (a replayed or simulated day) left out")
    if not kept and not notes:
        notes.append("no alert has been assigned to a boat yet")
    return kept, "; ".join(notes)


def _peace(inp: ScorecardInputs) -> list[Indicator]:
    entries = [
        e for e in inp.snapshot.events
        if e.type == "zone_entry" and e.zone_id in inp.border_zone_ids
    ]
    return [
        Indicator(
            "peace", "border_incursions", "Border-sector incursions", float(len(entries)),
            "entries", "zone_entry events into a border sector (along the home state's "
            "lateral limits)",
        ),
        Indicator(
            "peace", "border_vessels", "Vessels crossing into border sectors",
            float(len({e.mmsi for e in entries})), "vessels",
            "distinct MMSIs among the border-sector entries",
        ),
    ]


def _trade(inp: ScorecardInputs) -> list[Indicator]:
    tp = inp.trade
    visits = sorted(
        (e for e in inp.snapshot.events if e.type == "port_visit" and e.mmsi is not None),
        key=lambda e: (e.mmsi, e.start_s),
    )
    home, partners = tp.home, tp.partners
    no_home = "the theatre names no home ports ([trade] home_ports in theatre.toml)"
    no_partner = "the theatre names no partner ports ([trade] partner_ports in theatre.toml)"
    calls = sum(1 for e in visits if _port_of(e.zone_id, e.asset_id) in home)
    transits = 0
    for prev, nxt in itertools.pairwise(visits):
        if prev.mmsi != nxt.mmsi:
            continue
        a, b = _port_of(prev.zone_id, prev.asset_id), _port_of(nxt.zone_id, nxt.asset_id)
        if (a in home and b in partners) or (a in partners and b in home):
            transits += 1
    bound = sum(1 for d in inp.snapshot.destinations.values()
                if any(c in d for c in tp.destinations))
    return [
        Indicator(
            "trade", "port_calls", f"Port calls at {tp.home_name}",
            float(calls) if home else None, "calls",
            f"port_visit events (enter 3 km, leave 4 km) at {tp.listed(home) or 'home ports'}",
            "" if home else no_home,
        ),
        Indicator(
            "trade", "corridor_transits", f"{tp.partner_name} crossings",
            float(transits) if home and partners else None, "voyages",
            f"consecutive port visits of one vessel between one of the {tp.home_name} and "
            f"{tp.listed(partners) or 'a partner port'} (needs reception on both shores)",
            "" if home and partners else (no_home if not home else no_partner),
        ),
        Indicator(
            "trade", "corridor_vessels", f"Vessels bound for {tp.partner_name} ports",
            float(bound) if tp.destinations else None, "vessels",
            "vessels seen in the picture whose latest AIS destination is "
            f"{tp.listed(partners) or 'a partner port'}",
            "" if tp.destinations else "the theatre names no partner destinations "
            "([trade] partner_destinations in theatre.toml)",
        ),
    ]


def _port_of(zone_id: str | None, asset_id: str | None) -> str | None:
    for key in (asset_id, zone_id):
        if key and key.startswith("port-"):
            return key.removesuffix("-approach")
    return None


def _governance(inp: ScorecardInputs) -> list[Indicator]:
    resolved = [a for a in inp.snapshot.alerts if a.state == "resolved"]
    documented = [a for a in resolved if a.resolution and a.resolution.strip()]
    return [
        Indicator(
            "governance", "audit_integrity", "Audit log integrity",
            100.0 if inp.audit_ok else 0.0, "% (100 = intact)",
            f"`khazar audit verify` over {inp.audit_entries} entries: hash chain and external "
            "head agree",
            note="" if inp.audit_ok else f"{inp.audit_problems} problem(s) found",
        ),
        Indicator(
            "governance", "resolved_documented", "Resolved alerts with a documented reason",
            round(100.0 * len(documented) / len(resolved), 1) if resolved else None, "%",
            "resolved alerts whose resolution reason is not empty / resolved alerts",
            note="" if resolved else "no alert resolved yet",
        ),
    ]


def compute_scorecard(inp: ScorecardInputs) -> list[Indicator]:
    """All indicators, grouped in the order of :data:`GOALS`."""
    return [*_energy(inp), *_peace(inp), *_trade(inp), *_defence(inp), *_governance(inp)]
