"""Regenerate the Caspian theatre's asset registry ``khazar/data/theatres/caspian/assets.geojson``.

A development tool, not used at run time: ``python tools/build_default_assets.py OUT``.
Positions come from ``shared/data/caspian/caspian_infrastructure.csv`` and the published
facts quoted in ``khazar/data/theatres/caspian/SOURCES.md``; where a position is not public it is
derived from published distances and labelled ``confidence: low`` with ``drawn`` saying how.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import Point

from khazar.errors import GeoError
from khazar.geo._proj import LocalProjection
from khazar.geo.coast import split_off_lagoon
from khazar.geo.drawing import destination, fit_arc_length, fit_route_length, line_length_m
from khazar.geo.geography import water_from_geojson
from khazar.geo.loader import cached_router, read_geojson
from khazar.geo.theatre import load_theatre

LatLon = tuple[float, float]
#: the Caspian theatre's plane (its manifest's projection)
CASPIAN_AEQD = LocalProjection(*load_theatre("caspian").projection)

# -- published or sourced positions (lat, lon) --------------------------------------------
SANGACHAL: LatLon = (40.2014, 49.4814)
NEFT_DASLARI: LatLon = (40.2361, 50.8583)
SHAH_DENIZ_FIELD: LatLon = (39.937, 50.377)
BAKU_CENTRE: LatLon = (40.3972, 49.8603)
ACG_TREND_DEG = 118.0  # NW-SE axis of the ACG anticline (Gunashli NW → Azeri SE)

_LOW = "low"
_INFRA = "shared/data/caspian/caspian_infrastructure.csv"


def _feature(geom: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geom, "properties": props}


def _point(p: LatLon) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(p[1], 5), round(p[0], 5)]}


def _line(coords: list[LatLon]) -> dict[str, Any]:
    return {
        "type": "LineString",
        "coordinates": [[round(lo, 5), round(la, 5)] for la, lo in coords],
    }


def acg_positions() -> dict[str, LatLon]:
    """ACG platforms along the field's NW-SE trend (positions not public; see drawn)."""
    dwg = destination(*NEFT_DASLARI, 135.0, 12_000.0)  # Gunashli lies 12 km SE of Oil Rocks
    west_chirag = destination(*dwg, ACG_TREND_DEG, 7_000.0)
    chirag = destination(*dwg, ACG_TREND_DEG, 13_000.0)
    central_azeri = destination(*chirag, ACG_TREND_DEG, 12_000.0)  # 12 km gas line Chirag→CA
    west_azeri = destination(*destination(*chirag, ACG_TREND_DEG, 6_000.0), 208.0, 2_500.0)
    east_azeri = destination(*central_azeri, ACG_TREND_DEG, 10_000.0)
    ace = destination(*destination(*central_azeri, ACG_TREND_DEG, 5_000.0), 28.0, 2_500.0)
    return {
        "deepwater-gunashli": dwg,
        "west-chirag": west_chirag,
        "chirag-1": chirag,
        "central-azeri": central_azeri,
        "west-azeri": west_azeri,
        "east-azeri": east_azeri,
        "azeri-central-east": ace,
    }


