"""One engine, two modes.

:class:`Engine` chains the tracker, the annotation and every detector kernel; each
:meth:`Engine.step` consumes the fixes and detections released up to a watermark.

- Batch: :func:`detect_batch` steps over stored history in time slices (vectorised
  inside each kernel), the last watermark = end of the data.
- Live: :class:`khazar.detect.live.LiveDetector` holds messages back for the lateness
  window W, releases, on each advance of its clock, those older than ``clock − W`` in one
  step, so silence is noticed (``ais_gap``) and runs in progress come out as open events;
  a speculative per-vessel path beside it alerts without waiting W.

Closed events are the same in both modes for the same input; event ids derive from
(type, vessels, start) only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from khazar.config import DetectSettings
from khazar.detect.anchor_down import AnchorDownDetector
from khazar.detect.anchor_drag import AnchorDragDetector
from khazar.detect.base import Chunk, Detections, Detector
from khazar.detect.dark import DarkVesselDetector
from khazar.detect.encounter import EncounterDetector
from khazar.detect.gap import GapDetector
from khazar.detect.geography import DetectGeography, annotate
from khazar.detect.loitering import LoiteringDetector
from khazar.detect.port_visit import PortVisitDetector
from khazar.detect.spoofing import SpoofingDetector
from khazar.detect.stop import StopDetector
from khazar.detect.zones import ZoneDetector
from khazar.domain import Event
from khazar.tracks.fixes import Fixes
from khazar.tracks.tracker import TrackedFixes, TrackerState, TrackParams, track

__all__ = ["Engine", "default_detectors", "detect_batch", "merge_updates"]


def __getattr__(name: str) -> Any:
    # the live runner moved to khazar.detect.live (which imports this module)
    if name in ("LiveDetector", "LiveStats"):
        from khazar.detect import live

        return getattr(live, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_detectors(settings: DetectSettings, geo: DetectGeography) -> list[Detector[Any]]:
    """Every detector of DESIGN C3, in a fixed order."""
    return [ZoneDetector(settings, geo), LoiteringDetector(settings, geo),
            EncounterDetector(settings, geo), GapDetector(settings, geo),
            SpoofingDetector(settings, geo), AnchorDragDetector(settings, geo),
            AnchorDownDetector(settings, geo),
            PortVisitDetector(settings, geo), StopDetector(settings, geo),
            DarkVesselDetector(settings, geo)]


def track_params(settings: DetectSettings) -> TrackParams:
    return TrackParams(gap_split_s=settings.track_gap_split_h * 3600.0,
                       jump_kn=settings.track_jump_kn)


class Engine:
    """The tracker, the annotation and the detector kernels with their states."""

    def __init__(self, settings: DetectSettings, geo: DetectGeography,
                 detectors: Sequence[Detector[Any]] | None = None) -> None:
        self.settings = settings
        self.geo = geo
        self.params = track_params(settings)
        self.detectors = list(detectors if detectors is not None
                              else default_detectors(settings, geo))
        self.tracker = TrackerState()
        self.states: list[Any] = [d.init() for d in self.detectors]
        self.watermark_s = -np.inf
        #: seconds spent per phase over all steps ("track", "annotate", then each detector)
        self.timings_s: dict[str, float] = {}
        #: called with each step's tracked fixes (a distributed run passes them on)
        self.on_tracked: Callable[[TrackedFixes], None] | None = None

    def _timed(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.timings_s[phase] = self.timings_s.get(phase, 0.0) + now - started
        return now

    def step(self, fixes: Fixes | TrackedFixes, detections: Detections, watermark_s: float,
             final: bool = False) -> list[Event]:
        """Consume fixes/detections all earlier than ``watermark_s`` (and later than the
        previous watermark); return the events closed or updated by them.

        Fixes already tracked (a distributed run tracks each vessel apart, then runs the
        detectors across vessels on the tracked fixes of a cell) skip the tracker."""
        t = time.perf_counter()
        tr = fixes if isinstance(fixes, TrackedFixes) else track(self.tracker, fixes, self.params)
        t = self._timed("track", t)
        if self.on_tracked is not None:
            self.on_tracked(tr)
        fx = tr.fixes
        ann = annotate(self.geo, fx.mmsi, fx.lat, fx.lon)
        chunk = Chunk(tr, ann, detections, watermark_s, final)
        t = self._timed("annotate", t)
        events: list[Event] = []
        for i, det in enumerate(self.detectors):
            self.states[i], evs = det.step(self.states[i], chunk)
            events.extend(evs)
            t = self._timed(det.name, t)
        self.tracker.expire(watermark_s, self.params)
        self.watermark_s = watermark_s
        return events

    def state_size(self) -> dict[str, int]:
        """Items held per component (the live state must stay bounded)."""
        sizes = {"tracker": self.tracker.size()}
        for det, st in zip(self.detectors, self.states, strict=True):
            sizes[det.name] = det.size(st)
        return sizes


def merge_updates(events: Iterable[Event]) -> dict[str, Event]:
    """The latest version of each event by id (closed versions win over open ones)."""
    out: dict[str, Event] = {}
    for ev in events:
        cur = out.get(ev.id)
        if cur is None or cur.open or not ev.open:
            out[ev.id] = ev
    return out


#: batch steps through history in slices of this much time (memory bounded by a slice)
BATCH_SLICE_S = 24 * 3600.0


def detect_batch(fixes: Fixes | TrackedFixes, settings: DetectSettings,
                 geo: DetectGeography,
                 detections: Detections | None = None,
                 end_s: float | None = None,
                 timings_s: dict[str, float] | None = None,
                 slice_s: float | None = BATCH_SLICE_S,
                 *,
                 start_s: float | None = None,
                 engine: Engine | None = None) -> list[Event]:
    """All events in stored history.

    The engine steps through the history in time slices of ``slice_s`` (None: one step
    over everything), each slice's end as watermark, as the live runner releases
    messages: kernels carry only bounded state, so the closed events are the same as one
    step's, and memory is bounded by a slice instead of the whole history. Events still
    open after a slice are dropped: the last step, at the end of the data, emits every
    event still in progress.

    ``end_s`` is the end of the data (default: the last fix or detection); events still in
    progress then are returned open. Sorted by (start, type, id). ``timings_s``, when
    given, receives the seconds spent per phase (tracker, annotation, each detector).

    A part of the data (one vessel, one cell of a distributed run) steps through the same
    slices as the whole when given the whole's ``start_s`` (its first message) and
    ``end_s``; ``engine`` then holds the detectors that part runs. Fixes already tracked
    (sorted by vessel, segment and time) skip the tracker.
    """
    dets = detections if detections is not None else Detections.empty()
    f_t = fixes.fixes.t_s if isinstance(fixes, TrackedFixes) else fixes.t_s
    if end_s is None:
        times = [x.max() for x in (f_t, dets.t_s) if x.size]
        end_s = float(max(times)) if times else 0.0
    engine = engine if engine is not None else Engine(settings, geo)
    final_wm = float(np.nextafter(end_s, np.inf))
    cuts = _cuts(f_t, dets.t_s, end_s, slice_s, start_s)
    if cuts.size == 0:
        events = engine.step(fixes, dets, final_wm, final=True)
    else:
        f_order, f_bounds = _by_slice(f_t, cuts)
        d_order, d_bounds = _by_slice(dets.t_s, cuts)
        events = []
        for k in range(cuts.size + 1):
            last = k == cuts.size
            evs = engine.step(fixes.take(f_order[f_bounds[k]:f_bounds[k + 1]]),
                              dets.take(d_order[d_bounds[k]:d_bounds[k + 1]]),
                              final_wm if last else float(cuts[k]), final=last)
            events.extend(evs if last else (e for e in evs if not e.open))
    if timings_s is not None:
        timings_s.update(engine.timings_s)
    return sorted(merge_updates(events).values(), key=lambda e: (e.start, e.type, e.id))


F64 = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]


def _cuts(f_t: F64, d_t: F64, end_s: float, slice_s: float | None,
          start_s: float | None = None) -> F64:
    """Watermarks between slices: every ``slice_s`` from the first message (``start_s``
    when given), before the slice that holds ``end_s`` (none when ``slice_s`` is None)."""
    if slice_s is None or not (f_t.size or d_t.size or start_s is not None):
        return np.empty(0)
    t0 = (start_s if start_s is not None
          else min(float(np.nanmin(x)) for x in (f_t, d_t) if x.size))
    n_slices = max(0, int(np.floor((end_s - t0) / slice_s)))
    return np.asarray(t0 + slice_s * np.arange(1, n_slices + 1), dtype=np.float64)


def _by_slice(t_s: F64, cuts: F64) -> tuple[Index, Index]:
    """Indices grouped by slice, stably (slice k: ``cuts[k-1] ≤ t < cuts[k]``; the last
    slice holds the rest), and the bounds of each slice in that order."""
    slot = np.searchsorted(cuts, t_s, side="right")
    order = np.argsort(slot.astype(np.uint16) if cuts.size < 65535 else slot, kind="stable")
    bounds = np.searchsorted(slot[order], np.arange(cuts.size + 2))
    return order, bounds
