"""Reception learned from the data (issue 17, point 3): an AIS gap counts where the data
shows the vessel was received, beyond the receivers' nominal range; a vessel that sails
out of the learned coverage and falls silent is not a gap. Batch and live agree."""

from __future__ import annotations

import numpy as np

from khazar.detect import DetectGeography, Detections, detect_batch
from khazar.detect.live import LiveDetector
from khazar.detect.reception import PRIOR_OUT, learn_reception
from khazar.domain import Event
from khazar.tracks import Fixes

from .builders import SETTINGS, Track, at, geography

RX = (float(at(0, 0)[0]), float(at(0, 0)[1]), 20_000.0)  # one receiver, 20 km reliable


def learned(geo: DetectGeography, fx: Fixes) -> DetectGeography:
    geo.reception.map = learn_reception(fx.mmsi, fx.t_s, fx.lat, fx.lon, geo.receivers, 7.0)
    return geo


def gaps(events: list[Event]) -> list[Event]:
    return [e for e in events if e.type == "ais_gap" and not e.open]


def live_run(fx: Fixes, geo: DetectGeography, end_s: float) -> list[Event]:
    live = LiveDetector(SETTINGS, geo)
    out: list[Event] = []
    for k in range(0, len(fx), 500):
        part = fx.take(np.arange(k, min(k + 500, len(fx))))
        live.push(fixes=part)
        out.extend(live.advance(float(part.t_s.max())))
    out.extend(live.finish(end_s))
    return out


def far_ship() -> Track:
    """Received every 10 s for two hours 40–77 km from the receiver (beyond its 20 km),
    then silent three hours while sailing on, then heard again."""
    return Track(273000001, x=40_000, y=5_000).leg(120, 10).silence(180, 10).leg(20, 10)


def test_learned_map_covers_where_the_data_shows_reception() -> None:
    fx = far_ship().fixes()
    m = learn_reception(fx.mmsi, fx.t_s, fx.lat, fx.lon, (RX,), 7.0)
    last = int(np.argmax(fx.t_s[fx.t_s < fx.t_s.min() + 120 * 60]))
    i = m.lookup(fx.lat[last:last + 1], fx.lon[last:last + 1])
    assert i[0] >= 0 and m.prior[i[0]] == PRIOR_OUT  # beyond nominal range …
    assert m.share[i[0]] > 0.7 and m.covered_cells[i[0]]  # … but received per the data


def test_ship_received_beyond_nominal_range_that_falls_silent_is_a_gap() -> None:
    fx = far_ship().fixes()
    end = float(fx.t_s.max())
    nominal = geography(receivers=(RX,))
    assert gaps(detect_batch(fx, SETTINGS, nominal, end_s=end)) == []  # the old blind spot
    geo = learned(geography(receivers=(RX,)), fx)
    (gap,) = gaps(detect_batch(fx, SETTINGS, geo, end_s=end))
    assert gap.mmsi == 273000001 and abs(gap.evidence["duration_h"] - 3.0) < 0.01
    assert abs(gap.evidence["implied_speed_kn"] - 10.0) < 0.5
    assert [g.id for g in gaps(live_run(fx, geo, end))] == [gap.id]


def hole_traffic() -> list[Track]:
    """Three vessels crossing, inside the receiver's nominal range, an area 20–40 km east
    where only one report in 30 is heard (a shadow the range circle does not know)."""
    out = []
    for k, y in enumerate((-6_000, 0, 6_000)):
        tr = Track(273000010 + k, x=-5_000, y=y).leg(40, 12)  # x ≈ 10 km, heard every 10 s
        tr.every_s = 300.0
        tr.leg(60, 12)  # across the shadow, x ≈ 32 km: one report in 30
        tr.every_s = 10.0
        out.append(tr.leg(20, 12))
    return out


