"""``anchor_down``: a ship at sea whose anchor is likely down, before it reaches a corridor
(issue 21). Eagle S fell from 8.5 to 6.3 kn, heading unchanged, about 50 minutes before
Estlink 2 tripped; Yi Peng 3 reported "at anchor" while making 7 kn. The anchor was down long
before the damage: this detector says so at the fall of speed, anywhere at sea, and
projects the track onto the protected corridors ahead (:func:`project_course`).

A fix is *dragging-like* when, in open water (outside ports, their approach areas and
``anchor_down_shore_km`` of the shore; not an exempt boat nor a fishing boat), either

- ``speed_drop``: its speed is well below the ship's own voyage speed (by half of
  ``drag_speed_drop``; the voyage speed as :func:`~khazar.detect.anchor_drag.voyage_speed`,
  ≥ ``drag_min_voyage_kn``), still moving (``drag_speed_min_kn``–``drag_speed_max_kn``), its
  course within ``anchor_down_course_deg`` of the course it held at voyage speed (heading
  unchanged: a ship slowing for a squall heads into the sea; one waiting for a berth
  stops); the decision then wants the mean speed of the window ≥ ``drag_speed_drop`` below
  the voyage speed, or
- ``status_at_anchor``: it reports "at anchor" (status 1) at ≥ 2 kn.

A run of such fixes is an ``anchor_down`` event once it has lasted ``anchor_down_min_min``
and its first that many minutes are straight (the resultant of the reported legs — speed ×
time on the reported course — over their length ≥ ``anchor_down_straightness``: a fishing
boat's turns fail it). Everything the decision
reads is measured over those first minutes only, so the event is decided at
``evidence.detected_at`` = the first fix that completed them, in batch as in live. The
evidence gives the reasons, the speeds, the course and its wobble (the spread of the
reported course about the voyage course: a dragged anchor yaws the ship), the status, a
confidence and the corridors ahead.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import shapely

from khazar.detect.anchor_drag import voyage_speed
from khazar.detect.base import Chunk, Key, KeyState, RunDetector, RunSpec, make_event
from khazar.detect.encounter import NAV_FISHING
from khazar.detect.geography import DetectGeography, isin_mmsi
from khazar.domain import Event
from khazar.units import KN_TO_MS, from_epoch_s

__all__ = ["AnchorDownDetector", "project_course"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_CORRIDOR_KINDS = frozenset({"pipeline_corridor", "cable_corridor"})
_R_EARTH_M = 6_371_008.8
_STEP_M = 200.0
_M_PER_DEG = 111_195.0


def _angdiff(a: F64, b: F64) -> F64:
    """Signed smallest difference a − b in degrees, in [-180, 180)."""
    return np.asarray((a - b + 180.0) % 360.0 - 180.0, dtype=np.float64)


def _ray(lat: float, lon: float, course_deg: float, dist_m: F64) -> tuple[F64, F64]:
    """Points along a great circle from (lat, lon) at ``course_deg``, ``dist_m`` away."""
    la, lo, th = np.radians(lat), np.radians(lon), np.radians(course_deg)
    d = dist_m / _R_EARTH_M
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(th))
    lo2 = lo + np.arctan2(np.sin(th) * np.sin(d) * np.cos(la),
                          np.cos(d) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), (np.degrees(lo2) + 540.0) % 360.0 - 180.0


def project_course(
    geo: DetectGeography, lat: float, lon: float, course_deg: float, speed_kn: float,
    horizon_h: float, spread_deg: float,
) -> list[dict[str, Any]]:
    """The protected corridors a ship at (lat, lon) crosses within ``horizon_h`` hours if it
    holds ``course_deg`` (or any course within ± ``spread_deg``) at ``speed_kn``.

    One entry per corridor, soonest first: ``zone_id``, ``asset_id``, ``distance_km`` and
    ``minutes`` to its first point inside (the nearest over the spread), ``on_course``
    (the held course itself crosses it), and ``lat``/``lon`` of that point.
    """
    if not (speed_kn > 0 and horizon_h > 0):
        return []
    reach = speed_kn * KN_TO_MS * horizon_h * 3600.0
    dist = np.arange(_STEP_M, reach + _STEP_M, _STEP_M)
    offsets = sorted({0.0, -spread_deg, spread_deg, -spread_deg / 2, spread_deg / 2})
    rays = [(off, *_ray(lat, lon, course_deg + off, dist)) for off in offsets]
    out: list[dict[str, Any]] = []
    for zone in geo.zones:
        if zone.kind not in _CORRIDOR_KINDS:
            continue
        best: tuple[float, float, float] | None = None
        on_course = False
        for off, la, lo in rays:
            inside = np.flatnonzero(shapely.contains_xy(zone.geometry, lo, la))
            if not inside.size:
                continue
            i = int(inside[0])
            if off == 0.0:
                on_course = True
            if best is None or dist[i] < best[0]:
                best = (float(dist[i]), float(la[i]), float(lo[i]))
        if best is None:
            continue
        out.append({
            "zone_id": zone.id, "asset_id": zone.asset_id,
            "distance_km": round(best[0] / 1000.0, 2),
            "minutes": round(best[0] / (speed_kn * KN_TO_MS) / 60.0, 1),
            "on_course": on_course, "lat": round(best[1], 5), "lon": round(best[2], 5),
        })
    out.sort(key=lambda c: (not c["on_course"], c["minutes"]))
    return out


class AnchorDownDetector(RunDetector):
    name = "anchor_down"
    ops: ClassVar[dict[str, str]] = {
        "vref": "first", "w_speed": "sum", "w_n": "sum", "w_dist": "sum", "w_e": "sum",
        "w_north": "sum", "w_dev2": "sum", "w_anchor": "sum", "w_slow": "sum",
        "t_det": "min", "lat": "first", "lon": "first", "course": "first",
    }

    def measure(self, ks: KeyState | None, chunk: Chunk, a: int, b: int) -> RunSpec:
        s, tr, ann = self.settings, chunk.tr, chunk.ann
        fx = tr.fixes
        t = fx.t_s[a:b]
        speed = np.nan_to_num(tr.speed_kn[a:b])
        near_port = ann.approach[a:b] | (
            ann.port_dist_m[a:b] <= s.encounter_port_distance_km * 1000.0)
        corr = ann.corridor[a:b]
        cruise = (speed >= 3.0) & (corr < 0) & ~near_port
        vref, carry_v = voyage_speed(t, speed, cruise, ks)
        cog = fx.cog_deg[a:b]
        course = np.where(np.isfinite(cog), cog, tr.course_deg[a:b])
        # the course held at voyage pace: the last such fix's, carried forward
        pace = (speed >= (1.0 - s.drag_speed_drop / 2.0) * np.nan_to_num(vref, nan=np.inf)) \
            & np.isfinite(course)
        idx = np.where(pace, np.arange(b - a), -1)
        last = np.maximum.accumulate(idx)
        carried = ks.carry.get("rc", np.nan) if ks else np.nan
        rc = np.where(last >= 0, course[np.maximum(last, 0)], carried)
        dev = np.abs(_angdiff(course, rc))
        # a fishing boat (status "engaged in fishing" or ship type 30) trawls slowly on
        # purpose: its own behaviour, not a dragged anchor
        fishing = (fx.status[a:b] == NAV_FISHING) | isin_mmsi(fx.mmsi[a:b], self.geo.fishing)
        open_water = ~near_port & ~ann.exempt[a:b] & ~fishing & (
            ann.shore_m[a:b] >= s.anchor_down_shore_km * 1000.0)
        # a run holds while the speed stays well below the voyage speed (half the drop:
        # SOG noise around a drop just over the threshold must not cut it); the decision
        # wants the window's mean a full drag_speed_drop below
        slow = ((speed <= (1.0 - s.drag_speed_drop / 2.0) * np.nan_to_num(vref, nan=-1.0))
                & (speed >= s.drag_speed_min_kn) & (speed <= s.drag_speed_max_kn)
                & (vref >= s.drag_min_voyage_kn) & (dev <= s.anchor_down_course_deg))
        anchor = (fx.status[a:b] == 1) & (speed >= 2.0)
        cond = (slow | anchor) & open_water
        dt = tr.dt_s[a:b]
        brk = tr.new_seg[a:b] | ~(dt <= s.gap_min_h * 3600.0)
        # each fix's run start (the carried run's when it continues), so that the decision
        # reads the first anchor_down_min_min of the run only
        has_run = ks is not None and ks.run is not None
        prevc = np.concatenate(([has_run], cond[:-1]))
        start = cond & (brk | ~prevc)
        t0_run = ks.run["t0"] if ks is not None and ks.run is not None else np.nan
        sidx = np.maximum.accumulate(np.where(start, np.arange(b - a), -1))
        t0 = np.where(sidx >= 0, t[np.maximum(sidx, 0)], t0_run)
        age = t - t0
        window = s.anchor_down_min_min * 60.0
        win = cond & (age <= window)
        # the legs of the window as the ship reports them (speed × time on the reported
        # course): the positions' GNSS noise over 10-s legs would bend a straight track
        leg = win & ~start  # the leg from the previous fix lies inside the run
        d = np.where(leg & np.isfinite(course), speed * KN_TO_MS * np.nan_to_num(dt), 0.0)
        th = np.radians(np.nan_to_num(course))
        det = cond & (age >= window)
        inf = np.full(b - a, np.inf)
        return RunSpec(
            cond, brk,
            {"vref": vref, "w_speed": np.where(win, speed, 0.0), "w_n": win.astype(np.float64),
             "w_dist": d, "w_e": d * np.sin(th), "w_north": d * np.cos(th),
             "w_dev2": np.where(win & np.isfinite(dev), dev ** 2, 0.0),
             "w_anchor": (win & anchor).astype(np.float64),
             "w_slow": (win & slow).astype(np.float64),
             "t_det": np.where(det, t, inf),
             "lat": fx.lat[a:b], "lon": fx.lon[a:b], "course": rc},
            {"rc": rc, **{k: np.full(b - a, v) for k, v in carry_v.items()}},
        )

    def decide(
        self, key: Key, ks: KeyState, run: dict[str, float], is_open: bool
    ) -> Event | None:
        s = self.settings
        if not np.isfinite(run["t_det"]) or run["w_n"] < 3:
            return None
        length = run["w_dist"]
        straight = float(np.hypot(run["w_e"], run["w_north"]) / length) if length > 0 else 0.0
        if straight < s.anchor_down_straightness:
            return None
        v = run["w_speed"] / run["w_n"]
        vref = run["vref"]
        reasons: list[str] = []
        if (run["w_slow"] >= 0.9 * run["w_n"] and np.isfinite(vref)
                and v <= (1.0 - s.drag_speed_drop) * vref):
            reasons.append("speed_drop")
        if run["w_anchor"] >= 2:
            reasons.append("status_at_anchor")
        if not reasons:
            return None
        wobble = float(np.sqrt(run["w_dev2"] / run["w_n"]))
        drop = 1.0 - v / vref if np.isfinite(vref) and vref > 0 else None
        # how sure: a speed drop with the heading held is the Eagle S signature; "at anchor"
        # while moving is the crew saying so; a yawing course and a straight track add
        conf = 0.45 if "speed_drop" in reasons else 0.0
        conf += 0.35 if "status_at_anchor" in reasons else 0.0
        conf += 0.1 * min(1.0, max(0.0, (straight - s.anchor_down_straightness)
                                   / (1.0 - s.anchor_down_straightness)))
        conf += 0.1 * min(1.0, wobble / 5.0)
        conf += 0.1 * (min(1.0, max(0.0, (drop - s.drag_speed_drop) / 0.15))
                       if drop is not None else 0.0)
        # where it was when decided: the run's start moved by the legs of the window
        lat_d = run["lat"] + run["w_north"] / _M_PER_DEG
        lon_d = run["lon"] + run["w_e"] / (_M_PER_DEG * float(np.cos(np.radians(run["lat"]))))
        course = run["course"]
        ahead = (project_course(self.geo, lat_d, lon_d, course, v, s.anchor_down_horizon_h,
                                s.anchor_down_spread_deg) if np.isfinite(course) else [])
        first = ahead[0] if ahead else None
        return make_event(
            "anchor_down", key[0], run["t0"], run["t1"], run["lat"], run["lon"],
            zone_id=first["zone_id"] if first else None,
            asset_id=first["asset_id"] if first else None,
            evidence={
                "reasons": reasons, "confidence": round(min(1.0, conf), 2),
                "detected_at": from_epoch_s(run["t_det"]).isoformat().replace("+00:00", "Z"),
                "speed_kn": v, "voyage_speed_kn": float(vref) if np.isfinite(vref) else None,
                "speed_drop": drop, "course_deg": float(course) if np.isfinite(course) else None,
                "course_wobble_deg": wobble, "straightness": straight,
                "at_anchor_fixes": int(run["w_anchor"]), "lat_at_detection": lat_d,
                "lon_at_detection": lon_d, "window_min": s.anchor_down_min_min,
                "ahead": ahead,
                "minutes_to_impact": first["minutes"] if first else None,
                "duration_h": (run["t1"] - run["t0"]) / 3600.0,
            },
            is_open=is_open,
        )

