"""The adapter that reads geography files and caches what is slow to build.

Package data (``khazar/data/geo``, ``khazar/data/assets``) is the default; the settings'
``coastline_file`` and ``assets_file`` replace it. The routing graph (~3 s to build) is
cached in ``$KHAZAR_CACHE_DIR`` or ``$XDG_CACHE_HOME/khazar`` (default ``~/.cache/khazar``),
keyed by a hash of the water polygon; an unwritable cache only costs the rebuild.
"""

from __future__ import annotations

import json
import os
import threading
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Polygon

from khazar.config import Settings
from khazar.errors import InputError
from khazar.geo._proj import LocalProjection
from khazar.geo.geography import Geography, build_geography, water_from_geojson
from khazar.geo.routing import RoutingGraph, SeaRouter, build_routing_graph, routing_key

__all__ = [
    "DEFAULT_ASSETS",
    "DEFAULT_COASTLINE",
    "cache_dir",
    "load_geography",
    "read_geojson",
]

_DATA = files("khazar") / "data"
DEFAULT_COASTLINE = "caspian_sea_ne_10m.geojson"
DEFAULT_ASSETS = "default_assets.geojson"
_LOCK = threading.Lock()
_CACHE: dict[tuple[Any, ...], Geography] = {}


def read_geojson(path: Path, what: str) -> dict[str, Any]:
    """Read a GeoJSON file; a missing or malformed file is an :class:`InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"{what} {path}: cannot be read ({exc.strerror}); check the path"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what} {path}: expected a GeoJSON object, got {type(data).__name__}")
    return data


def _package_geojson(*parts: str) -> dict[str, Any]:
    res = _DATA.joinpath(*parts)
    data: dict[str, Any] = json.loads(res.read_text(encoding="utf-8"))
    return data


def cache_dir() -> Path:
    """Where slow-to-build artefacts are cached (created on demand)."""
    env = os.environ.get("KHAZAR_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "khazar"


def cached_router(water: Polygon, proj: LocalProjection) -> SeaRouter:
    """The sea router for ``water``, from the disk cache when a matching graph is there."""
    key = routing_key(water, proj, 400.0, 200.0)
    path = cache_dir() / f"router-{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as arrays:
                return SeaRouter(RoutingGraph.from_arrays(arrays), proj)
        except Exception:  # a stale or truncated cache file: rebuild it below
            pass
    graph = build_routing_graph(water, proj, 400.0, 200.0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **graph.to_arrays())  # type: ignore[arg-type]
        os.replace(tmp, path)
    except OSError:
        pass  # read-only home or full disk: the router works, only the next start is slower
    return SeaRouter(graph, proj)


def _stamp(path: Path | None) -> tuple[str, float] | None:
    if path is None:
        return None
    try:
        return (str(path.resolve()), path.stat().st_mtime)
    except OSError:
        return (str(path), -1.0)


def load_geography(settings: Settings) -> Geography:
    """The geography for these settings, cached per (coastline_file, assets_file)."""
    key = (_stamp(settings.coastline_file), _stamp(settings.assets_file))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        if settings.coastline_file is not None:
            raw = read_geojson(settings.coastline_file, "coastline")
            coast_name = str(settings.coastline_file)
        else:
            raw = _package_geojson("geo", DEFAULT_COASTLINE)
            coast_name = f"Natural Earth 10m ({DEFAULT_COASTLINE})"
        water = water_from_geojson(raw, coast_name)
        if settings.assets_file is not None:
            assets = read_geojson(settings.assets_file, "asset file")
            assets_name = str(settings.assets_file)
        else:
            assets = _package_geojson("assets", DEFAULT_ASSETS)
            assets_name = f"default registry ({DEFAULT_ASSETS})"
        geo = build_geography(
            water_raw=water,
            borders=_package_geojson("geo", "caspian_land_borders_ne_10m.geojson"),
            states=_package_geojson("geo", "caspian_states_ne_50m.geojson"),
            seabed=_package_geojson("geo", "caspian_seabed_boundaries_partial.geojson"),
            assets=assets,
            router_factory=cached_router,
            coastline_source=coast_name,
            assets_source=assets_name,
        )
        _CACHE[key] = geo
        return geo
