"""`khazar archive` and `khazar ingest ARCHIVE`: a store's history as GeoParquet by day and
back, on a store made of real recorded AIS (gpsd's and libais's corpora) and a simulated
hour across midnight UTC with its radar contacts, detected."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import shapely
from tests.store.history import build_history, ok
from typer.testing import CliRunner

from khazar.cli import app
from khazar.errors import InputError
from khazar.store import open_store
from khazar.store.archive import TABLES, read_archive, write_archive

pytestmark = pytest.mark.slow  # a simulated hour ingested and detected
runner = CliRunner()
ARCHIVED = [t.name for t in TABLES]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history(tmp_path_factory.mktemp("history"), seed=5,
                         start="2026-11-20T23:30:00Z")


@pytest.fixture(scope="module")
def archived(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archive") / "a"
    report = json.loads(ok("archive", "--db", str(source), "--out", str(out),
                            "--format", "json"))
    assert report["theatre"] == "caspian"
    assert report["days"][0] <= "2026-11-20" and report["days"][1] >= "2026-11-21"
    return out


def _partitions(folder: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return {f"{t}/{k}": p for t, entry in manifest["tables"].items()
            for k, p in entry["partitions"].items()}


def _counts(db: Path | str) -> dict[str, int]:
    with open_store(db, read_only=True) as store:
        counts = store.table_counts()
    return {t: counts.get(t, 0) for t in [*ARCHIVED, "vessel_latest"]}


def test_the_archive_holds_every_row_by_day_as_geoparquet(source: Path,
                                                          archived: Path) -> None:
    parts = _partitions(archived)
    counts = _counts(source)
    for table in ARCHIVED:
        assert sum(p["rows"] for k, p in parts.items() if k.startswith(table + "/")) \
            == counts[table], table
    # the simulated hour crosses midnight: its positions lie in two day files
    days = sorted(k for k in parts if k.startswith("positions/caspian/"))
    assert "positions/caspian/2026-11-20" in days and "positions/caspian/2026-11-21" in days
    path = archived / parts["positions/caspian/2026-11-21"]["path"]
    assert "positions/theatre=caspian/day=2026-11-21/" in str(path)
    table = pq.read_table(path)
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    points = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    assert (shapely.get_x(points) == table.column("lon").to_numpy()).all()
    assert (shapely.get_y(points) == table.column("lat").to_numpy()).all()
    ts = table.column("ts").to_pylist()
    assert min(ts).isoformat() >= "2026-11-21" and max(ts).isoformat() < "2026-11-22"
    west, south, east, north = parts["positions/caspian/2026-11-21"]["bbox"]
    assert (west, south) == (min(shapely.get_x(points)), min(shapely.get_y(points)))
    assert (east, north) == (max(shapely.get_x(points)), max(shapely.get_y(points)))


def test_archiving_again_changes_nothing(source: Path, archived: Path) -> None:
    manifest = (archived / "manifest.json").read_bytes()
    times = {k: (archived / p["path"]).stat().st_mtime_ns
             for k, p in _partitions(archived).items()}
    report = json.loads(ok("archive", "--db", str(source), "--out", str(archived),
                            "--format", "json"))
    assert report["written"] == {}
    assert sum(report["unchanged"].values()) == len(times)
    assert (archived / "manifest.json").read_bytes() == manifest
    assert {k: (archived / p["path"]).stat().st_mtime_ns
            for k, p in _partitions(archived).items()} == times


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_ingesting_the_archive_gives_the_same_store(source: Path, archived: Path,
                                                    backend: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    target: Path | str = (tmp_path / "back.duckdb" if backend == "duckdb"
                          else str(request.getfixturevalue("pg_url")))
    report = json.loads(ok("ingest", str(archived), "--db", str(target), "--format", "json"))
    assert report["archives"][0]["already_held"] == 0
    assert _counts(target) == _counts(source)
    # archived again from the new store: the same rows, day by day and column by column
    again = tmp_path / "again"
    with open_store(target, read_only=True) as store:
        write_archive(store, again, "caspian")
    ours, theirs = _partitions(archived), _partitions(again)
    assert ours.keys() == theirs.keys()
    keys = {t.name: [(k, "ascending") for k in t.key] for t in TABLES}
    for key, part in ours.items():
        order = keys[key.split("/")[0]]
        a = pq.read_table(archived / part["path"]).sort_by(order)
        b = pq.read_table(again / theirs[key]["path"]).sort_by(order)
        assert a.equals(b), key
    # vessels' latest state is rebuilt as ingest keeps it
    with open_store(source, read_only=True) as s, open_store(target, read_only=True) as t:
        q = "SELECT mmsi, exercise, ts, lat, lon, sog_kn FROM vessel_latest ORDER BY 1, 2"
        assert t.execute(q).fetchall() == s.execute(q).fetchall()
    # twice, or into the store it came from: nothing new
    again_report = json.loads(ok("ingest", str(archived), "--db", str(target),
                                  "--format", "json"))
    assert sum(again_report["archives"][0]["inserted"].values()) == 0
    assert _counts(target) == _counts(source)


def test_a_day_the_store_no_longer_holds_whole_is_kept(source: Path, archived: Path,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "a"
    shutil.copytree(archived, folder)
    pruned = tmp_path / "pruned.duckdb"
    shutil.copy(source, pruned)
    with open_store(pruned) as store:
        store.execute("DELETE FROM positions WHERE ts >= TIMESTAMPTZ '2026-11-20 00:00:00+00' "
                      "AND ts < TIMESTAMPTZ '2026-11-21 00:00:00+00' AND mmsi % 2 = 0")
    before = (folder / _partitions(folder)["positions/caspian/2026-11-20"]["path"]).read_bytes()
    with open_store(pruned, read_only=True) as store:
        report = write_archive(store, folder, "caspian")
    assert [k.split(":")[0] for k in report.kept] == ["positions 2026-11-20"]
    assert (folder / _partitions(folder)["positions/caspian/2026-11-20"]["path"]
            ).read_bytes() == before


def test_an_altered_file_is_refused_by_name(archived: Path, tmp_path: Path) -> None:
    folder = tmp_path / "a"
    shutil.copytree(archived, folder)
    part = _partitions(folder)["positions/caspian/2026-11-21"]
    path = folder / part["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "t.duckdb")])
    assert isinstance(result.exception, InputError)  # said in one line by `khazar`
    assert "SHA-256 differs" in str(result.exception)
    assert "day=2026-11-21" in str(result.exception)
    # what came before it is whole; nothing of the altered file
    counts = _counts(tmp_path / "t.duckdb")
    assert counts["raw_sentences"] > 0
    before = [p["rows"] for k, p in _partitions(folder).items()
              if k.startswith("positions/") and k < "positions/caspian/2026-11-21"]
    assert counts["positions"] == sum(before)
    path.unlink()
    with open_store(tmp_path / "t.duckdb") as store, pytest.raises(InputError, match="missing"):
        read_archive(store, folder)


def test_a_range_archives_whole_days_only(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "a"
    report = json.loads(ok("archive", "--db", str(source), "--out", str(out), "--from",
                            "2026-11-21T05:00:00", "--to", "2026-11-21T06:00:00",
                            "--format", "json"))
    assert report["days"] == ["2026-11-21", "2026-11-21"]
    parts = _partitions(out)
    assert parts and all(k.endswith("/2026-11-21") for k in parts)
    with open_store(source, read_only=True) as store:
        (n,) = store.execute("SELECT count(*) FROM positions WHERE ts >= TIMESTAMPTZ "
                             "'2026-11-21 00:00:00+00' AND ts < TIMESTAMPTZ "
                             "'2026-11-22 00:00:00+00'").fetchone() or (0,)
    assert parts["positions/caspian/2026-11-21"]["rows"] == n


def test_bad_folders_get_a_clear_error(source: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["archive", "--db", str(source), "--out", str(busy)])
    assert isinstance(result.exception, InputError)
    assert "no archive manifest" in str(result.exception)
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "manifest.json").write_text(json.dumps({"format": "other"}))
    result = runner.invoke(app, ["ingest", str(fake), "--db", str(tmp_path / "t.duckdb")])
    assert isinstance(result.exception, InputError)
    assert "not a Khazar archive manifest" in str(result.exception)
    assert not os.path.exists(tmp_path / "t.duckdb") or _counts(tmp_path / "t.duckdb")[
        "positions"] == 0


def test_what_a_killed_run_left_is_swept(source: Path, archived: Path, tmp_path: Path) -> None:
    folder = tmp_path / "a"
    shutil.copytree(archived, folder)
    day = folder / "positions" / "theatre=caspian" / "day=2026-11-21"
    (day / ".part-abc.tmp").write_bytes(b"half a file")
    (day / "part-0123456789abcdef.parquet").write_bytes(b"a file the manifest never named")
    with open_store(source, read_only=True) as store:
        report = write_archive(store, folder, "caspian")
    assert report.written == {}
    assert sorted(p.name for p in day.iterdir()) == [
        Path(_partitions(folder)["positions/caspian/2026-11-21"]["path"]).name]
