"""Configuration: the only place where configuration files and environment variables are read.

One frozen, validated object, :class:`Settings`, built from (highest priority first)
the keyword arguments of :func:`load_settings`, environment variables ``KHAZAR_…``
(nested with ``__``, e.g. ``KHAZAR_DETECT__LOITER_SPEED_KN=1.5``), a TOML file
(``--config``, or ``$KHAZAR_CONFIG``, or ``./khazar.toml`` when present), and the defaults
declared below. Unknown keys are rejected with the name of the key.
Every threshold is documented where it is declared.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from khazar.errors import ConfigError

__all__ = [
    "AlertRule",
    "AlertSettings",
    "AuditSettings",
    "Boat",
    "DetectSettings",
    "DispatchSettings",
    "EnergySettings",
    "ExerciseSettings",
    "IngestSettings",
    "LiveSettings",
    "LoginSettings",
    "Receiver",
    "RegistrySettings",
    "ServeSettings",
    "Settings",
    "WatchEntry",
    "audit_key_file",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Boat(_Section):
    """One patrol boat of the State Border Service fleet."""

    name: str
    mmsi: int = Field(description="the boat's own AIS MMSI (exempt from encounter/loitering)")
    base: str = Field(description="home base name")
    base_lat: float = Field(ge=-90.0, le=90.0)
    base_lon: float = Field(ge=-180.0, le=180.0)
    cruise_speed_kn: float = Field(gt=0, le=60, description="economical patrol speed")
    max_speed_kn: float = Field(gt=0, le=70, description="sprint speed for intercepts")
    endurance_h: float = Field(gt=0, le=240, description="hours at sea before returning")

    @model_validator(mode="after")
    def _speeds(self) -> Boat:
        if self.max_speed_kn < self.cruise_speed_kn:
            raise ValueError(
                f"boat {self.name}: max_speed_kn {self.max_speed_kn} < cruise_speed_kn "
                f"{self.cruise_speed_kn}"
            )
        return self


# Bases: water points just off the State Border Service's Caspian stations. Coordinates
# are approximate (public maps), chosen a few hundred metres offshore so routes start in water.
_BASES = {
    "Baku": (40.3300, 49.8700),
    "Sangachal": (40.1550, 49.5050),
    "Sumqayit": (40.5700, 49.7000),
    "Lankaran": (38.7550, 48.8900),
    "Neft Daslari": (40.2250, 50.8300),
}
_FLEET_PLAN = [
    ("Baku", 3),
    ("Sangachal", 3),
    ("Sumqayit", 2),
    ("Lankaran", 2),
    ("Neft Daslari", 2),
]


def _default_fleet() -> list[Boat]:
    boats: list[Boat] = []
    n = 0
    for base, count in _FLEET_PLAN:
        for _ in range(count):
            n += 1
            lat, lon = _BASES[base]
            boats.append(
                Boat(
                    name=f"SBS-{n:02d}",
                    mmsi=423_900_000 + n,
                    base=base,
                    base_lat=lat,
                    base_lon=lon,
                    cruise_speed_kn=18.0,
                    max_speed_kn=32.0,
                    endurance_h=14.0,
                )
            )
    return boats


class WatchEntry(_Section):
    mmsi: int
    reason: str


class RegistrySettings(_Section):
    """The vessel registry: own fleet (from ``fleet``), authorised vessels, watchlist."""

    authorised: dict[str, list[int]] = Field(
        default_factory=lambda: {
            # ACG platforms' supply and crew boats (fictitious MMSIs of the simulator's fleet)
            "acg": [423_100_001 + i for i in range(16)],
            # Shah Deniz supply boats
            "shah-deniz": [423_100_101 + i for i in range(6)],
            # Neft Daslari service boats
            "neft-daslari": [423_100_201 + i for i in range(6)],
        },
        description="asset id or asset group → MMSIs allowed to work there",
    )
    watchlist: list[WatchEntry] = Field(default_factory=list)


class IngestSettings(_Section):
    batch_size: int = Field(200_000, gt=0, description="lines decoded before a store commit")
    multipart_timeout_s: float = Field(
        60.0, gt=0, description="an incomplete multipart message older than this is rejected"
    )
    udp_port: int = Field(10110, gt=0, lt=65536, description="default UDP listen port")
    queue_max: int = Field(100_000, gt=0, description="bounded queue between listener and store")
    queue_max_bytes: int = Field(
        64 << 20, ge=1 << 20, description="the same queue bounded by bytes (a line is charged "
        "its characters and 160 bytes); lines that do not fit are dropped and counted")
    max_line_chars: int = Field(
        1024, ge=82, le=65_536, description="a feed line longer than this is refused "
        "(line_too_long) and only its first kept_prefix_chars stored; NMEA's own limit is 82, "
        "tag blocks and receiver trailers make real lines up to ~210 (docs/security.md)")
    kept_prefix_chars: int = Field(
        256, ge=0, le=4096, description="what is stored of a line refused as too long")
    rate_lines_s: float = Field(
        20_000.0, ge=0, description="lines a second one sender may send (each address "
        "sending to a UDP port, a TCP connection, a followed file); over it lines are "
        "refused (rate_limited) and counted per source and sending address, a followed file "
        "is read slower; 0 = no limit")
    rate_burst_s: float = Field(
        5.0, gt=0, description="a source may send this many seconds' worth of its rate at once")
    udp_kernel_buffer: int = Field(
        16 << 20, ge=4096, description="the UDP socket's kernel receive buffer (bytes): "
        "absorbs bursts; the datagrams the kernel drops when it is full are counted")
    reconnect_initial_s: float = Field(1.0, gt=0, description="TCP client first back-off")
    reconnect_max_s: float = Field(60.0, gt=0, description="TCP client back-off ceiling")
    pause_after_batch_s: float = Field(
        0.0, ge=0, description="sleep after each committed batch (throttling; crash tests)"
    )


class LiveSettings(_Section):
    """The live runtime of ``khazar serve`` and ``khazar listen``."""

    flush_s: float = Field(0.1, gt=0, description="a received line waits at most this long "
                           "before the ingest thread stores it")
    detect_period_s: float = Field(0.5, gt=0, description="live detection looks at least this "
                                   "often (each stored batch wakes it sooner)")
    commit_period_s: float = Field(5.0, gt=0, description="committed detection path period")
    gil_switch_ms: float = Field(
        0.5, gt=0, le=100.0, description="a process that runs the live runtime (serve, listen) "
        "hands the interpreter between threads at least this often (Python's default is 5): "
        "a request thread waits at most this long behind the feed's threads each time it "
        "needs the interpreter back")
    follow_poll_s: float = Field(0.2, gt=0, description="a followed file is checked this often")
    stats_log_s: float = Field(60.0, gt=0, description="per-source counts logged this often")
    counters_save_s: float = Field(
        5.0, gt=0, description="per-source feed counts saved to the store this often (and at "
        "stop): a restarted server goes on counting from them")
    lease_poll_s: float = Field(
        1.0, gt=0, le=5.0, description="several servers on one PostgreSQL database: how often "
        "a follower tries for the live detection lease and the leader renews its heartbeat")
    takeover_window_s: float = Field(
        120.0, gt=0, description="a new detection leader takes over the last one's detection "
        "(re-reading the positions since its origin) when that one's heartbeat is this recent; "
        "older, it starts afresh")
    takeover_replay_h: float = Field(
        6.0, gt=0, description="a detection taken over re-reads at most this many hours of "
        "positions before the newest (the longest behaviour the detectors need to see whole)")


class Receiver(_Section):
    """A coastal AIS receiver of our own network: where silence means something."""

    name: str
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    reliable_nm: float = Field(34.0, gt=0, description="range of near-certain reception")


class DetectSettings(_Section):
    """Thresholds of the detectors, defaulting to the published definitions (DESIGN C3)."""

    lateness_window_s: float = Field(600.0, gt=0, description="live hold-back window W")
    track_gap_split_h: float = Field(6.0, gt=0, description="split a track after this silence")
    track_jump_kn: float = Field(50.0, gt=0, description="implied speed that splits / spoofs")
    loiter_speed_kn: float = Field(2.0, gt=0, description="GFW loitering: < 2 kn")
    loiter_min_h: float = Field(1.0, gt=0, description="loitering outside protected zones")
    loiter_protected_min_h: float = Field(
        1.0 / 3.0, gt=0, description="loitering inside a corridor or safety zone (20 min)"
    )
    encounter_distance_m: float = Field(500.0, gt=0, description="GFW encounter distance")
    encounter_min_h: float = Field(0.5, gt=0, description="Skylight rendezvous duration")
    encounter_speed_kn: float = Field(2.0, gt=0, description="median speed below this")
    encounter_port_distance_km: float = Field(10.0, ge=0, description="ignore near ports")
    encounter_shore_min_km: float = Field(
        2.0, ge=0, description="ignore boats alongside in coastal harbours (GFW: anchorages)")
    gap_min_h: float = Field(1.0, gt=0, description="AIS gap where the vessel was received")
    gap_protected_min_h: float = Field(0.5, gt=0, description="AIS gap inside protected zones")
    spoof_speed_kn: float = Field(50.0, gt=0, description="position jump implying more")
    drag_speed_drop: float = Field(
        0.25, gt=0, lt=1, description="sustained drop vs own speed (DESIGN: 25 %; Eagle S "
        "dropped 25.9 %)")
    drag_min_voyage_kn: float = Field(6.0, gt=0, description="own voyage speed to judge a drop")
    drag_speed_min_kn: float = Field(
        3.0, gt=0, description="a drag moves: slower crossings are loitering's business")
    drag_speed_max_kn: float = Field(
        9.0, gt=0, description="a long crossing faster than this is a transit along the line")
    drag_long_factor: float = Field(5.0, gt=1, description="path in corridor ≥ this × width")
    drag_repeat_count: int = Field(3, ge=2, description="crossings of one corridor that repeat")
    drag_repeat_window_h: float = Field(6.0, gt=0, description="…within this many hours")
    anchor_down_min_min: float = Field(
        15.0, gt=0, description="anchor down: the drop held this long (minutes) before it is said")
    anchor_down_course_deg: float = Field(
        20.0, gt=0, le=180, description="anchor down: course within this of the voyage course")
    anchor_down_straightness: float = Field(
        0.95, gt=0, le=1, description="anchor down: resultant of the legs over their length")
    anchor_down_shore_km: float = Field(
        5.0, ge=0, description="anchor down: only this far from the shore (pilots, berths)")
    anchor_down_horizon_h: float = Field(
        6.0, gt=0, description="anchor down: project the course this many hours ahead")
    anchor_down_spread_deg: float = Field(
        10.0, ge=0, le=45, description="anchor down: plausible course spread (± degrees)")
    gap_forget_h: float = Field(
        168.0, gt=0, description="a vessel silent this long is forgotten (bounded live state)")
    spoof_quiet_h: float = Field(1.0, gt=0, description="spoofing episode ends after this calm")
    encounter_step_s: float = Field(300.0, gt=0, description="encounter sampling grid step")
    loiter_shore_min_nm: float = Field(
        20.0, ge=0, description="outside protected zones, loitering this far from shore (GFW)")
    receivers: list[Receiver] | None = Field(
        None,
        description="AIS receivers; an AIS gap counts only where reception is reliable "
        "(empty list: everywhere; not set: the theatre's receivers)")
    reception_days: float = Field(
        7.0, ge=0, le=90.0, description="learn AIS reception per grid cell from the last this "
        "many days of stored positions, the receivers as a prior (0: the receivers alone)")
    reception_refresh_min: float = Field(
        60.0, gt=0, description="live detection re-learns the reception map this often")
    port_entry_km: float = Field(3.0, gt=0, description="GFW port visit entry radius")
    port_exit_km: float = Field(4.0, gt=0, description="GFW port visit exit radius")
    dark_distance_m: float = Field(1500.0, gt=0, description="Skylight dark-vessel radius")
    dark_time_s: float = Field(600.0, gt=0, description="± window to match radar and AIS")
    stop_diameter_m: float = Field(
        1000.0, gt=0, le=100_000.0, description="stop: the fixes stay within this diameter "
        "(MovingPandas' max_diameter)")
    stop_min_h: float = Field(
        1.0, gt=0, le=168.0, description="stop: for at least this long (MovingPandas' "
        "min_duration)")
    dark_track_max_gap_s: float = Field(
        1800.0, gt=0, description="the AIS track a detection is matched against is interpolated "
        "between fixes up to this far apart (a receiver outage or a class B boat's 3-min "
        "reports; a live decision waits this long)")

    @model_validator(mode="after")
    def _ports(self) -> DetectSettings:
        if self.port_exit_km <= self.port_entry_km:
            raise ValueError("detect.port_exit_km must exceed detect.port_entry_km (hysteresis)")
        return self


class EnergySettings(_Section):
    """The defender's value of an asset: ``a·bcm/yr + b·kb/d`` (DESIGN C5)."""

    gas_weight_per_bcm_yr: float = Field(1.0, ge=0, description="a")
    oil_weight_per_kbd: float = Field(0.01, ge=0, description="b (100 kb/d ≈ 1 bcm/yr)")


