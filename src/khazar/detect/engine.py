"""One engine, two modes.

:class:`Engine` chains the tracker, the annotation and every detector kernel; each
:meth:`Engine.step` consumes the fixes and detections released up to a watermark.

- Batch: :func:`detect_batch` makes one step over all history (vectorised inside each
  kernel), watermark = end of the data.
- Live: :class:`khazar.detect.live.LiveDetector` holds messages back for the lateness
  window W, releases, on each advance of its clock, those older than ``clock − W`` in one
  step, so silence is noticed (``ais_gap``) and runs in progress come out as open events;
  a speculative per-vessel path beside it alerts without waiting W.

Closed events are the same in both modes for the same input; event ids derive from
(type, vessels, start) only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
