"""``anchor_drag``: a crossing of a pipeline or cable corridor that looks like a dragging
anchor (DESIGN C3). A crossing is a run of fixes inside one corridor, outside port approach
areas. It is an anchor drag when any of these holds:

- ``status_at_anchor``: at least two fixes report "at anchor" (status 1) at ≥ 2 kn;
- ``speed_drop``: for ≥ 5 min in the corridor the reported speed is ≥ ``drag_speed_drop``
  below the vessel's own voyage speed (its best 15-min mean so far on this track, outside
  corridors and ports, ≥ ``drag_min_voyage_kn``) — an Eagle S-like 8.5 → 6.3 kn, even when
  the slow-down starts a few km before the corridor;
- ``long_crossing``: the path inside is ≥ ``drag_long_factor`` × the corridor width at a
  dragging speed (``drag_speed_min_kn``–``drag_speed_max_kn``) — dragging along the line
  rather than across it (Yi Peng 3 at a steady 7 kn);
- ``repeated_crossing``: this full crossing (moving, through ≥ half the width) is at least
  the ``drag_repeat_count``-th of the same corridor within ``drag_repeat_window_h``, at a
  dragging speed (≤ ``drag_speed_max_kn``: an anchor on the seabed holds a ship back; a boat
  zigzagging over a line at service speed is not dragging one — found on the tuning seeds).

Every rule needs the ship moving at ≥ ``drag_speed_min_kn``: slower is loitering. Ferries and
tankers crossing at service speed trigger none; a port's approach area (or 10 km around a
port) is not looked at, so ships slowing into port are not anchor drags. Own patrol boats
and authorised boats in their area are exempt.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from khazar.detect.base import Chunk, Key, KeyState, RunDetector, RunSpec, make_event, prev_of
from khazar.domain import Event

__all__ = ["AnchorDragDetector", "voyage_speed"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_CRUISE_KN = 3.0
_DEFAULT_WIDTH_M = 2000.0
_BIN_S = 900.0  # voyage speed: the best 15-min mean so far
_SUSTAINED_S = 300.0
_MAX_VOYAGE_KN = 100.0


def voyage_speed(t: F64, speed: F64, cruise: B, ks: KeyState | None) -> tuple[F64, dict[str,
                                                                                       float]]:
    """The vessel's own speed on this voyage before each fix: the highest mean speed of a
    completed 15-minute bin (≥ 3 cruising fixes, outside corridors and ports) so far.
    Causal and bin-aligned to absolute time, so chunking does not change it."""
    c = ks.carry if ks else {}
    bins = np.floor(t / _BIN_S)
    cut = np.flatnonzero(np.diff(bins)) + 1
    starts = np.concatenate(([0], cut))
    ids = bins[starts]
    # an implied speed of hundreds of knots (two fixes in one minute-stamped instant, as in
    # real CSV exports) is a bad fix, not a voyage speed; summed it overflowed
    cruise = cruise & (speed < _MAX_VOYAGE_KN)
    sums = np.add.reduceat(np.where(cruise, speed, 0.0), starts)
    cnts = np.add.reduceat(cruise.astype(np.float64), starts)
    vmax0 = c.get("vmax", -np.inf)
    if c and c.get("bin", np.nan) == ids[0]:
        sums[0] += c["bsum"]
        cnts[0] += c["bn"]
    elif c and cnts.size and c.get("bn", 0.0) >= 3:
        vmax0 = max(vmax0, c["bsum"] / c["bn"])
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(cnts >= 3, sums / np.maximum(cnts, 1), -np.inf)
    before = np.maximum.accumulate(np.concatenate(([vmax0], means[:-1])))  # completed bins
    per_bin = np.where(np.isfinite(before), before, np.nan)
    vref = np.repeat(per_bin, np.diff(np.append(starts, t.size)))
    carry = {"bin": float(ids[-1]), "bsum": float(sums[-1]), "bn": float(cnts[-1]),
             "vmax": float(before[-1])}
    return vref, carry


class AnchorDragDetector(RunDetector):
    name = "anchor_drag"
    ops: ClassVar[dict[str, str]] = {
        "corr": "first", "vsum": "sum", "vref": "first", "anchor": "sum", "path": "sum",
        "slow_s": "sum",
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
        cruise = (speed >= _CRUISE_KN) & (corr < 0) & ~near_port
        vref, carry_v = voyage_speed(tr.fixes.t_s[a:b], speed, cruise, ks)
        anchor = ((tr.fixes.status[a:b] == 1) & (speed >= 2.0)).astype(np.float64)
        path = np.where(brk | ~cond, 0.0, np.nan_to_num(tr.dist_m[a:b]))
        # time in the corridor spent ≥ drag_speed_drop below the voyage speed, still moving
        slow = ((speed <= (1.0 - s.drag_speed_drop) * np.nan_to_num(vref, nan=-1.0))
                & (speed >= s.drag_speed_min_kn) & (vref >= s.drag_min_voyage_kn))
        slow_s = np.where(brk | ~cond | ~slow, 0.0, np.nan_to_num(dt))
        return RunSpec(
            cond, brk,
            {"corr": corr, "vsum": speed, "vref": vref, "anchor": anchor, "path": path,
             "slow_s": slow_s,
             "lat": tr.fixes.lat[a:b], "lon": tr.fixes.lon[a:b]},
            {"corr": np.where(cond, corr, -1.0),
             **{k: np.full(b - a, v) for k, v in carry_v.items()}},
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
        moving = s.drag_speed_min_kn <= v_in
        if moving and run["slow_s"] >= _SUSTAINED_S:
            reasons.append("speed_drop")
        if (run["path"] >= s.drag_long_factor * width and moving
                and v_in <= s.drag_speed_max_kn):
            reasons.append("long_crossing")
        # a full crossing: moving, through at least half the corridor's width
        full = moving and run["path"] >= 0.5 * width
        window = s.drag_repeat_window_h * 3600.0
        recent = [h for h in ks.history if h[0] == zi and run["t0"] - h[1] <= window]
        if full and v_in <= s.drag_speed_max_kn and len(recent) + 1 >= s.drag_repeat_count:
            reasons.append("repeated_crossing")
        if not is_open and full:
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
                      "crossings_in_window": len(recent) + 1, "slow_h": run["slow_s"] / 3600.0,
                      "duration_h": (run["t1"] - run["t0"]) / 3600.0, "fixes": int(n)},
            is_open=is_open,
        )
