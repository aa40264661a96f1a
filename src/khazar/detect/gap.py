"""``ais_gap``: no position for ≥ 1 h (≥ 30 min when the last fix was in a pipeline corridor
or platform safety zone) from a vessel that was being received — its previous report came
≤ 15 min before the last one, and its last fix lies where reception is reliable: a cell the
learned reception map (:mod:`khazar.detect.reception`, from the stored positions) says is
covered, or, where the map has no data, within reliable range of one of our receivers — and
was neither in port nor within 2.5 km of the shore (a harbour the port list does not know)
(DESIGN C3; GFW uses 6 h). Evidence: the gap's duration, the distance and implied speed
across it. A silence still going on is an open event up to the watermark: live notices it
from its clock, batch at the end of data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, make_event
from khazar.detect.geography import DetectGeography
from khazar.domain import Event
from khazar.units import KN_TO_MS, haversine_m

__all__ = ["GapDetector", "GapState", "LastFix"]

#: "being received": the report before the last one came at most this long before it
RECEIVED_INTERVAL_S = 900.0
#: this close to the shore a vessel may be entering a harbour our port list does not know:
#: switching off there is normal
COASTAL_M = 2500.0


@dataclass(slots=True)
class LastFix:
    t_s: float
    lat: float
    lon: float
    prev_dt_s: float
    zone: int
    in_port: bool
    covered: bool = True
    moored: bool = False  # at the coast (a harbour the port list may not know)


@dataclass(slots=True)
class GapState:
    last: dict[int, LastFix] = field(default_factory=dict)


class GapDetector:
    name = "ais_gap"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo

    def init(self) -> GapState:
        return GapState()

    def size(self, state: GapState) -> int:
        return len(state.last)

    def _threshold_s(self, zone: int) -> float:
        s = self.settings
        return (s.gap_protected_min_h if zone >= 0 else s.gap_min_h) * 3600.0

    def _event(self, mmsi: int, lf: LastFix, t1: float, lat1: float, lon1: float,
               is_open: bool) -> Event:
        dur = t1 - lf.t_s
        dist = float(haversine_m(lf.lat, lf.lon, lat1, lon1)) if not is_open else None
        z = self.geo.zones[lf.zone] if lf.zone >= 0 else None
        return make_event(
            "ais_gap", mmsi, lf.t_s, t1, lf.lat, lf.lon,
            zone_id=z.id if z else None, asset_id=z.asset_id if z else None,
            evidence={"duration_h": dur / 3600.0, "distance_m": dist,
                      "implied_speed_kn": (dist / dur / KN_TO_MS) if dist is not None else None,
                      "protected": z is not None},
            is_open=is_open)

    def _gap_ok(self, lf: LastFix, dt: float) -> bool:
        # a silence longer than gap_forget_h is not a closed gap: the vessel was forgotten
        # (its open gap stays open), so live state stays bounded
        return (self._threshold_s(lf.zone) <= dt <= self.settings.gap_forget_h * 3600.0
                and lf.prev_dt_s <= RECEIVED_INTERVAL_S and not lf.in_port and lf.covered
                and not lf.moored)

    def step(self, state: GapState, chunk: Chunk) -> tuple[GapState, list[Event]]:
        events: list[Event] = []
        fx, ann = chunk.tr.fixes, chunk.ann
        n = len(fx)
        if n:
            order = chunk.by_mmsi_time
            m, t = fx.mmsi[order], fx.t_s[order]
            lat, lon = fx.lat[order], fx.lon[order]
            zone = ann.prot_zone[order]
            in_port = (ann.port_dist_m[order] <= self.settings.port_exit_km * 1000.0)
            covered = ann.covered[order]
            moored = ann.shore_m[order] < COASTAL_M
            first = np.ones(n, bool)
            first[1:] = m[1:] != m[:-1]
            dt = np.empty(n)
            dt[1:] = np.diff(t)
            dt[first] = np.nan
            for i in np.flatnonzero(first).tolist():
                lf = state.last.get(int(m[i]))
                if lf is not None:
                    dt[i] = t[i] - lf.t_s
            # candidate gaps: a link long enough for the shorter (protected) threshold
            cand = np.flatnonzero(dt >= self.settings.gap_protected_min_h * 3600.0)
            for i in cand.tolist():
                mm = int(m[i])
                if first[i]:
                    lf = state.last[mm]
                else:
                    pdt = dt[i - 1] if np.isfinite(dt[i - 1]) else np.inf
                    lf = LastFix(float(t[i - 1]), float(lat[i - 1]), float(lon[i - 1]),
                                 float(pdt), int(zone[i - 1]), bool(in_port[i - 1]),
                                 bool(covered[i - 1]), bool(moored[i - 1]))
                if self._gap_ok(lf, float(dt[i])):
                    events.append(self._event(mm, lf, float(t[i]), float(lat[i]),
                                              float(lon[i]), False))
            last_idx = np.append(np.flatnonzero(first)[1:] - 1, n - 1)
            for i in last_idx.tolist():
                mm = int(m[i])
                pdt = float(dt[i]) if np.isfinite(dt[i]) else np.inf
                state.last[mm] = LastFix(float(t[i]), float(lat[i]), float(lon[i]), pdt,
                                         int(zone[i]), bool(in_port[i]), bool(covered[i]),
                                         bool(moored[i]))
        wm = chunk.watermark_s
        for mm in list(state.last):
            lf = state.last[mm]
            silent = wm - lf.t_s
            if silent > self.settings.gap_forget_h * 3600.0:
                del state.last[mm]
            elif self._gap_ok(lf, silent):
                events.append(self._event(mm, lf, wm, lf.lat, lf.lon, True))
        return state, events
