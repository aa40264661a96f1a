"""One simulation run: traffic + red-team scenarios → AIS feed, radar and ground truth.

Deterministic: the same scenario, hours, seed, start and settings give the same bytes. Each
part draws from its own random stream spawned from the seed, so planting a scenario does not
change the normal traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from khazar.config import Settings
from khazar.errors import InputError
from khazar.sim.ais import (
    DEFAULT_STATIONS,
    ReceptionModel,
    Station,
    static_transmissions,
    transmissions,
)
from khazar.sim.feed import Feed, build_feed
from khazar.sim.movement import Vessel
from khazar.sim.radar import RadarDetections, radar_sites, scan
from khazar.sim.scenarios import SCENARIOS, ScenarioContext, plants_for
from khazar.sim.traffic import TrafficContext, normal_traffic
from khazar.sim.truth import Truth
from khazar.sim.world import World
from khazar.units import epoch_s, from_epoch_s

__all__ = ["Movements", "SimulationRun", "simulate", "simulate_from", "simulate_movements"]


@dataclass(frozen=True, slots=True)
class SimulationRun:
    """Everything a run produced (written to disk by :mod:`khazar.sim.output`)."""

    vessels: list[Vessel]
    feed: Feed
    radar: RadarDetections
    truth: Truth


@dataclass(frozen=True, slots=True)
class Movements:
    """The vessels of a run before any AIS: traffic, planted behaviours, look-alikes."""

    world: World
    t0_s: float
    t1_s: float
    vessels: list[Vessel]
    traffic: TrafficContext
    red: ScenarioContext
    streams: tuple[np.random.SeedSequence, ...]


def simulate_movements(
    scenario: str,
    hours: float,
    seed: int,
    start: datetime,
    settings: Settings,
    world: World | None = None,
    density: float = 1.0,
) -> Movements:
    """Generate the traffic and plant the scenario (no AIS, no radar yet)."""
    if scenario not in SCENARIOS:
        raise InputError(
            f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}"
        )
    if not 0.0 < hours <= 24.0 * 31:
        raise InputError(f"--hours {hours} must be in (0, 744]")
    if density <= 0:
        raise InputError(f"density {density} must be positive")
    world = world or World.load(settings)
    t0 = float(round(epoch_s(start)))
    t1 = t0 + hours * 3600.0
    streams = tuple(np.random.SeedSequence(seed).spawn(6))
    traffic = normal_traffic(world, streams[0], t0, t1, density)
    red = ScenarioContext(world, traffic, np.random.default_rng(streams[1]), t0, t1)
    for plant in plants_for(scenario):
        plant(red)
    return Movements(world, t0, t1, traffic.vessels + red.vessels, traffic, red, streams)


def simulate(
    scenario: str,
    hours: float,
    seed: int,
    start: datetime,
    settings: Settings,
    world: World | None = None,
    density: float = 1.0,
    stations: tuple[Station, ...] = DEFAULT_STATIONS,
    reception: ReceptionModel | None = None,
) -> SimulationRun:
    """Simulate ``hours`` of traffic from ``start`` with the named scenario planted."""
    mv = simulate_movements(scenario, hours, seed, start, settings, world, density)
    return simulate_from(mv, scenario, seed, density, stations, reception)


def simulate_from(
    mv: Movements,
    scenario: str,
    seed: int,
    density: float = 1.0,
    stations: tuple[Station, ...] = DEFAULT_STATIONS,
    reception: ReceptionModel | None = None,
) -> SimulationRun:
    """The AIS feed, radar and truth of movements (:func:`simulate_movements`, or a
    traffic a caller composed from the generators: a sparse week for a test)."""
    reception = reception or ReceptionModel()
    world, t0, t1, vessels = mv.world, mv.t0_s, mv.t1_s, mv.vessels
    traffic, red = mv.traffic, mv.red
    s_ais, s_static, s_rx, s_radar = mv.streams[2:]

    rx_model = reception
    positions = transmissions(vessels, np.random.default_rng(s_ais), t0, t1,
                              rx_model.position_noise_m)
    statics = static_transmissions(vessels, np.random.default_rng(s_static), t0, t1)
    feed = build_feed(positions, statics, stations, rx_model, np.random.default_rng(s_rx), t0, t1)
    radar = scan(vessels, radar_sites(world, stations), np.random.default_rng(s_radar), t0, t1)

    received = np.unique(positions.mmsi[feed.pos_idx])
    truth = Truth(
        scenario=scenario,
        seed=seed,
        start=from_epoch_s(t0),
        end=from_epoch_s(t1),
        behaviours=tuple(red.behaviours),
        lookalikes=tuple(traffic.lookalikes),
        authorised=world.authorised(),
        zone_entry_scope=world.zone_entry_scope(),
        stats={
            "vessels": len({v.mmsi for v in vessels}),
            "vessels_received": len(received),
            "transmissions": len(positions),
            "sentences": feed.line_count,
            "radar_detections": len(radar),
            "stations": [s.name for s in stations],
            "density": density,
        },
    )
    return SimulationRun(vessels, feed, radar, truth)
