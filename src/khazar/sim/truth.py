"""Ground truth of a simulation run: what was planted, and what it must make Khazar say.

The file ``truth.json`` (format ``khazar-truth/1``) is written by ``khazar simulate`` and read
by ``khazar evaluate``. Its layout is documented in ``docs/simulator.md`` and in the package
docstring of :mod:`khazar.sim`; the table :data:`SCENARIO_EVENTS` is the contract between the
simulator and the detectors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from khazar.errors import InputError
from khazar.units import to_utc

__all__ = [
    "DEFAULT_MATCH_RADIUS_M",
    "DEFAULT_TIME_TOLERANCE_S",
    "SCENARIO_EVENTS",
    "SCORED_EVENT_TYPES",
    "TRUTH_FORMAT",
    "ExpectedEvents",
    "LookAlike",
    "PlantedBehaviour",
    "RadarTarget",
    "Truth",
    "format_time",
    "parse_time",
]

TRUTH_FORMAT = "khazar-truth/1"
#: an event matches a behaviour if its [start, end] overlaps [start - tol, end + tol]
DEFAULT_TIME_TOLERANCE_S = 1800.0
#: a vessel-less event (dark_vessel) matches a radar-only target within this distance
DEFAULT_MATCH_RADIUS_M = 1500.0


@dataclass(frozen=True, slots=True)
class ExpectedEvents:
    """What one red-team scenario must produce.

    ``required``: groups of event types; the behaviour is detected when every group has at
    least one matching event of one of its types (a group of two means "either").
    ``accepted``: further types the behaviour may legitimately cause; they are not false
    positives, and not required.
    """

    required: tuple[tuple[str, ...], ...]
    accepted: tuple[str, ...] = ()

    @property
    def types(self) -> frozenset[str]:
        return frozenset(t for group in self.required for t in group)


#: scenario → event types it must produce (the documented table; docs/simulator.md)
SCENARIO_EVENTS: dict[str, ExpectedEvents] = {
    "loitering_saboteur": ExpectedEvents(
        required=(("loitering",), ("ais_gap",)),
        accepted=("zone_entry", "zone_exit", "encounter", "dark_vessel"),
    ),
    # anchor_down (the pre-alert upstream) is scored on its own: lead time and false
    # pre-alerts per day (khazar.sim.evaluate.score_prealerts)
    "anchor_drag_eagle_s": ExpectedEvents(
        required=(("anchor_drag",),),
        accepted=("loitering", "zone_entry", "zone_exit", "anchor_down"),
    ),
    "anchor_drag_yi_peng": ExpectedEvents(
        required=(("anchor_drag",),),
        accepted=("loitering", "zone_entry", "zone_exit", "anchor_down"),
    ),
    # the partner is dark: radar sees it, AIS does not, so it is a dark contact; an
    # encounter needs both vessels' AIS tracks (see sts_transfer)
    "dark_rendezvous": ExpectedEvents(
        required=(("dark_vessel",),),
        accepted=("encounter", "loitering", "ais_gap", "zone_entry", "zone_exit"),
    ),
    "spoofing": ExpectedEvents(required=(("spoofing",),), accepted=("ais_gap", "dark_vessel")),
    "safety_zone_entry": ExpectedEvents(
        required=(("zone_entry",),), accepted=("zone_exit", "loitering", "encounter")
    ),
    "fast_dark_boat": ExpectedEvents(required=(("dark_vessel",),)),
    "sts_transfer": ExpectedEvents(
        required=(("encounter",),), accepted=("loitering", "zone_entry", "zone_exit")
    ),
}

#: event types that are scored: an event of one of these that matches no planted behaviour
#: is a false positive (``zone_entry`` only inside the run's ``zone_entry_scope``)
SCORED_EVENT_TYPES: tuple[str, ...] = tuple(
    sorted({t for e in SCENARIO_EVENTS.values() for t in e.types})
)


def format_time(t: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, whole seconds: the only time format in truth.json."""
    return to_utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time (``Z`` or offset; naive = UTC) into a UTC datetime."""
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, AttributeError) as exc:
        raise InputError(
            f"time {text!r} is not ISO 8601 (expected e.g. 2026-01-01T00:00:00Z)"
        ) from exc


@dataclass(frozen=True, slots=True)
class RadarTarget:
    """A contact seen only by radar: its true track as (time, lat, lon) samples."""

    id: str
    track: tuple[tuple[datetime, float, float], ...]
    length_m: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "length_m": round(self.length_m, 1),
            "track": [[format_time(t), round(lat, 5), round(lon, 5)] for t, lat, lon in self.track],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RadarTarget:
        return cls(
            id=str(d["id"]),
            length_m=float(d.get("length_m", 0.0)),
            track=tuple((parse_time(t), float(a), float(b)) for t, a, b in d["track"]),
        )


@dataclass(frozen=True, slots=True)
class PlantedBehaviour:
    """One red-team behaviour inserted into the traffic."""

    id: str
    scenario: str
    mmsis: tuple[int, ...]
    start: datetime
    end: datetime
    lat: float
    lon: float
    radar_targets: tuple[RadarTarget, ...] = ()
    asset_id: str | None = None
    zone_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: anchor drags: when the planted track first enters a protected corridor, and when it is
    #: over the line itself (the lead time of an ``anchor_down`` pre-alert is counted to the
    #: first; issue 21)
    first_crossing: datetime | None = None
    line_crossing: datetime | None = None

    @property
    def expected(self) -> ExpectedEvents:
        return SCENARIO_EVENTS[self.scenario]

    def to_json(self) -> dict[str, Any]:
        exp = self.expected
        return {
            "id": self.id,
            "scenario": self.scenario,
            "mmsis": list(self.mmsis),
            "start": format_time(self.start),
            "end": format_time(self.end),
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "asset_id": self.asset_id,
            "zone_id": self.zone_id,
            "required": [list(g) for g in exp.required],
            "accepted": list(exp.accepted),
            "radar_targets": [r.to_json() for r in self.radar_targets],
            "params": self.params,
            **({"first_crossing": format_time(self.first_crossing)}
               if self.first_crossing else {}),
            **({"line_crossing": format_time(self.line_crossing)} if self.line_crossing else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PlantedBehaviour:
        scenario = str(d["scenario"])
        if scenario not in SCENARIO_EVENTS:
            raise InputError(
                f"truth behaviour {d.get('id')!r}: unknown scenario {scenario!r} "
                f"(known: {', '.join(sorted(SCENARIO_EVENTS))})"
            )
        return cls(
            id=str(d["id"]),
            scenario=scenario,
            mmsis=tuple(int(m) for m in d.get("mmsis", [])),
            start=parse_time(d["start"]),
            end=parse_time(d["end"]),
            lat=float(d["lat"]),
            lon=float(d["lon"]),
            radar_targets=tuple(RadarTarget.from_json(r) for r in d.get("radar_targets", [])),
            asset_id=d.get("asset_id"),
            zone_id=d.get("zone_id"),
            params=dict(d.get("params", {})),
            first_crossing=parse_time(d["first_crossing"]) if d.get("first_crossing") else None,
            line_crossing=parse_time(d["line_crossing"]) if d.get("line_crossing") else None,
        )


@dataclass(frozen=True, slots=True)
class LookAlike:
    """Harmless traffic that resembles a threat: no scored event should name it."""

    id: str
    kind: str
    mmsis: tuple[int, ...]
    start: datetime
    end: datetime
    lat: float
    lon: float
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "mmsis": list(self.mmsis),
            "start": format_time(self.start),
            "end": format_time(self.end),
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LookAlike:
        return cls(
            id=str(d["id"]),
            kind=str(d["kind"]),
            mmsis=tuple(int(m) for m in d.get("mmsis", [])),
            start=parse_time(d["start"]),
            end=parse_time(d["end"]),
            lat=float(d["lat"]),
            lon=float(d["lon"]),
            note=str(d.get("note", "")),
        )


@dataclass(frozen=True, slots=True)
class Truth:
    """Everything ``truth.json`` holds."""

    scenario: str
    seed: int
    start: datetime
    end: datetime
    behaviours: tuple[PlantedBehaviour, ...]
    lookalikes: tuple[LookAlike, ...]
    #: MMSI → ids of the assets/zones it is authorised at ("*" = everywhere: own fleet)
    authorised: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: zone/asset ids where a ``zone_entry`` is scored (platform safety zones)
    zone_entry_scope: tuple[str, ...] = ()
    time_tolerance_s: float = DEFAULT_TIME_TOLERANCE_S
    match_radius_m: float = DEFAULT_MATCH_RADIUS_M
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document (keys in a fixed order so equal runs give equal bytes)."""
        return {
            "format": TRUTH_FORMAT,
            "scenario": self.scenario,
            "seed": self.seed,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "time_tolerance_s": self.time_tolerance_s,
            "match_radius_m": self.match_radius_m,
            "scored_event_types": list(SCORED_EVENT_TYPES),
            "zone_entry_scope": sorted(self.zone_entry_scope),
            "behaviours": [b.to_json() for b in self.behaviours],
            "lookalikes": [la.to_json() for la in self.lookalikes],
            "authorised": {str(m): sorted(v) for m, v in sorted(self.authorised.items())},
            "stats": self.stats,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Truth:
        fmt = d.get("format")
        if fmt != TRUTH_FORMAT:
            raise InputError(
                f"truth format {fmt!r} is not {TRUTH_FORMAT!r}; regenerate it with "
                f"`khazar simulate`"
            )
        try:
            return cls(
                scenario=str(d["scenario"]),
                seed=int(d["seed"]),
                start=parse_time(d["start"]),
                end=parse_time(d["end"]),
                behaviours=tuple(PlantedBehaviour.from_json(b) for b in d["behaviours"]),
                lookalikes=tuple(LookAlike.from_json(x) for x in d.get("lookalikes", [])),
                authorised={int(k): tuple(v) for k, v in d.get("authorised", {}).items()},
                zone_entry_scope=tuple(d.get("zone_entry_scope", [])),
                time_tolerance_s=float(d.get("time_tolerance_s", DEFAULT_TIME_TOLERANCE_S)),
                match_radius_m=float(d.get("match_radius_m", DEFAULT_MATCH_RADIUS_M)),
                stats=dict(d.get("stats", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"truth.json is missing or has a bad field: {exc}") from exc

    @classmethod
    def loads(cls, text: str) -> Truth:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"truth file is not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise InputError("truth file must hold a JSON object")
        return cls.from_json(doc)