class AlertRule(_Section):
    """One rule that turns detected events into alerts (see docs/alerts.md).

    An event matches when its type is in ``event_types`` and every given condition holds.
    Exemptions (own fleet everywhere, authorised vessels at their asset group) apply to
    every rule; watchlisted vessels are raised by the ``watchlist`` rule whatever they do.
    """

    name: str = Field(description="stable rule name, stored with each alert")
    event_types: list[str] = Field(min_length=1, description="detector event types matched")
    zone_kinds: list[str] | None = Field(
        None, description="event must be in a zone of one of these kinds (None = anywhere)"
    )
    require_asset: bool = Field(False, description="event must concern a protected asset")
    min_duration_min: float = Field(0.0, ge=0, description="events shorter than this are ignored")
    min_shore_distance_m: float = Field(
        0.0, ge=0, description="events closer than this to any shore are ignored (harbours)"
    )
    exempt_ship_types: list[int] = Field(
        default_factory=list,
        description="AIS ship types (static data) this rule ignores, e.g. 52 tugs",
    )
    evidence_max: dict[str, float] = Field(
        default_factory=dict,
        description="the event's numeric evidence must not exceed these (missing: no check)",
    )
    evidence_min: dict[str, float] = Field(
        default_factory=dict,
        description="the event's numeric evidence must reach these (missing: no check)",
    )
    behaviour_weight: float = Field(
        ge=0, le=1, description="how threatening the behaviour is, 0..1 (severity input)"
    )
    description: str = Field("", description="what the rule is for, shown in docs and alerts")


