"""Tracks: per-vessel, sorted, de-duplicated, split on silence and impossible jumps."""

from khazar.tracks.fixes import Fixes, canonical_order, dedupe_sorted
from khazar.tracks.tracker import TrackedFixes, TrackerState, TrackParams, track

__all__ = ["Fixes", "TrackParams", "TrackedFixes", "TrackerState", "canonical_order",
           "dedupe_sorted", "track"]
