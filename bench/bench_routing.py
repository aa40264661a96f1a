"""Sea routing: build time, cache load time, ETA queries per second.

Peers: a 16-connected water grid (0.02°, ~2 km) searched per query with scipy's Dijkstra
(the usual "raster" sea router), and networkx A* on the same grid.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point

from khazar.config import load_settings
from khazar.geo import load_geography
from khazar.geo.loader import cached_router
from khazar.geo.routing import build_routing_graph
from khazar.units import WGS84


def _water_points(geo: Any, n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = geo.water.bounds
    inner = geo.proj.geom_to_xy(geo.water).buffer(-2000)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lon, lat = float(rng.uniform(minx, maxx)), float(rng.uniform(miny, maxy))
        x, y = geo.proj.to_xy(lon, lat)
        if inner.contains(Point(float(x), float(y))):
            out.append((lat, lon))
    return out


def _grid(geo: Any, step: float = 0.02) -> tuple[Any, np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = geo.water.bounds
    lon2d, lat2d = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    ni, nj = lat2d.shape
    lon, lat = lon2d.ravel(), lat2d.ravel()
    wet = shapely.contains_xy(geo.water, lon, lat)
    index = -np.ones(lon.size, dtype=np.int64)
    index[wet] = np.arange(int(wet.sum()))
    ii, jj = np.nonzero(wet.reshape(ni, nj))
    rows, cols, w = [], [], []
    for di in range(-2, 3):
        for dj in range(-2, 3):
            if (di, dj) == (0, 0) or np.gcd(abs(di), abs(dj)) != 1:
                continue
            i2, j2 = ii + di, jj + dj
            ok = (i2 >= 0) & (i2 < ni) & (j2 >= 0) & (j2 < nj)
            a, b = ii[ok] * nj + jj[ok], i2[ok] * nj + j2[ok]
            keep = wet[b]
            a, b = a[keep], b[keep]
            _, _, d = WGS84.inv(lon[a], lat[a], lon[b], lat[b])
            rows.append(index[a])
            cols.append(index[b])
            w.append(np.asarray(d))
    n = int(wet.sum())
    g = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return g.tocsr(), lon[wet], lat[wet]


def run(quick: bool) -> dict[str, Any]:
    geo = load_geography(load_settings())
    n_pairs = 300 if quick else 2000
    pts = _water_points(geo, 2 * n_pairs, seed=1)

    t = time.perf_counter()
    graph = build_routing_graph(geo.water, geo.proj)
    build_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["KHAZAR_CACHE_DIR"] = tmp
        cached_router(geo.water, geo.proj, geo.theatre)  # builds and writes the cache
        t = time.perf_counter()
        router = cached_router(geo.water, geo.proj, geo.theatre)
        load_s = time.perf_counter() - t
        assert any(Path(tmp).iterdir())

    t, c = time.perf_counter(), time.process_time()
    for i in range(n_pairs):
        router.distance_m(*pts[2 * i], *pts[2 * i + 1])
    uncached_qps = n_pairs / (time.perf_counter() - t)
    uncached_cpu_qps = n_pairs / (time.process_time() - c)
    t, c = time.perf_counter(), time.process_time()
    for i in range(n_pairs):
        router.distance_m(*pts[2 * i], *pts[2 * i + 1])
    cached_qps = n_pairs / (time.perf_counter() - t)
    cached_cpu_qps = n_pairs / (time.process_time() - c)

    # dispatch workload: 12 boats at their bases, ETA to each of 200 alert positions
    fleet = load_settings().fleet
    alerts = _water_points(geo, 50 if quick else 200, seed=2)
    t, c = time.perf_counter(), time.process_time()
    for lat, lon in alerts:
        router.distances_m(lat, lon, [b.base_lat for b in fleet], [b.base_lon for b in fleet])
    dispatch_qps = len(alerts) * len(fleet) / (time.perf_counter() - t)
    dispatch_cpu_qps = len(alerts) * len(fleet) / (time.process_time() - c)
    areas = _water_points(geo, 50 if quick else 200, seed=3)
    t = time.perf_counter()
    router.distance_matrix_m([a[0] for a in areas], [a[1] for a in areas])
    matrix_s = time.perf_counter() - t

    t = time.perf_counter()
    route = router.route(40.366, 49.862, 43.6232, 51.2365)
    route_ms = (time.perf_counter() - t) * 1000

    # peers: per-query search on a ~2 km water grid
    t = time.perf_counter()
    grid, glon, glat = _grid(geo)
    grid_build_s = time.perf_counter() - t
    n_peer = 10 if quick else 40

    def nearest(lat: float, lon: float) -> int:
        return int(np.argmin((glon - lon) ** 2 + ((glat - lat) * 1.3) ** 2))

    t = time.perf_counter()
    for i in range(n_peer):
        a, b = nearest(*pts[2 * i]), nearest(*pts[2 * i + 1])
        dijkstra(grid, directed=False, indices=a)[b]
    grid_qps = n_peer / (time.perf_counter() - t)

    g = nx.from_scipy_sparse_array(grid)
    n_astar = 5 if quick else 15

    def h(u: int, v: int) -> float:
        _, _, d = WGS84.inv(glon[u], glat[u], glon[v], glat[v])
        return float(d)

    t = time.perf_counter()
    for i in range(n_astar):
        nx.astar_path_length(g, nearest(*pts[2 * i]), nearest(*pts[2 * i + 1]), heuristic=h)
    astar_qps = n_astar / (time.perf_counter() - t)

    return {
        "routing_nodes": len(graph.nodes),
        "build_s": round(build_s, 2),
        "cache_load_s": round(load_s, 3),
        "eta_queries_per_s_random_pairs": round(uncached_qps),
        "eta_queries_per_cpu_s_random_pairs": round(uncached_cpu_qps),
        "eta_queries_per_s_repeated_pairs": round(cached_qps),
        "eta_queries_per_cpu_s_repeated_pairs": round(cached_cpu_qps),
        "eta_queries_per_s_dispatch_12_boats": round(dispatch_qps),
        "eta_queries_per_cpu_s_dispatch_12_boats": round(dispatch_cpu_qps),
        f"distance_matrix_{len(areas)}_areas_s": round(matrix_s, 2),
        "route_baku_aktau_ms": round(route_ms, 2),
        "route_baku_aktau_km": round(route.length_km, 1),
        "peer_grid_build_s": round(grid_build_s, 2),
        "peer_grid_dijkstra_queries_per_s": round(grid_qps, 2),
        "peer_networkx_astar_queries_per_s": round(astar_qps, 2),
        "ratio_vs_grid_dijkstra": round(uncached_qps / grid_qps, 1),
        "note": "wall figures on a 2-core machine shared by 7 workers; cpu figures per core",
        "ratio_vs_networkx_astar": round(uncached_qps / astar_qps, 1),
    }