#: AIS ship types of harbour service craft: pilot, SAR, tug, port tender, anti-pollution,
#: law enforcement, medical. They hold position and manoeuvre slowly over the landfalls all day.
SERVICE_CRAFT_TYPES = [50, 51, 52, 53, 54, 55, 58]
FISHING_TYPE = 30


def _default_rules() -> list[AlertRule]:
    protected = ["platform_safety", "pipeline_corridor", "terminal_safety"]
    return [
        AlertRule(
            name="anchor-drag",
            event_types=["anchor_drag"],
            behaviour_weight=1.0,
            # an anchor on the seabed holds a ship back: Eagle S 6.3 kn, Yi Peng 3 ~7 kn;
            # a ship running along a corridor at service speed is not dragging
            evidence_max={"speed_in_corridor_kn": 8.0},
            evidence_min={"fixes": 3},
            # ferries and tankers slow down over the landfall to berth at Alat and Sangachal
            min_shore_distance_m=3000.0,
            exempt_ship_types=SERVICE_CRAFT_TYPES,
            description="a vessel dragging (or slowing like one dragging) across a corridor",
        ),
        AlertRule(
            name="protected-loitering",
            event_types=["loitering"],
            zone_kinds=protected,
            behaviour_weight=0.8,
            min_shore_distance_m=3000.0,
            # fishing boats drift and work over the lines every day (watchlist them if needed)
            exempt_ship_types=[*SERVICE_CRAFT_TYPES, FISHING_TYPE],
            description="loitering inside a pipeline corridor or platform safety zone",
        ),
        AlertRule(
            name="safety-zone-entry",
            event_types=["zone_entry"],
            zone_kinds=["platform_safety"],
            behaviour_weight=0.6,
            description="an unauthorised vessel inside a platform's 500 m safety zone",
        ),
        AlertRule(
            name="protected-ais-gap",
            event_types=["ais_gap"],
            zone_kinds=protected,
            behaviour_weight=0.6,
            description="AIS switched off (or lost) inside a protected zone",
        ),
        AlertRule(
            name="rendezvous",
            event_types=["encounter"],
            behaviour_weight=0.6,
            # boats rafted up in fishing harbours and small quays are not at sea
            min_shore_distance_m=3000.0,
            # a transfer needs the vessels alongside, not a few hundred metres apart
            evidence_max={"mean_distance_m": 200.0},
            # two fishing boats together are pair trawling or drifting side by side
            exempt_ship_types=[FISHING_TYPE],
            description="two vessels alongside at sea, away from ports (possible transfer)",
        ),
        AlertRule(
            name="identity-spoofing",
            event_types=["spoofing"],
            behaviour_weight=0.5,
            description="impossible jumps, positions on land, one MMSI in two places",
        ),
        AlertRule(
            name="dark-vessel",
            event_types=["dark_vessel"],
            behaviour_weight=0.7,
            # a contact tracked for 20 min is a boat; shorter ones are mostly clutter or a
            # known vessel whose AIS position lags the radar's
            min_duration_min=20.0,
            # the threats here are small craft; a large contact without AIS is nearly always a
            # ship whose AIS position did not match the radar's (raise it to watch big ones)
            evidence_max={"max_length_m": 60.0},
            description="a radar or SAR contact with no AIS track near it",
        ),
        AlertRule(
            name="anchor-down",
            event_types=["anchor_down"],
            behaviour_weight=1.0,
            # a pre-alert: only when the held course (± its spread) crosses a protected line
            # within the projection horizon; severity grows as the ship closes on it
            require_asset=True,
            evidence_min={"confidence": 0.4},
            min_shore_distance_m=3000.0,
            exempt_ship_types=[*SERVICE_CRAFT_TYPES, FISHING_TYPE],
            description="a ship at sea with its anchor likely down, heading for a protected "
            "line: the time to impact and the energy at stake (issue 21)",
        ),
    ]


