"""Incidents: the alerts of one vessel (or one pair) in one episode, linked. Pure.

One ship dragging its anchor across two pipelines raises two alerts (one per asset: the
merge key has the place in it); the watch officer must see one incident with two alerts,
not two unrelated ones. Alerts of the same vessel(s) and the same picture (live or
exercise) belong to one incident when their spans overlap or the gap between them is at
most ``gap`` (a chain: A–B and B–C link A and C). An alert with no vessel (a radar
contact) and an alert with nothing near it is an incident of its own.

The incident's id is ``I`` plus the id of its earliest alert (without the ``A``), so it is
stable while alerts join it later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from khazar.domain.alerts import Alert

__all__ = ["Incident", "link_incidents"]


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    alert_ids: tuple[str, ...]  # earliest first

    @property
    def size(self) -> int:
        return len(self.alert_ids)


def _incident_id(first: Alert) -> str:
    return "I" + (first.id[1:] if first.id.startswith("A") else first.id)


def _vessels(alert: Alert) -> tuple[int, ...] | None:
    found = sorted(m for m in (alert.mmsi, alert.other_mmsi) if m is not None)
    return tuple(found) or None


def link_incidents(alerts: Sequence[Alert], gap: timedelta) -> dict[str, Incident]:
    """Alert id → its incident, for every alert given."""
    groups: dict[tuple[bool, tuple[int, ...]], list[Alert]] = defaultdict(list)
    out: dict[str, Incident] = {}
    for a in alerts:
        key = _vessels(a)
        if key is None:
            out[a.id] = Incident(_incident_id(a), (a.id,))
        else:
            groups[(a.exercise, key)].append(a)
    for members in groups.values():
        members.sort(key=lambda a: (a.first_ts, a.id))
        episode: list[Alert] = []
        end: datetime | None = None
        for a in members:
            if end is not None and a.first_ts - end > gap:
                _close(episode, out)
                episode, end = [], None
            episode.append(a)
            end = a.last_ts if end is None else max(end, a.last_ts)
        _close(episode, out)
    return out


def _close(episode: list[Alert], out: dict[str, Incident]) -> None:
    if not episode:
        return
    incident = Incident(_incident_id(episode[0]), tuple(a.id for a in episode))
    for a in episode:
        out[a.id] = incident
