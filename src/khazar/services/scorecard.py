"""The Charter scorecard for the console: the lead's :mod:`khazar.report` indicators,
computed from the store without drawing any figure.

The inputs are assembled as :func:`khazar.report.build.build_report` does (energy value of
each protected asset, patrol coverage from the plan the server was given, fleet status,
audit chain check); the snapshot leaves exercise traffic out.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from khazar.config import Settings
from khazar.store import Store

if TYPE_CHECKING:  # the report package pulls in matplotlib: import it only when used
    from khazar.report.inputs import ReportData

__all__ = ["report_data", "scorecard_inputs", "scorecard_payload"]

#: the scorecard needs events, alerts and transitions, not the positions themselves
_MAX_POSITIONS = 10_000


def report_data(store: Store, max_positions: int = 2_000_000) -> ReportData:
    """Read what the report and the scorecard need: positions sampled to ``max_positions``
    (exercise traffic left out), events, alerts, boat status and the audit chain check."""
    from khazar.report.inputs import ReportData
    from khazar.store.audit import verify_store
    from khazar.store.reporting import boat_statuses, load_snapshot

    return ReportData(load_snapshot(store, max_positions=max_positions), boat_statuses(store),
                      verify_store(store))


def scorecard_inputs(
    store: Store, settings: Settings, geo: Any, plan: dict[str, Any] | None
) -> tuple[Any, list[str]]:
    """``(ScorecardInputs, notes)`` for the store; coverage only when a plan is given."""
    from khazar.report.coverage import parse_plan
    from khazar.report.inputs import scorecard_inputs as assemble

    notes: list[str] = []
    routes = None
    if plan is not None:
        routes = parse_plan({"type": "FeatureCollection", "features": plan["features"]})
        notes.append(f"Patrol coverage from the plan {plan.get('source')} "
                     f"({len(routes)} boats).")
    else:
        notes.append("No patrol plan loaded (khazar serve --plan): coverage indicators are "
                     "not computed.")
    inputs = assemble(report_data(store, _MAX_POSITIONS), settings, geo, routes).inputs
    notes.append("Exercise traffic, events and alerts are left out of every indicator.")
    return inputs, notes


def scorecard_payload(
    store: Store, settings: Settings, geo: Any, plan: dict[str, Any] | None
) -> dict[str, Any]:
    """The indicators grouped by Charter goal, with definitions and the period covered."""
    from khazar.report import GOALS, compute_scorecard
    from khazar.store.reporting import position_period

    inputs, notes = scorecard_inputs(store, settings, geo, plan)
    indicators = compute_scorecard(inputs)
    first, last, count = position_period(store)
    period = None
    if first is not None and last is not None:
        period = {"start": first.isoformat(), "end": last.isoformat()}
    goals = []
    for key, title in GOALS:
        items = [asdict(i) for i in indicators if i.goal == key]
        goals.append({"goal": key, "title": title, "indicators": items})
    snap = inputs.snapshot
    return {
        "period": period,
        "totals": {"vessels": snap.vessel_count, "position_reports": count,
                   "events": len(snap.events), "alerts": len(snap.alerts)},
        "goals": goals,
        "notes": notes,
    }