class AlertSettings(_Section):
    """Alert rules, merging, severity and escalation (DESIGN C4, docs/alerts.md)."""

    escalate_after_min: float = Field(15.0, gt=0, description="unacknowledged alerts escalate")
    merge_window_h: float = Field(
        6.0, gt=0, description="a repeat within this of the alert's last event merges into it"
    )
    rules: list[AlertRule] = Field(default_factory=_default_rules)
    watchlist_weight: float = Field(
        0.25, ge=0, le=1, description="added to the severity of a watchlisted vessel's alert"
    )
    history_scale: float = Field(
        3.0, gt=0, description="previous alerts+events at which history counts ~63 %"
    )
    incident_gap_min: float = Field(
        60.0, ge=0,
        description="alerts of one vessel (or pair) overlapping or this close in time are "
        "one incident",
    )

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, rules: list[AlertRule]) -> list[AlertRule]:
        names = [r.name for r in rules]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"alerts.rules has duplicate rule names: {sorted(dupes)}")
        if "watchlist" in names:
            raise ValueError("alerts.rules: the rule name 'watchlist' is reserved")
        return rules


class DispatchSettings(_Section):
    """Where a boat is when dispatch plans its intercept (docs: Dispatch)."""

    boat_fix_max_age_s: float = Field(
        3600.0, gt=0,
        description="a boat's latest AIS fix places it when it is less than this many seconds "
        "older than the decision time; an older fix (or none) places it at its base",
    )
    max_extrapolation_min: float = Field(
        30.0, gt=0,
        description="the target's fitted course is followed at most this many minutes past "
        "its last fix to find the intercept point; beyond it the target is held there "
        "(the answer says capped)",
    )


