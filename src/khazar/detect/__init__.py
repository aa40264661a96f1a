"""Behaviour detection (DESIGN C3): one kernel per detector, one engine for batch and live.

Public surface: :func:`detect_batch` (stored history), :class:`LiveDetector` (a stream with
a lateness window and a clock), :class:`Engine` (both use it), :class:`DetectGeography` (the
plain-value geography detectors read), :class:`Detections` (radar/SAR contacts).
"""

from khazar.detect.base import Chunk, Detections, Detector, make_event
from khazar.detect.engine import Engine, default_detectors, detect_batch, merge_updates
from khazar.detect.geography import Annotation, DetectGeography, PortSpec, ZoneSpec, annotate
from khazar.detect.live import LiveDetector, LiveStats, LiveUpdate

__all__ = [
    "Annotation",
    "Chunk",
    "DetectGeography",
    "Detections",
    "Detector",
    "Engine",
    "LiveDetector",
    "LiveStats",
    "LiveUpdate",
    "PortSpec",
    "ZoneSpec",
    "annotate",
    "default_detectors",
    "detect_batch",
    "make_event",
    "merge_updates",
]
