"""The report's figures (matplotlib, Agg backend, no basemap download: our own coastline).

Each function draws one figure and writes a PNG; they take plain values, not the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from shapely.geometry.base import BaseGeometry

from khazar.domain.reporting import AlertRow, EventRow
from khazar.units import BAKU_TZ, from_epoch_s

__all__ = ["alert_timeline", "coverage_vs_value", "events_map", "traffic_density"]

_WATER = "#dfeaf2"
_LAND = "#f3efe6"
_EVENT_COLOURS = {
    "loitering": "#d62728", "anchor_drag": "#9467bd", "encounter": "#ff7f0e",
    "ais_gap": "#7f7f7f", "spoofing": "#e377c2", "dark_vessel": "#17becf",
    "zone_entry": "#2ca02c", "zone_exit": "#98df8a", "port_visit": "#1f77b4",
}
_SEVERITY_COLOURS = {"low": "#9ecae1", "medium": "#fdae6b", "high": "#e6550d",
                     "critical": "#a50f15"}


def _rings(geom: BaseGeometry) -> list[np.ndarray]:
    polys = getattr(geom, "geoms", [geom])
    out: list[np.ndarray] = []
    for p in polys:
        if hasattr(p, "exterior"):
            out.append(np.asarray(p.exterior.coords))
            out.extend(np.asarray(r.coords) for r in p.interiors)
    return out


def _base(ax: Axes, water: BaseGeometry, bounds: tuple[float, float, float, float]) -> None:
    ax.set_facecolor(_LAND)
    for poly in getattr(water, "geoms", [water]):
        ext = np.asarray(poly.exterior.coords)
        ax.fill(ext[:, 0], ext[:, 1], color=_WATER, zorder=0)
        for ring in poly.interiors:
            r = np.asarray(ring.coords)
            ax.fill(r[:, 0], r[:, 1], color=_LAND, zorder=0)
    for ring in _rings(water):
        ax.plot(ring[:, 0], ring[:, 1], color="#6b7b8c", lw=0.5, zorder=1)
    lon0, lat0, lon1, lat1 = bounds
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1.0 / np.cos(np.radians((lat0 + lat1) / 2.0)))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")


def _assets(ax: Axes, assets: Mapping[str, BaseGeometry]) -> None:
    for geom in assets.values():
        if geom.geom_type == "Point":
            ax.plot(geom.x, geom.y, marker="s", ms=3, color="#333333", zorder=3)
        elif geom.geom_type in ("LineString", "MultiLineString"):
            for line in getattr(geom, "geoms", [geom]):
                c = np.asarray(line.coords)
                ax.plot(c[:, 0], c[:, 1], color="#333333", lw=0.8, ls="--", zorder=2)


def traffic_density(
    lats: np.ndarray, lons: np.ndarray, water: BaseGeometry,
    bounds: tuple[float, float, float, float], out: Path,
) -> Path:
    """Positions per cell (about 1.8 km), log colour scale."""
    fig, ax = plt.subplots(figsize=(7.5, 8), dpi=110)
    _base(ax, water, bounds)
    if lats.size:
        lon0, lat0, lon1, lat1 = bounds
        bins = (int((lon1 - lon0) / 0.02), int((lat1 - lat0) / 0.016))
        h, xe, ye = np.histogram2d(lons, lats, bins=bins, range=[[lon0, lon1], [lat0, lat1]])
        h = np.ma.masked_equal(h, 0)
        mesh = ax.pcolormesh(xe, ye, h.T, norm=LogNorm(vmin=1, vmax=max(2.0, float(h.max()))),
                             cmap="inferno_r", zorder=2)
        fig.colorbar(mesh, ax=ax, shrink=0.6, label="position reports per cell")
    ax.set_title(f"Traffic density ({lats.size:,} position reports)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def events_map(
    events: Sequence[EventRow], water: BaseGeometry, assets: Mapping[str, BaseGeometry],
    bounds: tuple[float, float, float, float], out: Path,
) -> Path:
    """Events by type over the coast and the protected assets."""
    fig, ax = plt.subplots(figsize=(7.5, 8), dpi=110)
    _base(ax, water, bounds)
    _assets(ax, assets)
    by_type: dict[str, list[EventRow]] = {}
    for e in events:
        by_type.setdefault(e.type, []).append(e)
    for typ, rows in sorted(by_type.items()):
        ax.scatter([r.lon for r in rows], [r.lat for r in rows], s=14, zorder=4,
                   color=_EVENT_COLOURS.get(typ, "#000000"), label=f"{typ} ({len(rows)})",
                   edgecolors="white", linewidths=0.3)
    if by_type:
        ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    ax.set_title(f"Events ({len(events)})")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def alert_timeline(alerts: Sequence[AlertRow], out: Path) -> Path:
    """Alerts per hour (Baku time), stacked by severity."""
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=110)
    if alerts:
        hours = [from_epoch_s(a.first_s).astimezone(BAKU_TZ).replace(minute=0, second=0,
                                                                  microsecond=0)
                 for a in alerts]
        keys = sorted(set(hours))
        bottom = np.zeros(len(keys))
        xs = mdates.date2num(keys)  # type: ignore[no-untyped-call]
        for sev in ("low", "medium", "high", "critical"):
            counts = Counter(h for h, a in zip(hours, alerts, strict=True) if a.severity == sev)
            vals = np.array([counts.get(k, 0) for k in keys], dtype=float)
            if vals.any():
                ax.bar(xs, vals, width=1 / 24 * 0.9, bottom=bottom,
                       label=sev, color=_SEVERITY_COLOURS[sev], align="edge")
            bottom += vals
        ax.legend(fontsize=7, ncols=4, loc="upper right")
        ax.xaxis_date(tz=BAKU_TZ)
    else:
        ax.text(0.5, 0.5, "no alerts", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("alerts")
    ax.set_xlabel("hour (Baku time, UTC+4)")
    ax.set_title("Alert timeline")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def coverage_vs_value(
    value: Mapping[str, float], coverage: Mapping[str, float] | None, out: Path,
) -> Path:
    """Each protected asset's energy value against the share of the shift it is covered."""
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    if coverage:
        ids = sorted(k for k in value if k in coverage)
        xs = np.array([value[k] for k in ids])
        ys = np.array([100.0 * coverage[k] for k in ids])
        ax.scatter(xs, ys, color="#08519c", zorder=3)
        for k, x, y in zip(ids, xs, ys, strict=True):
            ax.annotate(k, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("symlog", linthresh=0.1)
    else:
        ax.text(0.5, 0.5, "no patrol plan given", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("energy value (a·bcm/yr + b·kb/d)")
    ax.set_ylabel("coverage (% of shift with a boat within 5 nm)")
    ax.set_title("Patrol coverage against energy value")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