class ExerciseSettings(_Section):
    """Red-team exercises started from the console: limits and the start form's defaults."""

    max_hours: float = Field(24.0, gt=0, description="longest simulated exercise, hours")
    max_speed: float = Field(3600.0, ge=1, description="fastest replay, × real time")
    default_hours: float = Field(1.0, gt=0, description="simulated hours when not given")
    default_speed: float = Field(60.0, ge=1, description="replay speed when not given")
    default_seed: int = Field(1, ge=0, description="simulator seed when not given")
    default_density: float = Field(
        0.1, gt=0, le=1, description="background traffic when not given, share of a normal day"
    )
    time_tolerance_s: float = Field(
        1800.0, gt=0, description="an alert answers a planted behaviour whose span, widened by "
        "this, holds its first event (when the simulator's truth does not say)",
    )
    match_radius_m: float = Field(
        1500.0, gt=0, description="an alert naming no vessel answers a behaviour this close "
        "(when the simulator's truth does not say)",
    )
    join_timeout_s: float = Field(
        30.0, gt=0, description="how long finishing waits for the replay thread to stop"
    )

    @model_validator(mode="after")
    def _defaults_within_limits(self) -> ExerciseSettings:
        if not self.default_hours <= self.max_hours:
            raise ValueError(f"default_hours {self.default_hours} > max_hours {self.max_hours}")
        if not self.default_speed <= self.max_speed:
            raise ValueError(f"default_speed {self.default_speed} > max_speed {self.max_speed}")
        return self


