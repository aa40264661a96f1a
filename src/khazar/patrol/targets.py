"""Patrol targets and their payoffs: protected assets, border segments, recent alerts.

Targets (documented in docs/patrol.md):

- every asset of the registry whose protected area (safety circle or pipeline corridor) lies
  in the patrol region, valued by its energy criticality (``khazar.energy``: ``a·bcm/yr +
  b·kb/d``), at least ``min_asset_value`` (ports and assets without flow still matter);
- the seaward limit of Azerbaijan's territorial sea cut into ``border_segment_nm`` pieces,
  each worth ``border_value`` (incursions, trafficking), and the border sectors next to the
  neighbours' waters worth ``border_sector_value``.

Threat raises the attacker's interest: ``threat = 1 + threat_per_alert × recent alerts`` at
the target (capped at ``threat_cap``). Payoffs of a target of value ``V`` and threat ``θ``::

    defender: covered 0, uncovered -V          attacker: covered -penalty·V, uncovered θ·V

Pure: geography, criticality and alert counts come in as values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from khazar.geo import Geography
from khazar.patrol.game import SecurityGame, Target

__all__ = ["PatrolTarget", "TargetSettings", "build_targets", "targets_game"]


@dataclass(frozen=True, slots=True)
class TargetSettings:
    """How targets are valued (defaults documented in docs/patrol.md)."""

    border_segment_nm: float = 20.0
    border_value: float = 1.0
    border_sector_value: float = 2.0
    min_asset_value: float = 0.5
    attacker_penalty: float = 0.5  # attacker's loss when caught, as a fraction of V
    threat_per_alert: float = 0.5
    threat_cap: float = 3.0


@dataclass(frozen=True, slots=True)
class PatrolTarget:
    """Something the boats protect, with its value and threat."""

    id: str
    kind: str  # asset kind, "border" or "border_sector"
    name: str
    area: BaseGeometry  # lon/lat polygon or line the attacker must reach
    value: float
    threat: float

    def as_game_target(self, settings: TargetSettings) -> Target:
        v = self.value
        return Target(self.id, 0.0, -v, -settings.attacker_penalty * v, self.threat * v)


def _segments(line: BaseGeometry, geo: Geography, seg_nm: float) -> list[BaseGeometry]:
    xy = geo.proj.geom_to_xy(line)
    parts = list(getattr(xy, "geoms", [xy]))
    out: list[BaseGeometry] = []
    step_m = seg_nm * 1852.0
    for part in parts:
        if not isinstance(part, LineString) or part.length <= 0:
            continue
        n = max(1, round(part.length / step_m))
        for i in range(n):
            piece = substring(part, part.length * i / n, part.length * (i + 1) / n)
            out.append(geo.proj.geom_to_lonlat(piece))
    return out


def build_targets(
    geo: Geography,
    criticality: Mapping[str, float],
    alert_counts: Mapping[str, int] | None = None,
    settings: TargetSettings | None = None,
    region: BaseGeometry | None = None,
) -> list[PatrolTarget]:
    """Targets of the patrol game. ``criticality``: asset id → value (C5); ``alert_counts``:
    asset, zone or target id → recent alerts there; ``region``: the patrol region (lon/lat),
    assets outside it are left out (e.g. foreign ports)."""
    s = settings or TargetSettings()
    alerts = alert_counts or {}

    def threat(*keys: str) -> float:
        n = sum(int(alerts.get(k, 0)) for k in keys)
        return min(s.threat_cap, 1.0 + s.threat_per_alert * n)

    out: list[PatrolTarget] = []
    for asset in geo.assets:
        area = asset.protected_area
        if region is not None and not area.intersects(region):
            continue
        value = max(s.min_asset_value, float(criticality.get(asset.id, 0.0)))
        zone_ids = [z.id for z in geo.zones if z.id.startswith(asset.id)]
        out.append(PatrolTarget(asset.id, asset.kind, asset.name, area, value,
                                threat(asset.id, *zone_ids)))
    for i, seg in enumerate(_segments(geo.territorial_limit, geo, s.border_segment_nm)):
        tid = f"border-{i:02d}"
        out.append(PatrolTarget(tid, "border", f"territorial-sea limit {i}", seg,
                                s.border_value, threat(tid)))
    for zone in geo.zones:
        if zone.kind == "border_sector":
            out.append(PatrolTarget(zone.id, "border_sector", zone.name, zone.geometry,
                                    s.border_sector_value, threat(zone.id)))
    return out


def targets_game(
    targets: Sequence[PatrolTarget], resources: float, settings: TargetSettings | None = None
) -> SecurityGame:
    """The compact security game over the targets (``resources`` boats)."""
    s = settings or TargetSettings()
    return SecurityGame(resources, tuple(t.as_game_target(s) for t in targets))
