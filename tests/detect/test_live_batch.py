"""One engine, two modes: live (lateness window, clock) closes the same events as batch."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khazar.config import DetectSettings
from khazar.detect import Detections, LiveDetector, detect_batch, merge_updates
from khazar.domain import Event
from khazar.tracks import Fixes

from .feeds import Feed, feed_geography, feeds

SETTINGS = DetectSettings()
GEO = feed_geography()
W = SETTINGS.lateness_window_s
TYPES = ("zone_entry", "zone_exit", "loitering", "encounter", "ais_gap", "spoofing",
         "anchor_drag", "stop", "port_visit", "dark_vessel")


def run_live(feed: Feed, seed: int, dup_fraction: float, tick_s: float) -> tuple[
        list[Event], LiveDetector]:
    """Deliver every message with a random delay in [0, W), some twice, on a ticking clock."""
    rng = np.random.default_rng(seed)
    fx = feed.fixes
    dup = rng.random(len(fx)) < dup_fraction
    idx = np.concatenate((np.arange(len(fx)), np.flatnonzero(dup)))
    fx = fx.take(idx)
    arrive = fx.t_s + rng.uniform(0, W * 0.999, len(fx))
    order = np.argsort(arrive, kind="stable")
    fx, arrive = fx.take(order), arrive[order]
    d = feed.detections
    d_arrive = d.t_s + rng.uniform(0, W * 0.999, len(d))
    live = LiveDetector(SETTINGS, GEO)
    out: list[Event] = []
    clock = float(min(arrive.min(), d_arrive.min() if len(d) else np.inf))
    stop = max(float(arrive.max()), float(d_arrive.max()) if len(d) else 0.0)
    i = j = 0
    # the clock runs until every message has arrived, but its watermark stays before the end
    # of the data: batch judges the end at the same watermark (a live run that goes on longer
    # rightly closes more, e.g. a spoofing episode after an hour of calm)
    while clock <= stop + tick_s and clock - W < feed.end_s:
        k = int(np.searchsorted(arrive, clock, side="right"))
        kd = int(np.searchsorted(np.sort(d_arrive), clock, side="right"))
        if k > i:
            live.push(fixes=fx.take(np.arange(i, k)))
            i = k
        if kd > j:
            sel = np.argsort(d_arrive, kind="stable")[j:kd]
            live.push(detections=d.take(sel))
            j = kd
        out.extend(live.advance(clock))
        clock += tick_s * (0.5 + rng.random())
    live.push(fixes=fx.take(np.arange(i, len(fx))),
              detections=d.take(np.argsort(d_arrive, kind="stable")[j:]))
    out.extend(live.finish(feed.end_s))
    return out, live


def closed(events: list[Event]) -> list[tuple[object, ...]]:
    return sorted((e.id, e.type, e.mmsi, e.other_mmsi, e.start, e.end, e.lat, e.lon,
                   e.zone_id, e.asset_id, repr(sorted(e.evidence.items())))
                  for e in events if not e.open)


PRESENT: Counter[str] = Counter()
EXAMPLES = [0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(feed=feeds(), seed=st.integers(0, 2**32 - 1), dup=st.sampled_from([0.0, 0.05, 0.3]),
       tick=st.sampled_from([45.0, 180.0, 700.0]))
def _live_equals_batch(feed: Feed, seed: int, dup: float, tick: float) -> None:
    batch = detect_batch(feed.fixes, SETTINGS, GEO, feed.detections, end_s=feed.end_s)
    live_events, live = run_live(feed, seed, dup, tick)
    assert live.stats.late_dropped == 0
    latest = merge_updates(live_events)
    assert closed(list(latest.values())) == closed(batch)
    # the events still open at the end are the same too
    assert {e.id for e in batch if e.open} == {e.id for e in latest.values() if e.open} - {
        e.id for e in latest.values() if e.open and e.id not in {b.id for b in batch}}
    PRESENT.update({e.type for e in batch})
    EXAMPLES[0] += 1


def test_live_closed_events_equal_batch_and_every_type_is_exercised() -> None:
    _live_equals_batch()
    n = EXAMPLES[0]
    fractions = {t: PRESENT[t] / n for t in TYPES}
    missing = {t: f for t, f in fractions.items() if f < 0.2}
    assert not missing, f"event types present in < 20 % of {n} examples: {fractions}"


def test_empty_feed_gives_no_events() -> None:
    assert detect_batch(Fixes.empty(), SETTINGS, GEO, Detections.empty()) == []
