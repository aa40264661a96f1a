"""Theatres as data: the shipped Caspian, manifest errors, and `khazar theatre build` for
the Danish straits (the DMA log) and the Gulf of Suez with the canal (the Ever Given
positions), checked against GSHHG itself through `gmt select`."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyais.stream import FileReaderStream
from shapely.geometry import LineString
from typer.testing import CliRunner

from khazar.cli import app
from khazar.config import load_settings
from khazar.errors import InputError
from khazar.geo import load_geography, load_theatre
from khazar.geo.gshhg import ocean_mask

DATA = Path(__file__).resolve().parents[1] / "data"
DMA_LOG = DATA / "ais" / "dma" / "stream_example.txt"
SUEZ_CSV = DATA / "ais" / "evergiven" / "boat-positions-2021-03-20_21.csv"
DANISH_BBOX = (9.5, 54.5, 13.5, 57.8)
SUEZ_BBOX = (32.0, 29.5, 33.0, 31.9)

needs_gmt = pytest.mark.skipif(shutil.which("gmt") is None,
                               reason="gmt absent (scripts/setup.sh installs gmt-gshhg-high)")


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def _json(*args: str) -> Any:
    return json.loads(_cli(*args, "--format", "json").stdout)


# -- the shipped Caspian and the manifest -------------------------------------------------

def test_caspian_is_the_default_theatre_and_keeps_its_zones() -> None:
    t = load_theatre(None)
    assert t.name == "caspian" and t.enclosed and t.home_state == "AZE"
    assert (t.territorial_nm, t.outer_nm, t.outer_kind) == (15.0, 25.0, "fishery_zone")
    assert [r.name for r in t.receivers][:2] == ["Baku", "Sangachal"]
    geo = load_geography(load_settings())
    ids = {z.id for z in geo.zones}
    assert {"aze-territorial-sea", "aze-fishery-zone", "aze-border-kaz-treaty"} <= ids
    assert geo.lagoon is not None  # Garabogazköl cut off by the manifest's box
    assert sorted({s.state for s in geo.coast}) == ["AZE", "IRN", "KAZ", "RUS", "TKM"]


def _write_theatre(root: Path, toml: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "water.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[10, 55], [11, 55], [11, 56], [10, 56], [10, 55]]]}))
    (root / "theatre.toml").write_text(toml)
    return root


@pytest.mark.parametrize(("toml", "message"), [
    ('name = "x"\n[files]\nwater = "water.geojson"\n', "map.extent: missing"),
    ('name = "x"\n[files]\nwater = "nope.geojson"\n[map]\nextent = [9, 54, 12, 57]\n',
     "does not exist"),
    ('name = "x"\n[files]\nwater = "water.geojson"\n[map]\nextent = [12, 54, 9, 57]\n',
     "west < east"),
    ('name = "x"\ncolour = 1\n[files]\nwater = "water.geojson"\n', "unknown key"),
    ('name = "x"\n[files]\nwater = "water.geojson"\n[map]\nextent = [9, 54, 12, 57]\n'
     '[zones]\nterritorial_nm = 24\nouter_nm = 12\n', "must exceed"),
    ('name = "x"\n[files]\nwater = "water.geojson"\n[map]\nextent = [20, 54, 22, 57]\n',
     "not inside the theatre's extent"),
])
def test_a_bad_manifest_is_a_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    root = _write_theatre(tmp_path / "t", toml)
    with pytest.raises(InputError, match=message):
        load_geography(load_settings(theatre=str(root)))


def test_an_unknown_theatre_names_the_shipped_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["zones", "--theatre", "atlantis"])
    assert isinstance(result.exception, InputError) and "caspian" in str(result.exception)
    with pytest.raises(InputError, match=r"no theatre\.toml"):
        load_theatre(tmp_path)


def test_build_refuses_bad_requests(tmp_path: Path) -> None:
    for bbox, message in (("9.5,54.5,13.5", "W,S,E,N"), ("13.5,54.5,9.5,57.8", "west < east"),
                          ("0,0,40,40", "at most")):
        result = CliRunner().invoke(app, ["theatre", "build", "x", "--bbox", bbox,
                                          "--out", str(tmp_path / "x")])
        assert isinstance(result.exception, InputError), result.output
        assert message in str(result.exception)


def test_build_without_gmt_says_how_to_install_it(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["theatre", "build", "x", "--bbox", "9.5,54.5,13.5,57.8",
                                      "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "apt-get install gmt" in str(result.exception)


@needs_gmt
def test_build_refuses_a_box_without_sea(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["theatre", "build", "alps", "--bbox", "9,46,10,47",
                                      "--out", str(tmp_path / "alps")])
    assert isinstance(result.exception, InputError)
    assert "no sea inside the box" in str(result.exception)


# -- the Danish straits and the DMA log ---------------------------------------------------

def _dma_positions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    mmsi, lat, lon = [], [], []
    with FileReaderStream(str(DMA_LOG)) as stream:
        for msg in stream:
            try:
                d = msg.decode().asdict()
            except Exception:  # pyais raises several types on a bad payload: no position
                continue
            la, lo = d.get("lat"), d.get("lon")
            if la is None or lo is None or abs(la) > 90 or abs(lo) > 180:
                continue
            mmsi.append(d["mmsi"])
            lat.append(la)
            lon.append(lo)
    return np.array(mmsi), np.array(lat), np.array(lon)


@pytest.fixture(scope="module")
def danish(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("danish")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KHAZAR_CACHE_DIR", str(root / "cache"))
        if shutil.which("gmt") is None:
            pytest.skip("gmt absent (scripts/setup.sh installs gmt-gshhg-high)")
        _cli("theatre", "build", "danish-straits", "--bbox",
             ",".join(map(str, DANISH_BBOX)), "--out", str(root / "theatre"),
             "--states", "DK,SE,DE", "--ports", str(DATA / "theatres" / "danish_ports.geojson"),
             "--title", "Danish straits")
        yield root


def test_danish_water_is_gshhg_ocean(danish: Path) -> None:
    """Every decoded DMA position inside the box that GSHHG has in its ocean is in the
    theatre's water, and none that GSHHG has on land is."""
    geo = load_geography(load_settings(theatre=str(danish / "theatre")))
    _, lat, lon = _dma_positions()
    w, s, e, n = DANISH_BBOX
    inside = (lon > w) & (lon < e) & (lat > s) & (lat < n)
    assert inside.sum() > 1000
    ocean = ocean_mask(lon[inside].tolist(), lat[inside].tolist(), "h")
    ours = geo.water_mask(lat[inside], lon[inside])
    assert ocean.sum() > 1000
    assert np.array_equal(ours, ocean), np.flatnonzero(ours != ocean)


