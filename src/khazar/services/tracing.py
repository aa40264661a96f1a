"""The fault back-trace use case (``khazar trace``): read the tracks near an asset, rank them,
write the evidence pack, record its SHA-256 in the audit log. Thin: the ranking is the pure
:func:`khazar.alerts.backtrace.rank_vessels`, the pack :func:`khazar.interop.evidence.write_pack`,
the reads :func:`khazar.store.picture.fixes_in_box`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from khazar.alerts.backtrace import TraceTarget, VesselTrace, rank_vessels
from khazar.alerts.context import shore_distance
from khazar.domain.fixes import VesselFixes
from khazar.errors import InputError
from khazar.geo import Geography
from khazar.interop.evidence import EvidencePack, write_pack
from khazar.store import Store
from khazar.store.audit import append
from khazar.store.picture import fixes_in_box
from khazar.units import EARTH_RADIUS_M

__all__ = ["TraceResult", "TrackReader", "trace_asset"]

#: (start, end, (min_lat, min_lon, max_lat, max_lon), pad) → every fix from start − pad to
#: end + pad of each vessel with a fix inside the box between start and end
TrackReader = Callable[[datetime, datetime, tuple[float, float, float, float], timedelta],
                       list[VesselFixes]]

#: candidates are vessels with a fix this far around the area during the window
SEARCH_MARGIN_M = 15_000.0
#: tracks are read this long before and after the window (approach speed, interpolation);
#: anchors go down tens of kilometres before the line (Eagle S ~100 km of trail, issue 21):
#: the passage speed before the drop must be in the track
TRACK_PAD = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class TraceResult:
    target: TraceTarget
    ranking: tuple[VesselTrace, ...]
    pack: EvidencePack
    candidates: int

    def to_dict(self) -> dict[str, object]:
        return {
            "asset_id": self.target.asset_id,
            "candidates": self.candidates,
            "vessels": [r.to_dict() for r in self.ranking],
            "evidence": self.pack.to_dict(),
        }


def _target(
    geo: Geography, asset_id: str, point: tuple[float, float] | None, radius_km: float | None
) -> TraceTarget:
    assets = {a.id: a for a in geo.assets}
    if asset_id not in assets:
        known = ", ".join(sorted(assets)[:12])
        raise InputError(
            f"unknown asset {asset_id!r}; `khazar assets` lists them (e.g. {known}, …)"
        )
    if radius_km is not None and radius_km <= 0:
        raise InputError(f"--radius-km {radius_km} must be positive")
    asset = assets[asset_id]
    radius_m = None
    if point is not None:
        radius_m = 1000.0 * (radius_km if radius_km is not None else 5.0)
    return TraceTarget(asset_id, asset.geometry, asset.protected_area, point, radius_m)


def _box(target: TraceTarget, margin_m: float) -> tuple[float, float, float, float]:
    if target.point is not None:
        lat, lon = target.point
        min_lon, min_lat, max_lon, max_lat = lon, lat, lon, lat
        margin_m += target.radius_m or 0.0
    else:
        area = target.protected_area or target.geometry
        min_lon, min_lat, max_lon, max_lat = area.bounds
    dlat = math.degrees(margin_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.1)
    return (min_lat - dlat, min_lon - dlon, max_lat + dlat, max_lon + dlon)


def trace_asset(
    store: Store,
    geo: Geography,
    asset_id: str,
    start: datetime,
    end: datetime,
    out_dir: Path,
    actor: str,
    point: tuple[float, float] | None = None,
    radius_km: float | None = None,
    near_m: float = 5000.0,
    exclude: Collection[int] = (),
    authorised: Mapping[str, Collection[int]] | None = None,
    read: TrackReader | None = None,
) -> TraceResult:
    """Rank the vessels near ``asset_id`` in [start, end], write the pack, audit its hash.

    ``read``: where the tracks come from (default: the store's positions; the Spark engine
    reads them from an archive of years), called as :func:`fixes_in_box` is.

    ``exclude``: MMSIs not ranked (the CLI passes the own patrol boats unless asked not to);
    ``authorised``: the registry (asset id or group → MMSIs), to weigh down an asset's own
    supply boats.
    """
    if end <= start:
        raise InputError(f"--from {start.isoformat()} must be before --to {end.isoformat()}")
    target = _target(geo, asset_id, point, radius_km)
    box = _box(target, SEARCH_MARGIN_M + near_m)
    fixes = (read(start, end, box, TRACK_PAD) if read is not None
             else fixes_in_box(store, start, end, box, pad=TRACK_PAD))
    asset = next(a for a in geo.assets if a.id == asset_id)
    registry = authorised or {}
    at_home = {m for place in (asset.id, asset.group) if place for m in registry.get(place, ())}
    ranking = rank_vessels(
        fixes,
        target,
        start,
        end,
        near_m=near_m,
        exclude=exclude,
        authorised=at_home,
        shore_distance_m=shore_distance(geo),
    )
    pack = write_pack(out_dir, target, ranking, fixes, start, end)
    append(
        store,
        actor,
        "trace.evidence",
        target=asset_id,
        detail={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "point": list(point) if point else None,
            "radius_km": radius_km,
            "sha256": pack.sha256,
            "files": pack.files,
            "top": [r.mmsi for r in ranking[:5]],
            "excluded": sorted(exclude),
        },
    )
    return TraceResult(target, tuple(ranking), pack, len(fixes))
