"""Live state stays bounded on a long feed: vessels come and go, state does not pile up."""

from __future__ import annotations

import numpy as np

from khazar.config import DetectSettings
from khazar.detect import Detections, LiveDetector
from khazar.tracks import Fixes

from .builders import T0, Track
from .feeds import CORRIDOR_X, feed_geography


def long_feed(hours: int) -> tuple[Fixes, Detections]:
    """Every hour four vessels appear and sail or drift for 3 h, then fall silent: one
    crosses the corridor, one loiters on it, two drift side by side offshore."""
    parts = []
    dt, dla, dlo = [], [], []
    for h in range(hours):
        m = 273_000_000 + 10 * h
        start = h * 60.0
        parts.append(Track(m, t=start * 60, every_s=60, y=h * 500.0).leg(180, 10).fixes())
        parts.append(Track(m + 1, t=start * 60, every_s=60, x=CORRIDOR_X, y=h * 300.0)
                     .leg(180, 0.5, course_deg=0).fixes())
        parts.append(Track(m + 2, t=start * 60, every_s=60, x=-40_000, y=h * 2000.0)
                     .leg(180, 0.4).fixes())
        parts.append(Track(m + 3, t=start * 60, every_s=60, x=-39_850, y=h * 2000.0)
                     .leg(180, 0.4).fixes())
        dt += [T0 + start * 60 + 600, T0 + start * 60 + 660]
        dla += [39.5, 39.5]
        dlo += [49.0, 49.001]
    n = len(dt)
    return Fixes.concat(parts), Detections(np.array(dt), np.array(dla), np.array(dlo),
                                           np.full(n, 10.0), np.array(["radar:x"] * n))


def test_live_state_is_bounded_on_a_long_feed() -> None:
    settings = DetectSettings(gap_forget_h=12.0)
    fx, dets = long_feed(hours=60)
    live = LiveDetector(settings, feed_geography())
    order = np.argsort(fx.t_s, kind="stable")
    fx = fx.take(order)
    sizes: list[int] = []
    events = 0
    clock = T0
    i = j = 0
    end = float(fx.t_s.max())
    while clock < end + 3600:
        clock += 600.0
        k = int(np.searchsorted(fx.t_s, clock, side="right"))
        kd = int(np.searchsorted(dets.t_s, clock, side="right"))
        live.push(fixes=fx.take(np.arange(i, k)), detections=dets.take(np.arange(j, kd)))
        i, j = k, kd
        events += len(live.advance(clock))
        sizes.append(sum(live.state_size().values()))
    per_hour = len(sizes) // 60
    mid = max(sizes[24 * per_hour: 36 * per_hour])
    late = max(sizes[48 * per_hour: 60 * per_hour])
    assert events > 100
    # 240 vessels went through; the state holds only the recent ones and stops growing
    assert late <= mid * 1.05 + 10, (mid, late)
    assert late < len(fx) / 20  # far below the history (43,200 fixes)
