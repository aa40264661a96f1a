"""``khazar detect --engine spark`` finds the events of the embedded path, with the same ids.

A sparse simulated week (the red team's behaviours among a little traffic, AIS and coastal
radar) is ingested into a store, detected there (the embedded path), archived as ``khazar
archive`` lays it out (``<table>/theatre=…/day=…/*.parquet``, seven days), and detected
again on Spark in local mode:
the two events files are equal line for line. An encounter planted across the corner of
four space cells comes out once, as the kernel finds it on the whole data.

Spark starts a JVM (~10 s): the module runs it three times (detect, trace, the corner),
on a sparse simulated week and a planted pair.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bench.bench_scale import write_archive
from tests.users import PASSWORD, add_users
from typer.testing import CliRunner

from khazar.cli import app
from khazar.config import load_settings
from khazar.detect import detect_batch
from khazar.detect.adapters import geography_from_geo
from khazar.errors import InputError
from khazar.geo import load_geography
from khazar.services.spark_detect import cells_of, core_cell, shuffle_partitions
from khazar.sim.engine import Movements, simulate_from
from khazar.sim.movement import NAV_MOORED
from khazar.sim.output import write_run
from khazar.sim.scenarios import ScenarioContext, plants_for
from khazar.sim.traffic import TrafficContext, _anchored, _fishing, _harbour, _shuttle
from khazar.sim.world import World
from khazar.store.events import event_record
from khazar.tracks import Fixes

pytest.importorskip("pyspark")
pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17")

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
MASTER = "local[2]"


@pytest.fixture(autouse=True, scope="module")
def _quick_jvm() -> Iterator[None]:
    """The JVM compiles with C1 alone: these runs are short, and C2's compilations cost
    a quarter of a small run's CPU (the corner test: 45 CPU-s, 34 with C1 alone)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_SUBMIT_ARGS",
                  "--driver-java-options -XX:TieredStopAtLevel=1 pyspark-shell")
        yield


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _sparse_week(out: Path) -> dict[str, Any]:
    """A simulated week, sparse: the red team's eight behaviours (``mixed``) among a
    tanker shuttle, fishing boats, harbour craft and an anchored ship, through the
    simulator's own AIS, reception and radar (``simulate_from``). ``khazar simulate
    --hours 168`` at any density also runs the offshore supply fleet and its crew boats
    (1.4 M of a week's 2 M transmissions at density 0.02): too slow for a test."""
    settings = load_settings(None)
    world = World.load(settings)
    t0 = START.timestamp()
    t1 = t0 + 7 * 86_400.0
    streams = tuple(np.random.SeedSequence(5).spawn(6))
    traffic = TrafficContext(world, t0, t1)
    rng = [np.random.default_rng(s) for s in streams[0].spawn(4)]
    _shuttle(traffic, rng[0], "tanker", 436, (("aktau", "sangachal"),), 1, (10.0, 12.0),
             (10.0, 24.0), NAV_MOORED)
    _fishing(traffic, rng[1], 0.02)
    _harbour(traffic, rng[2], 0.02)
    _anchored(traffic, rng[3], 0.02)
    red = ScenarioContext(world, traffic, np.random.default_rng(streams[1]), t0, t1)
    for plant in plants_for("mixed"):
        plant(red)
    run = simulate_from(Movements(world, t0, t1, traffic.vessels + red.vessels, traffic, red,
                                  streams), "mixed", 5, 0.02)
    write_run(run, out)
    return dict(run.truth.stats)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sparse week ingested into a store, detected there (the embedded path) and
    archived as ``khazar archive`` lays it out; shared by the module's tests."""
    here = tmp_path_factory.mktemp("week")
    stats = _sparse_week(here / "sim")
    assert stats["transmissions"] > 100_000 and stats["radar_detections"] > 10_000, stats
    db = here / "k.duckdb"
    _cli("ingest", str(here / "sim" / "feed.nmea"), str(here / "sim" / "radar.csv"), "--db",
         str(db))
    _cli("detect", "--db", str(db), "--out", str(here / "embedded.jsonl"))
    write_archive(db, here / "archive")
    return here