def build() -> dict[str, Any]:
    """The default registry as a GeoJSON FeatureCollection."""
    theatre = load_theatre("caspian")
    assert theatre.lagoon_box is not None
    water, _ = split_off_lagoon(
        water_from_geojson(read_geojson(theatre.water, "water"), "NE"), CASPIAN_AEQD,
        theatre.lagoon_box,
    )
    router = cached_router(water, CASPIAN_AEQD, theatre)
    feats: list[dict[str, Any]] = []
    acg_drawn = (
        "position not public: placed on the ACG NW-SE trend starting 12 km SE of Neft Daslari "
        "(Gunashli), platforms 5-13 km apart, field centre about 105-120 km east of Baku"
    )
    names = {
        "deepwater-gunashli": ("Deepwater Gunashli platform (ACG)", "Deepwater_Gunashli"),
        "west-chirag": ("West Chirag platform (ACG)", "West_Chirag"),
        "chirag-1": ("Chirag-1 platform (ACG)", "Chirag"),
        "central-azeri": ("Central Azeri platform (ACG)", "Central_Azeri"),
        "west-azeri": ("West Azeri platform (ACG)", "West_Azeri"),
        "east-azeri": ("East Azeri platform (ACG)", "East_Azeri"),
        "azeri-central-east": ("Azeri Central East platform (ACG, 2024)", "Azeri_Central_East_ACE"),
    }
    acg = acg_positions()
    for key, pos in acg.items():
        name, node = names[key]
        feats.append(
            _feature(
                _point(pos),
                id=key,
                name=name,
                kind="platform",
                safety_radius_m=500,
                energy_nodes=[node],
                group="acg",
                confidence=_LOW,
                drawn=acg_drawn,
                source="existence: bp ACG pages, energy_nodes.csv; position: derived (see drawn)",
            )
        )
    feats.append(
        _feature(
            _point(NEFT_DASLARI),
            id="neft-daslari",
            name="Neft Daslari (Oil Rocks)",
            kind="platform",
            safety_radius_m=3000,
            energy_nodes=["Neft_Daslari"],
            group="neft-daslari",
            confidence="verified",
            source=f"{_INFRA} (Wikipedia infobox; sygic POI)",
            drawn="3 km safety radius instead of 500 m: the complex spans several km of trestles",
        )
    )
    sdb = destination(*SHAH_DENIZ_FIELD, 135.0, 4_000.0)
    feats.append(
        _feature(
            _point(SHAH_DENIZ_FIELD),
            id="shah-deniz-alpha",
            name="Shah Deniz Alpha platform (SD1)",
            kind="platform",
            safety_radius_m=500,
            energy_nodes=["Shah_Deniz_Alpha_SDA"],
            group="shah-deniz",
            confidence=_LOW,
            source=f"{_INFRA} (field point, marinelink)",
            drawn="platform position not public: field reference point used as proxy",
        )
    )
    feats.append(
        _feature(
            _point(sdb),
            id="shah-deniz-bravo",
            name="Shah Deniz Bravo platform (SD2)",
            kind="platform",
            safety_radius_m=500,
            energy_nodes=["Shah_Deniz_Bravo_SDB"],
            group="shah-deniz",
            confidence=_LOW,
            source="existence: nsenergybusiness; energy_nodes.csv",
            drawn="position not public: 4 km SE of the field point so the two safety zones differ",
        )
    )
    absheron = destination(*BAKU_CENTRE, 135.0, 100_000.0)
    feats.append(
        _feature(
            _point(absheron),
            id="absheron",
            name="Absheron gas-condensate field (phase 1)",
            kind="platform",
            safety_radius_m=500,
            energy_nodes=["Absheron_platform"],
            group="absheron",
            confidence=_LOW,
            source="trend.az 3907999 ('~100 km SE of Baku')",
            drawn="100 km SE (bearing 135°) of Baku centre",
        )
    )
    umid = _umid_position(water)
    feats.append(
        _feature(
            _point(umid),
            id="umid",
            name="Umid-1 platform",
            kind="platform",
            safety_radius_m=500,
            energy_nodes=["Umid_platform"],
            group="umid",
            confidence=_LOW,
            source="trend.az 3598029 ('75 km S of Baku, 40 km offshore')",
            drawn="the point 75 km from Baku centre (bearing 150-210°) closest to 40 km offshore",
        )
    )
    feats.append(
        _feature(
            _point(SANGACHAL),
            id="sangachal",
            name="Sangachal terminal",
            kind="terminal",
            safety_radius_m=5000,
            energy_nodes=["Sangachal_terminal", "Sangachal_terminal/SOCAR"],
            group="sangachal",
            confidence="verified",
            source=f"{_INFRA} (Wikipedia; GEM BTC/SCP route starts)",
            drawn="5 km radius reaches the shore where the subsea lines land "
            "(the Natural Earth coast lies ~3.6 km from the terminal point)",
        )
    )
    feats.extend(_pipelines(router, acg, sdb, absheron))
    feats.extend(_ports())
    return {"type": "FeatureCollection", "features": feats}


def _umid_position(water: Any) -> LatLon:
    from khazar.units import geodesic_distance_m

    coast = water.exterior
    best: tuple[float, LatLon] | None = None
    for bearing in range(150, 211, 2):
        p = destination(*BAKU_CENTRE, float(bearing), 75_000.0)
        if not water.contains(Point(p[1], p[0])):
            continue
        near = coast.interpolate(coast.project(Point(p[1], p[0])))
        off = geodesic_distance_m(p[0], p[1], near.y, near.x)
        if best is None or abs(off - 40_000.0) < best[0]:
            best = (abs(off - 40_000.0), p)
    assert best is not None
    return best[1]