class ServeSettings(_Section):
    """Operations of ``khazar serve``: the picture, ``/api/health`` and ``/metrics``
    (docs/console.md)."""

    stale_after_s: float = Field(
        600.0, gt=0, description="a vessel whose newest report is older than this (against "
        "the picture's clock) is shown stale: faded on the map, flagged in the API")

    health_max_detection_lag_s: float = Field(
        900.0, gt=0, description="/api/health is not ready while live detection's committed "
        "path lags the newest ingested position by more than this (it runs "
        "detect.lateness_window_s behind by design, 600 s by default)")
    health_lock_timeout_s: float = Field(
        0.5, gt=0, le=10, description="/api/health waits this long for the store; busier "
        "means not ready (the probe never queues behind long work)")
    metrics_token: SecretStr | None = Field(
        None, description="bearer token a scraper off this host sends to read /metrics "
        "(loopback needs none; an admin session also may); at least 16 characters")

    read_header_timeout_s: float = Field(
        10.0, gt=0, le=600, description="a client must send a request's line and headers "
        "within this many seconds of connecting (or of its next request's first byte); a "
        "slower one (slowloris) gets 408, is disconnected and counted "
        "(http.read_timeouts.headers in /api/status)")
    read_body_timeout_s: float = Field(
        60.0, gt=0, le=3600, description="and its body within this many seconds of the "
        "headers; a slower one is disconnected and counted (http.read_timeouts.body)")
    track_page_points: int = Field(
        10_000, ge=2000, le=1_000_000, description="GET /api/tracks answers at most this "
        "many points a page (about 50 bytes each), with a `next` link to the rest: no "
        "reader builds megabytes at once while others wait (a page holds at least one "
        "vessel, itself at most 2000 points)")

    answer_cache_s: float = Field(
        1.0, ge=0, le=60, description="GET /api/alerts gives the same answer to the same "
        "request while no alert changed (on this server or another of its database) and "
        "for at most this many seconds (a vessel's new name shows in titles within it); "
        "many consoles polling the list then cost one set of queries; 0 builds every answer")

    track_readers: int = Field(
        1, ge=1, le=16, description="GET /api/tracks pages built at once; further track "
        "requests wait their turn (holding no worker thread), so long histories never take "
        "the processor from the alert list and the picture")

    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses (or CIDR networks) of reverse proxies "
        "whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default, so the "
        "peer's own address is the client's (loopback included)")
    allowed_origins: list[str] = Field(
        default_factory=list, description="origins (scheme://host[:port]) besides the "
        "server's own whose browsers may send state-changing requests")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for p in proxies:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise ValueError(f"{p!r} is not an IP address or network") from None
        return proxies

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for o in origins:
            if not re.fullmatch(r"https?://[^/\s]+", o):
                raise ValueError(f"{o!r} is not an origin like https://console.example.org")
        return [o.lower() for o in origins]

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, token: SecretStr | None) -> SecretStr | None:
        # a short token can be guessed over the network; say how to make a good one
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters, e.g. `openssl rand -hex 24`")
        return token


class LoginSettings(_Section):
    """Logins to ``khazar serve``: the password workers, throttling and lockout
    (docs/security.md)."""

    password_workers: int = Field(
        1, ge=1, le=8, description="threads that check passwords (argon2, 64 MiB and "
        "0.1-0.4 s each); never while the store is held")
    password_queue: int = Field(
        16, ge=0, le=1000, description="password checks that may wait for a worker; "
        "beyond that a login is refused with 503")
    backoff_after: int = Field(
        3, ge=1, description="failed logins for one account before each further attempt "
        "must wait (backoff_base_s, doubling with each failure)")
    backoff_base_s: float = Field(1.0, gt=0, description="the first back-off")
    lockout_after: int = Field(
        10, ge=1, description="failed logins for one account within window_s that lock it "
        "for lockout_s (and alert the admins)")
    lockout_s: float = Field(900.0, gt=0, description="how long an account stays locked")
    address_factor: int = Field(
        3, ge=1, description="a source address may fail this many times more than an "
        "account before it backs off and locks (several users behind one address)")
    window_s: float = Field(
        900.0, gt=0, description="failures older than this (since the last one) are forgotten")
    audit_every_s: float = Field(
        60.0, gt=0, description="at most one audit entry per account (or, for unknown "
        "names, per source address) in this time; it counts the failures it stands for")
    refusal_delay_s: float = Field(
        2.0, ge=0, le=60, description="a login refused for waiting (429) is answered only "
        "after this long (or the rest of the wait, if shorter), holding no thread: a client "
        "guessing in a loop gets one answer per delay instead of hundreds a second")
    max_delayed: int = Field(
        512, ge=0, le=100_000, description="refusals held back at once; beyond that a "
        "refusal is answered at once")

    @model_validator(mode="after")
    def _backoff_before_lockout(self) -> LoginSettings:
        if self.backoff_after > self.lockout_after:
            raise ValueError(f"backoff_after {self.backoff_after} > lockout_after "
                             f"{self.lockout_after}")
        return self


