"""Theatres: everything regional, as data. A theatre is a folder holding ``theatre.toml``
(the manifest) and GeoJSON files; the Caspian is shipped (``khazar/data/theatres/caspian``)
and is the default, and ``khazar theatre build`` makes one for any sea (docs/theatres.md).

:func:`load_theatre` reads and validates a manifest; every problem is an
:class:`~khazar.errors.InputError` naming the file, the key and what to write instead.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from khazar.errors import InputError

__all__ = [
    "DEFAULT_THEATRE",
    "MANIFEST",
    "Bounds",
    "Theatre",
    "TheatreReceiver",
    "TheatreTrade",
    "load_theatre",
    "resolve_theatre",
    "shipped_theatres",
]

DEFAULT_THEATRE = "caspian"
MANIFEST = "theatre.toml"
Bounds = tuple[float, float, float, float]  # west, south, east, north (degrees)
UNCLOS_CAVEAT = ("provisional: UNCLOS breadths from the theatre's coastline as normal baseline; "
                 "straight baselines and agreed boundaries not applied")
_OUTER_KINDS = ("contiguous_zone", "fishery_zone")
_TOP_KEYS = frozenset({"name", "title", "enclosed", "home_state", "utc_offset_h",
                       "local_time_name", "files", "projection", "map", "zones", "lagoon",
                       "routing", "receivers", "source", "trade"})


@dataclass(frozen=True, slots=True)
class TheatreReceiver:
    """A coastal AIS receiver of the theatre: where silence means something."""

    name: str
    lat: float
    lon: float
    reliable_nm: float = 34.0


@dataclass(frozen=True, slots=True)
class TheatreTrade:
    """``[trade]``: the ports the report's trade indicators count (port ids of the
    geography: ``port-`` plus the port's id). None named: those indicators are not computed."""

    home_ports: tuple[str, ...] = ()
    home_name: str = "home ports"
    partner_ports: tuple[str, ...] = ()
    partner_name: str = "partner ports"
    partner_destinations: tuple[str, ...] = ()  # AIS destinations naming a partner port


@dataclass(frozen=True, slots=True)
class Theatre:
    """A validated theatre manifest; file paths are absolute (``None``: not given)."""

    name: str
    title: str
    root: Path
    water: Path
    extent: Bounds
    view: Bounds
    overview: Bounds
    detail: Bounds
    detail_title: str
    projection: tuple[float, float]  # (lat0, lon0) of the local AEQD plane
    enclosed: bool = False
    home_state: str | None = None
    land_borders: Path | None = None
    states: Path | None = None
    lines: Path | None = None
    assets: Path | None = None
    #: water the coastline lacks, unioned into ``water`` (``khazar theatre learn-water``
    #: writes ``sailed_water.geojson``; ``theatre build --add-water`` copies the user's)
    added_water: tuple[Path, ...] = ()
    zone_states: tuple[str, ...] | None = None  # None: every coastal state
    territorial_nm: float = 12.0
    outer_nm: float = 24.0
    outer_kind: str = "contiguous_zone"
    outer_name: str = "contiguous zone"
    caveat: str = UNCLOS_CAVEAT
    lagoon_box: Bounds | None = None
    inset_m: float = 400.0
    simplify_m: float = 200.0
    receivers: tuple[TheatreReceiver, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    utc_offset_h: float = 0.0
    local_time_name: str = "UTC"
    source: str = ""
    trade: TheatreTrade = field(default_factory=TheatreTrade)

    def in_extent(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) lies inside the theatre's extent."""
        w, s, e, n = self.extent
        return s <= lat <= n and w <= lon <= e

    def to_dict(self) -> dict[str, Any]:
        """What the API and ``khazar theatre show`` tell about the theatre."""
        return {
            "name": self.name, "title": self.title, "root": str(self.root),
            "extent": list(self.extent), "view": list(self.view),
            "overview": list(self.overview), "detail": list(self.detail),
            "enclosed": self.enclosed, "home_state": self.home_state,
            "territorial_nm": self.territorial_nm, "outer_nm": self.outer_nm,
            "outer_kind": self.outer_kind,
            "receivers": [{"name": r.name, "lat": r.lat, "lon": r.lon,
                           "reliable_nm": r.reliable_nm} for r in self.receivers],
            "utc_offset_h": self.utc_offset_h, "local_time_name": self.local_time_name,
            "added_water": [p.name for p in self.added_water],
            "trade": {"home_ports": list(self.trade.home_ports),
                      "home_name": self.trade.home_name,
                      "partner_ports": list(self.trade.partner_ports),
                      "partner_name": self.trade.partner_name,
                      "partner_destinations": list(self.trade.partner_destinations)},
        }


def shipped_root() -> Path:
    """The folder of the shipped theatres."""
    return Path(str(files("khazar") / "data" / "theatres"))


def shipped_theatres() -> list[str]:
    """Names of the theatres shipped with Khazar."""
    root = shipped_root()
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def resolve_theatre(spec: str | Path | None) -> Path:
    """The folder of a theatre given by name (a shipped one) or by directory."""
    text = str(spec) if spec is not None and str(spec) else DEFAULT_THEATRE
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / MANIFEST).is_file():
            raise InputError(f"theatre {text}: the folder has no {MANIFEST}; build one with "
                             "`khazar theatre build` or see docs/theatres.md")
        return path.resolve()
    if "/" not in text and (shipped_root() / text / MANIFEST).is_file():
        return shipped_root() / text
    raise InputError(f"theatre {text!r}: neither a shipped theatre "
                     f"({', '.join(shipped_theatres())}) nor a folder holding {MANIFEST}")


