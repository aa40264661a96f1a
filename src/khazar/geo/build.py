"""``khazar theatre build``: a theatre folder for any sea (docs/theatres.md).

Water from GSHHG (through ``gmt``, :mod:`khazar.geo.gshhg`) or a polygon the user passes;
coast by state from the user's states file or GMT's DCW (``--states DK,SE``); ports and
assets from GeoJSON; zones at UNCLOS breadths unless told otherwise. The folder is then
loaded as any theatre is, so a bad input fails here, not at the first command that uses it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from khazar.errors import InputError
from khazar.geo._proj import LocalProjection
from khazar.geo.gshhg import dcw_states, gshhg_water
from khazar.geo.theatre import MANIFEST, Bounds, check_bounds

__all__ = ["BuildRequest", "BuildResult", "build_theatre", "parse_bbox"]

#: a theatre larger than this (degrees², ~ 600 km square at mid latitudes) makes a routing
#: graph too big for one machine's memory: cut the sea into several theatres
MAX_AREA_DEG2 = 60.0
_SLIVER_KM2 = 0.05


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What ``khazar theatre build`` was asked for."""

    name: str
    bbox: Bounds
    out: Path
    water: Path | None = None
    states_file: Path | None = None
    states: tuple[str, ...] = ()
    ports: Path | None = None
    assets: Path | None = None
    territorial_nm: float = 12.0
    contiguous_nm: float = 24.0
    resolution: str = "h"
    inset_m: float = 400.0
    simplify_m: float = 200.0
    title: str | None = None
    home_state: str | None = None
    force: bool = False


@dataclass(frozen=True, slots=True)
class BuildResult:
    """The folder written and what is in it."""

    root: Path
    water_km2: float
    pieces_dropped: int
    islands: int
    states: tuple[str, ...]
    assets: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "water_km2": round(self.water_km2, 1),
                "pieces_dropped": self.pieces_dropped, "islands": self.islands,
                "states": list(self.states), "assets": self.assets, "source": self.source}


def parse_bbox(text: str) -> Bounds:
    """``W,S,E,N`` in decimal degrees → a checked box."""
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise InputError(f"--bbox {text!r}: expected W,S,E,N in decimal degrees, e.g. "
                         "9.5,54.5,13.5,57.8")
    w, s, e, n = check_bounds((values[0], values[1], values[2], values[3]), "--bbox")
    area = (e - w) * (n - s)
    if area > MAX_AREA_DEG2:
        raise InputError(f"--bbox {text!r} covers {area:.0f} degrees²: at most "
                         f"{MAX_AREA_DEG2:g} (the routing graph must fit in memory); "
                         "build several smaller theatres")
    return (w, s, e, n)


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what} {path}: expected a GeoJSON object")
    return data


def _features(data: Mapping[str, Any], what: str, path: Path) -> list[dict[str, Any]]:
    kind = data.get("type")
    if kind == "FeatureCollection" and isinstance(data.get("features"), list):
        return list(data["features"])
    if kind == "Feature":
        return [dict(data)]
    raise InputError(f"{what} {path}: expected a GeoJSON FeatureCollection")


def _user_water(path: Path, frame: Polygon) -> BaseGeometry:
    polys: list[BaseGeometry] = []
    data = _read(path, "--water")
    feats = (_features(data, "--water", path) if data.get("type") in ("Feature",
             "FeatureCollection") else [{"geometry": data}])
    for i, f in enumerate(feats):
        try:
            g = shape(f["geometry"])
        except Exception as exc:  # malformed GeoJSON: several shapely/KeyError types
            raise InputError(f"--water {path}: feature {i}: invalid geometry ({exc})") from None
        if isinstance(g, Polygon | MultiPolygon):
            polys.append(shapely.make_valid(g))
    if not polys:
        raise InputError(f"--water {path}: no Polygon or MultiPolygon of water (lon/lat)")
    return shapely.intersection(shapely.union_all(polys), frame)


def _states_file(path: Path, frame: Polygon) -> dict[str, BaseGeometry]:
    data = _read(path, "--borders")
    out: dict[str, list[BaseGeometry]] = {}
    clip = frame.buffer(1.0)
    for i, f in enumerate(_features(data, "--borders", path)):
        props = f.get("properties") or {}
        code = (props.get("iso_a3") or props.get("iso_a2") or props.get("code")
                or props.get("ADM0_A3") or props.get("ISO_A3"))
        if not isinstance(code, str) or not code or code == "-99":
            raise InputError(f"--borders {path}: feature {i} has no iso_a3, iso_a2 or code "
                             "property naming its state")
        try:
            g = shapely.make_valid(shape(f["geometry"]))
        except Exception as exc:  # malformed GeoJSON: several shapely/KeyError types
            raise InputError(f"--borders {path}: feature {i} ({code}): invalid geometry "
                             f"({exc})") from None
        if not isinstance(g, Polygon | MultiPolygon) and g.geom_type != "GeometryCollection":
            raise InputError(f"--borders {path}: feature {i} ({code}) is a {g.geom_type}; "
                             "give each state's land as a Polygon or MultiPolygon")
        g = shapely.intersection(g, clip)
        if not g.is_empty:
            out.setdefault(code, []).append(g)
    if not out:
        raise InputError(f"--borders {path}: no state's land comes near the box")
    return {k: shapely.union_all(v) for k, v in out.items()}


