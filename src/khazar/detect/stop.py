"""``stop``: a vessel that stays within ``stop_diameter_m`` (1,000 m) for at least
``stop_min_h`` (1 h): MovingPandas' stop definition (``TrajectoryStopDetector``), streamed.

The definition, per track (one tracker segment), fix by fix:

- the *segment* collects fixes; while the vessel is not stopped, fixes older than
  ``stop_min_h`` before the newest are dropped from its front (at least two kept);
- the vessel *is stopped* while the segment fits: it has two or more fixes and they lie in
  a rectangle whose diagonal is shorter than ``stop_diameter_m`` (so in a circle of that
  diameter); while stopped, the segment only grows;
- when a fix breaks the fit, the segment up to the fix before is a stop if it lasted at
  least ``stop_min_h``; the next segment starts at the breaking fix. A shorter one goes on
  as a plain segment (its front dropped as above);
- a stop still going on at the end of the data is an open event.

MovingPandas measures the segment with the minimum-area rectangle of its points in
longitude/latitude degrees at every fix: quadratic on a long stay. Here each segment is
projected on ``2·ORIENTATIONS`` directions in a local metric frame centred on its first fix,
and only each direction's extent (min and max) is kept: a fix costs O(1), a stay of any
length O(1) memory. The rectangle for orientation θ has the extents along θ and θ + 90° as
sides; the smallest diagonal over the sampled orientations is the segment's diameter. Most
fixes never reach that test: the segment's diameter is at least the distance between any
two of its fixes, so a window whose ends (or ends and middle) are ``stop_diameter_m`` apart
is skipped in one vectorised pass.

No alert rule matches ``stop``: it feeds pattern-of-life (anchorage occupancy on the map,
the events list, back-tracing). Evidence: ``duration_h``, ``diameter_m``, ``fixes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, Key, make_event
from khazar.detect.geography import DetectGeography
from khazar.domain import Event
from khazar.units import EARTH_RADIUS_M

__all__ = ["ORIENTATIONS", "StopDetector", "StopKey", "segment_diameter_m"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: rectangle orientations sampled over [0°, 90°): 8 → every 11.25°. The smallest sampled
#: diagonal exceeds the smallest over all orientations by at most 9 % (a square cloud half a
#: step off), by nothing for a line or a disc (a drifting ship, a ship swinging at anchor)
ORIENTATIONS = 8
_ANGLES = np.arange(2 * ORIENTATIONS) * (math.pi / (2 * ORIENTATIONS))
_DIRS = np.stack((np.cos(_ANGLES), np.sin(_ANGLES)))  # (2, 2K): θ_j and θ_j + 90° = θ_{j+K}
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
#: a stop's extension is measured in blocks of fixes growing from this size (amortised O(1))
_BLOCK = 64
#: the centre is summed in integer units of 1e-7° (1 cm): exact, so the same in any steps
_UNITS_PER_DEG = 1e7


def _units(deg: F64) -> int:
    return int(np.rint(deg * _UNITS_PER_DEG).astype(np.int64).sum())


def _project(lat: F64, lon: F64, lat0: float, lon0: float) -> F64:
    """Fixes on the sampled directions, metres in the equirectangular frame at (lat0, lon0):
    shape (2K, n)."""
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    x = dlon * (math.cos(math.radians(lat0)) * _M_PER_DEG)
    y = (lat - lat0) * _M_PER_DEG
    return np.asarray(_DIRS[0][:, None] * x + _DIRS[1][:, None] * y)


def _diameter(hi: F64, lo: F64) -> F64:
    """The smallest diagonal over the sampled rectangles, from extents of shape (2K, …)."""
    w2 = (hi - lo) ** 2
    return np.asarray(np.sqrt(np.min(w2[:ORIENTATIONS] + w2[ORIENTATIONS:], axis=0)))


def segment_diameter_m(lat: F64, lon: F64) -> float:
    """The diameter of a set of fixes as the detector measures it (metres)."""
    if lat.size < 2:
        return 0.0
    p = _project(lat, lon, float(lat[0]), float(lon[0]))
    return float(_diameter(p.max(axis=1), p.min(axis=1)))


@dataclass(slots=True)
class _Stopped:
    """A segment that fits: its frame (its first fix), extents, sums and ends."""

    lat0: float
    lon0: float
    hi: F64
    lo: F64
    t0: float
    t1: float
    sum_lat: int  # 1e-7 degrees
    sum_lon: int
    n: int


@dataclass(slots=True)
class StopKey:
    """One track's state: the segment's fixes while they are still needed (at most
    ``stop_min_h`` of them and one more), and the summary of a stop in progress."""

    last_t: float
    t: F64 = field(default_factory=lambda: np.empty(0))
    lat: F64 = field(default_factory=lambda: np.empty(0))
    lon: F64 = field(default_factory=lambda: np.empty(0))
    stopped: _Stopped | None = None


class StopDetector:
    """The ``stop`` kernel: per track, a few vectorised passes and a loop over the stops."""

    name = "stop"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo
        self.diameter_m = settings.stop_diameter_m
        self.min_s = settings.stop_min_h * 3600.0

    def init(self) -> dict[Key, StopKey]:
        return {}

    def size(self, state: dict[Key, StopKey]) -> int:
        return len(state)

    def step(self, state: dict[Key, StopKey], chunk: Chunk) -> tuple[dict[Key, StopKey],
                                                                      list[Event]]:
        events: list[Event] = []
        fx = chunk.tr.fixes
        for key, a, b in chunk.groups():
            ks = state.get(key)
            if ks is None:
                ks = state[key] = StopKey(float(fx.t_s[a]))
            self._track(key, ks, fx.t_s[a:b], fx.lat[a:b], fx.lon[a:b], events)
        horizon = self.settings.track_gap_split_h * 3600.0
        for key in list(state):
            ks = state[key]
            st = ks.stopped
            long_stop = st is not None and st.t1 - st.t0 >= self.min_s
            if chunk.watermark_s - ks.last_t > horizon:  # the track has ended
                if long_stop and st is not None:
                    events.append(self._event(key, st, False))
                del state[key]
            elif long_stop and st is not None:
                events.append(self._event(key, st, True))
        return state, events

    # ------------------------------------------------------------------ one track
    def _track(self, key: Key, ks: StopKey, t_new: F64, lat_new: F64, lon_new: F64,
               events: list[Event]) -> None:
        """Run the definition over the carried segment fixes and the new ones."""
        t = np.concatenate((ks.t, t_new))
        lat = np.concatenate((ks.lat, lat_new))
        lon = np.concatenate((ks.lon, lon_new))
        m = t.size
        i = ks.t.size  # carried fixes were consumed by earlier steps
        d_max = self.diameter_m
        st = ks.stopped
        # not stopped: the segment at fix k is [max(base, front[k]), k]
        base = 0
        idx = np.arange(m)
        front = np.minimum(np.searchsorted(t, t - self.min_s, side="right"),
                           np.maximum(idx - 1, 0))
        cand = self._candidates(lat, lon, front, idx)
        while i < m:
            if st is not None:
                q, st = self._extend(st, lat, lon, t, i)
                if q >= m:
                    break
                # fix q breaks the fit: the segment up to q - 1 is a stop if long enough
                if st.t1 - st.t0 >= self.min_s:
                    events.append(self._event(key, st, False))
                    base = q
                else:  # a short stay: the segment goes on from its first fix
                    base = q - st.n
                st = None
                i = q + 1
                continue
            if front[i] < base:
                # just after a reset: the segment [base, k] only grows until front catches up
                e = min(m, int(np.searchsorted(front, base, side="left")))
                e = max(e, i + 1)
                st, k = self._first_fit(lat, lon, t, base, i, e)
                i = k + 1 if st is not None else e
                continue
            hit = int(np.searchsorted(cand, i, side="left"))
            if hit >= cand.size:
                break
            k = int(cand[hit])
            f = int(front[k])
            p = _project(lat[f:k + 1], lon[f:k + 1], float(lat[f]), float(lon[f]))
            hi, lo = p.max(axis=1), p.min(axis=1)
            if float(_diameter(hi, lo)) < d_max:
                st = _Stopped(float(lat[f]), float(lon[f]), hi, lo, float(t[f]), float(t[k]),
                              _units(lat[f:k + 1]), _units(lon[f:k + 1]), k + 1 - f)
            i = k + 1
        # carry what the next fix needs
        ks.last_t = float(t[-1]) if m else ks.last_t
        ks.stopped = st
        if st is not None:
            keep = m - st.n if st.t1 - st.t0 < self.min_s else m  # a short stay's fixes
        else:
            keep = max(base, int(front[-1])) if m else 0
        ks.t, ks.lat, ks.lon = t[keep:], lat[keep:], lon[keep:]

    def _candidates(self, lat: F64, lon: F64, front: I64, idx: I64) -> I64:
        """Fixes whose free segment [front, k] may fit: its ends, and its ends and middle,
        are closer than the diameter (the diameter bounds every pairwise distance)."""
        if idx.size == 0:
            return np.empty(0, np.int64)
        mid = (front + idx) // 2
        lim = self.diameter_m * (1.0 + 1e-9)
        ok = idx > 0
        for u, v in ((front, idx), (front, mid), (mid, idx)):
            ok &= _dist_m(lat[u], lon[u], lat[v], lon[v], lat[front]) < lim
        return np.flatnonzero(ok).astype(np.int64)

    def _first_fit(self, lat: F64, lon: F64, t: F64, base: int, i: int,
                   e: int) -> tuple[_Stopped | None, int]:
        """The first k in [i, e) whose segment [base, k] fits (it only grows from base)."""
        p = _project(lat[base:e], lon[base:e], float(lat[base]), float(lon[base]))
        hi = np.maximum.accumulate(p, axis=1)
        lo = np.minimum.accumulate(p, axis=1)
        diam = _diameter(hi, lo)
        ks = np.arange(base, e)
        ok = (diam < self.diameter_m) & (ks > base) & (ks >= i)
        where = np.flatnonzero(ok)
        if where.size == 0:
            return None, e
        j = int(where[0])
        k = base + j
        return _Stopped(float(lat[base]), float(lon[base]), hi[:, j].copy(), lo[:, j].copy(),
                        float(t[base]), float(t[k]), _units(lat[base:k + 1]),
                        _units(lon[base:k + 1]), k + 1 - base), k

    def _extend(self, st: _Stopped, lat: F64, lon: F64, t: F64,
                i: int) -> tuple[int, _Stopped]:
        """Grow a fitting segment from fix i: the first fix that breaks the fit (or the end
        of the arrays) and the segment up to the fix before it."""
        m = t.size
        block = _BLOCK
        while i < m:
            e = min(m, i + block)
            p = _project(lat[i:e], lon[i:e], st.lat0, st.lon0)
            hi = np.maximum(np.maximum.accumulate(p, axis=1), st.hi[:, None])
            lo = np.minimum(np.minimum.accumulate(p, axis=1), st.lo[:, None])
            bad = np.flatnonzero(_diameter(hi, lo) >= self.diameter_m)
            stop = int(bad[0]) if bad.size else e - i
            if stop > 0:
                st.hi, st.lo = hi[:, stop - 1].copy(), lo[:, stop - 1].copy()
                st.t1 = float(t[i + stop - 1])
                st.sum_lat += _units(lat[i:i + stop])
                st.sum_lon += _units(lon[i:i + stop])
                st.n += stop
            if bad.size:
                return i + stop, st
            i = e
            block *= 2
        return m, st

    def _event(self, key: Key, st: _Stopped, is_open: bool) -> Event:
        return make_event(
            "stop", key[0], st.t0, st.t1, st.sum_lat / st.n / _UNITS_PER_DEG,
            st.sum_lon / st.n / _UNITS_PER_DEG,
            evidence={"duration_h": (st.t1 - st.t0) / 3600.0,
                      "diameter_m": float(_diameter(st.hi, st.lo)), "fixes": st.n},
            is_open=is_open)


def _dist_m(lat1: F64, lon1: F64, lat2: F64, lon2: F64, lat0: F64) -> F64:
    """Distance in the equirectangular frame of latitude lat0 (the frame of the segment's
    first fix), so that it never exceeds the diameter the exact test measures there."""
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0
    x = dlon * np.cos(np.radians(lat0)) * _M_PER_DEG
    y = (lat2 - lat1) * _M_PER_DEG
    return np.asarray(np.hypot(x, y))
