"""Triage: the alert list and the alert detail as the watch floor reads them.

The list is in the watch floor's order (most severe first, then the longest waiting:
:func:`khazar.domain.alerts.triage_key`); each alert carries a human title in English and
Azerbaijani (:mod:`khazar.alerts.titles`), its vessel's and asset's names, when it was
escalated, and its incident (:mod:`khazar.alerts.incidents`: the alerts of one vessel or
pair in one episode). The detail adds the vessel's identity, the assets, the events, the
state history, the notes, the incident's alerts and the boat dispatch would send.

Names of assets and zones come from the geography (:func:`place_names`); without it the
ids stand in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from khazar.alerts.incidents import Incident, link_incidents
from khazar.alerts.titles import alert_titles, short_place
from khazar.config import Settings
from khazar.domain.alerts import Alert, triage_order
from khazar.domain.vessels import flag_of, ship_type_text
from khazar.errors import InputError, StateConflictError
from khazar.geo.routing import SeaRouter
from khazar.interop.features import alert_feature
from khazar.store import Store
from khazar.store import alerts as repo
from khazar.store.access import Db
from khazar.store.triage import (
    VesselIdentity,
    escalation_times,
    events_by_id,
    note_counts,
    vessel_identities,
)

__all__ = ["TRIAGE_FIELDS", "PlaceNames", "alert_detail", "alert_features", "place_names",
           "prealert_impacts"]

#: what the watch floor's list adds to an alert's one shape (:func:`alert_features`)
TRIAGE_FIELDS = frozenset({
    "title", "title_az", "vessel_name", "other_vessel_name", "asset_name", "zone_name",
    "escalated_at", "incident_id", "incident_size", "notes_count", "impact",
})


@dataclass(frozen=True, slots=True)
class PlaceNames:
    """Asset id → (name, kind) and zone id → name, from the geography."""

    assets: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    zones: Mapping[str, str] = field(default_factory=dict)

    def asset_name(self, asset_id: str | None) -> str | None:
        if asset_id is None:
            return None
        return self.assets[asset_id][0] if asset_id in self.assets else asset_id

    def zone_name(self, zone_id: str | None) -> str | None:
        if zone_id is None:
            return None
        return self.zones.get(zone_id, zone_id)


def place_names(geo: Any) -> PlaceNames:
    """The names of a :class:`khazar.geo.Geography`'s assets and zones."""
    return PlaceNames(
        assets={a.id: (a.name, a.kind) for a in getattr(geo, "assets", [])},
        zones={z.id: z.name for z in getattr(geo, "zones", [])},
    )


_ZONE_TYPES = frozenset({"zone_entry", "zone_exit"})


def _gap(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.alerts.incident_gap_min)


def prealert_impacts(store: Db, alerts: Sequence[Alert]) -> dict[str, dict[str, Any]]:
    """Pre-alerts (``anchor_down``, issue 21): where the ship was when its anchor was judged
    down, the line it is heading for, how far, and when it gets there (``impact_at``: the
    decision time plus the minutes to impact then; the console counts down to it)."""
    pre = [a for a in alerts if a.type == "anchor_down"]
    latest: dict[str, Any] = {}
    for eid, ev in events_by_id(store, [i for a in pre for i in a.event_ids]):
        latest[eid] = ev
    out: dict[str, dict[str, Any]] = {}
    for a in pre:
        evs = [latest[i] for i in a.event_ids if i in latest]
        if not evs:
            continue
        ev = max(evs, key=lambda e: e.start)
        e = ev.evidence
        ahead = e.get("ahead") or []
        minutes, said = e.get("minutes_to_impact"), e.get("detected_at")
        if not ahead or not isinstance(minutes, (int, float)) or not isinstance(said, str):
            continue
        first = ahead[0]
        at = datetime.fromisoformat(said.replace("Z", "+00:00"))
        out[a.id] = {
            "asset_id": first.get("asset_id"), "zone_id": first.get("zone_id"),
            "minutes": float(minutes), "distance_km": first.get("distance_km"),
            "detected_at": at.isoformat(),
            "impact_at": (at + timedelta(minutes=float(minutes))).isoformat(),
            "confidence": e.get("confidence"), "speed_kn": e.get("speed_kn"),
            "course_deg": e.get("course_deg"),
            # the projected track: from where it was judged to the first point on the line
            "track": [[e.get("lon_at_detection"), e.get("lat_at_detection")],
                      [first.get("lon"), first.get("lat")]],
            "ahead": ahead,
        }
    return out


