"""Fixtures: the default geography, with the router cache in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

from khazar.config import Settings, load_settings
from khazar.geo import Geography, load_geography


@pytest.fixture(scope="session", autouse=True)
def _router_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("khazar-cache")
    old = os.environ.get("KHAZAR_CACHE_DIR")
    os.environ["KHAZAR_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("KHAZAR_CACHE_DIR", None)
    else:
        os.environ["KHAZAR_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def geo(settings: Settings) -> Geography:
    return load_geography(settings)


@pytest.fixture(scope="session")
def water_points(geo: Geography) -> Callable[..., list[tuple[float, float]]]:
    """Factory: ``water_points(n, seed, min_coast_m=2000)`` random open-sea (lat, lon)."""

    def make(n: int, seed: int, min_coast_m: float = 2000.0) -> list[tuple[float, float]]:
        return random_water_points(geo, n, seed, min_coast_m)

    return make


def random_water_points(
    geo: Geography, n: int, seed: int, min_coast_m: float = 2000.0
) -> list[tuple[float, float]]:
    """``n`` (lat, lon) points in the open sea at least ``min_coast_m`` from any coast."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = geo.water.bounds
    inner = geo.proj.geom_to_xy(geo.water).buffer(-min_coast_m)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lon = float(rng.uniform(minx, maxx))
        lat = float(rng.uniform(miny, maxy))
        x, y = geo.proj.to_xy(lon, lat)
        if inner.contains(Point(float(x), float(y))):
            out.append((lat, lon))
    return out
