"""A static map of the geography (matplotlib; no basemap, nothing downloaded).

Two panels: the whole theatre (coast by state, the zones, sector lines, ports) and its
detail frame (``map.detail``: platforms, safety zones, pipeline corridors), with the
manifest's short asset labels (``[map.labels]``).
Longitudes are scaled by cos(latitude) so that shapes are not stretched.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry.base import BaseGeometry

from khazar.geo.geography import Geography

__all__ = ["STATE_COLOURS", "draw_map"]

#: coast colours, given to the theatre's coastal states in alphabetical order
STATE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442",
                 "#999999")
_WATER = "#dceefb"
_LAND = "#f2efe6"


def _polys(ax: Axes, geom: BaseGeometry, **kw: Any) -> None:
    for g in getattr(geom, "geoms", [geom]):
        if g.geom_type == "Polygon":
            xs, ys = g.exterior.xy
            ax.fill(xs, ys, **kw)
            for hole in g.interiors:
                hx, hy = hole.xy
                ax.fill(hx, hy, color=_LAND, lw=0, zorder=kw.get("zorder", 1) + 0.01)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            _polys(ax, g, **kw)


def _lines(ax: Axes, geom: BaseGeometry, **kw: Any) -> None:
    for g in getattr(geom, "geoms", [geom]):
        if g.geom_type in ("LineString", "LinearRing"):
            xs, ys = g.xy
            ax.plot(xs, ys, **kw)
        elif g.geom_type == "Polygon":
            xs, ys = g.exterior.xy
            ax.plot(xs, ys, **kw)
        elif hasattr(g, "geoms"):
            _lines(ax, g, **kw)


def state_colours(geo: Geography) -> dict[str, str]:
    """A colour per coastal state of the theatre (alphabetical order, cycling)."""
    states = sorted({seg.state for seg in geo.coast})
    return {st: STATE_COLOURS[i % len(STATE_COLOURS)] for i, st in enumerate(states)}


def _base(ax: Axes, geo: Geography, bounds: tuple[float, float, float, float]) -> None:
    lon0, lat0, lon1, lat1 = bounds
    ax.set_facecolor(_LAND)
    _polys(ax, geo.water, color=_WATER, lw=0, zorder=1)
    if geo.lagoon is not None:
        _polys(ax, geo.lagoon, color="#eef3f6", lw=0, zorder=1)
        _lines(ax, geo.lagoon, color="#9ab", lw=0.5, zorder=2)
    for z in geo.zones:
        if z.kind in ("fishery_zone", "contiguous_zone"):
            _polys(ax, z.geometry, color="#8fd3a8", alpha=0.45, lw=0, zorder=2)
        elif z.kind == "territorial_sea":
            _polys(ax, z.geometry, color="#5ab4e5", alpha=0.45, lw=0, zorder=2)
        elif z.kind == "border_sector":
            _polys(
                ax,
                z.geometry,
                facecolor="none",
                hatch="////",
                edgecolor="#b03030",
                lw=0.6,
                zorder=3,
            )
    colours = state_colours(geo)
    for seg in geo.coast:
        _lines(ax, seg.geometry, color=colours.get(seg.state, "k"), lw=1.4, zorder=4)
    for line in geo.sector_lines:
        treaty = "treaty" in line.id
        _lines(
            ax,
            line.geometry,
            color="#444" if not treaty else "#b03030",
            ls="--" if not treaty else "-",
            lw=0.9 if not treaty else 1.6,
            zorder=5,
        )
    for j in geo.junctions:
        ax.plot(j.lon, j.lat, marker="o", ms=4, mfc="white", mec="k", mew=0.8, zorder=6)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1.0 / math.cos(math.radians((lat0 + lat1) / 2)))
    ax.tick_params(labelsize=7)
    ax.grid(color="#fff", lw=0.4, zorder=0.5)


def _assets(ax: Axes, geo: Geography, labels: bool) -> None:
    short = geo.theatre.labels  # [map.labels] of the manifest
    for p in geo.ports:
        if p.approach is not None:
            _polys(ax, p.approach, color="#f0c36d", alpha=0.35, lw=0, zorder=3)
    for a in geo.assets:
        if a.kind in ("pipeline", "cable"):
            _polys(ax, a.protected_area, color="#d62728", alpha=0.18, lw=0, zorder=6)
            _lines(ax, a.geometry, color="#d62728", lw=1.0, zorder=7)
    for a in geo.assets:
        if a.kind == "platform":
            _polys(ax, a.protected_area, color="#222", alpha=0.25, lw=0, zorder=7)
            ax.plot(a.lon, a.lat, marker="^", ms=5, color="#222", zorder=8)
        elif a.kind == "terminal":
            ax.plot(a.lon, a.lat, marker="s", ms=6, color="#7b2d8b", zorder=8)
        elif a.kind == "port":
            ax.plot(a.lon, a.lat, marker="o", ms=4, color="#8c5a00", zorder=8)
        if labels and a.id in short:
            ax.annotate(
                short[a.id],
                (a.lon, a.lat),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=6.5,
                zorder=9,
            )
        elif not labels and a.kind == "port":
            ax.annotate(
                a.name.replace(" port", "").replace("Port of ", ""),
                (a.lon, a.lat),
                xytext=(4, -8),
                textcoords="offset points",
                fontsize=6,
                zorder=9,
            )


def draw_map(geo: Geography) -> Figure:
    """The map figure; the caller saves it (``fig.savefig(path, dpi=150)``)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 8.2), gridspec_kw={"width_ratios": [1, 1.25]})
    minx, miny, maxx, maxy = geo.water.bounds
    _base(ax1, geo, (minx - 0.4, miny - 0.3, maxx + 0.4, maxy + 0.3))
    _assets(ax1, geo, labels=False)
    t = geo.theatre
    drawn = sorted({z.state for z in geo.zones
                    if z.kind in ("territorial_sea", "fishery_zone", "contiguous_zone")
                    and z.state})
    ax1.set_title(f"{t.title}: coast by state, zones of {', '.join(drawn) or 'no state'} "
                  "(provisional)", fontsize=9)
    _base(ax2, geo, t.detail)
    _assets(ax2, geo, labels=True)
    ax2.set_title(t.detail_title, fontsize=9)
    handles: list[Artist] = [
        Line2D([], [], color=c, lw=2, label=s) for s, c in state_colours(geo).items()
    ]
    handles += [
        Patch(color="#5ab4e5", alpha=0.45, label=f"territorial sea {t.territorial_nm:g} nm"),
        Patch(color="#8fd3a8", alpha=0.45, label=f"{t.outer_name} to {t.outer_nm:g} nm"),
        Patch(facecolor="none", hatch="////", edgecolor="#b03030", label="border sectors"),
        Line2D([], [], color="#444", ls="--", label="equidistance lines (provisional)"),
    ]
    if any("treaty" in line.id for line in geo.sector_lines):
        handles.append(Line2D([], [], color="#b03030", lw=1.6, label="treaty line"))
    handles += [
        Line2D([], [], marker="o", ls="", mfc="white", mec="k", label="land border meets coast"),
        Line2D([], [], marker="^", ls="", color="#222", label="platform"),
        Line2D([], [], marker="s", ls="", color="#7b2d8b", label="terminal"),
        Line2D([], [], color="#d62728", label="subsea pipeline (drawn)"),
        Line2D([], [], marker="o", ls="", color="#8c5a00", label="port"),
        Patch(color="#f0c36d", alpha=0.5, label="port approach area"),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=6,
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, 0.02),
    )
    fig.text(
        0.5,
        0.004,
        f"Coast: {geo.coastline_source}; zones computed in a local AEQD projection; "
        f"assets: {geo.assets_source}.",
        fontsize=6,
        ha="center",
    )
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
