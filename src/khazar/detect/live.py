"""Live detection: a committed path equal to batch, and a speculative path that alerts now.

**Committed path** (unchanged semantics): messages are held back by the lateness window W;
each :meth:`LiveDetector.advance` of the clock releases those older than ``clock − W`` into
one :class:`~khazar.detect.engine.Engine` step. Its closed events equal
:func:`~khazar.detect.engine.detect_batch`'s on the same input; messages later than W are
dropped and counted.

**Speculative path** (:meth:`LiveDetector.speculate`): the per-vessel kernels (zones,
loitering, gap, spoofing, anchor drag, anchor down, port visit) run on each vessel's
messages as soon as they arrive, on a speculative copy of that vessel's kernel state. A
vessel's speculative state is *materialised* lazily, when one of its messages is "hot" (it
could start or move an event: inside a protected zone or corridor, slow offshore, slowing at
sea, after a silence, a jump, on land, an invalid MMSI…): its committed state is copied and
its pending (not yet committed) messages are replayed onto the copy, in time order. From
then on each in-order message advances the copy directly; an out-of-order message rolls the
vessel back (copy again, replay again: rare, and the replay is one vectorised kernel call).
A vessel that cools down (no hot message for ``cool_s``) or whose messages are all committed
is dropped from the speculative store, so it stays small and bounded.

Events of the speculative path are *provisional*: open events that update as messages come,
and closed instants (a zone entry) that the committed path has not confirmed yet. Event ids
derive from (type, vessels, start), so when the committed path reaches the same conclusion
it emits the same id and supersedes the provisional version. A provisional event whose id
the committed path has not emitted once the watermark has passed the last message it was
decided on (a late message changed the story) is *withdrawn*. Silence (``ais_gap``) is
speculated from the clock: a vessel silent past the threshold is reported without waiting W.

Encounters involve two tracks, so they are speculated as a whole rather than per vessel:
each time the clock passes a grid time of the encounter detector (``encounter_step_s``),
a copy of its committed state is stepped on the held-back messages of the vessels that
could be in one (a slow report among them, or a sample carried in that state), from their
committed tracks, up to the clock (while a committed step runs: from the state, tracks
and messages it started from). Its events are provisional like the others.

Dark contacts (radar detections with no AIS) are speculated the same way: when detections
arrive, the committed dark-vessel state (read, never changed; while a committed step runs,
the copy taken before it) is stepped on the held-back fixes and detections with every
detection up to the clock decided on the AIS heard so far, instead of waiting the 30 min
after which no fix can bracket it any more. The contacts this makes or grows are provisional
events with the committed path's ids (type and first detection); one whose bracketing AIS
fix arrives late is not confirmed once the watermark has decided its detections, and is
withdrawn.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

from khazar.config import DetectSettings
from khazar.detect.anchor_down import AnchorDownDetector
from khazar.detect.anchor_drag import AnchorDragDetector
from khazar.detect.base import Chunk, Detections, Detector
from khazar.detect.dark import DarkState, DarkVesselDetector
from khazar.detect.encounter import NAV_AT_ANCHOR, NAV_MOORED, EncounterDetector, EncounterState
from khazar.detect.engine import Engine
from khazar.detect.gap import GapDetector, GapState
from khazar.detect.geography import PROTECTED_KINDS, Annotation, DetectGeography, PolygonIndex
from khazar.detect.loitering import LoiteringDetector
from khazar.detect.port_visit import PortVisitDetector
from khazar.detect.spoofing import SpoofingDetector, SpoofState, invalid_mmsi
from khazar.detect.zones import ZoneDetector, ZoneState
from khazar.domain import Event
from khazar.tracks.fixes import Fixes
from khazar.tracks.tracker import TrackedFixes, TrackerState, TrackParams, track
from khazar.units import KN_TO_MS, haversine_m

__all__ = ["DEFAULT_KERNELS", "SPECULATIVE_KERNELS", "CommitJob", "LiveDetector", "LiveStats",
           "LiveUpdate"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: the per-vessel kernels the speculative path can run (by detector name)
SPECULATIVE_KERNELS = ("zones", "loitering", "ais_gap", "spoofing", "anchor_drag",
                       "anchor_down", "port_visit")
#: the default: port visits raise no alert (but for watchlisted vessels) and ships near
#: ports are many, so they are left to the committed path
DEFAULT_KERNELS = ("zones", "loitering", "ais_gap", "spoofing", "anchor_drag", "anchor_down")
#: zone kinds a message inside which is "hot" (may start or move an event); the territorial
#: sea is left out on purpose: most traffic is inside it and no default rule alerts on it
HOT_ZONE_KINDS = frozenset(PROTECTED_KINDS | {"border_sector"})
_KERNEL_TYPES: dict[str, type] = {
    "zones": ZoneDetector, "loitering": LoiteringDetector, "ais_gap": GapDetector,
    "spoofing": SpoofingDetector, "anchor_drag": AnchorDragDetector,
    "anchor_down": AnchorDownDetector, "port_visit": PortVisitDetector,
}


@dataclass(slots=True)
class LiveStats:
    """Counters of both paths (the committed one's first)."""

    received: int = 0
    late_dropped: int = 0
    released: int = 0
    steps: int = 0
    #: messages run through the speculative kernels (replays included)
    speculated: int = 0
    #: vessels whose speculative state was built from the committed one plus a replay
    materialised: int = 0
    #: materialised vessels that received an out-of-order message and were replayed
    rollbacks: int = 0
    provisional: int = 0
    confirmed: int = 0
    withdrawn: int = 0


@dataclass(slots=True)
class CommitJob:
    """One committed step taken out of the buffer (see :meth:`LiveDetector.begin_commit`)."""

    fixes: Fixes
    detections: Detections
    watermark_s: float
    final: bool
    events: list[Event] = field(default_factory=list)
    #: per vessel in ``fixes``: its speculated components' entries before the step
    snapshot: dict[int, list[Slice]] = field(default_factory=dict)
    #: the encounter state before the step (the step changes it even with no message)
    encounters: EncounterState | None = None
    #: the dark-vessel state before the step (its contacts copied: the step grows them)
    dark: DarkState | None = None


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """What one :meth:`LiveDetector.tick` produced."""

    #: events of the watermark path (closed ones equal batch's)
    committed: list[Event]
    #: events of the speculative path (open ones update; all await confirmation)
    provisional: list[Event]
    #: provisional events the committed path did not confirm (drop them downstream)
    withdrawn: list[Event]


# ------------------------------------------------------------------ per-vessel slices
def _maps(state: Any) -> list[tuple[dict[Any, Any], bool]]:
    """The vessel-keyed dicts of a kernel (or tracker) state; True where the key is a
    (mmsi, segment) tuple rather than the MMSI."""
    if isinstance(state, dict):  # RunDetector: {(mmsi, seg): KeyState}
        return [(state, True)]
    if isinstance(state, ZoneState):
        return [(state.last, True)]
    if isinstance(state, GapState):
        return [(state.last, False)]
    if isinstance(state, SpoofState):
        return [(state.last_seg, False), (state.episodes, False)]
    if isinstance(state, TrackerState):
        return [(state.vessels, False)]
    raise TypeError(f"no per-vessel view of {type(state).__name__}: not a speculative kernel")


Slice = list[dict[Any, Any]]


def _index(state: Any) -> list[dict[int, list[Any]]]:
    """Per map: MMSI → its keys (one pass over the map)."""
    out: list[dict[int, list[Any]]] = []
    for mp, tup in _maps(state):
        idx: dict[int, list[Any]] = {}
        for k in list(mp):  # one C-level copy: safe while another thread steps the state
            idx.setdefault(int(k[0]) if tup else int(k), []).append(k)
        out.append(idx)
    return out


def _take(state: Any, index: list[dict[int, list[Any]]], mmsi: int) -> Slice:
    """A deep copy of one vessel's entries of ``state``."""
    out: Slice = []
    for (mp, _), idx in zip(_maps(state), index, strict=True):
        entries = ((k, mp.get(k)) for k in idx.get(mmsi, ()))
        out.append({k: copy.deepcopy(v) for k, v in entries if v is not None})
    return out


def _put(state: Any, part: Slice) -> None:
    for (mp, _), entries in zip(_maps(state), part, strict=True):
        mp.update(entries)


def _split(state: Any) -> dict[int, Slice]:
    """Every vessel's entries of a (small, speculative) state."""
    maps = _maps(state)
    out: dict[int, Slice] = {}
    for i, (mp, tup) in enumerate(maps):
        for k, v in mp.items():
            m = int(k[0]) if tup else int(k)
            part = out.get(m)
            if part is None:
                part = out[m] = [{} for _ in maps]
            part[i][k] = v
    return out


@dataclass(slots=True)
class _Spec:
    """One vessel's speculative state: a slice per component (tracker first)."""

    parts: list[Slice]
    last_t: float
    hot_t: float


# ------------------------------------------------------------------------ detector
@dataclass
class LiveDetector:
    """The live runner: lateness buffer and clock (committed path, the same engine as
    batch), plus the speculative per-vessel path (see the module docstring).

    ``kernels`` names the detectors speculated (a subset of :data:`SPECULATIVE_KERNELS`;
    empty turns speculation off); ``cool_s`` is how long (feed time) a vessel stays
    speculated after its last hot message; ``eager`` speculates every vessel (no hot test:
    slower, for tests that check the hot test loses nothing).
    """

    settings: DetectSettings
    geo: DetectGeography
    kernels: Sequence[str] = DEFAULT_KERNELS
    cool_s: float = 600.0
    eager: bool = False
    encounters: bool = True
    dark: bool = True
    engine: Engine = field(init=False)
    stats: LiveStats = field(default_factory=LiveStats)
    _fixes: list[Fixes] = field(default_factory=list)
    _dets: list[Detections] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = Engine(self.settings, self.geo)
        unknown = set(self.kernels) - set(SPECULATIVE_KERNELS)
        if unknown:
            raise ValueError(f"kernels {sorted(unknown)} cannot be speculated; choose among "
                             f"{', '.join(SPECULATIVE_KERNELS)}")
        # committed detector index of each speculated kernel, in the engine's order
        self._spec_idx = [i for i, d in enumerate(self.engine.detectors)
                          if d.name in self.kernels and isinstance(d, _KERNEL_TYPES[d.name])]
        self._spec_dets: list[Detector[Any]] = [self.engine.detectors[i]
                                                for i in self._spec_idx]
        self._gap_idx = next((i for i, d in enumerate(self.engine.detectors)
                              if isinstance(d, GapDetector) and "ais_gap" in self.kernels),
                             None)
        self._enc_idx = next((i for i, d in enumerate(self.engine.detectors)
                              if isinstance(d, EncounterDetector) and self.encounters), None)
        self._enc_k = -np.inf  # the last grid time the encounters were speculated to
        self._dark_idx = next((i for i, d in enumerate(self.engine.detectors)
                               if isinstance(d, DarkVesselDetector) and self.dark), None)
        #: the speculative dark state on the committed one (None: to be built again, after
        #: a commit) and what was pushed since it was stepped
        self._dark_spec: DarkState | None = None
        self._dark_fx: list[Fixes] = []
        self._dark_dets: list[Detections] = []
        #: dark contacts sent: id → detections it held (a contact is sent again once grown)
        self._dark_sent: dict[str, int] = {}
        self._new: list[Fixes] = []
        self._spec: dict[int, _Spec] = {}
        self._seen: dict[int, tuple[float, float, float]] = {}  # mmsi → last (t, lat, lon)
        self._vmax: dict[int, float] = {}  # mmsi → its top reported speed (kn), as _seen
        self._prov: dict[str, tuple[Event, float]] = {}  # id → (latest version, decided at)
        self._gap_sent: set[tuple[int, float]] = set()
        self._withdrawn: list[Event] = []
        self._committing: float | None = None  # the watermark of a commit in progress
        self._job: CommitJob | None = None
        self._clock = -np.inf
        hot = [shapely.make_valid(z.geometry) for z in self.geo.zones
               if z.kind in HOT_ZONE_KINDS]
        # one polygon for every hot zone: one raster lookup per message, not one per zone
        self._hot_index = PolygonIndex(shapely.union_all(hot)) if hot else None

    @property
    def lateness_s(self) -> float:
        return self.settings.lateness_window_s

    @property
    def watermark_s(self) -> float:
        """Every message earlier than this has been committed."""
        return float(self.engine.watermark_s)

    # ------------------------------------------------------------- committed path
    def push(self, fixes: Fixes | None = None, detections: Detections | None = None) -> None:
        """Receive messages; those already behind the watermark are dropped and counted."""
        wm = max(self.engine.watermark_s,
                 self._committing if self._committing is not None else -np.inf)
        if fixes is not None and len(fixes):
            self.stats.received += len(fixes)
            ok = fixes.t_s >= wm
            self.stats.late_dropped += int((~ok).sum())
            kept = fixes.take(ok) if not ok.all() else fixes
            self._fixes.append(kept)
            if self._spec_dets and len(kept):
                self._new.append(kept)
            if self._dark_spec is not None and len(kept):
                self._dark_fx.append(kept)
        if detections is not None and len(detections):
            self.stats.received += len(detections)
            ok = detections.t_s >= wm
            self.stats.late_dropped += int((~ok).sum())
            self._dets.append(detections.take(np.flatnonzero(ok)))
            if self._dark_idx is not None and ok.any():
                self._dark_dets.append(self._dets[-1])

    def advance(self, clock_s: float) -> list[Event]:
        """Move the clock: release everything older than ``clock − W`` and run one step.

        Returns the events closed or updated (open) by this step. Provisional events it
        confirms or withdraws are settled; read the withdrawn ones with :meth:`tick`."""
        return self._release(clock_s - self.lateness_s, final=False)

    def finish(self, end_s: float) -> list[Event]:
        """The feed has ended at ``end_s`` (its last message time): release and decide all,
        exactly as :func:`~khazar.detect.engine.detect_batch` does at the end of the same
        data."""
        return self._release(float(np.nextafter(end_s, np.inf)), final=True)

    def _release(self, wm: float, final: bool) -> list[Event]:
        job = self.begin_commit(wm, final)
        if job is None:
            return []
        self.run_commit(job)
        return self.end_commit(job)

    def begin_commit(self, watermark_s: float, final: bool = False) -> CommitJob | None:
        """Take the messages older than ``watermark_s`` out of the buffer (None if the
        watermark does not move). With :meth:`run_commit` and :meth:`end_commit` this is
        :meth:`advance` in three phases, so that a server can run the committed step on
        another thread while the speculative path goes on: between begin and end,
        :meth:`speculate` materialises the vessels the step changes from a copy taken here,
        reads others as they are (the step does not change them), and looks at no silence
        until the end."""
        wm = watermark_s
        if final:  # the end is decided even when the clock has already passed it
            wm = max(wm, self.engine.watermark_s)
        elif wm <= self.engine.watermark_s:
            return None
        fx = Fixes.concat(self._fixes)
        go = fx.t_s < wm
        self._fixes = [fx.take(~go)] if (~go).any() else []
        dets = _concat_dets(self._dets)
        dgo = dets.t_s < wm
        self._dets = [dets.take(np.flatnonzero(~dgo))] if (~dgo).any() else []
        self.stats.released += int(go.sum()) + int(dgo.sum())
        self.stats.steps += 1
        self._committing = wm
        job = CommitJob(fx.take(go), dets.take(np.flatnonzero(dgo)), wm, final)
        if self._spec_dets and len(job.fixes):
            # the vessels this step changes, as they are before it: the speculative path
            # can materialise them while it runs (other vessels' states it does not touch)
            comps = [self.engine.tracker, *(self.engine.states[i] for i in self._spec_idx)]
            idx = [_index(c) for c in comps]
            for mm in np.unique(job.fixes.mmsi).tolist():
                job.snapshot[mm] = [_take(c, ix, mm) for c, ix in zip(comps, idx, strict=True)]
        if self._enc_idx is not None and self._spec_dets:
            job.encounters = copy.deepcopy(self.engine.states[self._enc_idx])
        if self._dark_idx is not None:
            st: DarkState = self.engine.states[self._dark_idx]
            job.dark = DarkState(st.ais, st.pending,  # arrays: the step rebinds them
                                 [dataclasses.replace(c, sources=set(c.sources))
                                  for c in st.contacts])
        self._job = job
        return job

    def run_commit(self, job: CommitJob) -> None:
        """The committed engine step of ``job`` (touches the committed state only)."""
        job.events = self.engine.step(job.fixes, job.detections, job.watermark_s, job.final)

    def end_commit(self, job: CommitJob) -> list[Event]:
        """Settle provisional events against the committed ones; returns the latter."""
        self._committing = None
        self._job = None
        self._dark_spec, self._dark_fx = None, []  # built again on the new committed state
        self._settle(job.events, job.final)
        return job.events

    def state_size(self) -> dict[str, int]:
        """Items held per component (the live state must stay bounded)."""
        sizes = self.engine.state_size()
        sizes["buffer"] = sum(len(f) for f in self._fixes) + sum(len(d) for d in self._dets)
        sizes["speculative"] = len(self._spec) + len(self._seen) + len(self._prov)
        return sizes

    # ----------------------------------------------------------- speculative path
    def tick(self, clock_s: float, commit: bool = True) -> LiveUpdate:
        """Speculate on the messages pushed since the last tick, then (``commit``) move
        the committed path's clock. The usual call of a live server."""
        provisional = self.speculate(clock_s)
        committed = self.advance(clock_s) if commit else []
        return LiveUpdate(committed, provisional, self.take_withdrawn())

    def speculate(self, clock_s: float | None = None) -> list[Event]:
        """Run the speculative kernels on the messages pushed since the last call (and
        on silences up to ``clock_s``); returns the provisional events."""
        new = Fixes.concat(self._new) if self._new else Fixes.empty()
        self._new = []
        if len(new):
            self._clock = max(self._clock, float(new.t_s.max()))
        if clock_s is not None:
            self._clock = max(self._clock, float(clock_s))
        events = self._speculate_fixes(new) if len(new) and self._spec_dets else []
        if self._committing is None:
            events += self._speculate_silence() if self._spec_dets else []
        events += self._speculate_encounters()
        events += self._speculate_dark()
        self._cool()
        return events

    def _hot(self, fx: Fixes) -> B:
        """Messages that could start, move or end an event of a speculated kernel
        (conservative: a false "hot" costs time, a false "cold" only delays an alert to
        the committed path). Rasters and one union polygon: no per-zone loop."""
        s = self.settings
        if self.eager:
            return np.ones(len(fx), bool)
        geo = self.geo
        hot = invalid_mmsi(fx.mmsi)
        if self._hot_index is not None:
            hot |= self._hot_index.contains(fx.lat, fx.lon)
        slow = np.flatnonzero(~(fx.sog_kn >= s.loiter_speed_kn))  # NaN counts as slow
        if slow.size:
            shore = (np.full(slow.size, np.inf) if geo.shore is None
                     else geo.shore.distance_m(fx.lat[slow], fx.lon[slow]))
            hot[slow] |= shore >= s.loiter_shore_min_nm * 1852.0
        if geo.water_index is not None:
            hot |= geo.water_index.cell_class(fx.lat, fx.lon) == 0  # on land
        if "anchor_down" in self.kernels:
            hot |= self._slowing_at_sea(fx)
        if "port_visit" in self.kernels:
            for p in geo.ports:
                hot |= (np.abs(fx.lat - p.lat) < 0.05) & (np.abs(fx.lon - p.lon) < 0.07)
        # previous message of the same vessel: in this batch, else the last one seen
        n = len(fx)
        first = np.ones(n, bool)
        first[1:] = fx.mmsi[1:] != fx.mmsi[:-1]
        pt, plat, plon = np.empty(n), np.empty(n), np.empty(n)
        pt[1:], plat[1:], plon[1:] = fx.t_s[:-1], fx.lat[:-1], fx.lon[:-1]
        for i in np.flatnonzero(first).tolist():
            pt[i], plat[i], plon[i] = self._seen.get(int(fx.mmsi[i]), (np.nan,) * 3)
        dt = fx.t_s - pt
        d = haversine_m(plat, plon, fx.lat, fx.lon)
        hot |= dt >= s.gap_protected_min_h * 3600.0  # a silence ended (NaN: first seen)
        hot |= d > s.track_jump_kn * KN_TO_MS * np.maximum(dt, 0.0) + 300.0  # a jump
        return np.asarray(hot)

    def _slowing_at_sea(self, fx: Fixes) -> B:
        """Messages that could start or hold an anchor-down run (``fx`` sorted by vessel
        and time): at sea (``anchor_down_shore_km`` off), reporting "at anchor" at ≥ 2 kn,
        or moving at a dragging speed at most half the drop below the top speed the vessel
        has reported (≥ its voyage speed, so none the kernel's test passes is missed)."""
        s = self.settings
        sog = fx.sog_kn
        n = len(fx)
        first = np.ones(n, bool)
        first[1:] = fx.mmsi[1:] != fx.mmsi[:-1]
        starts = np.flatnonzero(first)
        top = np.maximum.reduceat(np.nan_to_num(sog, nan=0.0), starts) if n else np.empty(0)
        for k, i in enumerate(starts.tolist()):
            mm = int(fx.mmsi[i])
            top[k] = max(float(top[k]), self._vmax.get(mm, 0.0))
            self._vmax[mm] = float(top[k])
        vmax = np.repeat(top, np.diff(np.append(starts, n)))
        slow = ~((sog < s.drag_speed_min_kn) | (sog > s.drag_speed_max_kn)
                 | (sog > (1.0 - s.drag_speed_drop / 2.0) * vmax)
                 | (vmax < s.drag_min_voyage_kn))  # (NaN speed: a candidate)
        cand = np.flatnonzero(slow | ((fx.status == 1) & ~(sog < 2.0)))
        out = np.zeros(n, bool)
        if cand.size:
            shore = self.geo.shore
            off = (np.full(cand.size, np.inf) if shore is None
                   else shore.distance_m(fx.lat[cand], fx.lon[cand]))
            out[cand] = off >= s.anchor_down_shore_km * 1000.0
        return out

    def _speculate_fixes(self, new: Fixes) -> list[Event]:
        order = np.lexsort((new.t_s, new.mmsi))
        new = new.take(order)
        hot = self._hot(new)
        m = new.mmsi
        cuts = np.flatnonzero(np.diff(m)) + 1
        starts = np.concatenate(([0], cuts)).tolist()
        ends = np.concatenate((cuts, [len(new)])).tolist()
        keep = np.zeros(len(new), bool)  # new messages of vessels advanced incrementally
        fresh: list[int] = []  # vessels to (re)materialise: committed copy + replay
        hot_t: dict[int, float] = {}
        last_t: dict[int, float] = {}
        for a, b in zip(starts, ends, strict=True):
            mm = int(m[a])
            self._seen[mm] = (float(new.t_s[b - 1]), float(new.lat[b - 1]),
                              float(new.lon[b - 1]))
            hs = np.flatnonzero(hot[a:b])
            if hs.size:
                hot_t[mm] = float(new.t_s[a + int(hs[-1])])
            spec = self._spec.get(mm)
            if spec is not None:
                if float(new.t_s[a]) > spec.last_t:
                    keep[a:b] = True
                else:  # out of order: back to the committed state, replay in order
                    self.stats.rollbacks += 1
                    fresh.append(mm)
            elif hs.size:
                fresh.append(mm)
        if not keep.any() and not fresh:
            return []
        parts = [new.take(keep)]
        job = self._job
        if fresh:
            wanted = np.asarray(fresh, np.int64)
            if job is not None:  # a committed step is running: its messages are not in
                parts.append(job.fixes.take(np.isin(job.fixes.mmsi, wanted)))  # the state
            buf = Fixes.concat(self._fixes)
            parts.append(buf.take(np.isin(buf.mmsi, wanted)))
            self.stats.materialised += len(fresh)
        chunk_fx = Fixes.concat(parts)
        if not len(chunk_fx):
            return []
        # the mini engine holds only the vessels of this chunk
        eng = self._mini_engine()
        committed = [self.engine.tracker, *(self.engine.states[i] for i in self._spec_idx)]
        mini = [eng.tracker, *eng.states]
        if fresh:
            for c, (comp, dst) in enumerate(zip(committed, mini, strict=True)):
                idx = _index(comp)
                for mm in fresh:
                    # a vessel the running step is changing: its state from before the step
                    snap = job.snapshot.get(mm) if job is not None else None
                    _put(dst, snap[c] if snap is not None else _take(comp, idx, mm))
        for mm in np.unique(new.mmsi[keep]).tolist():
            for dst, part in zip(mini, self._spec[int(mm)].parts, strict=True):
                _put(dst, part)
        for mm in fresh:
            old = self._spec.pop(mm, None)
            if old is not None:  # a rollback keeps the vessel's heat
                hot_t[mm] = max(hot_t.get(mm, -np.inf), old.hot_t)
        wm = float(np.nextafter(self._clock, np.inf))
        events = eng.step(chunk_fx, Detections.empty(), wm)
        self.stats.speculated += len(chunk_fx)
        # write the mini states back, per vessel
        mt = chunk_fx.mmsi
        for mm, tt in zip(mt.tolist(), chunk_fx.t_s.tolist(), strict=True):
            if tt > last_t.get(mm, -np.inf):
                last_t[mm] = tt
        split = [_split(comp) for comp in mini]
        for mm, t_end in last_t.items():
            parts_m = [sp.get(mm) or [{} for _ in _maps(comp)]
                       for sp, comp in zip(split, mini, strict=True)]
            prev = self._spec.get(mm)
            h = max(hot_t.get(mm, -np.inf), prev.hot_t if prev else -np.inf)
            self._spec[mm] = _Spec(parts_m, t_end, h)
        for ev in events:
            decided = last_t.get(ev.mmsi, self._clock) if ev.mmsi is not None else self._clock
            self._register(ev, decided)
        return events

    def _mini_engine(self) -> Engine:
        """An engine over the speculated kernels with empty states (filled per chunk)."""
        return Engine(self.settings, self.geo, self._spec_dets)

    def _speculate_silence(self) -> list[Event]:
        """Vessels silent past the gap threshold at the clock, without waiting W."""
        if self._gap_idx is None:
            return []
        det = self.engine.detectors[self._gap_idx]
        state: GapState = self.engine.states[self._gap_idx]
        thr = self.settings.gap_protected_min_h * 3600.0
        cand = {mm: lf for mm, lf in state.last.items()
                if self._clock - lf.t_s >= thr and (mm, lf.t_s) not in self._gap_sent
                and self._seen.get(mm, (lf.t_s,))[0] <= lf.t_s}
        if not cand:
            return []
        _, events = det.step(GapState(dict(cand)), _empty_chunk(self._clock))
        for ev in events:
            assert ev.mmsi is not None
            self._gap_sent.add((ev.mmsi, cand[ev.mmsi].t_s))
            self._register(ev, self._clock)
        return events

    def _speculate_encounters(self) -> list[Event]:
        """Encounters up to the clock's grid time, from a copy of the committed encounter
        state and the held-back messages of the vessels that could be in one."""
        if self._enc_idx is None:
            return []
        det = self.engine.detectors[self._enc_idx]
        assert isinstance(det, EncounterDetector)
        k = np.floor(self._clock / det.step_s)
        if not np.isfinite(k) or k <= self._enc_k:
            return []  # no new grid time: nothing an encounter could have changed
        job = self._job
        if job is not None and job.encounters is None:
            return []  # a committed step is changing the state: after it
        self._enc_k = k
        # while a committed step runs: the state and tracks from before it, and its messages
        state: EncounterState = (job.encounters if job is not None and job.encounters
                                 is not None else self.engine.states[self._enc_idx])
        parts = ([job.fixes] if job is not None else []) + self._fixes
        buf = Fixes.concat(parts) if parts else Fixes.empty()
        # vessels with a report that could be part of one (the detector's own test, with
        # the reported speed for the tracked one): slow (NaN counts), neither moored nor at
        # anchor, off the shore. Held back are W of messages: at 2,000 a second in real
        # time over a million, of which this keeps the few that matter
        s = self.settings
        may = np.flatnonzero(~(buf.sog_kn >= 2.0 * s.encounter_speed_kn)
                             & (buf.status != NAV_MOORED) & (buf.status != NAV_AT_ANCHOR))
        if may.size and self.geo.shore is not None:
            off = self.geo.shore.distance_m(buf.lat[may], buf.lon[may])
            may = may[off >= s.encounter_shore_min_km * 1000.0]
        vessels = self._encounter_vessels(buf.mmsi[may], buf.t_s[may], buf.lat[may],
                                          buf.lon[may], state)
        fx = buf.take(np.isin(buf.mmsi, vessels))
        if not len(vessels):
            return []
        eng = Engine(self.settings, self.geo, [det])
        tracker_index = _index(self.engine.tracker)
        for mm in np.unique(fx.mmsi).tolist():
            snap = job.snapshot.get(mm) if job is not None else None
            _put(eng.tracker, snap[0] if snap is not None
                 else _take(self.engine.tracker, tracker_index, mm))
        spec = copy.deepcopy(state)
        for key in [key for key in spec.last if key[0] not in set(vessels.tolist())]:
            del spec.last[key]  # its newer reports are not stepped: no stale sample of it
        eng.states[0] = spec
        order = np.lexsort((fx.t_s, fx.mmsi))
        events = eng.step(fx.take(order), Detections.empty(),
                          float(np.nextafter(self._clock, np.inf)))
        for ev in events:
            self._register(ev, self._clock)
        return events

    def _speculate_dark(self) -> list[Event]:
        """Dark contacts up to the clock on the AIS heard so far (when detections came)."""
        if self._dark_idx is None or not self._dark_dets:
            return []
        det = self.engine.detectors[self._dark_idx]
        assert isinstance(det, DarkVesselDetector)
        job = self._job
        state: DarkState = (job.dark if job is not None and job.dark is not None
                            else self.engine.states[self._dark_idx])
        if self._dark_spec is None:  # every held-back message (a running step's too)
            fx = ([job.fixes] if job is not None else []) + self._fixes
            dets = ([job.detections] if job is not None else []) + self._dets
        else:  # what came since the last look: the speculative state holds the rest
            fx, dets = self._dark_fx, self._dark_dets
        self._dark_spec, found = det.speculate(
            state, Fixes.concat(fx) if fx else Fixes.empty(), _concat_dets(dets),
            self._clock, self._dark_spec)
        self._dark_fx, self._dark_dets = [], []
        out = []
        for ev, decided in found:
            n = int(ev.evidence["detections"])
            if self._dark_sent.get(ev.id) == n and ev.open:
                continue  # sent already as it is
            self._dark_sent[ev.id] = n
            self._register(ev, decided)
            out.append(ev)
        return out

    def _encounter_vessels(self, mmsi: npt.NDArray[np.int64], t: F64, lat: F64, lon: F64,
                           state: EncounterState) -> npt.NDArray[np.int64]:
        """The vessels an encounter could involve by the clock: those of a pair run in
        progress, and those whose latest possible report (``mmsi`` … ``lon``, or the sample
        the state carries) lies near another's. Slow vessels drift little: two alongside
        at a grid time still to be judged (W and a step back at most) are nearer now than
        the encounter distance plus what both can drift at the candidates' top speed in
        that time (4.2 km with the defaults)."""
        s = self.settings
        near_m = s.encounter_distance_m + 2.0 * (2.0 * s.encounter_speed_kn * KN_TO_MS) * (
            s.lateness_window_s + s.encounter_step_s)
        order = np.lexsort((t, mmsi))
        mmsi, lat, lon = mmsi[order], lat[order], lon[order]
        last = np.ones(mmsi.size, bool)
        last[:-1] = mmsi[1:] != mmsi[:-1]
        pos: dict[int, tuple[float, float]] = {
            int(m): (float(a), float(o))
            for m, a, o in zip(mmsi[last].tolist(), lat[last].tolist(), lon[last].tolist(),
                               strict=True)}
        for (m, _), (_, a, o, _, ok, _) in state.last.items():
            if ok > 0 and m not in pos:
                pos[m] = (a, o)
        near = {m for pair in state.pairs for m in pair}
        if len(pos) > 1:
            ms = np.fromiter(pos, np.int64, len(pos))
            ll = np.array(list(pos.values()), np.float64)
            xy = np.column_stack((ll[:, 1] * 111_320.0 * np.cos(np.radians(ll[:, 0])),
                                  ll[:, 0] * 110_574.0))
            pairs = cKDTree(xy).query_pairs(near_m, output_type="ndarray")
            near |= set(ms[pairs.ravel()].tolist())
        return np.array(sorted(near), np.int64)

    def _register(self, ev: Event, decided_s: float) -> None:
        if decided_s < self.engine.watermark_s:
            return  # the committed path has already judged these messages
        self._prov[ev.id] = (ev, decided_s)
        self.stats.provisional += 1

    def _settle(self, committed: list[Event], final: bool) -> None:
        """Committed events confirm provisional ones with their id; provisional events
        decided on messages the watermark has passed, and not confirmed, are withdrawn."""
        for ev in committed:
            if self._prov.pop(ev.id, None) is not None:
                self.stats.confirmed += 1
        wm = self.engine.watermark_s
        gone = [i for i, (_, decided) in self._prov.items() if final or decided < wm]
        for i in gone:
            self._withdrawn.append(self._prov.pop(i)[0])
        self.stats.withdrawn += len(gone)
        horizon = self.settings.gap_forget_h * 3600.0
        self._gap_sent = {k for k in self._gap_sent if wm - k[1] <= horizon}
        for mm in [mm for mm, sp in self._spec.items() if sp.last_t < wm]:
            del self._spec[mm]  # every message of it is committed: nothing to speculate
        self._seen = {mm: v for mm, v in self._seen.items() if wm - v[0] <= horizon}
        self._vmax = {mm: v for mm, v in self._vmax.items() if mm in self._seen}
        self._dark_sent = {i: n for i, n in self._dark_sent.items() if i in self._prov}

    def take_withdrawn(self) -> list[Event]:
        """Provisional events withdrawn since the last call."""
        out, self._withdrawn = self._withdrawn, []
        return out

    def _cool(self) -> None:
        """Drop vessels with no hot message for ``cool_s``: replayed when hot again."""
        if self.eager:
            return
        for mm in [mm for mm, sp in self._spec.items() if sp.last_t - sp.hot_t > self.cool_s]:
            del self._spec[mm]


def _empty_chunk(watermark_s: float) -> Chunk:
    global _EMPTY
    if _EMPTY is None:
        e, ei, eb = np.empty(0), np.empty(0, np.int32), np.empty(0, bool)
        _EMPTY = (track(TrackerState(), Fixes.empty(), TrackParams()),
                  Annotation(np.empty((0, 1), np.uint64), ei, ei, ei, ei, e, eb, eb, eb, e, eb,
                             eb))
    return Chunk(*_EMPTY, Detections.empty(), watermark_s)


_EMPTY: tuple[TrackedFixes, Annotation] | None = None


def _concat_dets(parts: list[Detections]) -> Detections:
    if not parts:
        return Detections.empty()
    return Detections(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("t_s", "lat", "lon", "length_m", "source")))


