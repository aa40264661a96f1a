"""The simulator's view of the Caspian, built from :mod:`khazar.geo`: ports, platforms,
pipelines, water-only routes and the zones that scoring needs.

Every route a simulated vessel sails comes from the geography's sea router, so no vessel
crosses land; places of the traffic model (ports, bases, anchorages) are snapped to water.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point

from khazar.config import Settings
from khazar.errors import GeoError
from khazar.units import haversine_m

__all__ = ["PLACES", "Pipeline", "Platform", "World"]

F64 = npt.NDArray[np.float64]

#: places of the traffic model (approximate public positions; snapped to water by the router)
PLACES: dict[str, tuple[float, float]] = {
    "alat": (39.935, 49.445),
    "baku": (40.345, 49.875),
    "sangachal": (40.160, 49.500),
    "sumqayit": (40.570, 49.700),
    "lankaran": (38.755, 48.890),
    "neftchala": (39.370, 49.300),
    "astara": (38.440, 48.900),
    "aktau": (43.600, 51.190),
    "kuryk": (43.170, 51.640),
    "turkmenbashi": (39.980, 52.950),
    "makhachkala": (42.980, 47.530),
    "anzali": (37.490, 49.460),
    "amirabad": (36.870, 53.370),
    "olya": (45.300, 47.900),
    "neft-daslari": (40.225, 50.830),
    "nabran": (41.810, 48.700),
    "siyazan": (41.080, 49.300),
    "hovsan": (40.350, 50.090),
}
#: names a geography port may carry for a place (lower-case, ASCII-folded)
_PORT_NAMES: dict[str, tuple[str, ...]] = {
    "alat": ("alat", "baku international sea trade"),
    "aktau": ("aktau", "aqtau"),
    "kuryk": ("kuryk", "quryq"),
    "turkmenbashi": ("turkmenbashi", "turkmenbasy"),
    "makhachkala": ("makhachkala",),
    "anzali": ("anzali",),
    "amirabad": ("amirabad",),
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@dataclass(frozen=True, slots=True)
class Platform:
    """An offshore platform, its group in the vessel registry and its safety zone ids."""

    id: str
    name: str
    group: str | None
    lat: float
    lon: float
    safety_radius_m: float
    zone_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A subsea pipeline: (lat, lon) vertices, its corridor and the offshore stretch."""

    id: str
    name: str
    coords: F64
    corridor_half_width_m: float
    zone_ids: tuple[str, ...]


