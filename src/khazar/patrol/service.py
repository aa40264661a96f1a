"""Adapters that assemble a patrol plan from the configuration, geography, energy and store.

The only module of the package that touches geography loading and the energy model; the
solvers and route code stay pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from khazar.config import Boat, Settings
from khazar.energy import asset_criticality
from khazar.geo import Geography, load_geography
from khazar.patrol.areas import PatrolAreas, build_patrol_areas, leg_distances, patrol_region
from khazar.patrol.routes import RoutePlan, bases_of, plan_routes
from khazar.patrol.targets import PatrolTarget, TargetSettings, build_targets

__all__ = ["PatrolSetup", "patrol_setup", "plan_shift"]


@dataclass(frozen=True, slots=True)
class PatrolSetup:
    """Everything a shift plan needs that does not change from shift to shift."""

    geo: Geography
    targets: list[PatrolTarget]
    areas: PatrolAreas
    target_settings: TargetSettings


def patrol_setup(
    settings: Settings,
    alert_counts: Mapping[str, int] | None = None,
    cell_nm: float = 6.0,
    target_settings: TargetSettings | None = None,
) -> PatrolSetup:
    """Targets (assets valued by criticality, border segments, raised by alerts) and areas."""
    geo = load_geography(settings)
    ts = target_settings or TargetSettings()
    crit = {k: v.value for k, v in asset_criticality(settings, geo.assets).items()}
    region = patrol_region(geo)
    targets = build_targets(geo, crit, alert_counts, ts, region)
    areas = build_patrol_areas(geo, targets, cell_nm, ts, region)
    return PatrolSetup(geo, targets, areas, ts)


def plan_shift(
    setup: PatrolSetup,
    fleet: Iterable[Boat],
    start: datetime,
    hours: float = 12.0,
    step_h: float = 0.5,
    window_steps: int = 2,
) -> RoutePlan:
    """Solve and decompose the routes of ``fleet`` for the shift starting at ``start``."""
    bases, _ = bases_of(list(fleet))
    reach_m = max(b.cruise_speed_kn for b in bases) * 1852.0 * step_h
    aa, ba = leg_distances(setup.geo, setup.areas, bases, reach_m)
    a = setup.areas
    return plan_routes(a.lat, a.lon, a.ids, a.payoffs, bases, aa, ba, start, hours, step_h,
                       window_steps)
