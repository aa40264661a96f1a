"""One behaviour per test, from tiny track builders: what fires, what must not."""

from __future__ import annotations

import numpy as np
import shapely

from khazar.config import DetectSettings
from khazar.detect import DetectGeography, Detections, PortSpec, ZoneSpec, detect_batch
from khazar.domain import Event
from khazar.tracks import Fixes

from .builders import SETTINGS, T0, Track, at, box, corridor, geography

PORT_LAT, PORT_LON = (float(v) for v in at(-8000, 0))


def run(*tracks: Track, geo: DetectGeography | None = None,
        dets: Detections | None = None, end_s: float | None = None,
        settings: DetectSettings = SETTINGS) -> list[Event]:
    fx = Fixes.concat(t.fixes() for t in tracks)
    return detect_batch(fx, settings, geo or geography([corridor()]), dets, end_s=end_s)


def of(events: list[Event], etype: str) -> list[Event]:
    return [e for e in events if e.type == etype]


# ------------------------------------------------------------------ zones
def test_zone_entry_and_exit_are_instants_at_the_crossing_fixes() -> None:
    ev = run(Track(273000001).leg(90, 10))  # crosses the corridor at x = 9–11 km
    (entry,) = of(ev, "zone_entry")
    (exit_,) = of(ev, "zone_exit")
    assert entry.start == entry.end and entry.zone_id == "corr-1" and entry.asset_id == "pipe-1"
    assert 6 * 60 < (exit_.start - entry.start).total_seconds() < 7 * 60  # 2 km at 10 kn


def test_track_starting_inside_a_zone_has_not_entered_it() -> None:
    ev = run(Track(273000001, x=10_000).leg(30, 1, course_deg=0))
    assert not of(ev, "zone_entry")


# ------------------------------------------------------------------ loitering
def test_loitering_in_a_corridor_after_twenty_minutes() -> None:
    ev = run(Track(273000001, x=10_000).leg(25, 0.5, course_deg=0).leg(10, 10))
    (lo,) = of(ev, "loitering")
    assert lo.zone_id == "corr-1" and not lo.open
    assert lo.evidence["protected_h"] >= 1 / 3


def test_no_loitering_for_nineteen_minutes_in_a_corridor() -> None:
    assert not of(run(Track(273000001, x=10_000).leg(19, 0.5, course_deg=0).leg(10, 10)),
                  "loitering")


def test_loitering_offshore_needs_an_hour_and_spanning_the_end_is_open() -> None:
    short = run(Track(273000001, x=-50_000).leg(50, 0.5).leg(10, 10))
    assert not of(short, "loitering")
    spanning = run(Track(273000001, x=-50_000).leg(10, 10).leg(70, 0.5))
    (lo,) = of(spanning, "loitering")
    assert lo.open  # still loitering when the data ends


def test_own_patrol_boat_is_not_a_loiterer() -> None:
    geo = geography([corridor()], own_fleet=frozenset({423900001}))
    ev = run(Track(423900001, x=10_000).leg(60, 0.5, course_deg=0).leg(5, 10), geo=geo)
    assert not of(ev, "loitering")


def test_loitering_near_a_port_is_a_port_call() -> None:
    geo = geography([], [PortSpec("port-1", PORT_LAT, PORT_LON)])
    ev = run(Track(273000001, x=-8500).leg(120, 0.3), geo=geo)
    assert not of(ev, "loitering")
    (visit,) = of(ev, "port_visit")
    assert visit.zone_id == "port-1" and visit.open


# ------------------------------------------------------------------ port visit hysteresis
def test_port_visit_enters_at_3_km_and_leaves_beyond_4_km() -> None:
    geo = geography([], [PortSpec("port-1", PORT_LAT, PORT_LON)])
    tr = Track(273000001, x=-8000 + 6000).leg(30, 8, course_deg=270)  # into the port
    tr.leg(30, 8, course_deg=90)  # and out
    (visit,) = of(run(tr, geo=geo), "port_visit")
    assert not visit.open
    # in at 3 km (12.2 min), past the port to 1.4 km beyond, out at 4 km (51.9 min)
    assert 38 * 60 < (visit.end - visit.start).total_seconds() < 41 * 60