def _assets(req: BuildRequest) -> list[dict[str, Any]]:
    feats: list[dict[str, Any]] = []
    if req.assets is not None:
        feats += _features(_read(req.assets, "--assets"), "--assets", req.assets)
    if req.ports is not None:
        for i, f in enumerate(_features(_read(req.ports, "--ports"), "--ports", req.ports)):
            props = dict(f.get("properties") or {})
            name = props.get("name")
            if not isinstance(name, str) or not name:
                raise InputError(f"--ports {req.ports}: feature {i} has no name property")
            props.setdefault("id", "port-" + "-".join(name.lower().split()))
            props["kind"] = "port"
            feats.append({"type": "Feature", "geometry": f.get("geometry"),
                          "properties": props})
    return feats


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _manifest(req: BuildRequest, files: Mapping[str, str], source: str) -> str:
    w, s, e, n = req.bbox
    lines = [
        f"# Built by `khazar theatre build` ({source}); format: docs/theatres.md",
        f"name = {_toml_str(req.name)}",
        f"title = {_toml_str(req.title or req.name)}",
        "enclosed = false",
    ]
    if req.home_state:
        lines.append(f"home_state = {_toml_str(req.home_state)}")
    lines.append(f"source = {_toml_str(source)}")
    lines += ["", "[files]"] + [f"{k} = {_toml_str(v)}" for k, v in files.items()]
    lines += ["", "[projection]", f"lat0 = {(s + n) / 2:.4f}", f"lon0 = {(w + e) / 2:.4f}",
              "", "[map]", f"extent = [{w}, {s}, {e}, {n}]", f"view = [{w}, {s}, {e}, {n}]",
              "", "[zones]", f"territorial_nm = {req.territorial_nm:g}",
              f"outer_nm = {req.contiguous_nm:g}", 'outer_kind = "contiguous_zone"',
              'outer_name = "contiguous zone"',
              "", "[routing]", f"inset_m = {req.inset_m:g}", f"simplify_m = {req.simplify_m:g}",
              ""]
    return "\n".join(lines)


def build_theatre(req: BuildRequest) -> BuildResult:
    """Write the theatre folder ``req.out``; raise :class:`InputError` on a bad request."""
    if not req.name or "/" in req.name or req.name.startswith("."):
        raise InputError(f"theatre name {req.name!r}: give a plain name, e.g. danish-straits")
    if req.contiguous_nm <= req.territorial_nm:
        raise InputError(f"--contiguous-nm {req.contiguous_nm:g} must exceed "
                         f"--territorial-nm {req.territorial_nm:g}")
    if req.simplify_m >= req.inset_m:
        raise InputError(f"--simplify-m {req.simplify_m:g} must be below --inset-m "
                         f"{req.inset_m:g} (else routes would cut over land)")
    if req.states and req.states_file is not None:
        raise InputError("give either --states (GMT's DCW) or --borders FILE, not both")
    out = req.out
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not req.force)):
        raise InputError(f"--out {out}: exists and is not an empty folder (--force replaces "
                         "its theatre files)")
    frame = box(*req.bbox)
    if req.water is not None:
        raw = _user_water(req.water, frame)
        source = f"water from {req.water.name}"
    else:
        raw = gshhg_water(req.bbox, req.resolution)
        source = f"GSHHG resolution {req.resolution} via gmt"
    pieces = [g for g in getattr(raw, "geoms", [raw]) if isinstance(g, Polygon) and g.area > 0]
    if not pieces:
        raise InputError(f"--bbox {list(req.bbox)}: no sea inside the box ({source}); is it "
                         "W,S,E,N with longitudes first?")
    proj = LocalProjection((req.bbox[1] + req.bbox[3]) / 2, (req.bbox[0] + req.bbox[2]) / 2)
    pieces.sort(key=lambda p: p.area, reverse=True)
    water = pieces[0]
    dropped = sum(1 for p in pieces[1:] if proj.geom_to_xy(p).area / 1e6 > _SLIVER_KM2)
    states: dict[str, BaseGeometry] = {}
    if req.states_file is not None:
        states = _states_file(req.states_file, frame)
    elif req.states:
        states = dcw_states(req.states, req.bbox)
    assets = _assets(req)
    out.mkdir(parents=True, exist_ok=True)
    files = {"water": "water.geojson"}
    _write(out / "water.geojson", [({"name": req.title or req.name, "source": source}, water)])
    if states:
        files["states"] = "states.geojson"
        _write(out / "states.geojson", [({"code": c}, g) for c, g in sorted(states.items())])
    if assets:
        files["assets"] = "assets.geojson"
        (out / "assets.geojson").write_text(json.dumps(
            {"type": "FeatureCollection", "features": assets}, ensure_ascii=False, indent=1)
            + "\n", encoding="utf-8")
    else:
        (out / "assets.geojson").unlink(missing_ok=True)
    if not states:
        (out / "states.geojson").unlink(missing_ok=True)
    (out / MANIFEST).write_text(_manifest(req, files, source), encoding="utf-8")
    return BuildResult(out.resolve(), proj.geom_to_xy(water).area / 1e6, dropped,
                       len(water.interiors), tuple(sorted(states)), len(assets), source)


def _write(path: Path, items: Sequence[tuple[Mapping[str, Any], BaseGeometry]]) -> None:
    feats = [{"type": "Feature", "properties": dict(props),
              "geometry": mapping(shapely.set_precision(g, 1e-7))} for props, g in items]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}) + "\n",
                    encoding="utf-8")

