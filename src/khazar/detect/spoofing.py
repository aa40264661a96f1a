"""``spoofing``: an episode of identity or position anomalies of one MMSI (DESIGN C3):

- ``jump``: a fix implying > 50 kn from every live sub-track (the tracker opens a new one);
- ``shared_mmsi``: reports alternate between two simultaneous sub-tracks of the MMSI;
- ``on_land``: a fix a whole raster cell (≥ ~1 km) inside land, away from ports;
- ``invalid_mmsi``: not a ship station's MMSI (9 digits, MID 201–775).

Anomalies less than ``spoof_quiet_h`` apart form one episode; an episode closes after that
long without one (the watermark tells), so live and batch cut episodes alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, make_event
from khazar.detect.geography import DetectGeography
from khazar.domain import Event

__all__ = ["SpoofState", "SpoofingDetector", "invalid_mmsi"]

_KINDS = ("jump", "shared_mmsi", "on_land", "invalid_mmsi")


def invalid_mmsi(mmsi: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True where the number is not a ship station's MMSI (MID outside 201–775)."""
    return np.asarray((mmsi < 201_000_000) | (mmsi > 775_999_999))


@dataclass(slots=True)
class Episode:
    t0: float
    t1: float
    lat: float
    lon: float
    kinds: int
    count: int
    max_implied_kn: float


@dataclass(slots=True)
class SpoofState:
    #: per MMSI: (time, segment) of its last fix, for the alternation test
    last_seg: dict[int, tuple[float, int]] = field(default_factory=dict)
    episodes: dict[int, Episode] = field(default_factory=dict)


class SpoofingDetector:
    name = "spoofing"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo

    def init(self) -> SpoofState:
        return SpoofState()

    def size(self, state: SpoofState) -> int:
        return len(state.last_seg) + len(state.episodes)

    def _event(self, mmsi: int, ep: Episode, is_open: bool) -> Event:
        return make_event(
            "spoofing", mmsi, ep.t0, ep.t1, ep.lat, ep.lon,
            evidence={"kinds": [k for b, k in enumerate(_KINDS) if ep.kinds >> b & 1],
                      "anomalies": ep.count,
                      "max_implied_speed_kn": ep.max_implied_kn if ep.max_implied_kn > 0
                      else None},
            is_open=is_open)

    def step(self, state: SpoofState, chunk: Chunk) -> tuple[SpoofState, list[Event]]:
        events: list[Event] = []
        tr, ann, fx = chunk.tr, chunk.ann, chunk.tr.fixes
        quiet = self.settings.spoof_quiet_h * 3600.0
        n = len(fx)
        if n:
            order = chunk.by_mmsi_time
            m, t, seg = fx.mmsi[order], fx.t_s[order], tr.seg[order]
            first = np.ones(n, bool)
            first[1:] = m[1:] != m[:-1]
            pseg = np.empty(n, np.int64)
            pseg[1:] = seg[:-1]
            for i in np.flatnonzero(first).tolist():
                ls = state.last_seg.get(int(m[i]))
                pseg[i] = ls[1] if ls is not None else seg[i]
            jump = tr.jump[order]
            alternate = tr.multi[order] & (seg != pseg) & ~tr.new_seg[order]
            land = ann.land[order] & (ann.port_dist_m[order] > self.settings.port_exit_km * 1000)
            bad = invalid_mmsi(m)
            kinds = (jump * 1) | (alternate * 2) | (land * 4) | (bad * 8)
            implied = np.where(jump, np.nan_to_num(tr.jump_kn[order], posinf=0.0), 0.0)
            lat, lon = fx.lat[order], fx.lon[order]
            for i in np.flatnonzero(kinds).tolist():
                mm = int(m[i])
                ep = state.episodes.get(mm)
                if ep is not None and t[i] - ep.t1 > quiet:
                    events.append(self._event(mm, ep, False))
                    ep = None
                if ep is None:
                    ep = state.episodes[mm] = Episode(float(t[i]), float(t[i]), float(lat[i]),
                                                      float(lon[i]), 0, 0, 0.0)
                ep.t1 = float(t[i])
                ep.kinds |= int(kinds[i])
                ep.count += 1
                ep.max_implied_kn = max(ep.max_implied_kn, float(implied[i]))
            last = np.append(np.flatnonzero(first)[1:] - 1, n - 1)
            for i in last.tolist():
                state.last_seg[int(m[i])] = (float(t[i]), int(seg[i]))
        wm = chunk.watermark_s
        for mm in list(state.episodes):
            ep = state.episodes[mm]
            if wm - ep.t1 > quiet:
                events.append(self._event(mm, ep, False))
                del state.episodes[mm]
            else:
                events.append(self._event(mm, ep, True))
        horizon = self.settings.track_gap_split_h * 3600.0
        for mm in [k for k, v in state.last_seg.items() if wm - v[0] > horizon]:
            del state.last_seg[mm]
        return state, events
