"""``dark_vessel``: a radar or SAR detection with no AIS fix within 1.5 km and ±10 min
(Skylight's 1,500 m; DESIGN C3), the AIS track interpolated between consecutive fixes.
Unmatched detections that follow each other (≤ 30 min apart
and reachable at ≤ 40 kn plus 1.5 km) are one dark contact: one event from its first to its
last detection; a radar contact needs two detections (one blip may be clutter).

The AIS track is interpolated between consecutive fixes of a vessel up to
``dark_track_max_gap_s`` (30 min) apart, however far apart they are: a boat crossing a
reception hole (a receiver outage) has an AIS track through it and is not dark (found on the
tuning seeds: patrol boats at 18 kn and a class B fishing boat, 15–24 min between received
fixes while a coastal station was down, raised dark contacts on their own radar echoes).

A detection is decided once the watermark is ``max(dark_time_s, dark_track_max_gap_s)``
past it (every AIS fix that could bracket it has been seen, so live decides as batch does);
AIS fixes are kept for twice that (the fix before a pending detection).

Evidence ``ais_covered``: whether AIS reception is reliable where the contact began (the
learned reception map, :mod:`khazar.detect.reception`): false where the picture is blind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from khazar.config import DetectSettings
from khazar.detect.base import Chunk, Detections, make_event
from khazar.detect.geography import DetectGeography
from khazar.domain import Event
from khazar.tracks.fixes import Fixes, mmsi_time_order
from khazar.units import KN_TO_MS, from_epoch_s, haversine_m

__all__ = ["DarkState", "DarkVesselDetector"]

F64 = npt.NDArray[np.float64]
LINK_S = 1800.0
#: a radar contact seen once may be clutter; SAR (one look) counts alone
MIN_RADAR_DETECTIONS = 2
_CANDIDATES = 8  # AIS fixes examined per detection (the nearest in space-time)
LINK_KN = 40.0
_LAT0 = 42.0


@dataclass(slots=True)
class Contact:
    t0: float
    t1: float
    lat0: float
    lon0: float
    lat1: float
    lon1: float
    n: int
    max_length_m: float
    sources: set[str]
    nearest_ais_m: float


@dataclass(slots=True)
class DarkState:
    #: recent AIS fixes (t, lat, lon, mmsi), sorted by (mmsi, t)
    ais: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 4)))
    pending: Detections = field(default_factory=Detections.empty)
    contacts: list[Contact] = field(default_factory=list)


class DarkVesselDetector:
    name = "dark_vessel"

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo

    def init(self) -> DarkState:
        return DarkState()

    def size(self, state: DarkState) -> int:
        return int(state.ais.shape[0]) + len(state.pending) + len(state.contacts)

    def _event(self, c: Contact, is_open: bool) -> Event:
        # where AIS reception is not reliable (the learned map) the contact may be a vessel
        # we cannot hear rather than one that switched off: the picture is blind there
        heard = bool(self.geo.covered_at(np.array([c.lat0]), np.array([c.lon0]))[0])
        return make_event(
            "dark_vessel", None, c.t0, c.t1, c.lat0, c.lon0,
            evidence={"detections": c.n, "last_lat": c.lat1, "last_lon": c.lon1,
                      "max_length_m": c.max_length_m if c.max_length_m > 0 else None,
                      "sources": sorted(c.sources), "ais_covered": heard,
                      "nearest_ais_m": c.nearest_ais_m if np.isfinite(c.nearest_ais_m)
                      else None},
            is_open=is_open)

    @property
    def wait_s(self) -> float:
        """How far behind the watermark a detection is decided: the fix after a detection
        that brackets it comes at most one track gap later."""
        return max(self.settings.dark_time_s, self.settings.dark_track_max_gap_s)

    def step(self, state: DarkState, chunk: Chunk) -> tuple[DarkState, list[Event]]:
        fx = chunk.tr.fixes
        rows = np.column_stack((fx.t_s, fx.lat, fx.lon, fx.mmsi.astype(np.float64)))
        return state, self._advance(state, rows, chunk.detections, chunk.watermark_s,
                                    chunk.final)

    def speculate(self, state: DarkState, fixes: Fixes, detections: Detections,
                  clock_s: float, spec: DarkState | None = None
                  ) -> tuple[DarkState | None, list[tuple[Event, float]]]:
        """Dark contacts as the AIS heard by ``clock_s`` shows them, without waiting
        :attr:`wait_s` for every fix that could bracket a detection: the committed
        ``state`` (read, never changed) plus the messages held back (``fixes``,
        ``detections``), every detection up to the clock decided now. ``spec``, the
        speculative state a previous call returned on the same committed state, goes on
        from there with only the messages new since (their cost, not the held-back
        window's). Returns the speculative state (None: nothing undecided) and the events
        of the contacts this call makes or grows, each with the feed time by which the
        committed path will have decided the detections it rests on (its last one +
        :attr:`wait_s`). A detection whose AIS fix comes late is dark here and not there:
        the caller withdraws what the committed path does not confirm."""
        if spec is None:
            if not len(state.pending) and not len(detections):
                return None, []  # nothing undecided: every contact is the committed path's
            spec = DarkState(state.ais, state.pending,  # arrays: _advance rebinds them
                             [replace(c, sources=set(c.sources)) for c in state.contacts])
        rows = np.column_stack((fixes.t_s, fixes.lat, fixes.lon,
                                fixes.mmsi.astype(np.float64)))
        before = {from_epoch_s(c.t0): c.n for c in spec.contacts}
        grown: dict[float, float] = {}
        events = self._advance(spec, rows, detections,
                               float(np.nextafter(clock_s + self.wait_s, np.inf)), False,
                               grown)
        last = {from_epoch_s(t0): t1 for t0, t1 in grown.items()}
        return spec, [(ev, last[ev.start] + self.wait_s) for ev in events
                      if before.get(ev.start) != ev.evidence["detections"]]

    def _advance(self, state: DarkState, rows: F64, detections: Detections,
                 watermark_s: float, final: bool, t1: dict[float, float] | None = None
                 ) -> list[Event]:
        """One step on AIS ``rows`` (t, lat, lon, mmsi) and ``detections``; ``t1``, when
        given, receives each contact's last detection time by its start."""
        s = self.settings
        pend = _concat((state.pending, detections))
        # detections before this are decidable (at the end of the data: all of them)
        gap = s.dark_track_max_gap_s
        wait = self.wait_s
        horizon = np.inf if final else watermark_s - wait
        # keep AIS fixes that a pending or a later detection may need (≥ its time − window)
        # (an interpolated track needs the fix before a detection: up to one gap back)
        keep_from = min(watermark_s - wait - gap,
                        float(pend.t_s.min()) - gap if len(pend) else np.inf)
        ais = np.concatenate((state.ais[state.ais[:, 0] >= keep_from],
                              rows[rows[:, 0] >= keep_from]))
        state.ais = ais[mmsi_time_order(ais[:, 3].astype(np.int64), ais[:, 0])]
        ready = pend.t_s < horizon
        det = pend.take(np.flatnonzero(ready))
        state.pending = pend.take(np.flatnonzero(~ready))
        order = np.lexsort((det.lon, det.lat, det.t_s))
        det = det.take(order)
        events: list[Event] = []
        if len(det):
            nearest = self._nearest_ais(state.ais, det)
            dark = nearest > s.dark_distance_m
            for i in np.flatnonzero(dark).tolist():
                self._link(state, det, i, float(nearest[i]), events)
        state.ais = state.ais[state.ais[:, 0] >= watermark_s - wait - gap]
        live: list[Contact] = []
        for c in state.contacts:
            confirmed = c.n >= MIN_RADAR_DETECTIONS or any(
                not src.startswith("radar") for src in c.sources)
            if t1 is not None:
                t1[c.t0] = c.t1
            if final or horizon - c.t1 > LINK_S:
                if confirmed:
                    events.append(self._event(c, False))
            else:
                live.append(c)
                if confirmed:
                    events.append(self._event(c, True))
        state.contacts = live
        return events

    def _nearest_ais(self, ais: F64, det: Detections) -> F64:
        """Distance to the nearest AIS fix within ±win of each detection (inf if none).

        Exact only up to the threshold: a detection with some fix within the radius and the
        window gets that fix's distance (it is not dark, which is all the caller asks); the
        nearest distance proper is computed for the others."""
        s = self.settings
        out = np.full(len(det), np.inf)
        if ais.shape[0] == 0:
            return out
        scale = s.dark_distance_m / s.dark_time_s
        cx = np.cos(np.radians(_LAT0)) * 111_320.0

        def pts(t: F64, lat: F64, lon: F64) -> F64:
            return np.column_stack((lon * cx, lat * 110_574.0, t * scale))

        tree = cKDTree(pts(ais[:, 0], ais[:, 1], ais[:, 2]))
        # most detections are echoes of AIS ships: the nearest fix in the box of the radius
        # and the window settles them; the search below runs on the rest only
        q = pts(det.t_s, det.lat, det.lon)
        _, one = tree.query(q, k=1, p=np.inf, distance_upper_bound=s.dark_distance_m)
        hit = one < ais.shape[0]
        near = np.full(len(det), np.inf)
        j = one[hit]
        near[hit] = haversine_m(ais[j, 1], ais[j, 2], det.lat[hit], det.lon[hit])
        settled = near <= s.dark_distance_m
        out[settled] = near[settled]
        rest = np.flatnonzero(~settled)
        if rest.size:
            out[rest] = self._nearest_search(tree, ais, det.take(rest), q[rest])
        return out

    def _nearest_search(self, tree: cKDTree, ais: F64, det: Detections, q: F64) -> F64:
        """The nearest-distance search proper (fixes and the tracks between them)."""
        s = self.settings
        # the K nearest fixes in a Chebyshev box (±2 × radius in x/y, ±2 × window in t, in
        # scaled units: a fix bracketing the detection may lie farther than the radius), then
        # the exact test: great-circle distance and time window, or the interpolated track
        k = min(_CANDIDATES, ais.shape[0])
        _, idx = tree.query(q, k=k, p=np.inf, distance_upper_bound=s.dark_distance_m * 2.0)
        idx = idx.reshape(len(det), k)
        found = idx < ais.shape[0]
        safe = np.where(found, idx, 0)
        d = haversine_m(ais[safe, 1], ais[safe, 2], det.lat[:, None], det.lon[:, None])
        ok = found & (np.abs(ais[safe, 0] - det.t_s[:, None]) <= s.dark_time_s)
        d = np.where(ok, d, np.inf)
        # the track between a candidate fix and the vessel's next (or previous) one, at the
        # detection time
        td = det.t_s[:, None]
        last = ais.shape[0] - 1
        for a, b in ((safe, np.minimum(safe + 1, last)), (np.maximum(safe - 1, 0), safe)):
            t0, t1 = ais[a, 0], ais[b, 0]
            span = found & (ais[a, 3] == ais[b, 3]) & (t0 <= td) & (td <= t1) & (t1 > t0) & (
                t1 - t0 <= s.dark_track_max_gap_s)
            with np.errstate(invalid="ignore", divide="ignore"):
                f = np.where(span, (td - t0) / (t1 - t0), 0.0)
            ilat = ais[a, 1] + f * (ais[b, 1] - ais[a, 1])
            ilon = ais[a, 2] + f * (ais[b, 2] - ais[a, 2])
            di = haversine_m(ilat, ilon, det.lat[:, None], det.lon[:, None])
            d = np.where(span, np.minimum(d, di), d)
        out = np.asarray(d.min(axis=1))
        far = np.flatnonzero(out > s.dark_distance_m)
        if far.size:
            out[far] = np.minimum(out[far], self._track_distance(ais, det.take(far)))
        return out

    def _track_distance(self, ais: F64, det: Detections) -> F64:
        """Distance from each detection to every AIS track at its time, interpolated between
        consecutive fixes ≤ ``dark_track_max_gap_s`` apart that bracket it (the long legs
        across reception holes, which the nearest-fix search above cannot reach); inf where
        none brackets."""
        win2 = self.settings.dark_track_max_gap_s
        out = np.full(len(det), np.inf)
        if ais.shape[0] < 2:
            return out
        a, b = ais[:-1], ais[1:]
        leg = (a[:, 3] == b[:, 3]) & (b[:, 0] > a[:, 0]) & (b[:, 0] - a[:, 0] <= win2)
        a, b = a[leg], b[leg]
        order = np.argsort(det.t_s, kind="stable")
        td = det.t_s[order]
        lo = np.searchsorted(td, a[:, 0], side="left")
        hi = np.searchsorted(td, b[:, 0], side="right")
        cnt = np.maximum(hi - lo, 0)
        if not cnt.any():
            return out
        seg = np.repeat(np.arange(a.shape[0]), cnt)
        k = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(seg.size)
        f = (td[k] - a[seg, 0]) / (b[seg, 0] - a[seg, 0])
        ilat = a[seg, 1] + f * (b[seg, 1] - a[seg, 1])
        ilon = a[seg, 2] + f * (b[seg, 2] - a[seg, 2])
        dist = haversine_m(ilat, ilon, det.lat[order][k], det.lon[order][k])
        best = np.full(len(det), np.inf)
        np.minimum.at(best, k, dist)
        out[order] = best
        return out

    def _link(self, state: DarkState, det: Detections, i: int, nearest: float,
              events: list[Event]) -> None:
        t, la, lo = float(det.t_s[i]), float(det.lat[i]), float(det.lon[i])
        best: Contact | None = None
        best_d = np.inf
        for c in state.contacts:
            dt = t - c.t1
            if dt > LINK_S:
                continue
            d = float(haversine_m(c.lat1, c.lon1, la, lo))
            if d <= LINK_KN * KN_TO_MS * dt + self.settings.dark_distance_m and d < best_d:
                best, best_d = c, d
        length = float(det.length_m[i]) if np.isfinite(det.length_m[i]) else 0.0
        if best is None:
            state.contacts.append(Contact(t, t, la, lo, la, lo, 1, length, {str(det.source[i])},
                                          nearest))
            return
        best.t1, best.lat1, best.lon1 = t, la, lo
        best.n += 1
        best.max_length_m = max(best.max_length_m, length)
        best.sources.add(str(det.source[i]))
        best.nearest_ais_m = min(best.nearest_ais_m, nearest)


def _concat(parts: tuple[Detections, ...]) -> Detections:
    return Detections(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("t_s", "lat", "lon", "length_m", "source")))