# ------------------------------------------------------------------ encounter
def test_encounter_of_two_drifting_vessels() -> None:
    a = Track(273000001, x=-40_000, y=30_000).leg(50, 0.5)
    b = Track(273000002, x=-39_800, y=30_000).leg(50, 0.5)
    (enc,) = of(run(a, b), "encounter")
    assert {enc.mmsi, enc.other_mmsi} == {273000001, 273000002}
    assert enc.evidence["min_distance_m"] < 250 and enc.evidence["duration_h"] >= 0.5


def test_no_encounter_when_too_far_or_too_short() -> None:
    far = run(Track(273000001, x=-40_000).leg(60, 0.5), Track(273000002, x=-39_000).leg(60, 0.5))
    short = run(Track(273000001, x=-40_000).leg(20, 0.5), Track(273000002, x=-39_900).leg(20, 0.5))
    assert not of(far, "encounter") and not of(short, "encounter")


def test_ships_at_anchor_and_boats_fishing_together_are_not_encounters() -> None:
    # two merchant ships in an anchorage, 450 m apart, both "at anchor" for hours
    anchored = run(Track(273600002, x=-40_000).leg(180, 0.2, status=1),
                   Track(434600002, x=-39_550).leg(180, 0.2, status=1))
    # two fishing boats working one ground together, both "engaged in fishing"
    fishing = run(Track(423500037, x=-40_000).leg(80, 0.5, status=7),
                  Track(423500091, x=-39_800).leg(80, 0.5, status=7))
    assert not of(anchored, "encounter") and not of(fishing, "encounter")
    # a boat alongside a fishing boat that is not fishing itself is still an encounter
    (enc,) = of(run(Track(423500037, x=-40_000).leg(80, 0.5, status=7),
                    Track(273000002, x=-39_900).leg(80, 0.5)), "encounter")
    assert enc.other_mmsi is not None


def test_class_b_fishing_boats_known_by_ship_type_are_not_an_encounter() -> None:
    # class B reports carry no navigational status: the static ship type says "fishing"
    pair = (Track(423500059, x=-40_000).leg(90, 0.5), Track(423500068, x=-39_800).leg(90, 0.5))
    assert of(run(*pair), "encounter")  # types unknown: two slow boats together
    both = geography([corridor()], fishing=frozenset({423500059, 423500068}))
    assert not of(run(*pair, geo=both), "encounter")
    # a carrier alongside a fishing boat is what GFW calls an encounter
    one = geography([corridor()], fishing=frozenset({423500059}))
    (enc,) = of(run(*pair, geo=one), "encounter")
    assert {enc.mmsi, enc.other_mmsi} == {423500059, 423500068}


def test_authorised_boat_at_its_platform_is_not_an_encounter() -> None:
    plat = ZoneSpec("p-safety", "platform_safety", box(-40_500, -500, -39_500, 500), "p", "acg")
    geo = geography([plat], authorised={"acg": frozenset({423100001})},
                    registry_areas={"acg": box(-43_000, -3000, -37_000, 3000)})
    a = Track(423100001, x=-40_000).leg(70, 0.5)
    b = Track(423100002, x=-39_800).leg(70, 0.5)
    ev = run(a, b, geo=geo)
    assert not of(ev, "encounter")
    assert [e.mmsi for e in of(ev, "loitering")] == [423100002]


# ------------------------------------------------------------------ AIS gap
def test_gap_reports_duration_and_implied_speed() -> None:
    tr = Track(273000001, x=-50_000).leg(30, 10).silence(90, 10).leg(30, 10)
    (gap,) = of(run(tr), "ais_gap")
    assert abs(gap.evidence["duration_h"] - 1.5) < 0.01
    assert abs(gap.evidence["implied_speed_kn"] - 10) < 0.3
    assert not gap.open


def test_gap_inside_a_corridor_counts_after_thirty_minutes() -> None:
    inside = Track(273000001, x=10_000).leg(20, 1, course_deg=0).silence(40).leg(5, 1,
                                                                             course_deg=0)
    outside = Track(273000002, x=-50_000).leg(20, 10).silence(40).leg(5, 10)
    ev = run(inside, outside)
    assert [g.mmsi for g in of(ev, "ais_gap")] == [273000001]