def test_danish_zones_states_and_a_route(danish: Path) -> None:
    theatre = str(danish / "theatre")
    zones = _json("zones", "--theatre", theatre)["zones"]
    kinds = {(z["state"], z["kind"]) for z in zones}
    for state in ("DK", "SE", "DE"):
        assert (state, "territorial_sea") in kinds and (state, "contiguous_zone") in kinds
    ts = next(z for z in zones if z["id"] == "dk-territorial-sea")
    assert "12 nm" in ts["name"] and ts["area_km2"] > 5000
    # Skagen to Kiel Bay through the Great Belt: water only, longer than the straight line
    route = _json("route", "57.6,10.8", "54.6,10.5", "--theatre", theatre)
    assert 300 < route["length_km"] < 450 and route["start_snap_m"] == 0
    show = _json("theatre", "show", "--theatre", theatre)
    assert show["coastal_states"] == ["DE", "DK", "SE"] and show["ports"] == 5


def test_dma_log_on_the_danish_theatre_raises_no_on_land(danish: Path) -> None:
    db = danish / "dma.duckdb"
    _cli("ingest", str(DMA_LOG), "--db", str(db))
    out = danish / "events.jsonl"
    theatre = str(danish / "theatre")
    summary = _json("detect", "--db", str(db), "--out", str(out), "--theatre", theatre)
    assert summary["positions"] > 2900
    events = [json.loads(line) for line in out.read_text().splitlines()]
    on_land = [e for e in events if e["type"] == "spoofing"
               and "on_land" in e["evidence"]["kinds"]
               and "invalid_mmsi" not in e["evidence"]["kinds"]]
    assert on_land == []
    # the same log against the Caspian: every ship of the North Sea and Baltic on land
    caspian = _json("detect", "--db", str(db), "--out", str(danish / "c.jsonl"))
    assert caspian["by_type"]["spoofing"] > 1000


# -- the Gulf of Suez, the canal and the Ever Given positions ------------------------------

