"""Zones: 15 nm / 25 nm limits measured geodesically, coast split, sectors, Garabogazköl."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from shapely.geometry import Point

from khazar.geo import Geography
from khazar.units import M_PER_NM, WGS84, geodesic_distance_m

EXCLUDE_NEAR_JUNCTION_M = 20 * M_PER_NM


def _coast_points(geo: Geography, states: set[str], spacing_m: float = 100.0) -> np.ndarray:
    """(lon, lat) points every ``spacing_m`` along the coasts of ``states``."""
    pts = []
    for seg in geo.coast:
        if seg.state not in states:
            continue
        xy = shapely.segmentize(geo.proj.geom_to_xy(seg.geometry), spacing_m)
        c = np.asarray(xy.coords)
        lon, lat = geo.proj.to_lonlat(c[:, 0], c[:, 1])
        pts.append(np.column_stack([lon, lat]))
    return np.vstack(pts)


class _Coast:
    """Geodesic distance (pyproj, WGS84) from points to a densified coast."""

    def __init__(self, geo: Geography, states: set[str]) -> None:
        self.lonlat = _coast_points(geo, states)
        x, y = geo.proj.to_xy(self.lonlat[:, 0], self.lonlat[:, 1])
        self.tree = cKDTree(np.column_stack([x, y]))
        self.geo = geo

    def distance_m(self, lon: np.ndarray, lat: np.ndarray, k: int = 16) -> np.ndarray:
        x, y = self.geo.proj.to_xy(lon, lat)
        _, idx = self.tree.query(np.column_stack([x, y]), k=k)
        cand = self.lonlat[idx]  # (n, k, 2)
        lon_r = np.repeat(lon[:, None], k, axis=1)
        lat_r = np.repeat(lat[:, None], k, axis=1)
        _, _, d = WGS84.inv(
            lon_r.ravel(), lat_r.ravel(), cand[..., 0].ravel(), cand[..., 1].ravel()
        )
        out: np.ndarray = np.asarray(d).reshape(-1, k).min(axis=1)
        return out


def _boundary_samples(
    geo: Geography, geom: shapely.Geometry, spacing_m: float = 500.0
) -> tuple[np.ndarray, np.ndarray]:
    xy = shapely.segmentize(geo.proj.geom_to_xy(geom.boundary), spacing_m)
    pts = shapely.get_coordinates(xy)
    lon, lat = geo.proj.to_lonlat(pts[:, 0], pts[:, 1])
    return lon, lat


def _seaward_limit_distances(geo: Geography, zone_geom: shapely.Geometry) -> np.ndarray:
    """Geodesic distances to Azerbaijan's coast of the zone outline's seaward points.

    Points of the outline are dropped when they lie on the coast itself, within 20 nm of
    a land-border junction, or on a lateral limit (as near to another state's coast).
    """
    lon, lat = _boundary_samples(geo, zone_geom)
    az = _Coast(geo, {"AZE"})
    others = _Coast(geo, {"RUS", "IRN", "KAZ", "TKM"})
    d_az = az.distance_m(lon, lat)
    d_other = others.distance_m(lon, lat)
    shore = geo.proj.geom_to_xy(geo.water.boundary)
    x, y = geo.proj.to_xy(lon, lat)
    d_shore = shapely.distance(shapely.points(x, y), shore)
    near_junction = np.zeros(lon.size, dtype=bool)
    for j in geo.junctions:
        if "AZE" in j.states:
            _, _, d = WGS84.inv(lon, lat, np.full(lon.size, j.lon), np.full(lon.size, j.lat))
            near_junction |= np.asarray(d) < EXCLUDE_NEAR_JUNCTION_M
    seaward = (d_shore > 200.0) & ~near_junction & (d_other > d_az + 500.0)
    out: np.ndarray = d_az[seaward]
    return out


@pytest.mark.parametrize(
    "zone_ids,limit_nm",
    [(["aze-territorial-sea"], 15.0), (["aze-territorial-sea", "aze-fishery-zone"], 25.0)],
)
def test_seaward_limit_is_at_the_breadth_from_az_coast(
    geo: Geography, zone_ids: list[str], limit_nm: float
) -> None:
    zone = shapely.union_all([geo.zone(z).geometry for z in zone_ids])
    d = _seaward_limit_distances(geo, zone) / M_PER_NM
    assert d.size > 1000  # the limit is hundreds of km long, sampled every 500 m
    assert np.all(np.abs(d - limit_nm) <= 0.2), (d.min(), d.max())


def test_territorial_sea_lies_in_water_within_15_nm(geo: Geography) -> None:
    ts = geo.zone("aze-territorial-sea").geometry
    assert geo.proj.geom_to_xy(shapely.difference(ts, geo.water)).area < 1e4  # < 0.01 km²
    pts = ts.representative_point()
    assert geo.water_mask(np.array([pts.y]), np.array([pts.x]))[0]


def test_zones_are_provisional_and_named(geo: Geography) -> None:
    for kind in ("territorial_sea", "fishery_zone", "border_sector"):
        zs = [z for z in geo.zones if z.kind == kind]
        assert zs, kind
    assert geo.zone("aze-territorial-sea").provisional
    assert geo.zone("aze-fishery-zone").provisional
    assert {"aze-border-rus", "aze-border-irn"} <= {z.id for z in geo.zones}


def test_coast_split_between_the_five_states(geo: Geography) -> None:
    mainland = [s for s in geo.coast if not s.island]
    assert sorted(s.state for s in mainland) == ["AZE", "IRN", "KAZ", "RUS", "TKM"]
    by_pair = {frozenset(j.states): j for j in geo.junctions}
    samur = by_pair[frozenset({"AZE", "RUS"})]
    astara = by_pair[frozenset({"AZE", "IRN"})]
    assert geodesic_distance_m(samur.lat, samur.lon, 41.85, 48.58) < 5000  # Samur mouth
    assert geodesic_distance_m(astara.lat, astara.lon, 38.43, 48.87) < 5000  # Astara
    az = next(s for s in mainland if s.state == "AZE")
    length_km = geo.proj.geom_to_xy(az.geometry).length / 1000
    assert 600 < length_km < 900
    # the AZ arc runs between the two AZ junctions
    ends = {az.geometry.coords[0], az.geometry.coords[-1]}
    assert ends == {(samur.lon, samur.lat), (astara.lon, astara.lat)}
    # Pirallahi and Chilov belong to Azerbaijan
    az_islands = [s for s in geo.coast if s.island and s.state == "AZE"]
    assert len(az_islands) == 2


def test_garabogazkol_is_not_open_sea(geo: Geography) -> None:
    assert geo.lagoon is not None
    area_km2 = geo.proj.geom_to_xy(geo.lagoon).area / 1e6
    assert 15_000 < area_km2 < 20_000  # ~18,000 km² published
    assert not geo.water_mask(np.array([41.3]), np.array([53.5]))[0]
    assert geo.lagoon.contains(Point(53.5, 41.3))
    assert geo.water_mask(np.array([41.3]), np.array([52.0]))[0]


def test_water_mask_is_vectorised_and_excludes_islands(geo: Geography) -> None:
    rng = np.random.default_rng(3)
    lat = rng.uniform(36.5, 47.2, 5000)
    lon = rng.uniform(46.6, 54.8, 5000)
    mask = geo.water_mask(lat, lon)
    expected = np.array([geo.water.contains(Point(o, a)) for a, o in zip(lat, lon, strict=True)])
    assert mask.dtype == bool and mask.shape == (5000,)
    assert np.array_equal(mask, expected)
    pirallahi = geo.water.interiors[0].centroid
    assert not geo.water_mask(np.array([pirallahi.y]), np.array([pirallahi.x]))[0]


def test_equidistance_tripoints_near_the_treaty_points(geo: Geography) -> None:
    def tripoint(a: str, b: str, c: str) -> Point:
        s = geo.sectors
        return shapely.intersection(
            shapely.intersection(s[a].boundary, s[b].boundary), s[c].boundary
        ).centroid

    ru_az_kz = tripoint("AZE", "RUS", "KAZ")
    az_kz_tm = tripoint("AZE", "KAZ", "TKM")
    # 2003 AZ-KZ protocol: 42°33.6'N 49°53.3'E and 41°32.4'N 50°56.6'E
    assert geodesic_distance_m(ru_az_kz.y, ru_az_kz.x, 42.56, 49.8883) < 25_000
    assert geodesic_distance_m(az_kz_tm.y, az_kz_tm.x, 41.54, 50.9433) < 25_000
    treaty = [s for s in geo.sector_lines if s.id == "aze-kaz-seabed-treaty"]
    assert treaty and treaty[0].geometry.coords[0] == (49.8883, 42.56)


def test_sectors_partition_the_sea(geo: Geography) -> None:
    total = sum(geo.proj.geom_to_xy(g).area for g in geo.sectors.values())
    water = geo.proj.geom_to_xy(geo.water).area
    assert abs(total - water) / water < 1e-6
    assert set(geo.sectors) == {"AZE", "IRN", "KAZ", "RUS", "TKM"}


@given(
    lat=st.floats(38.3, 42.0, allow_nan=False),
    lon=st.floats(48.5, 51.5, allow_nan=False),
)
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_membership_follows_the_geodesic_distance(geo: Geography, lat: float, lon: float) -> None:
    """A sea point in Azerbaijan's sector is in the territorial sea iff it lies within
    15 nm of Azerbaijan's coast (± the 0.2 nm tolerance), and in the fishery zone iff it
    lies between 15 and 25 nm."""
    p = Point(lon, lat)
    if not geo.water.contains(p) or not geo.sectors["AZE"].contains(p):
        return
    d_nm = float(_az_coast(geo).distance_m(np.array([lon]), np.array([lat]))[0]) / M_PER_NM
    in_ts = geo.zone("aze-territorial-sea").geometry.contains(p)
    in_fz = geo.zone("aze-fishery-zone").geometry.contains(p)
    if d_nm < 14.8:
        assert in_ts and not in_fz
    elif 15.2 < d_nm < 24.8:
        assert in_fz and not in_ts
    elif d_nm > 25.2:
        assert not in_ts and not in_fz


_AZ_COAST: dict[int, _Coast] = {}


def _az_coast(geo: Geography) -> _Coast:
    if id(geo) not in _AZ_COAST:
        _AZ_COAST[id(geo)] = _Coast(geo, {"AZE"})
    return _AZ_COAST[id(geo)]
