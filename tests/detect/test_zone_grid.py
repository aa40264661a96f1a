"""Fast paths of batch detection keep its results: the annotation's zone grid answers as
the exact tests do, and stepping through history in slices closes the same events."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khazar.config import DetectSettings
from khazar.detect import PortSpec, ZoneSpec, annotate, detect_batch
from khazar.units import haversine_m

from .builders import at, box, corridor, geography
from .feeds import Feed, feed_geography, feeds

RECEIVER = (*at(0.0, 0.0), 12_000.0)
ZONES = [
    corridor(x0=5_000, half_width_m=800),
    ZoneSpec("plat-safety", "platform_safety", shapely.Point(at(9_000, 3_000)[::-1]).buffer(
        0.006), asset_id="plat"),
    ZoneSpec("sector", "border_sector", box(-20_000, -20_000, 2_000, 30_000)),
    ZoneSpec("sea", "territorial_sea", box(-30_000, -40_000, 30_000, 40_000)
             .difference(box(-2_000, -5_000, 4_000, 5_000))),
    ZoneSpec("app", "port_approach", box(-9_000, -1_000, -7_000, 1_000)),
]
PORT = PortSpec("port", *at(-8_000, 0), approach=box(-10_000, -2_000, -6_000, 2_000))
GEO = geography(ZONES, [PORT], receivers=(RECEIVER,))


def exact(lat: np.ndarray, lon: np.ndarray) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    inside = np.array([shapely.contains_xy(z.geometry, lon, lat) for z in ZONES])
    d_port = haversine_m(lat, lon, PORT.lat, PORT.lon)
    return {
        "inside": inside,
        "approach": inside[4] | shapely.contains_xy(PORT.approach, lon, lat),
        "port": np.where(d_port < 15_000.0, 0, -1),
        "covered": haversine_m(lat, lon, RECEIVER[0], RECEIVER[1]) <= RECEIVER[2],
    }


@settings(max_examples=60, deadline=None)
@given(xy=st.lists(st.tuples(st.floats(-35_000, 35_000), st.floats(-45_000, 45_000)),
                   min_size=1, max_size=200),
       jitter=st.floats(0, 40))
def test_annotation_equals_the_exact_tests(xy: list[tuple[float, float]], jitter: float) -> None:
    # points anywhere, and points a few metres from every zone's boundary
    pts = np.array(xy)
    rims = [shapely.get_coordinates(shapely.segmentize(z.geometry.boundary, 0.002))
            for z in ZONES]
    rim = np.concatenate(rims)[:: max(1, len(pts) // 7)]
    lat, lon = at(pts[:, 0], pts[:, 1])
    lat = np.concatenate((lat, rim[:, 1] + jitter * 1e-5, rim[:, 1] - jitter * 1e-5))
    lon = np.concatenate((lon, rim[:, 0] + jitter * 1e-5, rim[:, 0]))
    ann = annotate(GEO, np.full(lat.shape[0], 273000001, np.int64), lat, lon)
    want = exact(lat, lon)
    got = np.array([(ann.zbits[:, 0] >> np.uint64(i)) & np.uint64(1) for i in range(len(ZONES))]
                   ).astype(bool)
    assert np.array_equal(got, want["inside"])
    assert np.array_equal(ann.corridor, np.where(want["inside"][0], 0, -1))
    assert np.array_equal(ann.prot_zone, np.where(want["inside"][1], 1, np.where(
        want["inside"][0], 0, -1)))
    assert np.array_equal(ann.approach, want["approach"])
    assert np.array_equal(ann.port, want["port"])
    assert np.array_equal(ann.covered, want["covered"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(feed=feeds(), slice_s=st.sampled_from([600.0, 1800.0, 5400.0]))
def test_batch_in_slices_equals_one_step(feed: Feed, slice_s: float) -> None:
    s, geo = DetectSettings(), feed_geography()
    one = detect_batch(feed.fixes, s, geo, feed.detections, end_s=feed.end_s, slice_s=None)
    sliced = detect_batch(feed.fixes, s, geo, feed.detections, end_s=feed.end_s,
                          slice_s=slice_s)
    assert sliced == one