@dataclass
class World:
    """Geography adapter of the simulator (routes cached per rounded end points)."""

    geo: Any
    settings: Settings
    places: dict[str, tuple[float, float]]
    platforms: list[Platform]
    pipelines: list[Pipeline]
    border_zone_ids: tuple[str, ...]
    _routes: dict[tuple[float, float, float, float], F64] = field(default_factory=dict)
    _snap: dict[str, tuple[float, float]] = field(default_factory=dict)
    _protected: Any = None

    @classmethod
    def load(cls, settings: Settings) -> World:
        """Build the world from ``khazar.geo`` (which must be importable)."""
        try:
            from khazar.geo import load_geography
        except ImportError as exc:  # pragma: no cover - only before the geo package exists
            raise GeoError(f"the simulator needs khazar.geo: {exc}") from exc
        geo = load_geography(settings)
        outside = sorted(k for k, (lat, lon) in PLACES.items()
                         if not geo.theatre.in_extent(lat, lon))
        if outside:
            raise GeoError(
                f"the simulator's traffic model (its ports, lanes and anchorages) is the "
                f"Caspian's; theatre {geo.theatre.name} (extent {list(geo.theatre.extent)}) "
                f"does not hold {len(outside)} of its {len(PLACES)} places ({outside[0]}, …): "
                "simulate, eval-seeds and demo run on the Caspian theatre only")
        places = dict(PLACES)
        for port in geo.ports:
            name = _fold(f"{port.id} {port.name}")
            for key, names in _PORT_NAMES.items():
                if any(n in name for n in names):
                    places[key] = (float(port.lat), float(port.lon))
        for boat in settings.fleet:
            places[f"base:{_fold(boat.base)}"] = (boat.base_lat, boat.base_lon)
        zones_by_kind: dict[str, list[Any]] = {}
        for z in geo.zones:
            zones_by_kind.setdefault(z.kind, []).append(z)
        platforms: list[Platform] = []
        pipelines: list[Pipeline] = []
        for a in geo.assets:
            if a.kind == "platform":
                zids = tuple(
                    z.id
                    for z in zones_by_kind.get("platform_safety", [])
                    if z.geometry.intersects(Point(a.lon, a.lat))
                )
                platforms.append(
                    Platform(a.id, a.name, a.group, a.lat, a.lon, a.safety_radius_m or 500.0,
                             zids)
                )
            elif a.kind == "pipeline":
                lines = list(getattr(a.geometry, "geoms", [a.geometry]))
                coords = np.asarray(
                    [(y, x) for line in lines for x, y in line.coords], dtype=np.float64
                )
                zids = tuple(
                    z.id
                    for z in zones_by_kind.get("pipeline_corridor", [])
                    if z.geometry.intersects(a.geometry)
                )
                pipelines.append(
                    Pipeline(a.id, a.name, coords, a.corridor_half_width_m or 1000.0, zids)
                )
        border = tuple(z.id for z in zones_by_kind.get("border_sector", []))
        if not platforms or not pipelines:
            raise GeoError(
                "the asset registry has no platform or no pipeline; the simulator needs both "
                "(check settings.assets_file)"
            )
        return cls(geo, settings, places, platforms, pipelines, border)

    # -- geometry -------------------------------------------------------------------------
    def in_water(self, lat: F64, lon: F64) -> npt.NDArray[np.bool_]:
        """Vectorised: which (lat, lon) lie in open water."""
        return np.asarray(self.geo.water_mask(np.asarray(lat), np.asarray(lon)), dtype=np.bool_)

    def water_at(self, lat: float, lon: float) -> bool:
        """Scalar water test (for drifting vessels): in the router's inset sea."""
        return bool(self.geo.router.in_routing_water(lat, lon))

    def route(self, a: tuple[float, float], b: tuple[float, float]) -> F64:
        """Water-only route from a to b as rows of (lat, lon), from the sea router."""
        key = (round(a[0], 4), round(a[1], 4), round(b[0], 4), round(b[1], 4))
        cached = self._routes.get(key)
        if cached is None:
            r = self.geo.router.route(a[0], a[1], b[0], b[1])
            cached = self._around_platforms(np.asarray(r.coords, dtype=np.float64))
            self._routes[key] = cached
        return cached

    def near_platform(self, lat: float, lon: float, margin_m: float) -> bool:
        """Whether a point lies within a platform's safety radius plus ``margin_m``."""
        return any(
            float(haversine_m(lat, lon, p.lat, p.lon)) < p.safety_radius_m + margin_m
            for p in self.platforms
        )

    def _around_platforms(self, coords: F64) -> F64:
        """Seamanship the router does not know: pass every platform ≥ 1 km outside its safety
        zone (Neft Daşları's is 3 km) unless the route starts or ends near it (the zones are
        for the registry's boats). Legs that come closer are split every ~200 m and the points
        inside the clearance pushed sideways onto it, on one side (where that is water)."""
        return self.keep_off_platforms(coords)

    def keep_off_platforms(self, coords: F64, clearance_m: float = 1000.0) -> F64:
        """``coords`` with every point that is not near an end kept ≥ ``clearance_m`` outside
        each platform's safety zone (see :meth:`_around_platforms`)."""
        out = coords
        for p in self.platforms:
            if len(out) < 2:
                break
            keep_m = p.safety_radius_m + clearance_m
            ends = haversine_m(out[[0, -1], 0], out[[0, -1], 1], p.lat, p.lon)
            if float(ends.min()) < keep_m + 2000.0:
                continue
            line = LineString([(lo, la) for la, lo in out])
            if float(line.distance(Point(p.lon, p.lat))) * 85_000.0 > keep_m + 500.0:
                continue
            dense = [out[0]]
            for k in range(len(out) - 1):
                a, b = out[k], out[k + 1]
                n_pts = max(1, int(np.ceil(float(haversine_m(a[0], a[1], b[0], b[1])) / 200.0)))
                f = np.arange(1, n_pts + 1)[:, None] / n_pts
                dense.extend(a + f * (b - a))
            pts = np.asarray(dense)
            coslat = np.cos(np.radians(p.lat))
            # local metres around the platform
            xy = np.column_stack(((pts[:, 1] - p.lon) * 111_195.0 * coslat,
                                  (pts[:, 0] - p.lat) * 111_195.0))
            inside = np.hypot(xy[:, 0], xy[:, 1]) < keep_m + 200.0
            k_m = keep_m + 250.0
            for run in np.split(np.flatnonzero(inside),
                                np.flatnonzero(np.diff(np.flatnonzero(inside)) > 1) + 1):
                if run.size == 0:
                    continue
                # push the run sideways (perpendicular to its chord, on the side the route
                # already passes) onto the clearance circle: one smooth detour, never a jump
                a, b = xy[max(run[0] - 1, 0)], xy[min(run[-1] + 1, len(xy) - 1)]
                u = b - a
                n = np.array([-u[1], u[0]]) / max(float(np.hypot(*u)), 1.0)
                closest = xy[run[np.argmin(np.hypot(xy[run, 0], xy[run, 1]))]]
                if float(n @ closest) < 0:
                    n = -n
                q = xy[run]
                for side in (n, -n):  # the other side where the first runs aground
                    qn = q @ side
                    t = -qn + np.sqrt(np.maximum(qn**2 - (np.sum(q**2, axis=1) - k_m**2), 0.0))
                    moved = q + t[:, None] * side
                    lat = p.lat + moved[:, 1] / 111_195.0
                    lon = p.lon + moved[:, 0] / (111_195.0 * coslat)
                    if all(self.water_at(float(la), float(lo))
                           for la, lo in zip(lat, lon, strict=True)):
                        pts[run, 0], pts[run, 1] = lat, lon
                        break
            out = pts
        return out

    def place(self, name: str) -> tuple[float, float]:
        """A named place snapped to water (the first point of a route from it)."""
        if name not in self._snap:
            lat, lon = self.places[name]
            other = self.places["neft-daslari"] if name != "neft-daslari" else self.places["baku"]
            first = self.route((lat, lon), other)[0]
            self._snap[name] = (float(first[0]), float(first[1]))
        return self._snap[name]

    def protected_distance_m(self, lat: float, lon: float) -> float:
        """Distance from a point to the nearest pipeline corridor or platform safety zone."""
        if self._protected is None:
            self._protected = shapely.union_all(
                [a.protected_area for a in self.geo.assets if a.kind in ("pipeline", "platform")]
            )
            shapely.prepare(self._protected)
        d_deg = float(shapely.distance(self._protected, Point(lon, lat)))
        # degrees → metres with the shorter (east-west) scale: a lower bound, on the safe side
        return d_deg * 111_195.0 * float(np.cos(np.radians(lat)))

    # -- registry --------------------------------------------------------------------------
    def zone_entry_scope(self) -> tuple[str, ...]:
        """Ids where a zone_entry is scored: the platforms and their safety zones."""
        ids = {p.id for p in self.platforms}
        for p in self.platforms:
            ids.update(p.zone_ids)
        return tuple(sorted(ids))

    def authorised(self) -> dict[int, tuple[str, ...]]:
        """MMSI → asset and zone ids where it belongs (own patrol boats: everywhere)."""
        out: dict[int, tuple[str, ...]] = {}
        for key, mmsis in self.settings.registry.authorised.items():
            places = {key}
            for p in self.platforms:
                if p.group == key or p.id == key:
                    places.add(p.id)
                    places.update(p.zone_ids)
            for m in mmsis:
                out[m] = tuple(sorted(set(out.get(m, ())) | places))
        for m in self.settings.own_fleet_mmsis:
            out[m] = ("*",)
        return out

    def platforms_of(self, group: str) -> list[Platform]:
        return [p for p in self.platforms if p.group == group]
