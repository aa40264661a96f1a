"""One engine, two modes.

:class:`Engine` chains the tracker, the annotation and every detector kernel; each
:meth:`Engine.step` consumes the fixes and detections released up to a watermark.

- Batch: :func:`detect_batch` makes one step over all history (vectorised inside each
  kernel), watermark = end of the data.
- Live: :class:`LiveDetector` holds messages back for the lateness window W, releases, on
  each :meth:`LiveDetector.advance` of its clock, those older than ``clock − W`` in one
  step, so silence is noticed (``ais_gap``) and runs in progress come out as open events.
  Messages later than W are dropped and counted.

Closed events are the same in both modes for the same input; event ids derive from
(type, vessels, start) only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from khazar.config import DetectSettings
from khazar.detect.anchor_drag import AnchorDragDetector
from khazar.detect.base import Chunk, Detections, Detector
from khazar.detect.dark import DarkVesselDetector
from khazar.detect.encounter import EncounterDetector
from khazar.detect.gap import GapDetector
from khazar.detect.geography import DetectGeography, annotate
from khazar.detect.loitering import LoiteringDetector
from khazar.detect.port_visit import PortVisitDetector
from khazar.detect.spoofing import SpoofingDetector
from khazar.detect.zones import ZoneDetector
from khazar.domain import Event
from khazar.tracks.fixes import Fixes
from khazar.tracks.tracker import TrackerState, TrackParams, track

__all__ = ["Engine", "LiveDetector", "LiveStats", "default_detectors", "detect_batch",
           "merge_updates"]


def default_detectors(settings: DetectSettings, geo: DetectGeography) -> list[Detector[Any]]:
    """Every detector of DESIGN C3, in a fixed order."""
    return [ZoneDetector(settings, geo), LoiteringDetector(settings, geo),
            EncounterDetector(settings, geo), GapDetector(settings, geo),
            SpoofingDetector(settings, geo), AnchorDragDetector(settings, geo),
            PortVisitDetector(settings, geo), DarkVesselDetector(settings, geo)]


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

    def step(self, fixes: Fixes, detections: Detections, watermark_s: float,
             final: bool = False) -> list[Event]:
        """Consume fixes/detections all earlier than ``watermark_s`` (and later than the
        previous watermark); return the events closed or updated by them."""
        tr = track(self.tracker, fixes, self.params)
        fx = tr.fixes
        ann = annotate(self.geo, fx.mmsi, fx.lat, fx.lon)
        chunk = Chunk(tr, ann, detections, watermark_s, final)
        events: list[Event] = []
        for i, det in enumerate(self.detectors):
            self.states[i], evs = det.step(self.states[i], chunk)
            events.extend(evs)
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


def detect_batch(fixes: Fixes, settings: DetectSettings, geo: DetectGeography,
                 detections: Detections | None = None,
                 end_s: float | None = None) -> list[Event]:
    """All events in stored history: one engine step over everything.

    ``end_s`` is the end of the data (default: the last fix or detection); events still in
    progress then are returned open. Sorted by (start, type, id).
    """
    dets = detections if detections is not None else Detections.empty()
    if end_s is None:
        times = [x.max() for x in (fixes.t_s, dets.t_s) if x.size]
        end_s = float(max(times)) if times else 0.0
    engine = Engine(settings, geo)
    events = engine.step(fixes, dets, float(np.nextafter(end_s, np.inf)), final=True)
    return sorted(merge_updates(events).values(), key=lambda e: (e.start, e.type, e.id))


@dataclass(slots=True)
class LiveStats:
    received: int = 0
    late_dropped: int = 0
    released: int = 0
    steps: int = 0


@dataclass
class LiveDetector:
    """The live runner: lateness buffer, clock, the same engine as batch."""

    settings: DetectSettings
    geo: DetectGeography
    engine: Engine = field(init=False)
    stats: LiveStats = field(default_factory=LiveStats)
    _fixes: list[Fixes] = field(default_factory=list)
    _dets: list[Detections] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = Engine(self.settings, self.geo)

    @property
    def lateness_s(self) -> float:
        return self.settings.lateness_window_s

    def push(self, fixes: Fixes | None = None, detections: Detections | None = None) -> None:
        """Receive messages; those already behind the watermark are dropped and counted."""
        wm = self.engine.watermark_s
        if fixes is not None and len(fixes):
            self.stats.received += len(fixes)
            ok = fixes.t_s >= wm
            self.stats.late_dropped += int((~ok).sum())
            self._fixes.append(fixes.take(ok) if not ok.all() else fixes)
        if detections is not None and len(detections):
            self.stats.received += len(detections)
            ok = detections.t_s >= wm
            self.stats.late_dropped += int((~ok).sum())
            self._dets.append(detections.take(np.flatnonzero(ok)))

    def advance(self, clock_s: float) -> list[Event]:
        """Move the clock: release everything older than ``clock − W`` and run one step.

        Returns the events closed or updated (open) by this step."""
        return self._release(clock_s - self.lateness_s, final=False)

    def finish(self, end_s: float) -> list[Event]:
        """The feed has ended at ``end_s`` (its last message time): release and decide all,
        exactly as :func:`detect_batch` does at the end of the same data."""
        return self._release(float(np.nextafter(end_s, np.inf)), final=True)

    def _release(self, wm: float, final: bool) -> list[Event]:
        if final:  # the end is decided even when the clock has already passed it
            wm = max(wm, self.engine.watermark_s)
        elif wm <= self.engine.watermark_s:
            return []
        fx = Fixes.concat(self._fixes)
        go = fx.t_s < wm
        self._fixes = [fx.take(~go)] if (~go).any() else []
        dets = _concat_dets(self._dets)
        dgo = dets.t_s < wm
        self._dets = [dets.take(np.flatnonzero(~dgo))] if (~dgo).any() else []
        self.stats.released += int(go.sum()) + int(dgo.sum())
        self.stats.steps += 1
        return self.engine.step(fx.take(go), dets.take(np.flatnonzero(dgo)), wm, final)

    def state_size(self) -> dict[str, int]:
        sizes = self.engine.state_size()
        sizes["buffer"] = sum(len(f) for f in self._fixes) + sum(len(d) for d in self._dets)
        return sizes


def _concat_dets(parts: list[Detections]) -> Detections:
    if not parts:
        return Detections.empty()
    return Detections(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("t_s", "lat", "lon", "length_m", "source")))
