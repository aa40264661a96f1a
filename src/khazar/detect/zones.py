"""``zone_entry`` / ``zone_exit``: a track crosses the boundary of a territorial sea, a
platform safety zone, a pipeline corridor or a border sector (DESIGN C3).

Both are instants: ``start == end`` is the first fix inside (entry) or outside (exit). A
track that first appears inside a zone has not entered it. Zones entered at the same fix
make one event (the most specific zone as ``zone_id``, all of them in the evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, Key, make_event
from khazar.detect.geography import EVENT_ZONE_KINDS, DetectGeography
from khazar.domain import Event

__all__ = ["ZoneDetector", "ZoneState"]


@dataclass(slots=True)
class ZoneState:
    #: per vessel key: (last time, zone bits of the last fix)
    last: dict[Key, tuple[float, tuple[int, ...]]] = field(default_factory=dict)


class ZoneDetector:
    name = "zones"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo
        words = max(1, (len(geo.zones) + 63) // 64)
        mask = np.zeros(words, np.uint64)
        for i, z in enumerate(geo.zones):
            if z.kind in EVENT_ZONE_KINDS:
                mask[i // 64] |= np.uint64(1 << (i % 64))
        self.mask = mask
        self.rank = {zi: r for r, zi in enumerate(geo.zone_order)}

    def init(self) -> ZoneState:
        return ZoneState()

    def size(self, state: ZoneState) -> int:
        return len(state.last)

    def _zones(self, bits: np.ndarray) -> list[int]:
        out = [w * 64 + b for w in range(bits.shape[0]) for b in range(64)
               if int(bits[w]) >> b & 1]
        return sorted(out, key=lambda zi: self.rank[zi])

    def step(self, state: ZoneState, chunk: Chunk) -> tuple[ZoneState, list[Event]]:
        events: list[Event] = []
        fx, tr = chunk.tr.fixes, chunk.tr
        if len(fx):
            zb = chunk.ann.zbits & self.mask
            prev = np.empty_like(zb)
            prev[1:] = zb[:-1]
            valid = np.ones(len(fx), bool)
            for key, a, b in chunk.groups():
                carried = state.last.get(key)
                if carried is None:
                    valid[a] = False
                else:
                    prev[a] = np.array(carried[1], np.uint64)
                state.last[key] = (float(fx.t_s[b - 1]), tuple(int(x) for x in zb[b - 1]))
            entered = zb & ~prev
            exited = prev & ~zb
            entered[~valid] = 0
            exited[~valid] = 0
            for etype, bits in (("zone_entry", entered), ("zone_exit", exited)):
                for i in np.flatnonzero(bits.any(axis=1)).tolist():
                    zones = self._zones(bits[i])
                    z = self.geo.zones[zones[0]]
                    t = float(fx.t_s[i])
                    events.append(make_event(
                        etype, int(fx.mmsi[i]), t, t, float(fx.lat[i]), float(fx.lon[i]),
                        zone_id=z.id, asset_id=z.asset_id,
                        evidence={"zones": [self.geo.zones[k].id for k in zones],
                                  "kind": z.kind,
                                  "speed_kn": _num(tr.speed_kn[i]),
                                  "course_deg": _num(tr.course_deg[i])}))
        horizon = self.settings.track_gap_split_h * 3600.0
        for key in [k for k, v in state.last.items() if chunk.watermark_s - v[0] > horizon]:
            del state.last[key]
        return state, events


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