def test_spark_finds_the_embedded_events_of_a_week_with_the_same_ids(week: Path) -> None:
    tmp_path, db, sim = week, week / "k.duckdb", week / "sim"
    days = sorted(p.name for p in (week / "archive" / "positions").glob("*/day=*"))
    assert len(days) == 7, days  # seven day partitions
    summary = json.loads(_cli("detect", "--engine", "spark", "--archive",
                              str(tmp_path / "archive"), "--master", MASTER, "--out",
                              str(tmp_path / "spark.jsonl"), "--format", "json"))
    embedded = (tmp_path / "embedded.jsonl").read_text().splitlines()
    spark = (tmp_path / "spark.jsonl").read_text().splitlines()
    types = {json.loads(line)["type"] for line in embedded}
    # the week exercises every stage: one-vessel kernels and the cross-vessel ones
    assert {"zone_entry", "stop", "dark_vessel", "encounter", "spoofing",
            "loitering"} <= types, types
    assert summary["detections"] > 0 and summary["cells"] > 1
    assert spark == embedded
    assert summary["events"] == len(embedded)
    # khazar trace reads the same tracks from the archive: the same ranking, audited
    truth = json.loads((sim / "truth.json").read_text())
    fault = next(b for b in truth["behaviours"] if b.get("asset_id"))
    add_users(db, ("investigator", "analyst"))
    window = ["--asset", fault["asset_id"], "--from", fault["start"], "--to", fault["end"],
              "--db", str(db), "--user", "investigator", "--format", "json"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KHAZAR_PASSWORD", PASSWORD)
        here = json.loads(_cli("trace", *window, "--out", str(tmp_path / "pack-db")))
        there = json.loads(_cli("trace", *window, "--out", str(tmp_path / "pack-archive"),
                                "--engine", "spark", "--archive", str(tmp_path / "archive"),
                                "--master", MASTER))
    assert here["vessels"] and there["vessels"] == here["vessels"]
    assert there["candidates"] == here["candidates"] > 0
    assert there["evidence"]["sha256"] == here["evidence"]["sha256"]


def _positions(rows: list[tuple[int, datetime, float, float, float]]) -> pa.Table:
    n = len(rows)
    return pa.table({
        "mmsi": pa.array([r[0] for r in rows], pa.int32()),
        "ts": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
        "lat": pa.array([r[2] for r in rows], pa.float64()),
        "lon": pa.array([r[3] for r in rows], pa.float64()),
        "sog_kn": pa.array([r[4] for r in rows], pa.float32()),
        "cog_deg": pa.array([90.0] * n, pa.float32()),
        "heading_deg": pa.array([None] * n, pa.int16()),
        "status": pa.array([0] * n, pa.int16()),
        "msg_type": pa.array([1] * n, pa.int16()),
        "source": pa.array(["test"] * n, pa.string()),
        "exercise": pa.array([False] * n, pa.bool_()),
        "station": pa.array([None] * n, pa.string()),
        "report_ts": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
        "msg_key": pa.array(range(n), pa.uint64()),
        "mmsi_valid": pa.array([True] * n, pa.bool_()),
    })


def test_an_encounter_across_a_cell_corner_is_found_once(tmp_path: Path) -> None:
    # two slow vessels 220 m apart for 90 minutes, astride 41° N and drifting across 51° E:
    # the corner of four 1° cells, in open sea (far from ports and shores)
    t0 = START + timedelta(hours=1)
    rows = []
    for k in range(90):
        t = t0 + timedelta(minutes=k)
        lon = 50.995 + 0.0001 * k  # ≈ 0.5 kn east, crossing 51° E
        rows.append((273100001, t, 40.999, lon, 0.5))
        rows.append((273100002, t + timedelta(seconds=20), 41.001, lon, 0.5))
    table = _positions(rows)
    part = tmp_path / "archive" / "positions" / "theatre=caspian" / "day=2026-11-20"
    part.mkdir(parents=True)
    pq.write_table(table, part / "part-0.parquet")
    out = tmp_path / "events.jsonl"
    _cli("detect", "--engine", "spark", "--archive", str(tmp_path / "archive"), "--master",
         MASTER, "--cell-deg", "1", "--margin-km", "5", "--out", str(out))
    found = [json.loads(line) for line in out.read_text().splitlines()]
    encounters = [e for e in found if e["type"] == "encounter"]
    # the kernel on the whole data, in this process: the one truth to match
    settings = load_settings(None)
    fx = Fixes.from_arrays(table["mmsi"].to_numpy(), [r[1].timestamp() for r in rows],
                           table["lat"].to_numpy(), table["lon"].to_numpy(),
                           table["sog_kn"].to_numpy(), table["cog_deg"].to_numpy(),
                           None, table["status"].to_numpy())
    geo = geography_from_geo(load_geography(settings), settings)
    expected = [event_record(e) for e in detect_batch(fx, settings.detect, geo)
                if e.type == "encounter"]
    assert len(expected) == 1
    assert encounters == expected
    ev = encounters[0]
    assert (ev["mmsi"], ev["other_mmsi"]) == (273100001, 273100002)
    # the pair's fixes lie in four cells' cores, each widened cell holds all of them
    lat, lon = table["lat"].to_numpy(), table["lon"].to_numpy()
    assert len({core_cell(a, b, 1.0) for a, b in zip(lat, lon, strict=True)}) == 4


def test_cells_widen_by_the_margin() -> None:
    lat = np.array([40.5, 40.999, 41.5])
    lon = np.array([50.5, 50.999, 51.5])
    rows, cells = cells_of(lat, lon, 1.0, 5.0)
    per_point = [sorted(cells[rows == i].tolist()) for i in range(3)]
    assert per_point[0] == [core_cell(40.5, 50.5, 1.0)]  # a core point: its own cell
    assert len(per_point[1]) == 4  # 110 m from a corner: the four cells around it
    assert core_cell(40.999, 50.999, 1.0) in per_point[1]
    assert core_cell(41.001, 51.001, 1.0) in per_point[1]
    assert per_point[2] == [core_cell(41.5, 51.5, 1.0)]


def test_bad_runs_are_refused_before_spark_starts(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["--archive", str(tmp_path / "missing")], "is not a folder"),
        (["--archive", str(empty)], "has no positions"),
        ([], "give --archive DIR"),
        (["--archive", str(empty), "--cell-deg", "0.1"], "under half a cell"),
    ]
    for extra, words in cases:
        result = CliRunner().invoke(app, ["detect", "--engine", "spark", "--out",
                                          str(tmp_path / "e.jsonl"), *extra])
        # an InputError: `khazar` prints it as one line and exits 2 (cli.main)
        assert isinstance(result.exception, InputError), (extra, result.output)
        assert words in str(result.exception)
    assert not (tmp_path / "e.jsonl").exists()


def test_shuffle_tasks_follow_the_local_cores() -> None:
    assert shuffle_partitions("local[1]") == 2
    assert shuffle_partitions("local[2]") == 4
    assert shuffle_partitions("local[*]") >= 2
    assert shuffle_partitions("spark://host:7077") == 200
