"""Executable randomized routes for a shift: flow LP → joint plans → a sampled shift.

:func:`plan_routes` solves the flow LP on the time-expanded graph (bases × areas × steps),
decomposes the optimum into joint plans (:mod:`khazar.patrol.decompose`) and, where bases
share nodes so that no integral plan exists in a face, continues by column generation over
joint plans (:mod:`khazar.patrol.colgen`), seeded with the plans already extracted.
:func:`sample_shift` draws one joint plan with a seeded generator; :func:`draw_routes` turns
it into timed tracks whose legs follow water-only routes of the geo router. Pure except for
the router it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from khazar.config import Boat
from khazar.errors import InputError
from khazar.patrol.colgen import _edge_index, column_generation, plan_edges
from khazar.patrol.decompose import Decomposition, JointPlan, decompose, plan_coverage
from khazar.patrol.flowlp import (
    AreaPayoffs,
    FlowSolution,
    _finish,
    capture_matrix,
    solve_flow_lp,
)
from khazar.patrol.game import Status
from khazar.patrol.timegraph import BaseFleet, TimeGraph, build_time_graph
from khazar.units import to_utc

__all__ = [
    "BoatTrack",
    "RoutePlan",
    "SampledShift",
    "bases_of",
    "draw_routes",
    "plan_routes",
    "sample_shift",
]

FloatArray = npt.NDArray[np.float64]
#: (lat1, lon1, lat2, lon2) -> polyline [(lat, lon), ...] in water, ends included
LegRouter = Callable[[float, float, float, float], list[tuple[float, float]]]


def bases_of(fleet: Sequence[Boat]) -> tuple[tuple[BaseFleet, ...], dict[str, Boat]]:
    """Group boats by home base (one commodity per base), in configuration order."""
    order: list[str] = []
    groups: dict[str, list[Boat]] = {}
    for b in fleet:
        if b.base not in groups:
            order.append(b.base)
            groups[b.base] = []
        groups[b.base].append(b)
    bases = tuple(
        BaseFleet(
            name=name,
            lat=groups[name][0].base_lat,
            lon=groups[name][0].base_lon,
            boats=tuple(b.name for b in groups[name]),
            cruise_speed_kn=min(b.cruise_speed_kn for b in groups[name]),
            endurance_h=min(b.endurance_h for b in groups[name]),
        )
        for name in order
    )
    return bases, {b.name: b for b in fleet}


@dataclass(slots=True)
class RoutePlan:
    """The solved shift: graph, LP optimum, decomposition into joint plans."""

    graph: TimeGraph
    solution: FlowSolution
    decomposition: Decomposition
    area_lat: FloatArray
    area_lon: FloatArray
    area_ids: tuple[str, ...]
    start: datetime
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        return self.solution.status

    def times(self) -> list[datetime]:
        return [self.start + timedelta(hours=self.graph.step_h * t)
                for t in range(self.graph.steps + 1)]


def plan_routes(
    area_lat: FloatArray,
    area_lon: FloatArray,
    area_ids: tuple[str, ...],
    payoffs: AreaPayoffs,
    bases: tuple[BaseFleet, ...],
    area_area_m: dict[tuple[int, int], float],
    base_area_m: list[dict[int, float]],
    start: datetime,
    hours: float = 12.0,
    step_h: float = 0.5,
    window_steps: int = 2,
    cg_budget_s: float = 15.0,
) -> RoutePlan:
    """Solve and decompose the patrol plan for one shift (see the module docstring)."""
    started = time.perf_counter()
    bases = tuple(b for b in bases if b.boats)
    if not bases:
        raise InputError("no boat is available to patrol; check `khazar fleet`")
    graph = build_time_graph(area_area_m, base_area_m, len(area_ids), bases, hours, step_h)
    sol = solve_flow_lp(graph, payoffs, window_steps)
    notes: list[str] = []
    if sol.status is not Status.OPTIMAL:
        dec = Decomposition([], [], False, float("nan"))
        return RoutePlan(graph, sol, dec, area_lat, area_lon, area_ids, to_utc(start),
                         [sol.message], time.perf_counter() - started)
    dec = decompose(graph, sol.flow)
    if not dec.complete:
        notes += dec.notes
        capm = capture_matrix(graph, window_steps)
        cg = column_generation(graph, payoffs, capm, dec.plans, 1e-3, window_steps, cg_budget_s,
                               sol.attacker_utility)
        notes.append(
            f"column generation: {cg.iterations} rounds, {len(cg.plans)} plans in {cg.seconds:.1f}"
            f" s; attacker utility {cg.attacker_utility:.6f} (flow LP bound "
            f"{sol.attacker_utility:.6f})"
        )
        bound = sol.attacker_utility
        flow = np.zeros(graph.src.size)
        key = _edge_index(graph)
        for p, w in zip(cg.plans, cg.weights, strict=True):
            flow += w * plan_edges(graph, p, key)
        sol = _finish(graph, payoffs, flow, capm, window_steps, started)
        sol = replace(sol, message=f"column generation; flow LP bound {bound:.6f}")
        dec = Decomposition(cg.plans, cg.weights, True, 0.0, cg.seconds,
                            [*dec.notes, "column generation"])
        cov = plan_coverage(graph, dec.plans, dec.weights)
        dec.max_coverage_error = float(np.abs(cov - sol.coverage).max())
    return RoutePlan(graph, sol, dec, area_lat, area_lon, area_ids, to_utc(start), notes,
                     time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class SampledShift:
    """One joint plan drawn for the shift, and how it was drawn."""

    seed: int
    plan_index: int
    plan: JointPlan
    boats: tuple[str, ...]  # boat of each route


def sample_shift(plan: RoutePlan, seed: int) -> SampledShift:
    """Draw the shift's joint plan with probability = its weight (numpy PCG64, ``seed``)."""
    dec = plan.decomposition
    if not dec.plans:
        raise InputError("the plan has no routes to sample (solver status "
                         f"{plan.status.value}: {'; '.join(plan.notes)})")
    rng = np.random.default_rng(seed)
    w = np.asarray(dec.weights)
    idx = int(rng.choice(len(w), p=w / w.sum()))
    return SampledShift(seed, idx, dec.plans[idx], _boat_names(plan.graph, dec.plans[idx]))