class AuditSettings(_Section):
    """The audit log's keyed head records (docs/security.md)."""

    key_file: Path | None = Field(
        None, description="the key that signs (HMAC) the audit head records: a file outside "
        "the store's folder, created 0600 on first use; default "
        "$XDG_CONFIG_HOME/khazar/audit.key (~/.config/khazar/audit.key); env "
        "KHAZAR_AUDIT__KEY_FILE")


class Settings(BaseSettings):
    """Everything configurable in Khazar, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="KHAZAR_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    db: Path = Field(Path("khazar.duckdb"), description="embedded store file")
    theatre: str = Field(
        "caspian", min_length=1,
        description="the theatre: a shipped theatre's name or a folder holding theatre.toml "
        "(docs/theatres.md); every command's --theatre replaces it")
    assets_file: Path | None = Field(None, description="asset registry GeoJSON; None = default")
    coastline_file: Path | None = Field(None, description="water polygon GeoJSON; None = default")
    session_ttl_min: float = Field(480.0, gt=0, description="web session lifetime")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    fleet: list[Boat] = Field(default_factory=_default_fleet)
    patrol_deviation_nm: float = Field(
        2.0, gt=0, description="a boat farther than this from its planned position is off plan"
    )
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    energy: EnergySettings = Field(default_factory=EnergySettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    exercise: ExerciseSettings = Field(default_factory=ExerciseSettings)


    serve: ServeSettings = Field(default_factory=ServeSettings)
    login: LoginSettings = Field(default_factory=LoginSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: object) -> object:
        """``warning`` as well as ``WARNING`` (as ``--log-level`` takes it)."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("fleet")
    @classmethod
    def _unique_boats(cls, fleet: list[Boat]) -> list[Boat]:
        names = [b.name for b in fleet]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"fleet has duplicate boat names: {sorted(dupes)}")
        return fleet

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = _toml_path()
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def own_fleet_mmsis(self) -> frozenset[int]:
        return frozenset(b.mmsi for b in self.fleet)


_CONFIG_OVERRIDE: Path | None = None


def _toml_path() -> Path | None:
    if _CONFIG_OVERRIDE is not None:
        return _CONFIG_OVERRIDE
    env = os.environ.get("KHAZAR_CONFIG")
    if env:
        return Path(env)
    local = Path("khazar.toml")
    return local if local.is_file() else None


#: the environment variable naming the audit key file (Settings' ``audit.key_file``)
AUDIT_KEY_ENV = "KHAZAR_AUDIT__KEY_FILE"


def audit_key_file() -> Path:
    """Where the audit head key is: ``$KHAZAR_AUDIT__KEY_FILE``, else ``[audit] key_file``
    of the configuration file, else ``$XDG_CONFIG_HOME/khazar/audit.key`` (by default
    ``~/.config/khazar/audit.key``). Read on each call (cheap: no full validation), so the
    store, which has no settings, finds the same key as the server and the CLI."""
    env = os.environ.get(AUDIT_KEY_ENV)
    if env:
        return Path(env).expanduser()
    toml_path = _toml_path()
    if toml_path is not None:
        try:
            section = tomllib.loads(toml_path.read_text(encoding="utf-8")).get("audit", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"configuration file {toml_path}: {exc}") from exc
        value = section.get("key_file") if isinstance(section, dict) else None
        if isinstance(value, str) and value:
            return Path(value).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "khazar" / "audit.key"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings; any problem becomes a :class:`ConfigError`."""
    global _CONFIG_OVERRIDE
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"configuration file {config_file} does not exist")
    _CONFIG_OVERRIDE = config_file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {config_file} is not TOML text: {exc}") from exc
    finally:
        _CONFIG_OVERRIDE = None
