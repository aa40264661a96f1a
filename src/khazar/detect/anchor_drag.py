"""``anchor_drag``: a crossing of a pipeline or cable corridor that looks like a dragging
anchor (DESIGN C3). A crossing is a run of fixes inside one corridor, outside port approach
areas. It is an anchor drag when any of these holds:

- ``status_at_anchor``: at least two fixes report "at anchor" (status 1) at ≥ 2 kn;
- ``speed_drop``: the mean speed in the corridor is ≥ ``drag_speed_drop`` (25 %) below the
  vessel's own voyage speed before it (mean of its fixes ≥ 3 kn outside corridors and ports
  on this track), still moving (≥ 1 kn) — an Eagle S-like 8.5 → 6.3 kn;
- ``long_crossing``: the path inside is ≥ ``drag_long_factor`` × the corridor width while
  moving — dragging along the line rather than across it (Yi Peng 3 at a steady 7 kn);
- ``repeated_crossing``: this is at least the ``drag_repeat_count``-th crossing of the same
  corridor within ``drag_repeat_window_h``.

Ferries and tankers crossing at service speed trigger none; slowing inside a port's
approach area is not looked at. Own patrol boats and authorised boats in their area are
exempt.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from khazar.detect.base import Chunk, Key, KeyState, RunDetector, RunSpec, make_event, prev_of
from khazar.domain import Event

__all__ = ["AnchorDragDetector"]

_CRUISE_KN = 3.0
_DEFAULT_WIDTH_M = 2000.0


class AnchorDragDetector(RunDetector):
    name = "anchor_drag"
    ops: ClassVar[dict[str, str]] = {
        "corr": "first", "vsum": "sum", "vref": "first", "anchor": "sum", "path": "sum",
        "lat": "first", "lon": "first"}

    def measure(self, ks: KeyState | None, chunk: Chunk, a: int, b: int) -> RunSpec:
        s, tr, ann = self.settings, chunk.tr, chunk.ann
        corr = ann.corridor[a:b].astype(np.float64)
        near_port = ann.approach[a:b] | (
            ann.port_dist_m[a:b] <= s.encounter_port_distance_km * 1000.0)
        speed = np.nan_to_num(tr.speed_kn[a:b])
        cond = (corr >= 0) & ~near_port & ~ann.exempt[a:b]
        pcorr = prev_of(np.where(cond, corr, -1.0), ks.carry.get("corr") if ks else None, -1.0)
        dt = tr.dt_s[a:b]
        brk = tr.new_seg[a:b] | (corr != pcorr) | ~(dt <= s.gap_min_h * 3600.0)
        # voyage speed: running mean of cruising fixes outside corridors and ports
        cruise = (speed >= _CRUISE_KN) & (corr < 0) & ~near_port
        c_sum = np.cumsum(np.where(cruise, speed, 0.0)) + (ks.carry.get("vs", 0.0) if ks else 0.0)
        c_n = np.cumsum(cruise) + (ks.carry.get("vn", 0.0) if ks else 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            vref = np.where(c_n > 0, c_sum / c_n, np.nan)
        anchor = ((tr.fixes.status[a:b] == 1) & (speed >= 2.0)).astype(np.float64)
        path = np.where(brk | ~cond, 0.0, np.nan_to_num(tr.dist_m[a:b]))
        return RunSpec(
            cond, brk,
            {"corr": corr, "vsum": speed, "vref": vref, "anchor": anchor, "path": path,
             "lat": tr.fixes.lat[a:b], "lon": tr.fixes.lon[a:b]},
            {"corr": np.where(cond, corr, -1.0), "vs": c_sum.astype(np.float64),
             "vn": c_n.astype(np.float64)},
        )

    def decide(
        self, key: Key, ks: KeyState, run: dict[str, float], is_open: bool
    ) -> Event | None:
        s = self.settings
        zi = int(run["corr"])
        zone = self.geo.zones[zi]
        width = zone.width_m or _DEFAULT_WIDTH_M
        n = run["n"]
        v_in = run["vsum"] / n
        vref = run["vref"]
        reasons: list[str] = []
        if run["anchor"] >= 2:
            reasons.append("status_at_anchor")
        if (np.isfinite(vref) and vref >= s.drag_min_voyage_kn and v_in >= 1.0 and n >= 3
                and v_in <= (1.0 - s.drag_speed_drop) * vref):
            reasons.append("speed_drop")
        if run["path"] >= s.drag_long_factor * width and v_in >= 1.0:
            reasons.append("long_crossing")
        window = s.drag_repeat_window_h * 3600.0
        recent = [h for h in ks.history if h[0] == zi and run["t0"] - h[1] <= window]
        if len(recent) + 1 >= s.drag_repeat_count:
            reasons.append("repeated_crossing")
        if not is_open:
            # remember this crossing (bounded by the window) for the repeat rule
            ks.history = [h for h in ks.history if run["t0"] - h[1] <= window]
            ks.history.append((float(zi), run["t0"]))
        if not reasons:
            return None
        return make_event(
            "anchor_drag", key[0], run["t0"], run["t1"], run["lat"], run["lon"],
            zone_id=zone.id, asset_id=zone.asset_id,
            evidence={"reasons": reasons, "speed_in_corridor_kn": v_in,
                      "voyage_speed_kn": float(vref) if np.isfinite(vref) else None,
                      "path_in_corridor_m": run["path"], "corridor_width_m": width,
                      "crossings_in_window": len(recent) + 1,
                      "duration_h": (run["t1"] - run["t0"]) / 3600.0, "fixes": int(n)},
            is_open=is_open,
        )
