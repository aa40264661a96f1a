"""What every red-team scenario module shares: its context, placement helpers, the registry.

A scenario module exposes ``NAME`` and ``plant(ctx) -> None``; it draws its parameters from
documented ranges with ``ctx.rng``, adds vessels to ``ctx.vessels`` and one or more
:class:`~khazar.sim.truth.PlantedBehaviour` to ``ctx.behaviours``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from khazar.errors import GeoError
from khazar.sim.ais import DEFAULT_STATIONS
from khazar.sim.geometry import bearing_deg, cumulative_m, destination, route_length_m
from khazar.sim.movement import Movement, MovementBuilder, Vessel, VesselStatic
from khazar.sim.traffic import TrafficContext
from khazar.sim.truth import PlantedBehaviour, RadarTarget
from khazar.sim.world import Pipeline, World
from khazar.units import KN_TO_MS, M_PER_NM, from_epoch_s, haversine_m

__all__ = ["PipelinePoint", "ScenarioContext", "alongside", "radar_track"]

F64 = npt.NDArray[np.float64]
#: flags a red-team hull may fly (MIDs: Russia, Iran, Kazakhstan, Turkmenistan, Cook Islands,
#: Comoros, Sierra Leone)
FOREIGN_MIDS = (273, 422, 436, 434, 518, 620, 667)
#: behaviours are placed where the coastal AIS network receives well
MAX_STATION_DISTANCE_NM = 30.0
#: where red-team hulls come from and go to (outside Azerbaijani coverage)
FAR_PORTS = ("aktau", "turkmenbashi", "makhachkala", "anzali", "kuryk")


@dataclass(frozen=True, slots=True)
class PipelinePoint:
    pipeline: Pipeline
    lat: float
    lon: float
    bearing_deg: float  # direction of the pipeline at the point
    along_m: float


@dataclass
class ScenarioContext:
    """Where scenarios plant: the world, the traffic (for victims), the window, outputs."""

    world: World
    traffic: TrafficContext
    rng: np.random.Generator
    t0_s: float
    t1_s: float
    vessels: list[Vessel] = field(default_factory=list)
    behaviours: list[PlantedBehaviour] = field(default_factory=list)

    def window(self, duration_s: float) -> tuple[float, float]:
        """A random (start, duration) for a behaviour that fits in the run (clamped)."""
        span = self.t1_s - self.t0_s
        dur = min(duration_s, 0.8 * span)
        lo = self.t0_s + 0.05 * span
        hi = self.t1_s - 0.05 * span - dur
        return (float(self.rng.uniform(lo, hi)) if hi > lo else lo), dur

    def add(
        self, mmsi: int, kind: str, ais_class: str, static: VesselStatic, m: Movement,
        physical: bool = True, transmits: bool = True,
    ) -> Movement:
        """Add a vessel (its movement clipped to the run); returns the clipped movement."""
        clipped = m.clipped(self.t0_s, self.t1_s)
        if clipped is None:
            raise GeoError(f"scenario vessel {mmsi} moves outside the simulated window")
        self.vessels.append(
            Vessel(mmsi, kind, ais_class, static, clipped, physical=physical, transmits=transmits)
        )
        return clipped

    def begin(
        self, start: tuple[float, float], t_at_start_s: float, speed_kn: float
    ) -> MovementBuilder:
        """A builder for a vessel that comes from a far port and reaches ``start`` at
        ``t_at_start_s`` (the part before the run is clipped away): nobody appears mid-sea."""
        port = FAR_PORTS[int(self.rng.integers(0, len(FAR_PORTS)))]
        pre = self.world.route(self.world.places[port], start)
        dur = route_length_m(pre) / (speed_kn * KN_TO_MS)
        b = MovementBuilder(t_at_start_s - dur, float(pre[0, 0]), float(pre[0, 1]))
        b.sail(pre, speed_kn)
        return b

    def finish(self, b: MovementBuilder, speed_kn: float) -> None:
        """Sail on from where the behaviour ended to a far port (out of the picture)."""
        port = FAR_PORTS[int(self.rng.integers(0, len(FAR_PORTS)))]
        b.sail(self.world.route(b.here, self.world.places[port]), speed_kn)

    def foreign_mmsi(self) -> int:
        mid = int(self.rng.choice(FOREIGN_MIDS))
        return self.traffic.mmsi.next(mid, 8)

    def in_water(self, pts: F64) -> bool:
        return bool(self.world.in_water(pts[:, 0], pts[:, 1]).all())

    def straight_in_water(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        f = np.linspace(0.0, 1.0, 60)
        pts = np.column_stack((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
        return self.in_water(pts)

    def clear_of_protected(self, a: tuple[float, float], b: tuple[float, float],
                           margin_m: float = 500.0) -> bool:
        """Does the straight leg a → b keep ``margin_m`` off every corridor and safety zone?"""
        f = np.linspace(0.0, 1.0, 80)
        return all(self.world.protected_distance_m(a[0] + x * (b[0] - a[0]),
                                                   a[1] + x * (b[1] - a[1])) >= margin_m
                   for x in f.tolist())

    def covered(self, lat: float, lon: float, max_nm: float = MAX_STATION_DISTANCE_NM) -> bool:
        d = min(float(haversine_m(lat, lon, s.lat, s.lon)) for s in DEFAULT_STATIONS)
        return d / M_PER_NM <= max_nm

    def pipeline_point(self, min_from_end_m: float = 12000.0) -> PipelinePoint:
        """A random point on a pipeline, away from its ends, inside AIS coverage."""
        pipes = [p for p in self.world.pipelines if len(p.coords) >= 2]
        for _ in range(300):
            pl = pipes[int(self.rng.integers(0, len(pipes)))]
            cum = cumulative_m(pl.coords)
            if cum[-1] < 2.5 * min_from_end_m:
                continue
            at = float(self.rng.uniform(min_from_end_m, cum[-1] - min_from_end_m))
            lat = float(np.interp(at, cum, pl.coords[:, 0]))
            lon = float(np.interp(at, cum, pl.coords[:, 1]))
            if not self.covered(lat, lon):
                continue
            a = (float(np.interp(at - 500, cum, pl.coords[:, 0])),
                 float(np.interp(at - 500, cum, pl.coords[:, 1])))
            b = (float(np.interp(at + 500, cum, pl.coords[:, 0])),
                 float(np.interp(at + 500, cum, pl.coords[:, 1])))
            return PipelinePoint(pl, lat, lon, bearing_deg(a, b), at)
        raise GeoError("no pipeline point inside AIS coverage; check the asset registry")

    def point_near(
        self, lat: float, lon: float, d_min_m: float, d_max_m: float, bearings: tuple[float, float]
        = (0.0, 360.0), min_protected_m: float = 0.0,
    ) -> tuple[float, float]:
        """A water point at a random distance and bearing from (lat, lon), ≥ 3 km from every
        platform (routes detour around platforms only between points that are not near one)."""
        for _ in range(300):
            p = destination(lat, lon, float(self.rng.uniform(*bearings)) % 360.0,
                            float(self.rng.uniform(d_min_m, d_max_m)))
            if not self.in_water(np.asarray([p])) or self.world.near_platform(*p, 2500.0):
                continue
            if min_protected_m and self.world.protected_distance_m(*p) < min_protected_m:
                continue
            return p
        raise GeoError(f"no water point {d_min_m:.0f}–{d_max_m:.0f} m from ({lat:.4f}, {lon:.4f})")

    def behaviour(
        self, scenario: str, mmsis: tuple[int, ...], start_s: float, end_s: float, lat: float,
        lon: float, params: dict[str, Any], radar_targets: tuple[RadarTarget, ...] = (),
        asset_id: str | None = None, zone_id: str | None = None,
        first_crossing_s: float | None = None, line_crossing_s: float | None = None,
    ) -> None:
        n = sum(1 for b in self.behaviours if b.scenario == scenario) + 1
        self.behaviours.append(
            PlantedBehaviour(
                id=f"{scenario}-{n}", scenario=scenario, mmsis=mmsis,
                start=from_epoch_s(round(max(start_s, self.t0_s))),
                end=from_epoch_s(round(min(end_s, self.t1_s))),
                lat=lat, lon=lon, radar_targets=radar_targets, asset_id=asset_id,
                zone_id=zone_id, params={k: _round(v) for k, v in params.items()},
                first_crossing=_when(first_crossing_s), line_crossing=_when(line_crossing_s),
            )
        )


def _when(t_s: float | None) -> datetime | None:
    return None if t_s is None else from_epoch_s(round(t_s))


def _round(v: Any) -> Any:
    return round(v, 3) if isinstance(v, float) else v


def radar_track(target_id: str, m: Movement, length_m: float, step_s: float = 60.0) -> RadarTarget:
    """The true track of a radar-only target, sampled every ``step_s`` seconds."""
    ts = np.arange(np.ceil(m.start_s), m.end_s, step_s)
    lat, lon = m.position_at(ts)
    return RadarTarget(
        id=target_id,
        length_m=length_m,
        track=tuple(
            (from_epoch_s(float(t)), float(a), float(b))
            for t, a, b in zip(ts, lat, lon, strict=True)
        ),
    )


def alongside(b: MovementBuilder, leader: Movement, until_s: float, bearing: float,
              offset_m: float, step_s: float = 60.0) -> None:
    """Keep ``b`` ``offset_m`` off ``leader`` on a fixed bearing until ``until_s``, one
    waypoint every ``step_s`` (a boat or ship lying alongside another as it drifts)."""
    ts = np.arange(b.t_s + step_s, until_s, step_s)
    la, lo = leader.position_at(ts)
    for t, a, o in zip(ts.tolist(), la.tolist(), lo.tolist(), strict=True):
        pt = destination(a, o, bearing, offset_m)
        speed_kn = float(haversine_m(*b.here, *pt)) / max(t - b.t_s, 1.0) / KN_TO_MS
        b.sail(np.asarray([pt]), max(0.2, speed_kn))
