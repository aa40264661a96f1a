"""``encounter``: two vessels ≤ 500 m apart for ≥ 30 min, median speed < 2 kn, ≥ 10 km from
any port and ≥ 2 km from the shore (boats alongside in small harbours, which GFW's anchorage
list covers and our port list does not) (GFW distance and speed, Skylight duration; DESIGN C3).

Positions are sampled on a fixed time grid (``encounter_step_s``, 5 min): at each grid time
every vessel's latest fix at or before it, if at most 10 min old (causal, so a grid time
is final once the watermark passes it). Close pairs are found for all grid times at once
with a KD-tree on (x, y, grid index); a pair's run tolerates one missed grid time. Own
patrol boats and authorised boats in their area, and vessels reporting "moored", are never
part of an encounter; neither are ships reporting "at anchor" (ships waiting in an
anchorage lie a few hundred metres apart for days: GFW leaves anchorages out, and our port
list has none of them), nor two fishing boats (pair trawling or boats working one ground; GFW's
encounters pair a fishing vessel with a carrier): a boat is fishing when it reports "engaged
in fishing" or its static data gives ship type 30 (class B boats report no status). Found on
the tuning seeds: two merchant ships anchored off Baku 450 m apart made nine "encounters" a
day; class B fishing boats drifting together made the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, make_event
from khazar.detect.geography import DetectGeography, isin_mmsi
from khazar.domain import Event
from khazar.units import haversine_m

__all__ = ["EncounterDetector", "EncounterState", "PairRun"]

F64 = npt.NDArray[np.float64]
NAV_MOORED = 5  # AIS navigational status "moored": alongside a berth, not a rendezvous
NAV_AT_ANCHOR = 1  # "at anchor": waiting in an anchorage, not a rendezvous
NAV_FISHING = 7  # "engaged in fishing": two of them together are fishing, not a transfer
MAX_AGE_S = 600.0  # a sample is a fix at most this old
MISS_STEPS = 2  # a run continues if the pair is close again within this many grid steps
_LAT0 = 42.0


@dataclass(slots=True)
class PairRun:
    k0: int
    k1: int
    n: int
    slow_a: int
    slow_b: int
    dmin: float
    dsum: float
    lat: float
    lon: float
    va: float
    vb: float


@dataclass(slots=True)
class EncounterState:
    #: per vessel key: its latest fix (t, lat, lon, speed, candidate flag, fishing flag)
    last: dict[tuple[int, int], tuple[float, float, float, float, float, float]] = field(
        default_factory=dict)
    next_k: int | None = None
    pairs: dict[tuple[int, int], PairRun] = field(default_factory=dict)


def _xy(lat: F64, lon: F64) -> tuple[F64, F64]:
    return lon * 111_320.0 * np.cos(np.radians(_LAT0)), lat * 110_574.0


class EncounterDetector:
    name = "encounter"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo
        self.step_s = settings.encounter_step_s

    def init(self) -> EncounterState:
        return EncounterState()

    def size(self, state: EncounterState) -> int:
        return len(state.last) + len(state.pairs)

    def _event(self, a: int, b: int, r: PairRun, is_open: bool) -> Event | None:
        s = self.settings
        dur = (r.k1 - r.k0) * self.step_s
        if dur < s.encounter_min_h * 3600.0 or 2 * r.slow_a <= r.n or 2 * r.slow_b <= r.n:
            return None
        return make_event(
            "encounter", a, r.k0 * self.step_s, r.k1 * self.step_s, r.lat / r.n, r.lon / r.n,
            other_mmsi=b,
            evidence={"duration_h": dur / 3600.0, "min_distance_m": r.dmin,
                      "mean_distance_m": r.dsum / r.n, "samples": r.n,
                      "mean_speed_kn": r.va / r.n, "other_mean_speed_kn": r.vb / r.n},
            is_open=is_open)

    def step(self, state: EncounterState, chunk: Chunk) -> tuple[EncounterState, list[Event]]:
        s = self.settings
        tr, ann, fx = chunk.tr, chunk.ann, chunk.tr.fixes
        n = len(fx)
        cand = ((tr.speed_kn < 2.0 * s.encounter_speed_kn)
                & (ann.port_dist_m >= s.encounter_port_distance_km * 1000.0)
                & (ann.shore_m >= s.encounter_shore_min_km * 1000.0) & ~ann.exempt
                & (fx.status != NAV_MOORED) & (fx.status != NAV_AT_ANCHOR))
        # sources: carried last fixes, then the chunk's fixes, sorted by (key, time)
        keys = list(state.last)
        cm = np.array([k[0] for k in keys], np.int64)
        cs = np.array([k[1] for k in keys], np.int64)
        cv = np.array(list(state.last.values()), np.float64).reshape(len(keys), 6)
        m = np.concatenate((cm, fx.mmsi))
        sg = np.concatenate((cs, tr.seg))
        t = np.concatenate((cv[:, 0], fx.t_s))
        lat = np.concatenate((cv[:, 1], fx.lat))
        lon = np.concatenate((cv[:, 2], fx.lon))
        spd = np.concatenate((cv[:, 3], np.nan_to_num(tr.speed_kn, nan=99.0)))
        ok = np.concatenate((cv[:, 4] > 0, cand))
        fish = np.concatenate((cv[:, 5] > 0, (fx.status == NAV_FISHING)
                               | isin_mmsi(fx.mmsi, self.geo.fishing)))
        order = np.lexsort((t, sg, m))
        m, sg, ok, fish = m[order], sg[order], ok[order], fish[order]
        t, lat, lon, spd = t[order], lat[order], lon[order], spd[order]
        if state.next_k is None and n:
            state.next_k = int(np.ceil(fx.t_s.min() / self.step_s))
        events: list[Event] = []
        k_end = int(np.ceil(chunk.watermark_s / self.step_s))  # grid times < watermark
        if state.next_k is not None and k_end > state.next_k and t.size:
            same = np.zeros(t.size, bool)
            same[:-1] = (m[1:] == m[:-1]) & (sg[1:] == sg[:-1])
            t_next = np.where(same, np.append(t[1:], np.inf), np.inf)
            ka = np.maximum(np.ceil(t / self.step_s), state.next_k).astype(np.int64)
            kb = np.minimum(np.minimum(np.ceil(t_next / self.step_s) - 1,
                                       np.floor((t + MAX_AGE_S) / self.step_s)),
                            k_end - 1).astype(np.int64)
            cnt = np.where(ok, np.maximum(kb - ka + 1, 0), 0)
            src = np.repeat(np.arange(t.size), cnt)
            if src.size > 1:
                starts = np.repeat(np.cumsum(cnt) - cnt, cnt)
                ks = ka[src] + (np.arange(src.size) - starts)
                self._pairs(state, ks, m[src], lat[src], lon[src], spd[src], fish[src],
                            events)
            state.next_k = k_end
            self._close(state, k_end, events)
        # carry each key's latest fix; forget keys too old to be sampled again
        if t.size:
            last = np.ones(t.size, bool)
            last[:-1] = (m[1:] != m[:-1]) | (sg[1:] != sg[:-1])
            for i in np.flatnonzero(last).tolist():
                state.last[(int(m[i]), int(sg[i]))] = (
                    float(t[i]), float(lat[i]), float(lon[i]), float(spd[i]), float(ok[i]),
                    float(fish[i]))
        wm = chunk.watermark_s
        for key in [k for k, v in state.last.items() if wm - v[0] > MAX_AGE_S + self.step_s]:
            del state.last[key]
        for (a, b), r in state.pairs.items():
            ev = self._event(a, b, r, True)
            if ev is not None:
                events.append(ev)
        return state, events

    def _pairs(self, state: EncounterState, ks: npt.NDArray[np.int64],
               m: npt.NDArray[np.int64], lat: F64, lon: F64, spd: F64,
               fish: npt.NDArray[np.bool_], events: list[Event]) -> None:
        s = self.settings
        x, y = _xy(lat, lon)
        k_rel = (ks - ks.min()).astype(np.float64)
        tree = cKDTree(np.column_stack((x, y, k_rel * 1e7)))
        pairs = tree.query_pairs(s.encounter_distance_m * 1.2, output_type="ndarray")
        if pairs.size == 0:
            return
        i, j = pairs[:, 0], pairs[:, 1]
        d = haversine_m(lat[i], lon[i], lat[j], lon[j])
        keep = (d <= s.encounter_distance_m) & (m[i] != m[j]) & ~(fish[i] & fish[j])
        i, j, d = i[keep], j[keep], d[keep]
        swap = m[i] > m[j]
        i, j = np.where(swap, j, i), np.where(swap, i, j)
        order = np.lexsort((d, m[j], m[i], ks[i]))
        i, j, d = i[order], j[order], d[order]
        seen: set[tuple[int, int, int]] = set()
        thr = s.encounter_speed_kn
        for a_i, b_i, dist in zip(i.tolist(), j.tolist(), d.tolist(), strict=True):
            k = int(ks[a_i])
            pa, pb = int(m[a_i]), int(m[b_i])
            if (k, pa, pb) in seen:
                continue
            seen.add((k, pa, pb))
            self._close(state, k, events)
            r = state.pairs.get((pa, pb))
            la = (float(lat[a_i]) + float(lat[b_i])) / 2.0
            lo = (float(lon[a_i]) + float(lon[b_i])) / 2.0
            va, vb = float(spd[a_i]), float(spd[b_i])
            if r is None:
                state.pairs[(pa, pb)] = PairRun(k, k, 1, int(va < thr), int(vb < thr), dist,
                                                dist, la, lo, va, vb)
            else:
                r.k1, r.n = k, r.n + 1
                r.slow_a += int(va < thr)
                r.slow_b += int(vb < thr)
                r.dmin = min(r.dmin, dist)
                r.dsum += dist
                r.lat += la
                r.lon += lo
                r.va += va
                r.vb += vb
        self._close(state, int(ks.max()) + 1, events)

    def _close(self, state: EncounterState, k_now: int, events: list[Event]) -> None:
        """Close pair runs not seen for more than MISS_STEPS grid steps before ``k_now``."""
        for pair in [p for p, r in state.pairs.items() if k_now - r.k1 > MISS_STEPS]:
            r = state.pairs.pop(pair)
            ev = self._event(pair[0], pair[1], r, False)
            if ev is not None:
                events.append(ev)