def _pipelines(
    router: Any, acg: dict[str, LatLon], sdb: LatLon, absheron: LatLon
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def fitted(start: LatLon, published_km: float, side: str) -> tuple[list[LatLon], str]:
        landfall = router.route(*start, *SANGACHAL).coords[-1]
        leg = line_length_m([landfall, SANGACHAL])
        try:
            drawn = fit_arc_length(router, start, landfall, published_km * 1000 - leg, side)
            shape_ = (
                f"smooth arc bowed {drawn.offset_m / 1000:.1f} km off the straight line, fitted to"
                if drawn.offset_m > 0
                else "straight line in water, within 3 % of"
            )
        except GeoError:
            drawn = fit_route_length(router, start, landfall, published_km * 1000 - leg, side)
            shape_ = (
                f"shortest water route through a waypoint pushed {drawn.offset_m / 1000:.1f} km "
                "sideways, fitted to"
                if drawn.offset_m > 0
                else "direct shortest water route, within 3 % of"
            )
        coords = [*drawn.coords, SANGACHAL]
        how = (
            f"drawn: {shape_} the published {published_km:g} km "
            f"(drawn {line_length_m(coords) / 1000:.1f} km incl. {leg / 1000:.1f} km landfall); "
            "not the surveyed route"
        )
        return coords, how

    def direct(start: LatLon, end: LatLon) -> tuple[list[LatLon], str]:
        coords = router.route(*start, *end).coords
        coords = [start, *coords[1:-1], end] if len(coords) > 2 else [start, end]
        return coords, (
            "drawn: shortest water route between the ends "
            f"({line_length_m(coords) / 1000:.1f} km); length not published here; "
            "not the surveyed route"
        )

    c24, how24 = fitted(acg["chirag-1"], 176.0, "left")
    out.append(
        _feature(
            _line(c24),
            id="acg-24in-oil",
            name="ACG 24-inch oil export line Chirag-1 → Sangachal",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:ACG_24in_oil"],
            group="acg",
            confidence=_LOW,
            published_length_km=176.0,
            drawn=how24,
            source="Wikipedia 'Chirag oilfield' mirrors (176 km, 24-inch)",
        )
    )
    c30, how30 = direct(acg["central-azeri"], SANGACHAL)
    out.append(
        _feature(
            _line(c30),
            id="acg-30in-oil",
            name="ACG 30-inch oil export line Central Azeri → Sangachal",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:ACG_30in_oil"],
            group="acg",
            confidence=_LOW,
            drawn=how30,
            source="offshoresource.com 2014 (West Chirag ties into the 30-inch line); "
            "energy_nodes.csv (ACE exports via the existing 30-inch line)",
        )
    )
    cgas, howgas = direct(acg["central-azeri"], SANGACHAL)
    out.append(
        _feature(
            _line(_parallel(cgas, 400.0)),
            id="acg-gas-export",
            name="ACG associated-gas export line → Sangachal (SOCAR handover)",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:ACG_gas"],
            group="acg",
            confidence=_LOW,
            drawn=howgas + "; offset 400 m from the 30-inch oil line",
            source="bp ACG page (associated gas delivered to the state at Sangachal)",
        )
    )
    sd1, how1 = fitted(SHAH_DENIZ_FIELD, 90.0, "left")
    out.append(
        _feature(
            _line(sd1),
            id="sd1-gas",
            name="Shah Deniz Stage 1 gas line → Sangachal",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:SD1_gas"],
            group="shah-deniz",
            confidence=_LOW,
            published_length_km=90.0,
            drawn=how1,
            source="ports.marinelink.com (two separate ~90 km Stage 1 lines)",
        )
    )
    out.append(
        _feature(
            _line(_parallel(sd1, 300.0)),
            id="sd1-condensate",
            name="Shah Deniz Stage 1 condensate line → Sangachal",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:SD1_condensate"],
            group="shah-deniz",
            confidence=_LOW,
            published_length_km=90.0,
            drawn=how1 + "; 300 m beside the gas line",
            source="ports.marinelink.com (two separate ~90 km Stage 1 lines)",
        )
    )
    sd2, how2 = fitted(sdb, 85.0, "left")
    out.append(
        _feature(
            _line(sd2),
            id="sd2-export",
            name="Shah Deniz Stage 2 export line → Sangachal",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_nodes=["PL:SD2"],
            group="shah-deniz",
            confidence=_LOW,
            published_length_km=85.0,
            drawn=how2,
            source="ports.marinelink.com (Stage 2 adds an ~85 km pipeline)",
        )
    )
    cab, howab = direct(absheron, NEFT_DASLARI)
    out.append(
        _feature(
            _line(cab),
            id="absheron-oil-rocks",
            name="Absheron → Neft Daslari subsea line",
            kind="pipeline",
            corridor_half_width_m=1000,
            energy_edges=[["Absheron_platform", "Neft_Daslari"]],
            group="absheron",
            confidence=_LOW,
            drawn=howab,
            source="trend.az 3791109 (Absheron tied to Oil Rocks)",
        )
    )
    return out


def _parallel(coords: list[LatLon], offset_m: float) -> list[LatLon]:
    """The polyline shifted ``offset_m`` to its right in the local plane (ends kept)."""
    from shapely.geometry import LineString

    xs, ys = CASPIAN_AEQD.to_xy([c[1] for c in coords], [c[0] for c in coords])
    shifted = LineString(list(zip(xs, ys, strict=True))).offset_curve(-offset_m)
    lon, lat = CASPIAN_AEQD.to_lonlat(*zip(*shifted.coords, strict=True))
    mid = list(zip(lat.tolist(), lon.tolist(), strict=True))
    return [coords[0], *mid[1:-1], coords[-1]]


_PORTS: list[tuple[str, str, LatLon, str, str]] = [
    (
        "port-alat",
        "Port of Baku (Alat)",
        (39.95, 49.41),
        _LOW,
        f"{_INFRA} (ady.az: port in Alat settlement; Alat approx.)",
    ),
    (
        "port-baku-city",
        "Baku city port (Baku bay)",
        (40.366, 49.862),
        _LOW,
        "Baku bay waterfront (approximate, old Baku Sea Trade Port)",
    ),
    ("port-lankaran", "Lankaran port", (38.754, 48.866), _LOW, "Lankaran waterfront (approximate)"),
    (
        "port-aktau",
        "Aktau port",
        (43.6232, 51.2365),
        "medium",
        f"{_INFRA} (Natural Earth city point)",
    ),
    ("port-kuryk", "Kuryk port", (43.18, 51.68), "medium", f"{_INFRA} (GEM pipeline end vertices)"),
    (
        "port-turkmenbashi",
        "Turkmenbashi International Seaport",
        (40.0, 53.033),
        "medium",
        f"{_INFRA} (Wikipedia; GEM P0650)",
    ),
    (
        "port-makhachkala",
        "Makhachkala port",
        (42.98, 47.50),
        "medium",
        f"{_INFRA} (Natural Earth city point)",
    ),
    (
        "port-anzali",
        "Bandar-e Anzali port",
        (37.468, 49.463),
        "verified",
        f"{_INFRA} (globalsecurity.org; Wikipedia)",
    ),
    (
        "port-amirabad",
        "Amirabad port (Behshahr)",
        (36.85, 53.37),
        _LOW,
        f"{_INFRA} (not sourced; general knowledge)",
    ),
]


#: small fishing harbours of the Azerbaijani coast, where fishing boats moor side by side
#: (not in the infrastructure source; positions are the settlements' waterfronts)
_FISHING_HARBOURS: list[tuple[str, str, LatLon]] = [
    ("harbour-neftchala", "Neftchala fishing harbour", (39.370, 49.300)),
    ("harbour-sumqayit", "Sumqayit fishing harbour", (40.570, 49.700)),
    ("harbour-astara", "Astara fishing harbour", (38.440, 48.900)),
    ("harbour-nabran", "Nabran fishing harbour", (41.810, 48.700)),
    ("harbour-siyazan", "Siyazan coast fishing harbour", (41.080, 49.300)),
    ("harbour-hovsan", "Hovsan fishing harbour", (40.350, 50.090)),
]


def _ports() -> list[dict[str, Any]]:
    how = (
        "port point = the source's city, settlement or waterfront position, not a berth; "
        "GFW visit circles of 3 km / 4 km around it"
    )
    harbours = [
        _feature(
            _point(pos),
            id=pid,
            name=name,
            kind="port",
            port_type="fishing",
            entry_radius_m=3000,
            exit_radius_m=4000,
            confidence=_LOW,
            source="settlement waterfront, approximate (general knowledge, not sourced)",
            drawn=how,
        )
        for pid, name, pos in _FISHING_HARBOURS
    ]
    ports = [
        _feature(
            _point(pos),
            id=pid,
            name=name,
            kind="port",
            entry_radius_m=3000,
            exit_radius_m=4000,
            confidence=conf,
            source=src,
            drawn=how,
        )
        for pid, name, pos, conf, src in _PORTS
    ]
    return ports + harbours


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("default_assets.geojson")
    out.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