def sample_plans(plan: RoutePlan, n: int, seed: int) -> npt.NDArray[np.int64]:
    """Indices of ``n`` joint plans drawn independently (for evaluation and tests)."""
    rng = np.random.default_rng(seed)
    w = np.asarray(plan.decomposition.weights)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _boat_names(graph: TimeGraph, jp: JointPlan) -> tuple[str, ...]:
    seen: dict[int, int] = {}
    names = []
    for k in jp.bases:
        i = seen.get(k, 0)
        seen[k] = i + 1
        names.append(graph.bases[k].boats[i])
    return tuple(names)


@dataclass(frozen=True, slots=True)
class BoatTrack:
    """A boat's route drawn for export: points (lat, lon) and their times (UTC)."""

    boat: str
    base: str
    coords: tuple[tuple[float, float], ...]
    times: tuple[datetime, ...]
    areas: tuple[str | None, ...]  # area id at each step (None at base)


def draw_routes(plan: RoutePlan, shift: SampledShift, leg: LegRouter) -> list[BoatTrack]:
    """Timed polylines of the sampled routes. Each step's leg follows ``leg`` (water-only);
    its vertices are timed in proportion to distance, so the boat moves at a constant speed
    no faster than the step allows (the graph only links points within cruise range)."""
    g = plan.graph
    step_times = plan.times()
    tracks = []
    for route, k, boat in zip(shift.plan.routes, shift.plan.bases, shift.boats, strict=True):
        base = g.bases[k]

        def point(loc: int, base: BaseFleet = base) -> tuple[float, float]:
            if loc >= g.n_areas:
                return (base.lat, base.lon)
            return (float(plan.area_lat[loc]), float(plan.area_lon[loc]))

        coords = [point(route[0])]
        times = [step_times[0]]
        for t in range(1, len(route)):
            a, b = point(route[t - 1]), point(route[t])
            poly = [b] if a == b else [*leg(a[0], a[1], b[0], b[1])[1:-1], b]
            seg = np.array([a, *poly])
            dist = np.hypot(np.diff(seg[:, 0]), np.diff(seg[:, 1]) * np.cos(np.radians(a[0])))
            cum = np.cumsum(dist)
            frac = cum / cum[-1] if cum[-1] > 0 else np.ones(len(poly))
            for p, f in zip(poly, frac, strict=True):
                coords.append((float(p[0]), float(p[1])))
                times.append(step_times[t - 1] + (step_times[t] - step_times[t - 1]) * float(f))
        areas = tuple(plan.area_ids[loc] if loc < g.n_areas else None for loc in route)
        tracks.append(BoatTrack(boat, base.name, tuple(coords), tuple(times), areas))
    return tracks