def load_theatre(spec: str | Path | None = None) -> Theatre:
    """Read and validate the theatre named or located by ``spec`` (default: the Caspian)."""
    root = resolve_theatre(spec)
    manifest = root / MANIFEST
    try:
        raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{manifest}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{manifest}: not TOML ({exc})") from None
    return _parse(raw, root, manifest)


class _Reader:
    """Typed access to one table of the manifest; errors name the file and the key."""

    def __init__(self, table: Mapping[str, Any], where: str, manifest: Path) -> None:
        self.table = table
        self.where = where
        self.manifest = manifest

    def fail(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.manifest}: {self.where}{key}: {problem}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.table.get(key) is None else self.text(key)

    def number(self, key: str, default: float, lo: float, hi: float) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and lo <= value <= hi):
            raise self.fail(key, f"expected a number within {lo:g}..{hi:g}, got {value!r}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def bounds(self, key: str, default: Bounds | None = None) -> Bounds:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "missing: give [west, south, east, north] in degrees")
        if (not isinstance(value, list | tuple) or len(value) != 4
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in value)):
            raise self.fail(key, f"expected [west, south, east, north] in degrees, got {value!r}")
        w, s, e, n = (float(v) for v in value)
        return check_bounds((w, s, e, n), f"{self.manifest}: {self.where}{key}")

    def sub(self, key: str) -> _Reader:
        value = self.table.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "expected a table")
        return _Reader(value, f"{self.where}{key}.", self.manifest)


def check_bounds(box: Bounds, what: str) -> Bounds:
    """``box`` (W, S, E, N) if it is a valid box of degrees, else an :class:`InputError`."""
    w, s, e, n = box
    if not all(math.isfinite(v) for v in box):
        raise InputError(f"{what} {list(box)}: not finite numbers")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise InputError(f"{what} {list(box)}: expected west < east within -180..180 and "
                         "south < north within -90..90 (W,S,E,N order, degrees)")
    return box


def _file(reader: _Reader, root: Path, key: str, required: bool = False) -> Path | None:
    name = reader.table.get(key)
    if name is None:
        if required:
            raise reader.fail(key, "missing: name the GeoJSON file, relative to the folder")
        return None
    if not isinstance(name, str) or not name:
        raise reader.fail(key, f"expected a file name, got {name!r}")
    path = root / name
    if not path.is_file():
        raise reader.fail(key, f"{path} does not exist")
    return path