def _enrich(
    alert: Alert,
    names: PlaceNames,
    vessels: Mapping[int, VesselIdentity],
    escalated_at: Mapping[str, datetime],
    incident: Incident,
    notes: Mapping[str, int],
    impact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    feat = alert_feature(alert)
    vessel = vessels.get(alert.mmsi) if alert.mmsi is not None else None
    other = vessels.get(alert.other_mmsi) if alert.other_mmsi is not None else None
    asset_name = names.asset_name(alert.asset_id) if alert.asset_id in names.assets else None
    zone_name = names.zone_name(alert.zone_id) if alert.zone_id in names.zones else None
    # a zone crossing is titled by its zone (the platform's safety zone), the rest by asset
    place = (short_place(zone_name) or short_place(asset_name)
             if alert.type in _ZONE_TYPES else short_place(asset_name) or short_place(zone_name))
    titles = alert_titles(alert.type, vessel.name if vessel else None, alert.mmsi, place,
                          other.name if other else None, alert.other_mmsi,
                          minutes=impact["minutes"] if impact else None)
    when = escalated_at.get(alert.id)
    props = feat["properties"]
    props.update(
        title=titles.en, title_az=titles.az,
        vessel_name=vessel.name if vessel else None,
        other_vessel_name=other.name if other else None,
        asset_name=names.asset_name(alert.asset_id), zone_name=names.zone_name(alert.zone_id),
        escalated=alert.escalated or when is not None,
        escalated_at=when.isoformat() if when is not None else None,
        incident_id=incident.id, incident_size=incident.size,
        notes_count=notes.get(alert.id, 0),
        impact=impact,
    )
    return feat


def _context(
    store: Db, alerts: Sequence[Alert]
) -> tuple[dict[int, VesselIdentity], dict[str, datetime]]:
    mmsis = {m for a in alerts for m in (a.mmsi, a.other_mmsi) if m is not None}
    return (vessel_identities(store, mmsis),
            escalation_times(store, [a.id for a in alerts if a.escalated]))


def alert_features(
    store: Db,
    settings: Settings,
    names: PlaceNames,
    shown: Sequence[Alert],
    every: Sequence[Alert] | None = None,
) -> list[dict[str, Any]]:
    """``shown`` as GeoJSON features in the watch floor's order, each with ``title``,
    ``title_az``, ``vessel_name``, ``asset_name``, ``escalated``, ``escalated_at``,
    ``incident_id``, ``incident_size`` and ``notes_count``. Incidents are linked over
    ``every`` alert (default: every stored one), so a filter never splits one."""
    population = list(every) if every is not None else repo.list_alerts(store)
    incidents = link_incidents(population + [a for a in shown if a.id not in
                                             {p.id for p in population}], _gap(settings))
    vessels, escalated_at = _context(store, shown)
    notes = note_counts(store, [a.id for a in shown])
    impacts = prealert_impacts(store, shown)
    return [_enrich(a, names, vessels, escalated_at, incidents[a.id], notes, impacts.get(a.id))
            for a in triage_order(shown)]


def _vessel(ident: VesselIdentity | None, mmsi: int | None) -> dict[str, Any] | None:
    if mmsi is None:
        return None
    return {
        "mmsi": mmsi,
        "name": ident.name if ident else None,
        "imo": ident.imo if ident else None,
        "callsign": ident.callsign if ident else None,
        "flag": flag_of(mmsi),
        "ship_type": ship_type_text(ident.ship_type if ident else None),
        "ship_type_code": ident.ship_type if ident else None,
        "length_m": ident.length_m if ident else None,
    }


def alert_detail(
    store: Store,
    settings: Settings,
    names: PlaceNames,
    alert_id: str,
    router: SeaRouter | None = None,
) -> dict[str, Any]:
    """One alert as :func:`alert_features` gives it, plus ``vessel`` (and
    ``other_vessel`` for a pair), ``assets``, ``events``, ``history``, ``notes``,
    ``incident`` and ``recommended`` (the boat :mod:`khazar.services.dispatch` would send,
    None when no boat can or there is no router). :class:`InputError` for an unknown id."""
    alert = repo.get_alert(store, alert_id)
    every = repo.list_alerts(store)
    incidents = link_incidents(every, _gap(settings))
    incident = incidents[alert.id]
    feat = alert_features(store, settings, names, [alert], every)[0]
    props = feat["properties"]
    vessels = vessel_identities(store, [m for m in (alert.mmsi, alert.other_mmsi)
                                        if m is not None])
    props["vessel"] = _vessel(vessels.get(alert.mmsi) if alert.mmsi else None, alert.mmsi)
    props["other_vessel"] = _vessel(vessels.get(alert.other_mmsi) if alert.other_mmsi
                                    else None, alert.other_mmsi)
    events = events_by_id(store, alert.event_ids)
    asset_ids = [alert.asset_id] if alert.asset_id else []
    asset_ids += [e.asset_id for _, e in events if e.asset_id and e.asset_id not in asset_ids]
    props["assets"] = [{"id": a, "name": names.asset_name(a),
                        "kind": names.assets[a][1] if a in names.assets else None}
                       for a in asset_ids]
    props["events"] = [{"id": eid, "type": e.type, "start": e.start.isoformat(),
                        "end": e.end.isoformat(), "lat": e.lat, "lon": e.lon,
                        "zone_id": e.zone_id, "zone_name": names.zone_name(e.zone_id),
                        "asset_id": e.asset_id, "asset_name": names.asset_name(e.asset_id)}
                       for eid, e in events]
    props["history"] = [{"ts": t.ts.isoformat(), "actor": t.actor,
                         "from": t.from_state.value if t.from_state else None,
                         "to": t.to_state.value, "boat": t.boat, "reason": t.reason}
                        for t in repo.list_transitions(store, alert_id=alert.id)]
    props["notes"] = [{"ts": n.ts.isoformat(), "author": n.author, "text": n.text}
                      for n in repo.list_notes(store, alert_id=alert.id)]
    members = {a.id: a for a in every if a.id in incident.alert_ids}
    listed = alert_features(store, settings, names, list(members.values()), every)
    props["incident"] = {"id": incident.id, "size": incident.size, "alerts": [
        {"id": f["properties"]["id"], "title": f["properties"]["title"],
         "title_az": f["properties"]["title_az"], "severity": f["properties"]["severity"],
         "state": f["properties"]["state"]} for f in listed]}
    props["recommended"] = _recommended(store, settings, router, alert) if router else None
    return feat


def _recommended(
    store: Store, settings: Settings, router: SeaRouter, alert: Alert
) -> dict[str, Any] | None:
    from khazar.services.dispatch import plan_for_alert

    if not alert.is_open:
        return None
    try:
        view = plan_for_alert(store, settings, router, alert.id)
    except (InputError, StateConflictError):
        return None
    return view.recommended()
