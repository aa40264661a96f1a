"""The rule engine: (events, registry, criticality, history) → alert upserts. Pure.

Which events become alerts is configuration (:class:`khazar.config.AlertRule`); this module
applies it:

1. an event matches the first rule whose event types, zone kinds, asset requirement and
   minimum duration it meets, or the reserved ``watchlist`` rule when its vessel is
   watchlisted and no other rule matched;
2. own patrol boats are exempt everywhere, authorised boats at the asset (or asset group)
   they are authorised for; watchlisted vessels are never exempt at an asset;
3. the same vessel(s) doing the same thing at the same place merge into one open alert while
   the repeats come within ``merge_window_h`` of its last event;
4. severity (:mod:`khazar.alerts.severity`) from the rule's behaviour weight, the asset's
   criticality, the vessel's history and the watchlist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from khazar.alerts.severity import SeverityInputs, score_alert, severity_of
from khazar.config import AlertRule, Settings
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, alert_id

__all__ = [
    "WATCHLIST_EVENT_TYPES",
    "WATCHLIST_RULE",
    "AssetInfo",
    "RuleContext",
    "alerts_for_events",
    "match_rule",
]

WATCHLIST_RULE = AlertRule(
    name="watchlist",
    event_types=[
        "zone_entry",
        "loitering",
        "encounter",
        "ais_gap",
        "spoofing",
        "anchor_drag",
        "anchor_down",
        "port_visit",
        "dark_vessel",
    ],
    behaviour_weight=0.4,
    description="anything a watchlisted vessel does (zone exits excepted)",
)
WATCHLIST_EVENT_TYPES = frozenset(WATCHLIST_RULE.event_types)

# Vessel-less events (radar contacts) merge by place: a grid cell of this many degrees.
_DARK_CELL_DEG = 0.1


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """What the rules need to know of a protected asset."""

    id: str
    kind: str
    group: str | None
    value: float  # energy criticality value (khazar.energy), ≥ 0
    #: the energy at stake in words ("31 bcm/yr of gas, 600 kb/d of oil"), "" when unknown
    stake: str = ""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything the rule engine reads besides the events: rules, registry, geography."""

    rules: tuple[AlertRule, ...]
    own_fleet: frozenset[int]
    authorised: Mapping[int, frozenset[str]]  # mmsi → asset ids / groups it may work at
    watchlist: Mapping[int, str]  # mmsi → reason
    zone_kinds: Mapping[str, str]  # zone id → kind
    assets: Mapping[str, AssetInfo]
    merge_window: timedelta = timedelta(hours=6)
    watchlist_weight: float = 0.25
    history_scale: float = 3.0
    # metres from (lat, lon) to the nearest shore; None = unknown (shore rules then pass)
    shore_distance_m: Callable[[float, float], float] | None = None
    ship_types: Mapping[int, int] = field(default_factory=dict)  # mmsi → AIS ship type

    @property
    def max_asset_value(self) -> float:
        return max((a.value for a in self.assets.values()), default=0.0)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        zone_kinds: Mapping[str, str] | None = None,
        assets: Mapping[str, AssetInfo] | None = None,
        shore_distance_m: Callable[[float, float], float] | None = None,
        ship_types: Mapping[int, int] | None = None,
    ) -> RuleContext:
        """Build a context from the configuration plus geography facts (zones, assets)."""
        authorised: dict[int, set[str]] = {}
        for place, mmsis in settings.registry.authorised.items():
            for mmsi in mmsis:
                authorised.setdefault(mmsi, set()).add(place)
        return cls(
            rules=tuple(settings.alerts.rules),
            own_fleet=settings.own_fleet_mmsis,
            authorised={m: frozenset(p) for m, p in authorised.items()},
            watchlist={w.mmsi: w.reason for w in settings.registry.watchlist},
            zone_kinds=dict(zone_kinds or {}),
            assets=dict(assets or {}),
            merge_window=timedelta(hours=settings.alerts.merge_window_h),
            watchlist_weight=settings.alerts.watchlist_weight,
            history_scale=settings.alerts.history_scale,
            shore_distance_m=shore_distance_m,
            ship_types=dict(ship_types or {}),
        )

    def zone_kind(self, event: Event) -> str | None:
        if event.zone_id is not None and event.zone_id in self.zone_kinds:
            return self.zone_kinds[event.zone_id]
        kind = event.evidence.get("zone_kind")
        return kind if isinstance(kind, str) else None

    def vessels(self, event: Event) -> list[int]:
        return [m for m in (event.mmsi, event.other_mmsi) if m is not None]

    def is_watchlisted(self, event: Event) -> bool:
        return any(m in self.watchlist for m in self.vessels(event))

    def belongs(self, mmsi: int, event: Event) -> bool:
        """Own boats belong everywhere; authorised boats at their asset or asset group."""
        if mmsi in self.own_fleet:
            return True
        places = self.authorised.get(mmsi)
        if not places:
            return False
        if event.asset_id is None:
            # At sea, away from any asset: a registry vessel is "at home" only when the event
            # is not about its identity (spoofing of a registry MMSI is always raised).
            return event.type == "encounter"
        asset = self.assets.get(event.asset_id)
        group = asset.group if asset is not None else event.evidence.get("asset_group")
        return event.asset_id in places or (isinstance(group, str) and group in places)

    def exempt(self, event: Event) -> bool:
        vessels = self.vessels(event)
        if not vessels:
            return False
        if any(m in self.own_fleet for m in vessels):
            return True  # our boats intercepting or boarding: not an alert
        if self.is_watchlisted(event):
            return False
        return all(self.belongs(m, event) for m in vessels)


