"""Simulator of Caspian traffic, red-team scenarios with ground truth, and their evaluation.

A run (``khazar simulate``) writes ``feed.nmea`` (AIVDM with ``\\s:STATION,c:UNIX*hh\\`` tag
blocks, ordered by receive time), ``radar.csv`` (``timestamp,lat,lon,length_m,source``) and
``truth.json``; ``khazar evaluate`` scores a detector's events against the truth.

truth.json (format ``khazar-truth/1``)::

    {"format": "khazar-truth/1", "scenario": "mixed", "seed": 7,
     "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z",
     "time_tolerance_s": 1800.0,          # an event matches if it overlaps [start-tol, end+tol]
     "match_radius_m": 1500.0,            # radar-only targets: position match radius
     "scored_event_types": ["ais_gap", "anchor_drag", "dark_vessel", "encounter",
                            "loitering", "spoofing", "zone_entry"],
     "zone_entry_scope": ["<platform safety zone / asset ids>"],
     "behaviours": [{"id": "spoofing-1", "scenario": "spoofing", "mmsis": [273451234, ...],
                     "start": ISO, "end": ISO, "lat": .., "lon": ..,
                     "asset_id": str|null, "zone_id": str|null,
                     "required": [["spoofing"]], "accepted": ["ais_gap", "dark_vessel"],
                     "radar_targets": [{"id": .., "length_m": .., "track": [[ISO, lat, lon], ...]}],
                     "params": {... the drawn scenario parameters ...}}, ...],
     "lookalikes": [{"id", "kind", "mmsis", "start", "end", "lat", "lon", "note"}, ...],
     "authorised": {"423100001": ["<asset/zone ids>"], "423900001": ["*"], ...},
     "stats": {"vessels": .., "sentences": .., "radar_detections": .., ...}}

Scenario → event types (``required`` groups must each be met; ``|`` = either; ``accepted``
types are not false positives):

======================  ============================  ===========================================
scenario                required                      accepted
======================  ============================  ===========================================
loitering_saboteur      loitering, ais_gap            zone_entry, zone_exit, encounter, dark_vessel
anchor_drag_eagle_s     anchor_drag                   loitering, zone_entry, zone_exit
anchor_drag_yi_peng     anchor_drag                   loitering, zone_entry, zone_exit
dark_rendezvous         dark_vessel                   encounter, loitering, ais_gap, zone_entry,
                                                      zone_exit
spoofing                spoofing                      ais_gap, dark_vessel
safety_zone_entry       zone_entry                    zone_exit, loitering, encounter
fast_dark_boat          dark_vessel                   —
sts_transfer            encounter                     loitering, zone_entry, zone_exit
======================  ============================  ===========================================

Matching, precision and time to detect: see :mod:`khazar.sim.evaluate`.

Entry points (kept out of this module's imports so that reading a truth file stays light):
:func:`khazar.sim.engine.simulate` (→ :class:`~khazar.sim.engine.SimulationRun`),
:func:`khazar.sim.output.write_run` / :func:`~khazar.sim.output.replay_udp`,
:func:`khazar.services.evaluation.evaluate_seed` (``make eval``),
:func:`khazar.sim.plot.render_density`; the traffic model is :mod:`khazar.sim.traffic`, AIS
behaviour :mod:`khazar.sim.ais`, the encoder :mod:`khazar.sim.nmea`, the red team
:mod:`khazar.sim.scenarios`.
"""

from khazar.sim.evaluate import (
    BehaviourResult,
    EvaluationReport,
    ScoredEvent,
    TypeScore,
    evaluate,
    parse_events_jsonl,
)
from khazar.sim.truth import (
    SCENARIO_EVENTS,
    SCORED_EVENT_TYPES,
    TRUTH_FORMAT,
    ExpectedEvents,
    LookAlike,
    PlantedBehaviour,
    RadarTarget,
    Truth,
)

__all__ = [
    "SCENARIO_EVENTS",
    "SCORED_EVENT_TYPES",
    "TRUTH_FORMAT",
    "BehaviourResult",
    "EvaluationReport",
    "ExpectedEvents",
    "LookAlike",
    "PlantedBehaviour",
    "RadarTarget",
    "ScoredEvent",
    "Truth",
    "TypeScore",
    "evaluate",
    "parse_events_jsonl",
]