def _files(reader: _Reader, root: Path, key: str) -> tuple[Path, ...]:
    names = reader.table.get(key, [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise reader.fail(key, f"expected a list of file names, got {names!r}")
    out = []
    for name in names:
        path = root / name
        if not path.is_file():
            raise reader.fail(key, f"{path} does not exist")
        out.append(path)
    return tuple(out)


def _parse(raw: Mapping[str, Any], root: Path, manifest: Path) -> Theatre:
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise InputError(f"{manifest}: unknown key(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(_TOP_KEYS))}")
    top = _Reader(raw, "", manifest)
    name = top.text("name")
    fs = top.sub("files")
    mp = top.sub("map")
    extent = mp.bounds("extent")
    view = mp.bounds("view", extent)
    proj = top.sub("projection")
    w, s, e, n = extent
    lat0 = proj.number("lat0", (s + n) / 2, -89.0, 89.0)
    lon0 = proj.number("lon0", (w + e) / 2, -180.0, 180.0)
    zn = top.sub("zones")
    states = zn.table.get("states")
    if states is not None and (not isinstance(states, list)
                               or not all(isinstance(x, str) and x for x in states)):
        raise zn.fail("states", f"expected a list of state codes, got {states!r}")
    territorial = zn.number("territorial_nm", 12.0, 0.1, 200.0)
    outer = zn.number("outer_nm", 24.0, 0.1, 400.0)
    if outer <= territorial:
        raise zn.fail("outer_nm", f"{outer:g} must exceed territorial_nm {territorial:g}")
    outer_kind = zn.text("outer_kind", "contiguous_zone")
    if outer_kind not in _OUTER_KINDS:
        raise zn.fail("outer_kind", f"{outer_kind!r}: expected one of {', '.join(_OUTER_KINDS)}")
    lagoon = top.sub("lagoon")
    routing = top.sub("routing")
    inset = routing.number("inset_m", 400.0, 10.0, 5000.0)
    simplify = routing.number("simplify_m", inset / 2, 1.0, 5000.0)
    if simplify >= inset:
        raise routing.fail("simplify_m", f"{simplify:g} must be below inset_m {inset:g} "
                           "(else routes would cut over land)")
    labels = mp.table.get("labels", {})
    if not isinstance(labels, Mapping) or not all(isinstance(v, str) for v in labels.values()):
        raise mp.fail("labels", "expected a table of asset id = label")
    return Theatre(
        name=name,
        title=top.text("title", name),
        root=root,
        water=_file(fs, root, "water", required=True) or root,
        extent=extent,
        view=view,
        overview=mp.bounds("overview", extent),
        detail=mp.bounds("detail", view),
        detail_title=mp.text("detail_title", "detail"),
        projection=(lat0, lon0),
        enclosed=top.flag("enclosed", False),
        home_state=top.opt_text("home_state"),
        land_borders=_file(fs, root, "land_borders"),
        states=_file(fs, root, "states"),
        lines=_file(fs, root, "lines"),
        assets=_file(fs, root, "assets"),
        added_water=_files(fs, root, "added_water"),
        zone_states=tuple(states) if states is not None else None,
        territorial_nm=territorial,
        outer_nm=outer,
        outer_kind=outer_kind,
        outer_name=zn.text("outer_name", outer_kind.replace("_", " ")),
        caveat=zn.text("caveat", UNCLOS_CAVEAT),
        lagoon_box=lagoon.bounds("box") if "box" in lagoon.table else None,
        inset_m=inset,
        simplify_m=simplify,
        receivers=_receivers(raw.get("receivers", []), manifest),
        labels=dict(labels),
        utc_offset_h=top.number("utc_offset_h", 0.0, -14.0, 14.0),
        local_time_name=top.text("local_time_name", "UTC"),
        source=str(raw.get("source", "")),
        trade=_trade(top.sub("trade")),
    )


def _texts(reader: _Reader, key: str) -> tuple[str, ...]:
    value = reader.table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise reader.fail(key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def _trade(tr: _Reader) -> TheatreTrade:
    return TheatreTrade(
        home_ports=_texts(tr, "home_ports"),
        home_name=tr.text("home_name", "home ports"),
        partner_ports=_texts(tr, "partner_ports"),
        partner_name=tr.text("partner_name", "partner ports"),
        partner_destinations=tuple(d.upper() for d in _texts(tr, "partner_destinations")),
    )


def _receivers(raw: Any, manifest: Path) -> tuple[TheatreReceiver, ...]:
    if not isinstance(raw, list):
        raise InputError(f"{manifest}: receivers: expected [[receivers]] tables")
    out: list[TheatreReceiver] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InputError(f"{manifest}: receivers[{i}]: expected a table")
        r = _Reader(item, f"receivers[{i}].", manifest)
        out.append(TheatreReceiver(r.text("name"), r.number("lat", math.nan, -90, 90),
                                   r.number("lon", math.nan, -180, 180),
                                   r.number("reliable_nm", 34.0, 0.1, 500.0)))
    return tuple(out)
