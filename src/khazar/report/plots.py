"""The report's figures (matplotlib, Agg backend, no basemap download: our own coastline).

Each function draws one figure and writes a PNG; they take plain values, not the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import LogNorm
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from khazar.domain.reporting import AlertRow, EventRow
from khazar.units import from_epoch_s

__all__ = [
    "CROSSINGS",
    "alert_timeline",
    "coverage_vs_value",
    "draw_events",
    "events_map",
    "place_labels",
    "traffic_density",
]

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
        top = float(h.max())  # 0: no position inside the frame (another theatre's traffic)
        h = np.ma.masked_equal(h, 0)
        mesh = ax.pcolormesh(xe, ye, h.T, norm=LogNorm(vmin=1, vmax=max(2.0, top)),
                             cmap="inferno_r", zorder=2)
        fig.colorbar(mesh, ax=ax, shrink=0.6, label="position reports per cell")
    ax.set_title(f"Traffic density ({lats.size:,} position reports)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


#: routine events — zone entries and exits (crossings of lines on the map) and port visits —
#: are thousands a day: drawn as a density layer under the security events, never over them
CROSSINGS = frozenset({"zone_entry", "zone_exit", "port_visit"})


def draw_events(ax: Axes, events: Sequence[EventRow],
                bounds: tuple[float, float, float, float]) -> list[Artist]:
    """Zone crossings as a grey density layer, then every other (security) event on top,
    one colour per type, largest counts first so that rare types are drawn last. Returns
    the artists in drawing order (the crossing layer first, when there are crossings)."""
    artists: list[Artist] = []
    crossings = [e for e in events if e.type in CROSSINGS]
    if crossings:
        lon0, lat0, lon1, lat1 = bounds
        h, xe, ye = np.histogram2d([e.lon for e in crossings], [e.lat for e in crossings],
                                   bins=(int((lon1 - lon0) / 0.05), int((lat1 - lat0) / 0.04)),
                                   range=[[lon0, lon1], [lat0, lat1]])
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_equal(h, 0).T, cmap="Greys", alpha=0.55,
                             norm=LogNorm(vmin=1, vmax=max(2.0, float(h.max()))), zorder=2,
                             label=f"zone entries/exits, port visits ({len(crossings):,}, density)")
        artists.append(mesh)
    by_type: dict[str, list[EventRow]] = {}
    for e in events:
        if e.type not in CROSSINGS:
            by_type.setdefault(e.type, []).append(e)
    for z, (typ, rows) in enumerate(sorted(by_type.items(), key=lambda kv: (-len(kv[1]), kv[0]))):
        artists.append(ax.scatter(
            [r.lon for r in rows], [r.lat for r in rows], s=30, zorder=5 + z,
            color=_EVENT_COLOURS.get(typ, "#000000"), label=f"{typ} ({len(rows)})",
            edgecolors="black", linewidths=0.5))
    return artists


def events_map(
    events: Sequence[EventRow], water: BaseGeometry, assets: Mapping[str, BaseGeometry],
    bounds: tuple[float, float, float, float], out: Path,
) -> Path:
    """Security events by type over the coast and the protected assets; zone entries and
    exits underneath as a density layer."""
    fig, ax = plt.subplots(figsize=(7.5, 8), dpi=110)
    _base(ax, water, bounds)
    _assets(ax, assets)
    artists = draw_events(ax, events, bounds)
    if artists:
        handles = [Patch(color="#9a9a9a", label=a.get_label()) if isinstance(a, QuadMesh)
                   else a for a in artists]
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    security = sum(1 for e in events if e.type not in CROSSINGS)
    ax.set_title(f"Security events ({security}) over zone crossings and port visits "
                 f"({len(events) - security:,})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def alert_timeline(alerts: Sequence[AlertRow], out: Path,
                   local: tuple[float, str] = (0.0, "UTC")) -> Path:
    """Alerts per hour of the theatre's local time (``local``: hours east of UTC, name),
    stacked by severity."""
    offset_h, local_name = local
    tz = timezone(timedelta(hours=offset_h))
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=110)
    if alerts:
        hours = [from_epoch_s(a.first_s).astimezone(tz).replace(minute=0, second=0,
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
        ax.xaxis_date(tz=tz)
        locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=10)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))  # type: ignore[no-untyped-call]
        ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.25)  # room for the legend
    else:
        ax.text(0.5, 0.5, "no alerts", ha="center", va="center", transform=ax.transAxes)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count: whole alerts
    ax.set_ylabel("alerts per hour")
    ax.set_xlabel("hour (UTC)" if offset_h == 0 else
                  f"hour ({local_name} time, UTC{offset_h:+g})")
    ax.set_title("Alert timeline")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def coverage_vs_value(
    value: Mapping[str, float], coverage: Mapping[str, float] | None, out: Path,
    names: Mapping[str, str] | None = None,
) -> Path:
    """Each protected asset's energy value against the share of the shift it is covered.
    Labels are placed where they overlap no other label (the most valuable first); assets
    left without a label are listed under the chart."""
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    if coverage:
        ids = sorted(k for k in value if k in coverage)
        xs = np.array([value[k] for k in ids])
        ys = np.array([100.0 * coverage[k] for k in ids])
        ax.scatter(xs, ys, color="#08519c", zorder=3)
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set_ylim(-5, 110)
        fig.tight_layout()
        order = sorted(range(len(ids)), key=lambda i: -xs[i])
        labels = [(names or {}).get(ids[i], ids[i]) for i in order]
        unlabelled = place_labels(ax, [(float(xs[i]), float(ys[i])) for i in order], labels)
        if unlabelled:
            fig.text(0.01, 0.01, "not labelled (crowded): " + ", ".join(sorted(unlabelled)),
                     fontsize=6, wrap=True)
    else:
        ax.text(0.5, 0.5, "no patrol plan given", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("energy value, bcm/yr gas-equivalent (a·bcm/yr + b·kb/d, see the text)")
    ax.set_ylabel("coverage (% of shift, boat ≤ 5 nm)")
    ax.set_title("Patrol coverage against energy value")
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(out)
    plt.close(fig)
    return out


#: where a label may sit around its point, in points (right, above, left, below, diagonals)
_OFFSETS = ((4, 3), (4, -9), (-4, 3), (-4, -9), (0, 8), (0, -14), (8, 10), (-8, -16))


def place_labels(ax: Axes, points: Sequence[tuple[float, float]], labels: Sequence[str],
                 fontsize: float = 6.5) -> list[str]:
    """Annotate ``points`` with ``labels`` (in that order of priority) where a label's box
    overlaps no earlier label and stays inside the axes; the labels that found no place
    are removed and returned."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    left_out: list[str] = []
    for (x, y), text in zip(points, labels, strict=True):
        for dx, dy in _OFFSETS:
            ann = ax.annotate(text, (x, y), fontsize=fontsize, xytext=(dx, dy),
                              textcoords="offset points", ha="left" if dx >= 0 else "right")
            box = ann.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in placed):
                placed.append(box)
                break
            ann.remove()
        else:
            left_out.append(text)
    return left_out