def test_silence_at_the_end_of_the_data_is_an_open_gap() -> None:
    tr = Track(273000001, x=-50_000).leg(30, 10)
    (gap,) = of(run(tr, end_s=T0 + 30 * 60 + 2 * 3600), "ais_gap")
    assert gap.open and abs(gap.evidence["duration_h"] - 2) < 0.01


def test_no_gap_out_of_receiver_range() -> None:
    geo = geography([corridor()], receivers=((float(at(0, 0)[0]), float(at(0, 0)[1]), 20_000),))
    near = Track(273000001, x=0).leg(30, 1).silence(90).leg(10, 1)
    far = Track(273000002, x=-60_000).leg(30, 1).silence(90).leg(10, 1)
    assert [g.mmsi for g in of(run(near, far, geo=geo), "ais_gap")] == [273000001]


# ------------------------------------------------------------------ spoofing
def test_teleport_is_spoofing_with_the_implied_speed() -> None:
    tr = Track(273000001, x=-50_000).leg(10, 10).goto(-50_000 + 60_000, 0).leg(10, 10)
    (sp,) = of(run(tr), "spoofing")
    assert "jump" in sp.evidence["kinds"] and sp.evidence["max_implied_speed_kn"] > 1000


def test_two_vessels_on_one_mmsi_are_spoofing_while_they_alternate() -> None:
    a = Track(273000001, every_s=30, x=-50_000).leg(60, 10)
    b = Track(273000001, every_s=30, t=15, x=-50_000, y=40_000).leg(60, 10, course_deg=270)
    (sp,) = of(run(a, b), "spoofing")
    assert {"jump", "shared_mmsi"} <= set(sp.evidence["kinds"])
    assert (sp.end - sp.start).total_seconds() > 55 * 60


def test_on_land_fires_a_kilometre_inland_not_at_the_shore() -> None:
    """Sea west of x = 0, land east (the water polygon rasterised as a real coast is): a
    vessel that sails on to 5 km inland is on_land spoofing; one that stops 300 m past the
    waterline (within the coast's raster cell) is not."""
    water = shapely.segmentize(box(-100_000, -100_000, 0, 100_000), 0.005)
    geo = geography(water=water)
    inland = Track(273000001, x=-20_000).leg(60, 13.5)  # ends ≈ 5 km east of the shore
    shore = Track(273000002, x=-20_000, y=10_000).leg(60, 10.96)  # ends ≈ 300 m past it
    assert inland.x > 4_500 and 0 < shore.x < 1_000
    spoofs = of(run(inland, shore, geo=geo), "spoofing")
    assert [(sp.mmsi, sp.evidence["kinds"]) for sp in spoofs] == [(273000001, ["on_land"])]
    assert spoofs[0].lon > at(0, 0)[1]  # its first on_land position is east of the shore


def test_invalid_mmsi() -> None:
    (sp,) = of(run(Track(12345, x=-50_000).leg(10, 10)), "spoofing")
    assert sp.evidence["kinds"] == ["invalid_mmsi"]


# ------------------------------------------------------------------ anchor drag
def test_eagle_s_slowdown_across_a_corridor() -> None:
    tr = Track(273000001, x=-30_000).leg(150, 8.5)  # reaches x ≈ 9.4 km... then slows
    tr.leg(40, 6.3)
    (drag,) = of(run(tr), "anchor_drag")
    assert drag.evidence["reasons"] == ["speed_drop"] and drag.zone_id == "corr-1"
    assert abs(drag.evidence["voyage_speed_kn"] - 8.5) < 0.01


def test_yi_peng_drag_at_steady_seven_knots() -> None:
    status = Track(273000001, x=0).leg(60, 7, status=1)  # at anchor while moving
    zigzag = Track(273000002, x=6_000, y=0)
    for k in range(4):  # crosses the corridor back and forth every 4 km
        zigzag.leg(35, 7, course_deg=90 if k % 2 == 0 else 270)
        zigzag.leg(10, 7, course_deg=0)
    along = Track(273000003, x=10_000, y=-30_000).leg(120, 7, course_deg=0)  # on the line
    ev = of(run(status, zigzag, along), "anchor_drag")
    reasons = {e.mmsi: set(e.evidence["reasons"]) for e in ev}
    assert "status_at_anchor" in reasons[273000001]
    assert "repeated_crossing" in reasons[273000002]
    assert "long_crossing" in reasons[273000003]


