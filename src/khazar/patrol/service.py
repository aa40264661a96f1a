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
from khazar.errors import InputError
from khazar.geo import Geography, load_geography
from khazar.patrol.areas import PatrolAreas, build_patrol_areas, leg_distances, patrol_region
from khazar.patrol.routes import RoutePlan, bases_of, plan_routes
from khazar.patrol.targets import PatrolTarget, TargetSettings, build_targets

__all__ = ["STEP_H", "WINDOW_STEPS", "PatrolSetup", "check_shift", "patrol_setup",
           "plan_shift", "shift_hours_range"]

#: the planner's time step (h) and attack window (steps): the defaults of :func:`plan_shift`
STEP_H = 0.5
WINDOW_STEPS = 2


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


def shift_hours_range(fleet: Iterable[Boat], step_h: float = STEP_H,
                      window_steps: int = WINDOW_STEPS) -> tuple[float, float]:
    """The shortest and longest shift (h) the planner can plan for ``fleet``: an attack
    window of ``window_steps`` must fit between leaving base (step 0) and being back (the
    last step), and no boat stays at sea longer than its endurance."""
    boats = list(fleet)
    if not boats:
        raise InputError("no boat to plan a shift for")
    return (window_steps + 1) * step_h, max(b.endurance_h for b in boats)


def check_shift(fleet: Iterable[Boat], hours: float, step_h: float = STEP_H,
                window_steps: int = WINDOW_STEPS) -> None:
    """:class:`InputError` naming ``hours`` and the allowed range when the planner cannot
    plan a shift of that length for ``fleet``."""
    boats = list(fleet)
    lo, hi = shift_hours_range(boats, step_h, window_steps)
    if not (lo <= hours <= hi):  # also refuses nan
        raise InputError(
            f"--hours {hours:g} is out of range: allowed {lo:g}..{hi:g} h (at least "
            f"{window_steps + 1} steps of {step_h:g} h for a {window_steps}-step attack window "
            f"between leaving and reaching base; at most the boats' endurance, "
            f"{hi:g} h)")
    steps = hours / step_h
    if abs(steps - round(steps)) > 1e-9:
        raise InputError(f"--hours {hours:g} is not a whole number of {step_h:g} h steps")


def plan_shift(
    setup: PatrolSetup,
    fleet: Iterable[Boat],
    start: datetime,
    hours: float = 12.0,
    step_h: float = STEP_H,
    window_steps: int = WINDOW_STEPS,
) -> RoutePlan:
    """Solve and decompose the routes of ``fleet`` for the shift starting at ``start``;
    :class:`InputError` for a shift it cannot plan (:func:`check_shift`)."""
    boats = list(fleet)
    check_shift(boats, hours, step_h, window_steps)
    bases, _ = bases_of(boats)
    reach_m = max(b.cruise_speed_kn for b in bases) * 1852.0 * step_h
    aa, ba = leg_distances(setup.geo, setup.areas, bases, reach_m)
    a = setup.areas
    return plan_routes(a.lat, a.lon, a.ids, a.payoffs, bases, aa, ba, start, hours, step_h,
                       window_steps)