def _duration_min(event: Event) -> float:
    return (event.end - event.start).total_seconds() / 60.0


def _all_of_types(event: Event, ctx: RuleContext, types: Collection[int]) -> bool:
    vessels = ctx.vessels(event)
    return bool(vessels) and all(ctx.ship_types.get(m) in types for m in vessels)


def _evidence_ok(event: Event, rule: AlertRule) -> bool:
    for key, bound in rule.evidence_max.items():
        value = event.evidence.get(key)
        if isinstance(value, (int, float)) and value > bound:
            return False
    for key, bound in rule.evidence_min.items():
        value = event.evidence.get(key)
        if isinstance(value, (int, float)) and value < bound:
            return False
    return True


def match_rule(event: Event, ctx: RuleContext) -> AlertRule | None:
    """The rule an event raises an alert under, or None (no rule, or the vessel is exempt)."""
    if ctx.exempt(event):
        return None
    for rule in ctx.rules:
        if event.type not in rule.event_types:
            continue
        if rule.zone_kinds is not None and ctx.zone_kind(event) not in rule.zone_kinds:
            continue
        if rule.require_asset and event.asset_id is None:
            continue
        if _duration_min(event) < rule.min_duration_min:
            continue
        if not _evidence_ok(event, rule):
            continue
        if rule.exempt_ship_types and _all_of_types(event, ctx, rule.exempt_ship_types):
            continue
        if (
            rule.min_shore_distance_m > 0
            and ctx.shore_distance_m is not None
            and ctx.shore_distance_m(event.lat, event.lon) < rule.min_shore_distance_m
        ):
            continue
        return rule
    if ctx.is_watchlisted(event) and event.type in WATCHLIST_EVENT_TYPES:
        return WATCHLIST_RULE
    return None


def _place(event: Event) -> str:
    if event.asset_id is not None:
        return f"asset:{event.asset_id}"
    if event.zone_id is not None:
        return f"zone:{event.zone_id}"
    if event.mmsi is None:
        return _cell(event.lat, event.lon)
    return ""


def _cell(lat: float, lon: float) -> str:
    return f"cell:{round(lat / _DARK_CELL_DEG)}:{round(lon / _DARK_CELL_DEG)}"


