"""Tiny builders for detector tests: straight legs of fixes, zones as small boxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import shapely

from khazar.config import DetectSettings
from khazar.detect import DetectGeography, PortSpec, ZoneSpec
from khazar.tracks import Fixes
from khazar.units import KN_TO_MS

T0 = datetime(2026, 5, 1, tzinfo=UTC).timestamp()
LAT0, LON0 = 40.0, 50.5
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(LAT0))


def at(x_m: float, y_m: float) -> tuple[float, float]:
    """(lat, lon) of a point x metres east and y metres north of (LAT0, LON0)."""
    return LAT0 + y_m / M_PER_DEG_LAT, LON0 + x_m / M_PER_DEG_LON


@dataclass
class Track:
    """A vessel's fixes built leg by leg (times in seconds after T0, positions in metres)."""

    mmsi: int
    t: float = 0.0
    x: float = 0.0
    y: float = 0.0
    every_s: float = 10.0
    rows: list[tuple[float, float, float, float, float, int]] = field(default_factory=list)

    def leg(self, minutes: float, speed_kn: float, course_deg: float = 90.0,
            status: int = 0, sog_kn: float | None = None) -> Track:
        """Sail for ``minutes`` at ``speed_kn`` on ``course_deg`` reporting every ``every_s``."""
        n = round(minutes * 60 / self.every_s)
        v = speed_kn * KN_TO_MS
        dx, dy = np.sin(np.radians(course_deg)) * v, np.cos(np.radians(course_deg)) * v
        for _ in range(n):
            self.t += self.every_s
            self.x += dx * self.every_s
            self.y += dy * self.every_s
            self.rows.append((self.t, self.x, self.y, speed_kn if sog_kn is None else sog_kn,
                              course_deg, status))
        return self

    def silence(self, minutes: float, speed_kn: float = 0.0, course_deg: float = 90.0) -> Track:
        """No reports for ``minutes`` while moving on (dead reckoning)."""
        v = speed_kn * KN_TO_MS * minutes * 60
        self.t += minutes * 60
        self.x += np.sin(np.radians(course_deg)) * v
        self.y += np.cos(np.radians(course_deg)) * v
        return self

    def goto(self, x_m: float, y_m: float) -> Track:
        self.x, self.y = x_m, y_m
        return self

    def fixes(self) -> Fixes:
        r = np.array(self.rows, dtype=float).reshape(-1, 6)
        lat, lon = at(r[:, 1], r[:, 2])
        return Fixes.from_arrays(np.full(len(r), self.mmsi), T0 + r[:, 0], lat, lon,
                                 r[:, 3], r[:, 4], None, r[:, 5])


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Geometry:
    (la0, lo0), (la1, lo1) = at(x0, y0), at(x1, y1)
    return shapely.box(lo0, la0, lo1, la1)


def geography(zones: list[ZoneSpec] | None = None, ports: list[PortSpec] | None = None,
              **kw: object) -> DetectGeography:
    return DetectGeography(zones=tuple(zones or ()), ports=tuple(ports or ()), **kw)  # type: ignore[arg-type]


def corridor(x0: float = 10_000, half_width_m: float = 1000.0, zid: str = "corr-1",
             ) -> ZoneSpec:
    """A north–south pipeline corridor centred on x = x0."""
    return ZoneSpec(zid, "pipeline_corridor", box(x0 - half_width_m, -200_000, x0 + half_width_m,
                                                   200_000), asset_id="pipe-1",
                    width_m=2 * half_width_m)


SETTINGS = DetectSettings()
