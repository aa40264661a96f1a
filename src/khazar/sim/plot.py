"""Traffic-density map of simulated movements (PNG), with coast, assets and AIS coverage."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.colors import LogNorm

from khazar.errors import InputError
from khazar.sim.ais import DEFAULT_STATIONS
from khazar.sim.movement import Vessel
from khazar.sim.world import World

__all__ = ["density_grid", "render_density"]

F64 = npt.NDArray[np.float64]
#: (lat_min, lat_max, lon_min, lon_max) of the map: the middle and south Caspian
BOUNDS = (37.0, 44.0, 47.0, 54.0)


def density_grid(
    vessels: list[Vessel], step_s: float = 60.0, cell_deg: float = 0.02,
    bounds: tuple[float, float, float, float] = BOUNDS,
) -> tuple[F64, F64, F64]:
    """Vessel-minutes per grid cell from the true (physical) tracks: (counts, lat edges,
    lon edges); counts has shape (n_lat, n_lon)."""
    lat_e = np.arange(bounds[0], bounds[1] + cell_deg, cell_deg)
    lon_e = np.arange(bounds[2], bounds[3] + cell_deg, cell_deg)
    grid = np.zeros((lat_e.size - 1, lon_e.size - 1))
    for v in vessels:
        if not v.physical:
            continue
        m = v.movement
        ts = np.arange(m.start_s, m.end_s, step_s)
        if ts.size == 0:
            continue
        lat, lon = m.position_at(ts)
        h, _, _ = np.histogram2d(lat, lon, bins=(lat_e, lon_e))
        grid += h
    return grid * (step_s / 60.0), lat_e, lon_e


def render_density(
    vessels: list[Vessel], world: World, path: Path, title: str, step_s: float = 60.0
) -> None:
    """Write the density PNG: log-scaled vessel-minutes, coastline, pipelines, platforms,
    AIS stations with their nominal range."""
    grid, lat_e, lon_e = density_grid(vessels, step_s)
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    water = world.geo.water
    polys = list(getattr(water, "geoms", [water]))
    ax.set_facecolor("#d9d4c7")
    for poly in polys:
        x, y = poly.exterior.xy
        ax.fill(x, y, color="#0b1d33", zorder=0)
        for ring in poly.interiors:
            xi, yi = ring.xy
            ax.fill(xi, yi, color="#d9d4c7", zorder=0)
    masked = np.ma.masked_less(grid, 1.0)
    top = float(np.percentile(grid[grid >= 1.0], 99.5)) if (grid >= 1.0).any() else 10.0
    mesh = ax.pcolormesh(lon_e, lat_e, masked, cmap="inferno",
                         norm=LogNorm(vmin=1.0, vmax=max(10.0, top)), zorder=1)
    for k, pl in enumerate(world.pipelines):
        ax.plot(pl.coords[:, 1], pl.coords[:, 0], color="#4fc3f7", lw=0.7, ls=":", zorder=2,
                label="subsea pipelines" if k == 0 else None)
    ax.scatter([p.lon for p in world.platforms], [p.lat for p in world.platforms], s=10,
               marker="s", facecolor="none", edgecolor="#e0f7fa", lw=0.8, zorder=3,
               label="platforms")
    for s in DEFAULT_STATIONS:
        ang = np.linspace(0, 2 * np.pi, 120)
        r_deg = s.range_nm * 1852.0 / 111_195.0
        ax.plot(s.lon + r_deg * np.sin(ang) / np.cos(np.radians(s.lat)),
                s.lat + r_deg * np.cos(ang), color="#9ccc65", lw=0.6, ls="--", zorder=2)
        ax.scatter([s.lon], [s.lat], s=14, color="#9ccc65", zorder=3)
    ax.plot([], [], color="#9ccc65", ls="--", label="AIS stations, 40 nm")
    ax.set_xlim(BOUNDS[2], BOUNDS[3])
    ax.set_ylim(BOUNDS[0], BOUNDS[1])
    ax.set_aspect(1.0 / np.cos(np.radians(40.5)))
    ax.set_xlabel("longitude °E")
    ax.set_ylabel("latitude °N")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.colorbar(mesh, ax=ax, shrink=0.7, label="vessel-minutes per 0.02° cell")
    try:
        fig.savefig(path, bbox_inches="tight")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
