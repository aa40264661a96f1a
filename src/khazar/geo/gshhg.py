"""GSHHG coastlines and DCW country polygons through Debian's ``gmt`` (an adapter).

``gmt coast -M -W`` dumps the shoreline of a region as pieces cut at the edges of GSHHG's
1° bins; the pieces, the region's frame and the bin edges are noded and polygonised into
faces, and ``gmt select -N`` (GSHHG's own point-in-ocean test) says which faces are sea.
Their union is the theatre's water: exactly GSHHG's ocean inside the box. Lakes are not
sea. Installed by ``scripts/setup.sh`` (``gmt``, ``gmt-gshhg-high``; GMT brings DCW).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize

from khazar.errors import InputError, Unavailable

__all__ = ["RESOLUTIONS", "dcw_states", "gmt_path", "gshhg_water", "ocean_mask"]

#: GSHHG resolutions GMT knows: full, high, intermediate, low, crude
RESOLUTIONS = ("f", "h", "i", "l", "c")
_TIMEOUT_S = 300.0


def gmt_path() -> str:
    """The ``gmt`` executable, or :class:`Unavailable` saying how to install it."""
    exe = shutil.which("gmt")
    if exe is None:
        raise Unavailable("gmt is not installed: `apt-get install gmt gmt-gshhg-high` (or run "
                          "scripts/setup.sh), or pass the sea as a polygon with --water FILE")
    return exe


def _run(args: Sequence[str], stdin: str | None = None) -> str:
    try:
        # in a folder of its own: `gmt coast` leaves a gmt.history wherever it runs
        with tempfile.TemporaryDirectory(prefix="khazar-gmt-") as work:
            done = subprocess.run([gmt_path(), *args], input=stdin, capture_output=True,
                                  text=True, timeout=_TIMEOUT_S, check=False, cwd=work)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"gmt {args[0]} took more than {_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        hint = ""
        if any("resolution" in line.lower() or "not found" in line.lower() for line in detail):
            hint = " (is the GSHHG data of this resolution installed? gmt-gshhg-high gives h)"
        raise Unavailable(f"gmt {args[0]} failed: {detail[-1] if detail else done.returncode}"
                          f"{hint}")
    return done.stdout


def _segments(text: str) -> list[list[tuple[float, float]]]:
    """Multisegment ASCII (``>`` headers) → lists of (lon, lat)."""
    out: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith(">"):
            if cur:
                out.append(cur)
            cur = []
        elif line.strip() and not line.startswith("#"):
            x, y = line.split()[:2]
            cur.append((float(x), float(y)))
    if cur:
        out.append(cur)
    return out


def ocean_mask(lons: Sequence[float], lats: Sequence[float], resolution: str = "h"
               ) -> npt.NDArray[np.bool_]:
    """Whether each point is in GSHHG's ocean (``gmt select -N``), a boolean array."""
    if len(lons) == 0:
        return np.zeros(0, bool)
    text = "\n".join(f"{x:.9f}\t{y:.9f}\t{i}" for i, (x, y) in enumerate(zip(lons, lats,
                                                                             strict=True)))
    out = _run(["select", f"-D{resolution}", "-Nk/s/s/s/s", "-fg"], stdin=text)
    mask = np.zeros(len(lons), bool)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith(">"):
            mask[int(float(parts[2]))] = True
    return mask


def gshhg_water(bbox: tuple[float, float, float, float], resolution: str = "h"
                ) -> BaseGeometry:
    """GSHHG's ocean inside ``bbox`` (W, S, E, N) as a (multi)polygon, lon/lat; empty when
    the box holds no sea."""
    if resolution not in RESOLUTIONS:
        raise InputError(f"GSHHG resolution {resolution!r}: expected one of "
                         f"{', '.join(RESOLUTIONS)}")
    w, s, e, n = bbox
    text = _run(["coast", f"-R{w}/{e}/{s}/{n}", f"-D{resolution}", "-W", "-M", "-A0/1/1"])
    lines: list[BaseGeometry] = [LineString(seg) for seg in _segments(text) if len(seg) > 1]
    frame = box(w, s, e, n)
    lines.append(frame.boundary)
    # the shore is cut at GSHHG's bin edges (1° at h and f): close the faces along them
    lines += [LineString([(x, s), (x, n)]) for x in range(math.ceil(w), math.floor(e) + 1)]
    lines += [LineString([(w, y), (e, y)]) for y in range(math.ceil(s), math.floor(n) + 1)]
    noded = shapely.union_all(lines)
    faces = [f for f in polygonize(getattr(noded, "geoms", [noded])) if f.area > 0]
    faces = [shapely.intersection(f, frame) for f in faces]
    faces = [f for f in faces if not f.is_empty and f.area > 0]
    if not faces:
        return Polygon()
    reps = [f.representative_point() for f in faces]
    wet = ocean_mask([p.x for p in reps], [p.y for p in reps], resolution)
    sea = [f for f, is_wet in zip(faces, wet, strict=True) if is_wet]
    if not sea:
        return Polygon()
    water = shapely.make_valid(shapely.union_all(sea))
    polys = [g for g in getattr(water, "geoms", [water]) if isinstance(g, Polygon)]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())


def dcw_states(codes: Sequence[str], bbox: tuple[float, float, float, float],
               margin_deg: float = 1.0) -> dict[str, BaseGeometry]:
    """Land polygons of the states ``codes`` (ISO 3166-1 alpha-2, GMT's DCW) clipped to
    ``bbox`` widened by ``margin_deg``, simplified to ~100 m."""
    w, s, e, n = bbox
    clip = box(w - margin_deg, s - margin_deg, e + margin_deg, n + margin_deg)
    known = {line.split("\t")[0].strip().upper()
             for line in _run(["coast", "-E+l"]).splitlines() if "\t" in line}
    out: dict[str, BaseGeometry] = {}
    for code in codes:
        c = code.strip().upper()
        if c not in known:
            raise InputError(f"--states {code!r}: not a DCW country code (ISO 3166-1 "
                             "alpha-2, e.g. DK, SE, DE; `gmt coast -E+l` lists them)")
        polys = [Polygon(seg) for seg in _segments(_run(["coast", f"-E{c}", "-M"]))
                 if len(seg) >= 4]
        land = shapely.intersection(shapely.make_valid(shapely.union_all(
            [p.buffer(0) for p in polys])), clip)
        if land.is_empty:
            raise InputError(f"--states {c}: its land does not come within {margin_deg:g}° "
                             f"of the box {list(bbox)}")
        out[c] = land.simplify(0.001, preserve_topology=True)
    return out
