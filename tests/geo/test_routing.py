"""Sea routing: routes stay in water, are at least geodesic and near a fine-grid optimum."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from khazar.geo import Geography, Route
from khazar.geo.loader import cached_router
from khazar.interop.features import route_feature
from khazar.units import WGS84, geodesic_distance_m

BAKU = (40.366, 49.862)
AKTAU = (43.6232, 51.2365)
ALAT = (39.95, 49.41)
TURKMENBASHI = (40.0, 53.033)
GRID_STEP_DEG = 0.02


class WaterGrid:
    """An independent 16-connected grid over the sea; an edge needs both ends in water and
    must not touch the coast (exact test against every coast segment); weights are
    geodesic lengths. Its shortest paths are water paths,
    so they are at least the true shortest route (up to ~2.7 % longer from the angles)."""

    OFFSETS: ClassVar[list[tuple[int, int]]] = [
        (di, dj)
        for di in range(-2, 3)
        for dj in range(-2, 3)
        if (di, dj) != (0, 0) and np.gcd(abs(di), abs(dj)) == 1
    ]

    def __init__(self, geo: Geography, step: float = GRID_STEP_DEG) -> None:
        minx, miny, maxx, maxy = geo.water.bounds
        self.lons = np.arange(minx, maxx + step, step)
        self.lats = np.arange(miny, maxy + step, step)
        lon, lat = np.meshgrid(self.lons, self.lats)
        self.lon, self.lat = lon.ravel(), lat.ravel()
        wet = shapely.contains_xy(geo.water, self.lon, self.lat)
        self.index = -np.ones(self.lon.size, dtype=np.int64)
        self.index[wet] = np.arange(int(wet.sum()))
        ni, nj = lat.shape
        ring_coords = [np.asarray(r.coords) for r in [geo.water.exterior, *geo.water.interiors]]
        coast = shapely.linestrings(
            np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in ring_coords])
        )
        tree = shapely.STRtree(coast)
        rows, cols, w = [], [], []
        ii, jj = np.nonzero(wet.reshape(ni, nj))
        for di, dj in self.OFFSETS:
            i2, j2 = ii + di, jj + dj
            ok = (i2 >= 0) & (i2 < ni) & (j2 >= 0) & (j2 < nj)
            a = ii[ok] * nj + jj[ok]
            b = i2[ok] * nj + j2[ok]
            ok2 = wet[b]
            a, b = a[ok2], b[ok2]
            lines = shapely.linestrings(
                np.stack(
                    [
                        np.column_stack([self.lon[a], self.lat[a]]),
                        np.column_stack([self.lon[b], self.lat[b]]),
                    ],
                    axis=1,
                )
            )
            crossing = np.unique(tree.query(lines, predicate="intersects")[0])
            keep = np.ones(a.size, dtype=bool)
            keep[crossing] = False
            a, b = a[keep], b[keep]
            _, _, d = WGS84.inv(self.lon[a], self.lat[a], self.lon[b], self.lat[b])
            rows.append(self.index[a])
            cols.append(self.index[b])
            w.append(np.asarray(d))
        n = int(wet.sum())
        self.graph = coo_matrix(
            (np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        ).tocsr()
        self.wet_lon = self.lon[wet]
        self.wet_lat = self.lat[wet]

    def nearest(self, lat: float, lon: float) -> tuple[int, float]:
        _, _, d = WGS84.inv(
            np.full(self.wet_lon.size, lon),
            np.full(self.wet_lat.size, lat),
            self.wet_lon,
            self.wet_lat,
        )
        k = int(np.argmin(d))
        return k, float(d[k])

    def shortest_m(
        self, pairs: list[tuple[tuple[float, float], tuple[float, float]]]
    ) -> list[float]:
        starts = [self.nearest(*a) for a, _ in pairs]
        ends = [self.nearest(*b) for _, b in pairs]
        dist = dijkstra(self.graph, directed=False, indices=[s for s, _ in starts])
        return [
            float(dist[i, e]) + ds + de
            for i, ((_, ds), (e, de)) in enumerate(zip(starts, ends, strict=True))
        ]


@pytest.fixture(scope="module")
def grid(geo: Geography) -> WaterGrid:
    return WaterGrid(geo)


def _in_water(geo: Geography, r: Route) -> bool:
    line = LineString([(lon, lat) for lat, lon in r.coords])
    return bool(geo.water.covers(line))


def test_named_and_random_routes(geo: Geography, grid: WaterGrid, water_points: Any) -> None:
    pairs = [(BAKU, AKTAU), (ALAT, TURKMENBASHI)]
    pts = water_points(40, seed=11)
    pairs += [(pts[2 * i], pts[2 * i + 1]) for i in range(20)]
    routes = [geo.router.route(*a, *b) for a, b in pairs]
    snapped = [(r.coords[0], r.coords[-1]) for r in routes]
    grid_m = grid.shortest_m(snapped)
    for (a, b), r, g in zip(pairs, routes, grid_m, strict=True):
        assert _in_water(geo, r), (a, b)
        (la1, lo1), (la2, lo2) = r.coords[0], r.coords[-1]
        assert r.length_m >= geodesic_distance_m(la1, lo1, la2, lo2) - 1e-6
        assert r.length_m <= 1.02 * g, (a, b, r.length_m, g)
    baku_aktau = routes[0]
    assert 400 < baku_aktau.length_km < 480  # around the Absheron peninsula, then north-east
    assert baku_aktau.length_nm == pytest.approx(baku_aktau.length_km / 1.852)
    assert baku_aktau.start_snap_m < 3000 and baku_aktau.end_snap_m < 3000


def test_route_never_crosses_the_absheron_peninsula(geo: Geography) -> None:
    # Sumqayit side to Baku bay: the straight line crosses the peninsula
    a, b = (40.60, 49.70), (40.30, 49.95)
    assert not geo.water.covers(LineString([(a[1], a[0]), (b[1], b[0])]))
    r = geo.router.route(*a, *b)
    assert _in_water(geo, r)
    assert r.length_m > 1.5 * geodesic_distance_m(*a, *b)


def test_land_endpoints_are_snapped_and_reported(geo: Geography) -> None:
    sangachal = geo.asset("sangachal")
    r = geo.router.route(sangachal.lat, sangachal.lon, 40.0, 50.5)
    assert r.start_snap_m > 1000  # the terminal is inland of the Natural Earth coast
    assert r.end_snap_m == 0.0
    first = r.coords[0]
    assert geo.water_mask(np.array([first[0]]), np.array([first[1]]))[0]
    snap_m = route_feature(r)["properties"]["start_snap_m"]
    assert snap_m == pytest.approx(r.start_snap_m, abs=0.1)


def test_distance_matches_route_length(geo: Geography, water_points: Any) -> None:
    pts = water_points(20, seed=5)
    for i in range(10):
        a, b = pts[2 * i], pts[2 * i + 1]
        d = geo.router.distance_m(*a, *b)
        assert d == pytest.approx(geo.router.route(*a, *b).length_m, rel=0.003)


@given(i=st.integers(0, 59), j=st.integers(0, 59), k=st.integers(0, 59))
@hsettings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_distance_is_a_metric(geo: Geography, water_points: Any, i: int, j: int, k: int) -> None:
    p = water_points(60, seed=17, min_coast_m=1000.0)
    r = geo.router
    dij = r.distance_m(*p[i], *p[j])
    assert dij == pytest.approx(r.distance_m(*p[j], *p[i]), rel=1e-9, abs=1e-6)
    assert r.distance_m(*p[i], *p[k]) <= dij + r.distance_m(*p[j], *p[k]) + 1e-6
    assert dij >= 0.999 * geodesic_distance_m(*p[i], *p[j])  # plane vs ellipsoid: ≤ 0.2 %


def test_router_cache_round_trip(geo: Geography) -> None:
    again = cached_router(geo.water, geo.proj, geo.theatre)  # loads the fixture's cache
    assert again is not geo.router
    a, b = (40.2, 50.2), (42.0, 50.5)
    assert again.distance_m(*a, *b) == pytest.approx(geo.router.distance_m(*a, *b), abs=1e-6)


def test_one_to_many_and_matrix_agree_with_pairwise(geo: Geography, water_points: Any) -> None:
    pts = water_points(12, seed=23)
    target: tuple[float, float] = (40.2361, 50.80)  # off Neft Daslari
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    many = geo.router.distances_m(*target, lats, lons)
    single = [geo.router.distance_m(p[0], p[1], *target) for p in pts]
    assert many == pytest.approx(single, rel=1e-9, abs=1e-6)
    m = geo.router.distance_matrix_m(lats, lons)
    assert m.shape == (12, 12) and np.allclose(m, m.T) and np.all(np.diag(m) == 0)
    assert m[0, 5] == pytest.approx(geo.router.distance_m(*pts[0], *pts[5]), rel=1e-9, abs=1e-6)


def test_invalid_positions_are_geo_errors(geo: Geography) -> None:
    from khazar.errors import GeoError

    with pytest.raises(GeoError, match="not a valid"):
        geo.router.route(95.0, 49.0, 40.0, 50.0)
    # a point in Garabogazköl is snapped back to the open sea across the strait
    r = geo.router.route(41.3, 53.5, 41.3, 52.0)
    assert r.start_snap_m > 10_000
    assert geo.water.covers(LineString([(lo, la) for la, lo in r.coords]))
