"""``port_visit``: within 3 km of a port starts a visit, beyond 4 km ends it (GFW's
hysteresis; DESIGN C3). The event's ``zone_id`` is the port id; a visit still going on at
the end of the data is open.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from khazar.detect.base import Chunk, Key, KeyState, RunDetector, RunSpec, make_event, prev_of
from khazar.domain import Event

__all__ = ["PortVisitDetector"]


class PortVisitDetector(RunDetector):
    name = "port_visit"
    ops: ClassVar[dict[str, str]] = {"port": "first"}

    def measure(self, ks: KeyState | None, chunk: Chunk, a: int, b: int) -> RunSpec:
        s, ann = self.settings, chunk.ann
        port = ann.port[a:b]
        d = ann.port_dist_m[a:b]
        mark = np.where(d <= s.port_entry_km * 1000.0, port,
                        np.where(d > s.port_exit_km * 1000.0, -1, -2))
        init = ks.carry.get("port", -1.0) if ks else -1.0
        where = np.where(mark != -2, np.arange(b - a), -1)
        last = np.maximum.accumulate(where)
        cur = np.where(last >= 0, mark[np.maximum(last, 0)], init).astype(np.float64)
        prev = prev_of(cur, init, -1.0)
        return RunSpec(cur >= 0, cur != prev,
                       {"port": cur}, {"port": cur})

    def decide(
        self, key: Key, ks: KeyState, run: dict[str, float], is_open: bool
    ) -> Event | None:
        p = self.geo.ports[int(run["port"])]
        return make_event(
            "port_visit", key[0], run["t0"], run["t1"], p.lat, p.lon, zone_id=p.id,
            evidence={"port": p.id, "duration_h": (run["t1"] - run["t0"]) / 3600.0,
                      "fixes": int(run["n"])},
            is_open=is_open,
        )
