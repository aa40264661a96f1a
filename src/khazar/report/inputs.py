"""Assemble the scorecard's inputs: used by the HTML report and the console.

Energy value of each protected asset (C5), patrol coverage from a plan's routes when one is
given, fleet status, the audit chain check. Pure: what is read from the store arrives as a
:class:`ReportData` (see :func:`khazar.services.scorecard.report_data`); its snapshot leaves
exercise traffic out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from khazar.audit.chain import ChainReport
from khazar.config import Settings
from khazar.detect.reception import ReceptionMap
from khazar.domain.reporting import ReportSnapshot
from khazar.energy import Criticality, asset_criticality
from khazar.geo import Asset, Geography
from khazar.report.coverage import PlannedRoute, asset_coverage, patrol_hours
from khazar.report.scorecard import ScorecardInputs, TradePorts

__all__ = ["COVERAGE_RADIUS_M", "AssembledInputs", "ReportData", "scorecard_inputs"]

#: a boat within 5 nm of an asset covers it
COVERAGE_RADIUS_M = 5 * 1852.0


@dataclass(frozen=True, slots=True)
class ReportData:
    """What the report reads from the store, in one go."""

    snapshot: ReportSnapshot
    #: latest recorded status per boat name
    boat_status: Mapping[str, str]
    #: the audit chain checked against its head file
    audit: ChainReport
    #: AIS reception learned from the stored positions (None: not learned)
    reception: ReceptionMap | None = None


@dataclass(frozen=True, slots=True)
class AssembledInputs:
    inputs: ScorecardInputs
    protected: Mapping[str, Asset]
    criticality: Mapping[str, Criticality]
    coverage: Mapping[str, float] | None


def scorecard_inputs(
    data: ReportData,
    settings: Settings,
    geo: Geography,
    routes: Sequence[PlannedRoute] | None,
) -> AssembledInputs:
    """Everything the indicators need, from the store's ``data`` and the plan's ``routes``."""
    protected = {a.id: a for a in geo.assets if a.kind != "port"}
    crit = asset_criticality(settings, protected.values())
    coverage: dict[str, float] | None = None
    hours: float | None = None
    if routes is not None:
        coverage = asset_coverage(
            routes, {k: a.geometry for k, a in protected.items()}, COVERAGE_RADIUS_M
        )
        hours = patrol_hours(routes)
    audit = data.audit
    inputs = ScorecardInputs(
        snapshot=data.snapshot,
        asset_value={k: c.value for k, c in crit.items()},
        asset_gas_bcm_yr={k: c.gas_bcm_yr for k, c in crit.items()},
        asset_oil_kbd={k: c.oil_kbd for k, c in crit.items()},
        coverage=coverage,
        patrol_hours=hours,
        fleet=[b.name for b in settings.fleet],
        boat_status=dict(data.boat_status),
        border_zone_ids=frozenset(z.id for z in geo.zones if z.kind == "border_sector"),
        audit_ok=audit.ok,
        audit_entries=audit.entries,
        audit_problems=len(audit.problems),
        trade=trade_ports(geo),
    )
    return AssembledInputs(inputs, protected, crit, coverage)


def trade_ports(geo: Geography) -> TradePorts:
    """The theatre's ``[trade]`` ports, with the names the geography gives them."""
    t = geo.theatre.trade
    names = {**{p.id: p.name for p in geo.ports},
             **{a.id: a.name for a in geo.assets if a.kind == "port"}}
    return TradePorts(home=frozenset(t.home_ports), home_name=t.home_name,
                      partners=frozenset(t.partner_ports), partner_name=t.partner_name,
                      destinations=t.partner_destinations, names=names)


def reception_note(m: ReceptionMap) -> str:
    """Where the picture is blind: the learned reception map in one sentence."""
    rows = m.records()
    blind = m.blind()
    head = (f"AIS reception learned from the last {m.days:g} days of positions: "
            f"{len(rows)} cells of {m.cell_deg:g}° with traffic, ")
    if not blind:
        return head + "none where the picture is blind (every one receives at least " \
            f"{m.min_share:.0%} of the reports its vessels send)."
    worst = ", ".join(f"{(r['south'] + r['north']) / 2:.2f}°N {(r['west'] + r['east']) / 2:.2f}°E "
                      f"({r['share']:.0%})" for r in blind[:3])
    return head + (f"{len(blind)} where the picture is blind (under {m.min_share:.0%} of the "
                   f"expected reports received; worst: {worst}). An AIS gap is not counted "
                   "there, and a dark contact there may be a vessel out of reach of our "
                   "receivers rather than one that switched off (`khazar reception`).")