def _moved(alert: Alert, event: Event) -> tuple[float, float]:
    """Where the alert is now: its latest event, except identity-less contacts (fixed cell)."""
    if alert.mmsi is None and alert.asset_id is None and alert.zone_id is None:
        return alert.lat, alert.lon
    return event.lat, event.lon


def _key(rule: str, event: Event) -> tuple[str, str, int | None, int | None, str]:
    a, b = event.mmsi, event.other_mmsi
    if a is not None and b is not None and b < a:
        a, b = b, a
    return (rule, event.type, a, b, _place(event))


def _alert_key(alert: Alert) -> tuple[str, str, int | None, int | None, str]:
    a, b = alert.mmsi, alert.other_mmsi
    if a is not None and b is not None and b < a:
        a, b = b, a
    if alert.asset_id is not None:
        place = f"asset:{alert.asset_id}"
    elif alert.zone_id is not None:
        place = f"zone:{alert.zone_id}"
    elif alert.mmsi is None:
        # contacts without identity keep their first position (see below), so the cell holds
        place = _cell(alert.lat, alert.lon)
    else:
        place = ""
    return (alert.rule, alert.type, a, b, place)


def _minutes_to_impact(event: Event) -> float | None:
    m = event.evidence.get("minutes_to_impact") if event.type == "anchor_down" else None
    return float(m) if isinstance(m, (int, float)) else None


def _summary(rule: AlertRule, event: Event, count: int, ctx: RuleContext | None = None) -> str:
    minutes = _minutes_to_impact(event)
    if minutes is not None and event.asset_id is not None:
        # a pre-alert says where the ship is heading, how soon, and what is at stake there
        who = f"MMSI {event.mmsi}"
        asset = ctx.assets.get(event.asset_id) if ctx else None
        stake = f", {asset.stake} at stake" if asset is not None and asset.stake else ""
        return (f"{rule.name}: {who}, anchor likely down, crosses {event.asset_id} in about "
                f"{minutes:.0f} min{stake}")
    who = "unidentified contact" if event.mmsi is None else f"MMSI {event.mmsi}"
    if event.other_mmsi is not None:
        who += f" with MMSI {event.other_mmsi}"
    where = event.asset_id or event.zone_id or f"{event.lat:.4f},{event.lon:.4f}"
    times = "1 event" if count == 1 else f"{count} events"
    return f"{rule.name}: {who} — {event.type.replace('_', ' ')} at {where} ({times})"