@needs_gmt
def test_suez_canal_is_water_and_evergiven_raises_no_on_land(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("KHAZAR_CACHE_DIR", str(tmp_path / "cache"))
    theatre = tmp_path / "suez"
    _cli("theatre", "build", "suez", "--bbox", ",".join(map(str, SUEZ_BBOX)), "--out",
         str(theatre), "--states", "EG", "--inset-m", "50", "--simplify-m", "20")
    geo = load_geography(load_settings(theatre=str(theatre)))
    # one water from the Gulf of Suez to the Mediterranean: the canal is open at GSHHG h,
    # a channel a few hundred metres wide across every parallel between the two seas
    assert geo.water.bounds[1] < 29.9 and geo.water.bounds[3] > 31.3
    for lat in (30.1, 30.6, 30.9):
        cut = shapely.intersection(LineString([(32.2, lat), (32.7, lat)]), geo.water)
        width_m = cut.length * 111_320 * np.cos(np.radians(lat))
        assert 100 < width_m < 20_000, (lat, width_m)
    route = _json("route", "29.9,32.55", "31.3,32.3", "--theatre", str(theatre))
    assert 150 < route["length_km"] < 220  # Suez to Port Said through the canal
    with SUEZ_CSV.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    la = np.array([float(r["latitude"]) for r in rows])
    lo = np.array([float(r["longitude"]) for r in rows])
    ocean = ocean_mask(lo.tolist(), la.tolist(), "h")
    assert np.array_equal(geo.water_mask(la, lo), ocean)
    # the generic CSV layout (the file's anonymised ID 1-256 as an MMSI, its dd/mm/yyyy
    # minutes as ISO 8601), as the run ingested it
    generic = tmp_path / "suez.csv"
    with generic.open("w", encoding="utf-8") as fh:
        fh.write("mmsi,timestamp,lat,lon\n")
        for r in rows:
            day, hm = r["ais_pos_timestamp"].split()
            d, m, y = day.split("/")
            fh.write(f"{201_000_000 + int(r['ID'])},{y}-{m}-{d}T{hm}:00Z,"
                     f"{r['latitude']},{r['longitude']}\n")
    on_land, db = _on_land(generic, theatre, tmp_path / "plain")
    # GSHHG (2017 data) lacks the New Suez Canal (2015), the second channel east of the old
    # one between Ismailia and Ballah: ships transiting it are "on land" at GSHHG h, and
    # nowhere else. docs/theatres.md: pass the canal's water with --water for that stretch.
    assert 0 < len(on_land) < 40
    lat = np.array([e["lat"] for e in on_land])
    lon = np.array([e["lon"] for e in on_land])
    assert ((lat > 30.5) & (lat < 30.65) & (lon > 32.3) & (lon < 32.36)).all()
    assert not ocean_mask(lon.tolist(), lat.tolist(), "h").any()
    # against the Caspian every one of these ships was on land
    caspian = _json("detect", "--db", str(db), "--out", str(tmp_path / "c.jsonl"))
    assert caspian["by_type"]["spoofing"] > 10 * len(on_land)

    # water proven by traffic, out of sample: learned from the odd-numbered ships only, it
    # clears the New Suez Canal for every ship, the even-numbered ones included
    odd_csv = tmp_path / "odd.csv"
    lines = generic.read_text(encoding="utf-8").splitlines()
    odd_csv.write_text("\n".join([lines[0]] + [x for x in lines[1:]
                                               if int(x.split(",")[0]) % 2 == 1]) + "\n")
    odd_db = tmp_path / "odd.duckdb"
    _cli("ingest", str(odd_csv), "--db", str(odd_db))
    learned = _json("theatre", "learn-water", "--db", str(odd_db), "--theatre", str(theatre),
                    "--min-vessels", "3")
    assert learned["cells"] > 20 and learned["vessels"] >= 10 and learned["area_km2"] < 30
    sailed = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in json.loads(
        (theatre / "sailed_water.geojson").read_text())["features"]])
    assert sailed.intersects(shapely.points(lo[~ocean], la[~ocean])).sum() > 0
    assert "sailed_water.geojson" in load_geography(
        load_settings(theatre=str(theatre))).coastline_source
    # one spoofed report in the Sinai desert, 25 km from any water, stays on land
    with generic.open("a", encoding="utf-8") as fh:
        fh.write("201000002,2021-03-21T12:00:00Z,30.3,32.8\n")
    on_land, _ = _on_land(generic, theatre, tmp_path / "sinai")
    assert [(e["mmsi"], e["lat"], e["lon"]) for e in on_land] == [(201000002, 30.3, 32.8)]


def test_learn_water_leaves_the_shipped_theatre_alone(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    _cli("ingest", str(DMA_LOG), "--db", str(db))
    result = CliRunner().invoke(app, ["theatre", "learn-water", "--db", str(db),
                                      "--theatre", "caspian"])
    assert isinstance(result.exception, InputError)
    assert "shipped with Khazar" in str(result.exception)


def _on_land(generic: Path, theatre: Path, work: Path) -> tuple[list[dict[str, Any]], Path]:
    """Ingest the generic CSV into a new store, detect in ``theatre``: the ``on_land``
    spoofing events, and the store."""
    work.mkdir()
    db = work / "k.duckdb"
    _cli("ingest", str(generic), "--db", str(db))
    out = work / "events.jsonl"
    _json("detect", "--db", str(db), "--out", str(out), "--theatre", str(theatre))
    events = [json.loads(line) for line in out.read_text().splitlines()]
    return [e for e in events
            if e["type"] == "spoofing" and "on_land" in e["evidence"]["kinds"]], db
