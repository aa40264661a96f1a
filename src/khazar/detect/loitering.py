"""``loitering``: speed < 2 kn (reported, or implied where SOG is missing) for ≥ 1 h outside
ports and ≥ 20 nm from shore (GFW's published definition), or for ≥ 20 min of it inside a
pipeline corridor or platform safety zone, at any distance (DESIGN C3). Own patrol boats,
and authorised boats in their own group's area, are not loiterers there. A silence longer
than ``gap_min_h`` ends the run.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from khazar.detect.base import Chunk, Key, KeyState, RunDetector, RunSpec, make_event, prev_of
from khazar.domain import Event

__all__ = ["LoiteringDetector"]


class LoiteringDetector(RunDetector):
    name = "loitering"
    ops: ClassVar[dict[str, str]] = {
        "lat": "sum", "lon": "sum", "prot_s": "sum", "vmax": "max", "vsum": "sum",
        "zone": "max", "lat0": "first", "lon0": "first"}

    def measure(self, ks: KeyState | None, chunk: Chunk, a: int, b: int) -> RunSpec:
        s, tr, ann = self.settings, chunk.tr, chunk.ann
        speed = tr.speed_kn[a:b]
        prot = ann.prot[a:b]
        in_port = (ann.port_dist_m[a:b] <= s.port_exit_km * 1000.0) | ann.approach[a:b]
        # outside protected zones only far enough offshore (GFW: 20 nm), so fishing boats
        # drifting near the coast and ships at anchor off a port are not loiterers
        offshore = ann.shore_m[a:b] >= s.loiter_shore_min_nm * 1852.0
        cond = (speed < s.loiter_speed_kn) & ~in_port & ~ann.exempt[a:b] & (prot | offshore)
        dt = tr.dt_s[a:b]
        brk = tr.new_seg[a:b] | ~(dt <= s.gap_min_h * 3600.0)
        pprot = prev_of(prot, ks.carry.get("prot") if ks else None, 0.0) > 0
        prot_s = np.where(prot & pprot & ~brk, np.nan_to_num(dt), 0.0)
        zone = ann.prot_zone[a:b].astype(np.float64)
        return RunSpec(
            cond, brk,
            {"lat": tr.fixes.lat[a:b], "lon": tr.fixes.lon[a:b], "prot_s": prot_s,
             "vmax": speed, "vsum": speed, "zone": zone,
             "lat0": tr.fixes.lat[a:b], "lon0": tr.fixes.lon[a:b]},
            {"prot": prot.astype(np.float64)},
        )

    def decide(
        self, key: Key, ks: KeyState, run: dict[str, float], is_open: bool
    ) -> Event | None:
        s = self.settings
        dur_s = run["t1"] - run["t0"]
        if dur_s < s.loiter_min_h * 3600.0 and run["prot_s"] < s.loiter_protected_min_h * 3600.0:
            return None
        zi = int(run["zone"])
        zone = self.geo.zones[zi] if zi >= 0 else None
        n = run["n"]
        return make_event(
            "loitering", key[0], run["t0"], run["t1"], run["lat"] / n, run["lon"] / n,
            zone_id=zone.id if zone else None, asset_id=zone.asset_id if zone else None,
            evidence={"duration_h": dur_s / 3600.0, "protected_h": run["prot_s"] / 3600.0,
                      "mean_speed_kn": run["vsum"] / n, "max_speed_kn": run["vmax"],
                      "fixes": int(n)},
            is_open=is_open,
        )