def test_vessel_that_sails_out_of_learned_coverage_and_falls_silent_is_no_gap() -> None:
    rx = (RX[0], RX[1], 200_000.0)  # nominally everything is covered
    ship = Track(273000002, x=-5_000, y=3_000).leg(40, 12)
    ship.every_s = 300.0
    ship.leg(30, 12).silence(180, 12)
    ship.every_s = 10.0
    ship.leg(20, 12)
    fx = Fixes.concat([ship.fixes(), *(t.fixes() for t in hole_traffic())])
    end = float(fx.t_s.max())
    nominal = geography(receivers=(rx,))
    assert [g.mmsi for g in gaps(detect_batch(fx, SETTINGS, nominal, end_s=end))] == [
        273000002]  # without the map: a false gap
    geo = learned(geography(receivers=(rx,)), fx)
    m = geo.reception.map
    assert m is not None
    last = ship.fixes()
    t_last = float(last.t_s[last.t_s < last.t_s.min() + 70 * 60].max())
    j = int(np.flatnonzero(last.t_s == t_last)[0])
    cell = m.lookup(last.lat[j:j + 1], last.lon[j:j + 1])[0]
    assert cell >= 0 and not m.covered_cells[cell] and m.share[cell] < 0.5
    assert gaps(detect_batch(fx, SETTINGS, geo, end_s=end)) == []
    assert gaps(live_run(fx, geo, end)) == []


def test_one_switch_off_does_not_blind_a_busy_cell() -> None:
    """Ten vessels heard every 10 s through a cell; one falls silent there for three hours:
    the cell stays covered (one silence adds at most LINK_CAP expected reports)."""
    tracks = [Track(273000100 + k, x=-10_000, y=1_000 * k).leg(60, 10) for k in range(10)]
    tracks[0].silence(180, 10).leg(10, 10)
    fx = Fixes.concat(t.fixes() for t in tracks)
    m = learn_reception(fx.mmsi, fx.t_s, fx.lat, fx.lon, (RX,), 7.0)
    first = tracks[0].fixes()
    j = int(np.flatnonzero(first.t_s < first.t_s.min() + 60 * 60)[-1])
    cell = m.lookup(first.lat[j:j + 1], first.lon[j:j + 1])[0]
    assert m.covered_cells[cell]


def test_dark_contact_says_whether_the_picture_is_blind_there() -> None:
    """A dark contact in the learned shadow is marked ``ais_covered: false`` (we may just
    not hear it), one where the traffic is heard every 10 s ``true``."""
    rx = (RX[0], RX[1], 200_000.0)
    fx = Fixes.concat(t.fixes() for t in hole_traffic())
    geo = learned(geography(receivers=(rx,)), fx)
    t0 = float(fx.t_s.min())
    (sl, so), (hl, ho) = at(25_000, 3_000), at(2_000, 3_000)  # shadow; heard (x ≈ 0–10 km)
    dets = Detections(np.array([t0 + 600, t0 + 660, t0 + 900, t0 + 960]),
                      np.array([sl, sl, hl, hl]), np.array([so, so + 0.001, ho, ho + 0.001]),
                      np.full(4, 20.0), np.array(["radar:A"] * 4))
    dark = sorted((e for e in detect_batch(fx, SETTINGS, geo, dets) if e.type == "dark_vessel"),
                  key=lambda e: e.lon)
    assert [e.evidence["ais_covered"] for e in dark] == [True, False]


def test_report_sentence_names_the_blind_cells() -> None:
    from khazar.report.inputs import reception_note

    rx = (RX[0], RX[1], 200_000.0)
    fx = Fixes.concat(t.fixes() for t in hole_traffic())
    m = learn_reception(fx.mmsi, fx.t_s, fx.lat, fx.lon, (rx,), 7.0)
    blind = m.blind()
    assert blind and all(not r["covered"] for r in blind)
    note = reception_note(m)
    assert f"{len(blind)} where the picture is blind" in note
    assert f"{(blind[0]['west'] + blind[0]['east']) / 2:.2f}°E" in note


def test_an_empty_store_learns_an_empty_map_that_keeps_the_receivers() -> None:
    empty = np.empty(0)
    m = learn_reception(empty.astype(np.int64), empty, empty, empty, (RX,), 7.0)
    assert m.key.size == 0 and m.records() == []
    lat, lon = (np.array(v) for v in zip(at(0, 0), at(60_000, 0), strict=True))
    assert m.covered(lat, lon, np.array([True, False])).tolist() == [True, False]
