"""The adapter that reads a theatre's files and caches what is slow to build.

The theatre (``settings.theatre``: a shipped name or a folder, the Caspian by default; see
:mod:`khazar.geo.theatre`) gives every file; the settings' ``coastline_file`` and
``assets_file`` replace its water and its assets. The routing graph (~3 s to build) is
cached in ``$KHAZAR_CACHE_DIR`` or ``$XDG_CACHE_HOME/khazar`` (default ``~/.cache/khazar``),
keyed by a hash of the water polygon; an unwritable cache only costs the rebuild.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Polygon

from khazar.config import Settings
from khazar.errors import InputError
from khazar.geo._proj import LocalProjection
from khazar.geo.geography import Geography, build_geography, water_from_geojson
from khazar.geo.routing import RoutingGraph, SeaRouter, build_routing_graph, routing_key
from khazar.geo.theatre import MANIFEST, Theatre, load_theatre, resolve_theatre

__all__ = [
    "cache_dir",
    "load_geography",
    "read_geojson",
]

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


def cache_dir() -> Path:
    """Where slow-to-build artefacts are cached (created on demand)."""
    env = os.environ.get("KHAZAR_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "khazar"


def cached_router(water: Polygon, proj: LocalProjection, theatre: Theatre) -> SeaRouter:
    """The sea router for ``water``, from the disk cache when a matching graph is there."""
    inset, simplify = theatre.inset_m, theatre.simplify_m
    key = routing_key(water, proj, inset, simplify)
    path = cache_dir() / f"router-{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as arrays:
                return SeaRouter(RoutingGraph.from_arrays(arrays), proj)
        except Exception:  # a stale or truncated cache file: rebuild it below
            pass
    graph = build_routing_graph(water, proj, inset, simplify)
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


def _as_features(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A GeoJSON object's features (a bare geometry becomes one)."""
    if data.get("type") == "FeatureCollection":
        return list(data.get("features", []))
    if data.get("type") == "Feature":
        return [data]
    return [{"type": "Feature", "properties": {}, "geometry": data}]


def _optional(path: Path | None, what: str) -> dict[str, Any] | None:
    return None if path is None else read_geojson(path, what)


def load_geography(settings: Settings) -> Geography:
    """The geography of the settings' theatre, cached per (theatre, coastline_file,
    assets_file) and their files' modification times."""
    root = resolve_theatre(settings.theatre)
    theatre = load_theatre(root)
    key = (_stamp(root / MANIFEST), _stamp(settings.coastline_file),
           _stamp(settings.assets_file), *(_stamp(p) for p in theatre.added_water))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        if settings.coastline_file is not None:
            raw = read_geojson(settings.coastline_file, "coastline")
            coast_name = str(settings.coastline_file)
        else:
            raw = read_geojson(theatre.water, f"theatre {theatre.name}: water")
            coast_name = f"theatre {theatre.name} ({theatre.water.name})"
        if theatre.added_water:
            added = [read_geojson(p, f"theatre {theatre.name}: added water")
                     for p in theatre.added_water]
            raw = {"type": "FeatureCollection",
                   "features": [f for d in (raw, *added) for f in _as_features(d)]}
            coast_name += " + " + ", ".join(p.name for p in theatre.added_water)
        water = water_from_geojson(raw, coast_name, theatre.extent)
        assets_path = settings.assets_file or theatre.assets
        if assets_path is not None:
            assets: dict[str, Any] | None = read_geojson(assets_path, "asset file")
            assets_name = (str(assets_path) if settings.assets_file is not None
                           else f"theatre {theatre.name} ({assets_path.name})")
        else:
            assets, assets_name = None, f"theatre {theatre.name} (no assets)"
        geo = build_geography(
            theatre=theatre,
            water_raw=water,
            borders=_optional(theatre.land_borders, f"theatre {theatre.name}: land borders"),
            states=_optional(theatre.states, f"theatre {theatre.name}: states"),
            lines=_optional(theatre.lines, f"theatre {theatre.name}: lines"),
            assets=assets,
            router_factory=cached_router,
            coastline_source=coast_name,
            assets_source=assets_name,
        )
        _CACHE[key] = geo
        return geo
