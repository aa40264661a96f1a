"""The Charter scorecard for the console: the lead's :mod:`khazar.report` indicators,
computed from the store without drawing any figure.

The inputs are assembled as :func:`khazar.report.build.build_report` does (energy value of
each protected asset, patrol coverage from the plan the server was given, fleet status,
audit chain check); the snapshot leaves exercise traffic out.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from khazar.config import Settings
from khazar.store import Store

__all__ = ["scorecard_inputs", "scorecard_payload"]

#: the scorecard needs events, alerts and transitions, not the positions themselves
_MAX_POSITIONS = 10_000
#: patrol coverage radius around an asset, as in the HTML report (5 nm)
COVERAGE_RADIUS_M = 5 * 1852.0


def scorecard_inputs(
    store: Store, settings: Settings, geo: Any, plan: dict[str, Any] | None
) -> tuple[Any, list[str]]:
    """``(ScorecardInputs, notes)`` for the store; coverage only when a plan is given."""
    from khazar.audit import verify_store
    from khazar.energy import asset_criticality
    from khazar.report.coverage import asset_coverage, parse_plan, patrol_hours
    from khazar.report.scorecard import ScorecardInputs
    from khazar.store.reporting import boat_statuses, load_snapshot

    protected = {a.id: a for a in geo.assets if a.kind != "port"}
    crit = asset_criticality(settings, protected.values())
    notes: list[str] = []
    coverage: dict[str, float] | None = None
    hours: float | None = None
    if plan is not None:
        routes = parse_plan({"type": "FeatureCollection", "features": plan["features"]})
        coverage = asset_coverage(routes, {k: a.geometry for k, a in protected.items()},
                                  COVERAGE_RADIUS_M)
        hours = patrol_hours(routes)
        notes.append(f"Patrol coverage from the plan {plan.get('source')} "
                     f"({len(routes)} boats).")
    else:
        notes.append("No patrol plan loaded (khazar serve --plan): coverage indicators are "
                     "not computed.")
    audit = verify_store(store)
    inputs = ScorecardInputs(
        snapshot=load_snapshot(store, max_positions=_MAX_POSITIONS),
        asset_value={k: c.value for k, c in crit.items()},
        asset_gas_bcm_yr={k: c.gas_bcm_yr for k, c in crit.items()},
        asset_oil_kbd={k: c.oil_kbd for k, c in crit.items()},
        coverage=coverage,
        patrol_hours=hours,
        fleet=[b.name for b in settings.fleet],
        boat_status=boat_statuses(store),
        border_zone_ids=frozenset(z.id for z in geo.zones if z.kind == "border_sector"),
        audit_ok=audit.ok,
        audit_entries=audit.entries,
        audit_problems=len(audit.problems),
    )
    notes.append("Exercise traffic, events and alerts are left out of every indicator.")
    return inputs, notes


def scorecard_payload(
    store: Store, settings: Settings, geo: Any, plan: dict[str, Any] | None
) -> dict[str, Any]:
    """The indicators grouped by Charter goal, with definitions and the period covered."""
    from khazar.report import GOALS, compute_scorecard

    inputs, notes = scorecard_inputs(store, settings, geo, plan)
    indicators = compute_scorecard(inputs)
    row = store.conn.execute(
        "SELECT min(ts), max(ts), count(*) FROM positions WHERE NOT exercise").fetchone()
    period = None
    if row and row[0] is not None:
        period = {"start": row[0].isoformat(), "end": row[1].isoformat()}
    goals = []
    for key, title in GOALS:
        items = [asdict(i) for i in indicators if i.goal == key]
        goals.append({"goal": key, "title": title, "indicators": items})
    snap = inputs.snapshot
    return {
        "period": period,
        "totals": {"vessels": snap.vessel_count, "position_reports": int(row[2]) if row else 0,
                   "events": len(snap.events), "alerts": len(snap.alerts)},
        "goals": goals,
        "notes": notes,
    }