def test_no_drag_for_service_speed_or_slowing_into_port() -> None:
    ferry = Track(273000001, x=-30_000).leg(150, 14)
    tanker = Track(273000002, x=-30_000, y=5000).leg(150, 11)
    approach = ZoneSpec("port-approach", "port_approach", box(5_000, -20_000, 15_000, -10_000))
    geo = geography([corridor(), approach])
    slowing = Track(273000003, x=-30_000, y=-15_000).leg(150, 8.5).leg(40, 4)
    assert not of(run(ferry, tanker, slowing, geo=geo), "anchor_drag")


def test_repeated_crossings_at_service_speed_are_not_a_drag() -> None:
    # a boat zigzagging across the corridor at 9.7 kn (faster than any ship dragging an
    # anchor): three full crossings within the window, but nothing holds it back
    boat = Track(620800001, x=6_000, y=0)
    for k in range(4):
        boat.leg(20, 9.7, course_deg=90 if k % 2 == 0 else 270)
        boat.leg(8, 9.7, course_deg=0)
    assert not of(run(boat), "anchor_drag")


# ------------------------------------------------------------------ dark vessel
def test_dark_vessel_is_a_radar_contact_without_ais() -> None:
    tr = Track(273000001, x=-50_000).leg(60, 10)
    r = tr.rows[100]
    la, lo = at(r[1] + 300, r[2])  # radar sees the AIS vessel 300 m off: matched
    la2, lo2 = at(-20_000, 20_000)  # and something with no AIS, twice
    dets = Detections(np.array([T0 + r[0], T0 + 600, T0 + 660]), np.array([la, la2, la2]),
                      np.array([lo, lo2, lo2 + 0.001]), np.array([90.0, 12, 12]),
                      np.array(["radar:A"] * 3))
    (dark,) = of(run(tr, dets=dets), "dark_vessel")
    assert dark.mmsi is None and dark.evidence["detections"] == 2


def test_a_fast_boat_crossing_a_reception_hole_is_not_dark() -> None:
    # 18 kn, then 19 min without a received fix (about 10.5 km), then received again: the
    # radar echoes inside the hole lie on the interpolated AIS track, not on any fix near it
    tr = Track(423900006, x=-30_000, every_s=6).leg(20, 18).silence(19, 18).leg(20, 18)
    hole_start = 20 * 60.0
    ts = [hole_start + m * 60.0 for m in (6.0, 8.0, 10.0, 12.0)]
    v = 18 * 0.514444
    pts = [at(-30_000 + v * t, 0.0) for t in ts]
    dets = Detections(T0 + np.array(ts), np.array([p[0] for p in pts]),
                      np.array([p[1] for p in pts]), np.full(4, 35.0),
                      np.array(["radar:A"] * 4))
    assert not of(run(tr, dets=dets), "dark_vessel")
    # the same echoes with the AIS track 3 km to the north are a dark contact
    far = Detections(dets.t_s, dets.lat + 3000 / 110_574.0, dets.lon, dets.length_m,
                     dets.source)
    (dark,) = of(run(tr, dets=far), "dark_vessel")
    assert dark.evidence["detections"] == 4


def test_a_slow_class_b_boat_behind_a_receiver_outage_is_not_dark() -> None:
    # 1.5 kn, a report every 3 min, then 24 min between received reports (a station outage):
    # two radar echoes 11 and 13 min after the last report, ~100 m off the interpolated track
    tr = Track(423500037, x=-40_000, every_s=180).leg(30, 1.5).silence(24, 1.5).leg(30, 1.5)
    v = 1.5 * 0.514444
    ts = [30 * 60.0 + 11 * 60.0, 30 * 60.0 + 13 * 60.0]
    pts = [at(-40_000 + v * t, 100.0) for t in ts]
    dets = Detections(T0 + np.array(ts), np.array([p[0] for p in pts]),
                      np.array([p[1] for p in pts]), np.full(2, 29.0),
                      np.array(["radar:A"] * 2))
    assert not of(run(tr, dets=dets), "dark_vessel")
