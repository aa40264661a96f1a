"""Track building: sort, de-duplicate, split on silence and on impossible jumps, keep two
vessels that share one MMSI apart.

The tracker is a kernel ``(state, fixes) -> (state, tracked)``. Batch calls it once with all
history; live calls it on each released slice; both give the same tracks because the state
carries everything the next fix needs (each sub-track's last fix) and ties are broken by a
total order. Per MMSI the work is vectorised; only an MMSI that shows an impossible jump
(spoofing or a shared MMSI) falls back to a per-fix assignment, and only while it has more
than one live sub-track.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from khazar.tracks.fixes import Fixes, canonical_order, dedupe_sorted
from khazar.units import KN_TO_MS, haversine_m, initial_bearing_deg

__all__ = ["SubTrack", "TrackParams", "TrackedFixes", "TrackerState", "VesselTracks", "track"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TrackParams:
    """Splitting thresholds (see :class:`khazar.config.DetectSettings`)."""

    gap_split_s: float = 6 * 3600.0
    jump_kn: float = 50.0
    #: GPS noise allowance added to ``jump_kn × dt`` before a jump counts as impossible
    jump_slack_m: float = 300.0
    #: at most this many simultaneous sub-tracks per MMSI (the oldest is dropped)
    max_subtracks: int = 3


@dataclass(slots=True)
class SubTrack:
    """The last fix of one live sub-track of an MMSI."""

    seg: int
    t_s: float
    lat: float
    lon: float


@dataclass(slots=True)
class VesselTracks:
    """Per-MMSI tracker state: its live sub-tracks (at most ``max_subtracks``)."""

    subs: list[SubTrack] = field(default_factory=list)


def _seg_id(t_s: float, live: list[SubTrack]) -> int:
    """A segment id from its first fix's time (ms) and a slot free among live sub-tracks:
    deterministic, so live and batch number segments alike, with no counter to keep."""
    base = round(t_s * 1000.0) * 8
    used = {s.seg for s in live}
    k = 0
    while base + k in used:
        k += 1
    return base + k


@dataclass(slots=True)
class TrackerState:
    vessels: dict[int, VesselTracks] = field(default_factory=dict)

    def expire(self, watermark_s: float, params: TrackParams) -> None:
        """Forget sub-tracks silent for longer than the split gap (keeps state bounded)."""
        dead: list[int] = []
        for mmsi, vt in self.vessels.items():
            vt.subs = [s for s in vt.subs if watermark_s - s.t_s <= params.gap_split_s]
            if not vt.subs:
                dead.append(mmsi)
        for mmsi in dead:
            del self.vessels[mmsi]

    def size(self) -> int:
        """Number of live sub-tracks held (a boundedness measure)."""
        return sum(len(v.subs) for v in self.vessels.values())


@dataclass(frozen=True, slots=True)
class TrackedFixes:
    """Fixes sorted by (mmsi, segment, time) with the tracker's per-fix columns.

    ``seg`` numbers the MMSI's segments (a new one after a long silence or for a second
    vessel on the same MMSI); ``dt_s``/``dist_m``/``implied_kn``/``course_deg`` are measured
    from the previous fix of the same segment (NaN at a segment's first fix); ``speed_kn``
    is the reported SOG, or the implied speed where SOG is not available.
    """

    fixes: Fixes
    seg: I64
    new_seg: B
    jump: B
    multi: B
    dt_s: F64
    dist_m: F64
    implied_kn: F64
    course_deg: F64
    speed_kn: F64
    #: at a jump: the implied speed from the nearest live sub-track (NaN elsewhere)
    jump_kn: F64

    def __len__(self) -> int:
        return len(self.fixes)

    def take(self, index: npt.NDArray[np.intp] | B) -> TrackedFixes:
        """The tracked fixes selected by an index array or a boolean mask (the caller keeps
        the (mmsi, segment, time) order, e.g. a stable selection)."""
        return TrackedFixes(self.fixes.take(index), *(getattr(self, f.name)[index]
                                                      for f in fields(self)[1:]))


def _plausible(d_m: F64 | float, dt_s: F64 | float, p: TrackParams) -> npt.NDArray[np.bool_]:
    return np.asarray(np.asarray(d_m) <= p.jump_kn * KN_TO_MS * np.asarray(dt_s) + p.jump_slack_m)


def _assign_slow(
    vt: VesselTracks, t: F64, lat: F64, lon: F64, p: TrackParams
) -> tuple[I64, B, F64, F64, F64, B, B, F64]:
    """Per-fix assignment to the nearest plausible live sub-track."""
    n = t.shape[0]
    seg = np.empty(n, np.int64)
    new = np.zeros(n, bool)
    jump = np.zeros(n, bool)
    multi = np.zeros(n, bool)
    pt = np.full(n, np.nan)
    plat = np.full(n, np.nan)
    plon = np.full(n, np.nan)
    jump_kn = np.full(n, np.nan)
    subs = vt.subs
    for i in range(n):
        ti, la, lo = float(t[i]), float(lat[i]), float(lon[i])
        subs = [s for s in subs if ti - s.t_s <= p.gap_split_s]
        best: SubTrack | None = None
        best_d = np.inf
        nearest_kn = np.inf
        for s in subs:
            d = float(haversine_m(s.lat, s.lon, la, lo))
            dt = ti - s.t_s
            nearest_kn = min(nearest_kn, d / dt / KN_TO_MS if dt > 0 else np.inf)
            if d <= p.jump_kn * KN_TO_MS * dt + p.jump_slack_m and d < best_d:
                best, best_d = s, d
        if best is not None:
            seg[i] = best.seg
            pt[i], plat[i], plon[i] = best.t_s, best.lat, best.lon
            best.t_s, best.lat, best.lon = ti, la, lo
        else:
            sid = _seg_id(ti, subs)
            seg[i] = sid
            new[i] = True
            jump[i] = bool(subs)
            jump_kn[i] = nearest_kn if subs else np.nan
            subs.append(SubTrack(sid, ti, la, lo))
            if len(subs) > p.max_subtracks:
                subs.remove(min(subs, key=lambda s: (s.t_s, s.seg)))
        multi[i] = len(subs) > 1
    vt.subs = subs
    return seg, new, pt, plat, plon, jump, multi, jump_kn


def track(state: TrackerState, fixes: Fixes, params: TrackParams) -> TrackedFixes:
    """Assign ``fixes`` (any order, duplicates allowed) to segments, updating ``state``.

    Fixes must be later than every fix already given for the same MMSI (the live runner's
    lateness window guarantees it). Returns them sorted by (mmsi, segment, time).

    Every MMSI is first taken as one sub-track split only by silence, for all fixes at
    once; an MMSI with an impossible jump, or with several live sub-tracks, is then redone
    fix by fix (:func:`_assign_slow`).
    """
    order = canonical_order(fixes)
    fx = dedupe_sorted(fixes if _identity(order) else fixes.take(order))
    del order
    n = len(fx)
    t, lat, lon = fx.t_s, fx.lat, fx.lon
    cuts = np.flatnonzero(np.diff(fx.mmsi)) + 1
    starts = np.concatenate(([0], cuts)).astype(np.intp) if n else np.empty(0, np.intp)
    ends = np.concatenate((cuts, [n])).astype(np.intp) if n else np.empty(0, np.intp)
    k = starts.shape[0]
    # each MMSI's previous fix (its single live sub-track), NaN when it has none
    prev_t, prev_lat, prev_lon = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    prev_seg = np.zeros(k, np.int64)
    several = np.zeros(k, bool)
    vts: list[VesselTracks] = []
    for j, mmsi in enumerate(fx.mmsi[starts].tolist()):
        vt = state.vessels.get(mmsi)
        if vt is None:
            vt = state.vessels[mmsi] = VesselTracks()
        vts.append(vt)
        if len(vt.subs) > 1:
            several[j] = True
        elif vt.subs:
            sub = vt.subs[0]
            prev_t[j], prev_lat[j], prev_lon[j], prev_seg[j] = sub.t_s, sub.lat, sub.lon, sub.seg
    pt, plat, plon = _shifted(t, starts, prev_t), _shifted(lat, starts, prev_lat), \
        _shifted(lon, starts, prev_lon)
    dist = haversine_m(plat, plon, lat, lon)
    with np.errstate(invalid="ignore"):
        dt = t - pt
        new = ~(dt <= params.gap_split_s)  # NaN (no previous fix) is a new segment too
        bad = ~new & ~_plausible(dist, dt, params)
    slow = several | (np.logical_or.reduceat(bad, starts) if n else np.zeros(0, bool))
    del bad
    # one sub-track per MMSI: a new segment's id is its first fix's time (no other
    # sub-track is live then); a continued one keeps the carried id
    anchor = new.copy()
    anchor[starts] = True
    anchor_id = np.where(new, np.round(t * 1000.0).astype(np.int64) * 8, 0)
    anchor_id[starts] = np.where(new[starts], anchor_id[starts], prev_seg)
    seg = anchor_id[np.maximum.accumulate(np.where(anchor, np.arange(n), 0))]
    del anchor, anchor_id
    jump = np.zeros(n, bool)
    multi = np.zeros(n, bool)
    jump_kn = np.full(n, np.nan)
    for j in range(k):
        a, b = int(starts[j]), int(ends[j])
        vt = vts[j]
        if slow[j]:
            (seg[a:b], new[a:b], pt[a:b], plat[a:b], plon[a:b], jump[a:b], multi[a:b],
             jump_kn[a:b]) = _assign_slow(vt, t[a:b], lat[a:b], lon[a:b], params)
            dist[a:b] = haversine_m(plat[a:b], plon[a:b], lat[a:b], lon[a:b])
        else:
            vt.subs = [SubTrack(int(seg[b - 1]), float(t[b - 1]), float(lat[b - 1]),
                                float(lon[b - 1]))]
    # (mmsi, segment, time) order: only MMSIs with interleaved sub-tracks need a sort
    perm = _segment_order(fx.mmsi, seg, t, starts, ends)
    if perm is not None:
        fx = fx.take(perm)
        seg, new, jump, multi, jump_kn = seg[perm], new[perm], jump[perm], multi[perm], \
            jump_kn[perm]
        pt, plat, plon, dist = pt[perm], plat[perm], plon[perm], dist[perm]
    dt = fx.t_s - pt
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = np.where(dt > 0, dist / dt / KN_TO_MS, np.where(dist > 0, np.inf, 0.0))
    first = np.isnan(pt)
    implied[first] = np.nan
    course = initial_bearing_deg(plat, plon, fx.lat, fx.lon)
    course[first] = np.nan
    speed = np.where(np.isfinite(fx.sog_kn), fx.sog_kn, implied)
    return TrackedFixes(fx, seg, new, jump, multi, dt, dist, implied, course, speed, jump_kn)


def _identity(order: npt.NDArray[np.intp]) -> bool:
    return bool(np.array_equal(order, np.arange(order.shape[0])))


def _shifted(v: F64, starts: npt.NDArray[np.intp], first: F64) -> F64:
    """Each element's predecessor within its MMSI's slice; ``first`` at slice starts."""
    out = np.empty_like(v)
    out[1:] = v[:-1]
    out[starts] = first
    return out


def _segment_order(mmsi: I64, seg: I64, t: F64, starts: npt.NDArray[np.intp],
                   ends: npt.NDArray[np.intp]) -> npt.NDArray[np.intp] | None:
    """The permutation to (mmsi, segment, time) order of fixes sorted by (mmsi, time), or
    None when they already are (segment ids only decrease where sub-tracks interleave)."""
    down = np.flatnonzero((np.diff(seg) < 0) & (mmsi[1:] == mmsi[:-1]))
    if down.size == 0:
        return None
    perm = np.arange(t.shape[0])
    for j in np.unique(np.searchsorted(starts, down, side="right") - 1).tolist():
        a, b = int(starts[j]), int(ends[j])
        perm[a:b] = a + np.lexsort((t[a:b], seg[a:b]))
    return perm