def alerts_for_events(
    events: Sequence[Event],
    ctx: RuleContext,
    existing: Sequence[Alert] = (),
    now: datetime | None = None,
    history: Mapping[int, int] | None = None,
    exercise_event_ids: Collection[str] = (),
) -> list[Alert]:
    """Apply the rules to ``events`` against the ``existing`` alerts; return the upserts.

    Returns new alerts and existing ones that changed (new events merged, an open event's
    end moved, severity recomputed), ordered by first event time. Re-running with the same
    events and the returned alerts as ``existing`` returns nothing: the engine is idempotent.
    ``history`` adds earlier alerts per MMSI that ``existing`` does not hold; ``now`` stamps
    created/updated times (defaults to the latest event end, to stay deterministic).
    """
    stamp = now or max((e.end for e in events), default=datetime.min)
    rules_by_name = {r.name: r for r in ctx.rules}
    rules_by_name[WATCHLIST_RULE.name] = WATCHLIST_RULE
    current: dict[str, Alert] = {a.id: a for a in existing}
    open_by_key: dict[tuple[str, str, int | None, int | None, str], str] = {}
    event_home: dict[str, str] = {}
    for alert in sorted(existing, key=lambda a: a.last_ts):
        for eid in alert.event_ids:
            event_home[eid] = alert.id
        if alert.is_open:
            open_by_key[_alert_key(alert)] = alert.id
    changed: set[str] = set()
    exercise_ids = set(exercise_event_ids)
    eta: dict[str, float] = {}

    # an event's id is a hash: compute it once per event
    for _start, eid, event in sorted(((e.start, e.id, e) for e in events), key=lambda k: k[:2]):
        rule = match_rule(event, ctx)
        if rule is None:
            continue
        home = event_home.get(eid)
        if home is not None:
            alert = current[home]
            if event.end > alert.last_ts:
                lat, lon = _moved(alert, event)
                current[home] = dataclasses.replace(
                    alert, last_ts=event.end, lat=lat, lon=lon, updated_at=stamp
                )
                changed.add(home)
            continue
        key = _key(rule.name, event)
        target = open_by_key.get(key)
        if target is not None and event.start - current[target].last_ts <= ctx.merge_window:
            alert = current[target]
            ids = (*alert.event_ids, eid)
            lat, lon = _moved(alert, event)
            current[target] = dataclasses.replace(
                alert,
                event_ids=ids,
                last_ts=max(alert.last_ts, event.end),
                lat=lat,
                lon=lon,
                summary=_summary(rule, event, len(ids), ctx),
                exercise=alert.exercise and eid in exercise_ids,
                updated_at=stamp,
            )
        else:
            new_id = alert_id(
                rule.name, event.type, event.mmsi, event.other_mmsi, key[4], event.start
            )
            current[new_id] = Alert(
                id=new_id,
                rule=rule.name,
                type=event.type,
                severity=severity_of(0.0, escalated=False),
                score=0.0,
                state=AlertState.new,
                mmsi=event.mmsi,
                other_mmsi=event.other_mmsi,
                asset_id=event.asset_id,
                zone_id=event.zone_id,
                lat=event.lat,
                lon=event.lon,
                first_ts=event.start,
                last_ts=event.end,
                event_ids=(eid,),
                summary=_summary(rule, event, 1, ctx),
                created_at=stamp,
                updated_at=stamp,
                exercise=eid in exercise_ids,
            )
            open_by_key[key] = new_id
            target = new_id
        event_home[eid] = target
        changed.add(target)
        minutes = _minutes_to_impact(event)
        if minutes is not None:
            eta[target] = minutes  # the latest countdown of the alert

    _rescore(current, changed, ctx, rules_by_name, history or {}, eta)
    before = {a.id: a for a in existing}
    upserts = [current[i] for i in changed if current[i] != before.get(i)]
    return sorted(upserts, key=lambda a: (a.first_ts, a.id))


def _rescore(
    current: dict[str, Alert],
    changed: set[str],
    ctx: RuleContext,
    rules_by_name: Mapping[str, AlertRule],
    history: Mapping[int, int],
    eta: Mapping[str, float] | None = None,
) -> None:
    """Severity needs every alert of a vessel (its history), so it is computed last;
    ``eta``: a pre-alert's minutes to impact by alert id (its urgency)."""
    by_vessel: dict[int, list[Alert]] = {}
    for alert in current.values():
        for m in (alert.mmsi, alert.other_mmsi):
            if m is not None:
                by_vessel.setdefault(m, []).append(alert)
    max_value = ctx.max_asset_value
    for aid in changed:
        alert = current[aid]
        vessels = [m for m in (alert.mmsi, alert.other_mmsi) if m is not None]
        earlier = 0
        for m in vessels:
            earlier += history.get(m, 0)
            earlier += sum(
                1
                for other in by_vessel.get(m, [])
                if other.id != aid and other.first_ts < alert.first_ts
            )
        asset = ctx.assets.get(alert.asset_id) if alert.asset_id else None
        rule = rules_by_name.get(alert.rule, WATCHLIST_RULE)
        inputs = SeverityInputs(
            behaviour_weight=rule.behaviour_weight,
            asset_value=asset.value if asset else 0.0,
            max_asset_value=max_value,
            previous_alerts=earlier,
            watchlisted=any(m in ctx.watchlist for m in vessels),
            minutes_to_impact=(eta or {}).get(aid),
        )
        score = score_alert(inputs, ctx.watchlist_weight, ctx.history_scale)
        current[aid] = dataclasses.replace(
            alert, score=score, severity=severity_of(score, escalated=alert.escalated)
        )
