"""Batch detection on Apache Spark over a GeoParquet archive (``khazar detect --engine spark``).

The same kernels as the embedded path (:func:`khazar.detect.detect_batch` and its
:class:`~khazar.detect.Engine`), never a second implementation; Spark only partitions the
data and runs them per part:

1. **Per vessel** (``groupBy(mmsi).applyInArrow``): the tracker and every detector that
   reads one vessel at a time (zones, loitering, gaps, spoofing, anchor drag, port visits,
   stops) over the vessel's whole history, stepping through the same day slices as the
   embedded run of the whole data (its first message and its end are passed in). Out come
   the events and the tracked fixes (segment, speed), each fix tagged with the space cells
   it belongs to.
2. **Per space cell** (``groupBy(cell).applyInArrow``): the encounter kernel on the tracked
   fixes of a cell of ``cell_deg`` degrees widened by ``margin_km`` on every side, so a pair
   near a cell edge is seen whole by the cell that owns it. A fix also joins the cells of
   the fix before it (the kernel reads each fix's successor). An encounter is kept only by
   the cell whose core holds its position; the rest are dropped, and so is any duplicate id.
3. **Dark vessels**, in two steps. (a) Per space cell (``cogroup(cell).applyInArrow``):
   the dark-vessel kernel's nearest-AIS test (``DarkVesselDetector._nearest_ais``, the
   costly part: a k-d tree of the fixes) on the contacts of the cell's core against the
   tracked fixes of the widened cell; out come the contacts it finds dark, a few. (b) One
   group: those contacts and every tracked fix within one time block either side of one
   (the evidence names the nearest AIS track, which may be far outside the cell), through
   the whole kernel, which finds them dark again and links them. A dark contact is a
   chain of contacts up to 40 kn apart, with no bound on its length: cut by cells, a
   chain broke (found on the simulated day of the tests: a fast boat ran 40 km across a
   cell edge), so the linking stays in one group.

What the margin bounds (docs/scale.md): an encounter whose samples stray more than
``margin_km`` from the core of the cell holding its position is seen in part; a contact is
judged dark from the AIS within ``margin_km`` (an AIS track passing within 1.5 km of it
between two fixes both farther than the margin, under 30 min apart, runs at over 40 kn).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from khazar.config import DetectSettings, Settings
from khazar.detect import detect_batch
from khazar.detect.adapters import FISHING_SHIP_TYPE, geography_from_geo
from khazar.detect.base import Detections
from khazar.detect.dark import DarkVesselDetector
from khazar.detect.encounter import EncounterDetector
from khazar.detect.engine import Engine, default_detectors
from khazar.detect.geography import DetectGeography
from khazar.detect.reception import learn_reception
from khazar.domain import Event
from khazar.domain.fixes import VesselFixes
from khazar.errors import InputError
from khazar.geo import load_geography
from khazar.store.events import event_record
from khazar.tracks import Fixes
from khazar.tracks.fixes import mmsi_time_order
from khazar.tracks.tracker import TrackedFixes

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["CROSS_VESSEL", "DARK_GROUP", "SparkRun", "archive_fixes_in_box", "archive_table",
           "check_run", "detect_archive",
           "spark_session"]

#: detectors that read several vessels (or radar contacts) at once: run per space cell
CROSS_VESSEL = (EncounterDetector.name, DarkVesselDetector.name)
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_KM_PER_DEG = 111.32
#: the group of every radar/SAR contact (a dark contact is a chain of contacts that may
#: run farther than any overlap): with the AIS fixes of the cells that hold contacts
DARK_GROUP = -1
#: a cell id: row × _ROW + column (columns of ``cell_deg`` from 180° W)
_ROW = 100_000

_FIX_COLS = ("t", "lat", "lon", "sog", "cog", "hd", "st")
_TR_FLOAT = ("dt_s", "dist_m", "implied_kn", "course_deg", "speed_kn", "jump_kn")
_TR_BOOL = ("new_seg", "jump", "multi")
#: rows out of the per-vessel stage: an event (kind 0) or a tracked fix in one cell (kind 1)
_STAGE1 = ("kind int, cell long, mmsi long, seq long, id string, start double, type string, "
           "record string, t double, lat double, lon double, sog double, cog double, hd int, "
           "st int, seg long, dt_s double, dist_m double, implied_kn double, course_deg double, "
           "speed_kn double, jump_kn double, new_seg boolean, jump boolean, multi boolean")
_DET_CELLS = "cell long, t_us long, lat double, lon double, length_m double, source string"
_DET_CELLS_NAMES = tuple(c.split()[0] for c in _DET_CELLS.split(", "))
_EVENTS = "id string, start double, type string, record string"


@dataclass(frozen=True, slots=True)
class SparkRun:
    """The events of a Spark run, with its figures."""

    records: list[dict[str, Any]]
    positions: int
    detections: int
    vessels: int
    cells: int

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            out[r["type"]] = out.get(r["type"], 0) + 1
        return dict(sorted(out.items()))


def spark_session(master: str = "local[2]", app: str = "khazar-detect") -> SparkSession:
    """A Spark session that never reaches the network: no UI, no packages fetched, UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("the Spark engine needs pyspark: pip install 'pyspark>=4,<5' "
                         "(and Java 17)") from None
    # PySpark 4 warns of pandas 3 on import; the engine moves data as Arrow, not pandas
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise InputError("the Spark engine needs Java 17 (Debian: apt-get install "
                         "openjdk-17-jre-headless)")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # the workers import khazar from where the driver does (a source checkout too)
    import khazar

    here = str(Path(khazar.__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([here, *(p for p in paths if p != here)])
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions(master)))
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def shuffle_partitions(master: str) -> int:
    """Tasks per shuffle: two per core in local mode (``local[N]``, ``local[*]``: a task
    of heavy vessels beside a light one keeps both cores busy), Spark's default (200)
    on a cluster, where ``spark.sql.shuffle.partitions`` is set by the deployment."""
    if not master.startswith("local"):
        return 200
    inner = master[len("local"):].strip("[]").split(",")[0]
    digits = int(inner) if inner.isdigit() else 1
    cores = (os.cpu_count() or 1) if inner in ("", "*") else digits
    return max(2, 2 * cores)


def archive_table(archive: Path, table: str) -> Path:
    """The folder of one table of an archive (``DIR/<table>/theatre=…/day=…/*.parquet``)."""
    if not archive.is_dir():
        raise InputError(f"archive {archive} is not a folder")
    manifest = archive / "manifest.json"
    if manifest.is_file():
        try:
            head = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"archive manifest {manifest} is unreadable: {exc}") from None
        if head.get("format") != "khazar-archive":
            raise InputError(f"{manifest} is not a Khazar archive manifest")
    path = archive / table
    if not path.is_dir() or not any(path.rglob("*.parquet")):
        raise InputError(f"archive {archive} has no {table} (expected {path}/…/*.parquet)")
    return path


# --------------------------------------------------------------------------- cells
def cells_of(lat: F64, lon: F64, cell_deg: float, margin_km: float) -> tuple[I64, I64]:
    """(row index, cell id) pairs: each point joins every cell whose core widened by
    ``margin_km`` holds it (one cell inside a core, up to four near a corner)."""
    dlat = margin_km / _KM_PER_DEG
    dlon = dlat / np.maximum(np.cos(np.radians(lat)), 0.05)
    x0 = np.floor((lon - dlon + 180.0) / cell_deg).astype(np.int64)
    x1 = np.floor((lon + dlon + 180.0) / cell_deg).astype(np.int64)
    y0 = np.floor((lat - dlat + 90.0) / cell_deg).astype(np.int64)
    y1 = np.floor((lat + dlat + 90.0) / cell_deg).astype(np.int64)
    rows: list[I64] = []
    cells: list[I64] = []
    idx = np.arange(lat.shape[0])
    for dy in range(int((y1 - y0).max(initial=0)) + 1):
        for dx in range(int((x1 - x0).max(initial=0)) + 1):
            ok = (y0 + dy <= y1) & (x0 + dx <= x1)
            rows.append(idx[ok])
            cells.append(((y0 + dy) * _ROW + x0 + dx)[ok])
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(rows), np.concatenate(cells)


def core_cells(lat: F64, lon: F64, cell_deg: float) -> I64:
    """The one cell whose core holds each point: the owner of an event or a contact there."""
    return (np.floor((lat + 90.0) / cell_deg).astype(np.int64) * _ROW
            + np.floor((lon + 180.0) / cell_deg).astype(np.int64))


def core_cell(lat: float, lon: float, cell_deg: float) -> int:
    """:func:`core_cells` of one point."""
    return int(core_cells(np.array([lat]), np.array([lon]), cell_deg)[0])


def dark_block_s(settings: DetectSettings) -> float:
    """The time block of the dark-vessel linking step: the kernel decides a contact from
    the AIS fixes within ±2 time windows (nearest fixes) and the tracks between fixes up
    to ``dark_track_max_gap_s`` apart that bracket it, all within one block either side."""
    return max(settings.dark_track_max_gap_s, 2.0 * settings.dark_time_s)


# --------------------------------------------------------------------------- kernels
def _event_rows(events: list[Event]) -> dict[str, list[Any]]:
    return {"id": [e.id for e in events],
            "start": [e.start.timestamp() for e in events],
            "type": [e.type for e in events],
            "record": [json.dumps(event_record(e), ensure_ascii=False) for e in events]}


def _table(cols: dict[str, Any], schema: str) -> pa.Table:
    """An Arrow table of ``schema`` (a DDL list) from columns (arrays, lists or scalars)."""
    n = max((len(v) for v in cols.values() if not np.isscalar(v)), default=0)
    fields = [c.split() for c in schema.split(", ")]
    return pa.table({name: pa.array(np.broadcast_to(cols[name], n) if np.isscalar(cols.get(
        name)) else cols.get(name, [None] * n), type=_ARROW[kind]) for name, kind in fields})


_ARROW = {"long": pa.int64(), "int": pa.int32(), "double": pa.float64(),
          "boolean": pa.bool_(), "string": pa.string()}


def _np(tbl: pa.Table, name: str, dtype: Any, null: Any = None) -> npt.NDArray[Any]:
    col = tbl.column(name)
    if null is not None:
        col = pc.fill_null(col, null)
    return np.asarray(col.to_numpy(), dtype=dtype)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every task needs: the settings, the geography, the whole data's time span."""

    settings: DetectSettings
    geo: DetectGeography
    start_s: float
    end_s: float
    cell_deg: float
    margin_km: float


def _vessel_fixes(tbl: pa.Table) -> Fixes:
    # the store's total order (load_fixes): time, then receipt, then message key
    order = np.lexsort([_np(tbl, c, np.int64) for c in ("key_lo", "key_hi", "rts", "t_us")])
    tbl = tbl.take(order)
    return Fixes.from_arrays(
        _np(tbl, "mmsi", np.int64), _np(tbl, "t_us", np.float64) / 1e6,
        _np(tbl, "lat", np.float64), _np(tbl, "lon", np.float64),
        _np(tbl, "sog_kn", np.float64, np.nan), _np(tbl, "cog_deg", np.float64, np.nan),
        _np(tbl, "hd", np.int16), _np(tbl, "st", np.int16))


def _per_vessel(plan: _Plan, tbl: pa.Table) -> pa.Table:
    """One vessel: the tracker and the one-vessel detectors; its events and tracked fixes."""
    fx = _vessel_fixes(tbl)
    detectors = [d for d in default_detectors(plan.settings, plan.geo)
                 if d.name not in CROSS_VESSEL]
    engine = Engine(plan.settings, plan.geo, detectors)
    parts: list[TrackedFixes] = []
    engine.on_tracked = parts.append
    events = detect_batch(fx, plan.settings, plan.geo, None, plan.end_s,
                          start_s=plan.start_s, engine=engine)
    ev = _table({"kind": 0, "cell": -1, "mmsi": int(fx.mmsi[0]) if len(fx) else -1,
                 "seq": -1, **_event_rows(events)}, _STAGE1)
    nonempty = [p for p in parts if len(p)]
    if not nonempty:
        return ev
    tr = TrackedFixes(Fixes.concat(p.fixes for p in nonempty),
                      *(np.concatenate([getattr(p, c) for p in nonempty])
                        for c in ("seg", *_TR_BOOL, *_TR_FLOAT)))
    f = tr.fixes
    # each fix joins its own cells and those of the fix before it on its segment (the
    # order of the steps, slice after slice, is kept in ``seq``)
    rows, cells = cells_of(f.lat, f.lon, plan.cell_deg, plan.margin_km)
    by_seg = np.lexsort((f.t_s, tr.seg))
    has_next = np.flatnonzero(tr.seg[by_seg][1:] == tr.seg[by_seg][:-1])
    before, after = by_seg[has_next], by_seg[has_next + 1]
    pr, pc = cells_of(f.lat[before], f.lon[before], plan.cell_deg, plan.margin_km)
    pairs = np.unique(np.column_stack((np.r_[rows, after[pr]], np.r_[cells, pc])), axis=0)
    i = pairs[:, 0]
    fixes = _table({
        "kind": 1, "cell": pairs[:, 1], "mmsi": f.mmsi[i], "seq": i,
        "t": f.t_s[i], "lat": f.lat[i], "lon": f.lon[i], "sog": f.sog_kn[i], "cog": f.cog_deg[i],
        "hd": f.heading_deg[i].astype(np.int32), "st": f.status[i].astype(np.int32),
        "seg": tr.seg[i], **{c: getattr(tr, c)[i] for c in _TR_FLOAT + _TR_BOOL}}, _STAGE1)
    return pa.concat_tables([ev, fixes])


def _dark_in_cell(plan: _Plan, fx: pa.Table, dets: pa.Table) -> pa.Table:
    """One space cell: the dark-vessel kernel's nearest-AIS test of the contacts of the
    cell's core against the tracked fixes of the widened cell (its whole history: the
    test reads only the fixes within ±2 time windows and the tracks bracketing a contact,
    which the streaming kernel holds when it decides). Out: the contacts found dark."""
    if dets.num_rows == 0:
        return dets.select(list(_DET_CELLS_NAMES))
    t = _np(fx, "t", np.float64)
    mmsi = _np(fx, "mmsi", np.int64)
    ais = np.column_stack((t, _np(fx, "lat", np.float64), _np(fx, "lon", np.float64),
                           mmsi.astype(np.float64))).reshape(-1, 4)
    ais = ais[mmsi_time_order(mmsi, t)]
    det = Detections(_np(dets, "t_us", np.float64) / 1e6, _np(dets, "lat", np.float64),
                     _np(dets, "lon", np.float64), _np(dets, "length_m", np.float64, np.nan),
                     _np(dets, "source", object, "").astype(str))
    kernel = DarkVesselDetector(plan.settings, plan.geo)
    near = kernel._nearest_ais(ais, det)  # the kernel's own test, not a copy of it
    dark = pa.array(near > plan.settings.dark_distance_m)
    return dets.filter(dark).select(list(_DET_CELLS_NAMES))


def _per_cell(plan: _Plan, key: tuple[Any, ...], fx: pa.Table, dets: pa.Table) -> pa.Table:
    """One space cell, or the one group of the radar contacts (key ``DARK_GROUP``): the
    cross-vessel detectors on its tracked fixes and contacts. A cell keeps the encounters
    whose position is in its core."""
    raw = key[0].as_py() if isinstance(key[0], pa.Scalar) else key[0]
    cell = int(raw)
    names = {DarkVesselDetector.name} if cell == DARK_GROUP else {EncounterDetector.name}
    fx = fx.take(np.lexsort((_np(fx, "seq", np.int64), _np(fx, "mmsi", np.int64))))
    fixes = Fixes.from_arrays(_np(fx, "mmsi", np.int64), _np(fx, "t", np.float64),
                              _np(fx, "lat", np.float64), _np(fx, "lon", np.float64),
                              _np(fx, "sog", np.float64, np.nan),
                              _np(fx, "cog", np.float64, np.nan),
                              _np(fx, "hd", np.int16), _np(fx, "st", np.int16))
    tr = TrackedFixes(fixes, _np(fx, "seg", np.int64), *(_np(fx, c, bool) for c in _TR_BOOL),
                      *(_np(fx, c, np.float64, np.nan) for c in _TR_FLOAT))
    source = _np(dets, "source", object, "").astype(str)
    order = np.lexsort((source, _np(dets, "lon", np.float64), _np(dets, "lat", np.float64),
                        _np(dets, "t_us", np.int64)))
    dets = dets.take(order)
    det = Detections(_np(dets, "t_us", np.float64) / 1e6, _np(dets, "lat", np.float64),
                     _np(dets, "lon", np.float64), _np(dets, "length_m", np.float64, np.nan),
                     source[order])
    engine = Engine(plan.settings, plan.geo,
                    [d for d in default_detectors(plan.settings, plan.geo) if d.name in names])
    events = detect_batch(tr, plan.settings, plan.geo, det, plan.end_s,
                          start_s=plan.start_s, engine=engine)
    mine = [e for e in events
            if cell == DARK_GROUP or core_cell(e.lat, e.lon, plan.cell_deg) == cell]
    return _table(_event_rows(mine), _EVENTS)


# --------------------------------------------------------------------------- the run
def _positions(spark: SparkSession, archive: Path) -> DataFrame:
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(archive_table(archive, "positions")))
    key = F.col("msg_key").cast("decimal(20,0)")
    two32 = F.lit(4294967296).cast("decimal(20,0)")
    return df.select(
        F.col("mmsi").cast("long").alias("mmsi"), F.unix_micros("ts").alias("t_us"),
        F.col("lat").cast("double").alias("lat"), F.col("lon").cast("double").alias("lon"),
        F.col("sog_kn").cast("double").alias("sog_kn"),
        F.col("cog_deg").cast("double").alias("cog_deg"),
        F.coalesce(F.col("heading_deg").cast("int"), F.lit(-1)).alias("hd"),
        F.coalesce(F.col("status").cast("int"), F.lit(-1)).alias("st"),
        # NULL receipt times last, as ORDER BY does on both backends
        F.coalesce(F.unix_micros("report_ts"), F.lit(2**62)).alias("rts"),
        F.floor(key / two32).cast("long").alias("key_hi"),
        F.pmod(key, two32).cast("long").alias("key_lo"),
        F.col("exercise").cast("boolean").alias("exercise"))


def _detections(spark: SparkSession, archive: Path) -> DataFrame | None:
    from pyspark.sql import functions as F

    path = archive / "detections"
    if not path.is_dir() or not any(path.rglob("*.parquet")):
        return None
    df = spark.read.parquet(str(path))
    return df.select(F.unix_micros("ts").alias("t_us"), F.col("lat").cast("double"),
                     F.col("lon").cast("double"), F.col("length_m").cast("double"),
                     F.col("source").cast("string"))


def _fishing(spark: SparkSession, archive: Path) -> set[int]:
    """Vessels whose latest static report gives ship type 30 (as ``fishing_mmsis``)."""
    from pyspark.sql import functions as F

    path = archive / "vessels_static"
    if not path.is_dir() or not any(path.rglob("*.parquet")):
        return set()
    rows = (spark.read.parquet(str(path)).where(F.col("ship_type").isNotNull())
            .groupBy("mmsi").agg(F.max_by("ship_type", "ts").alias("ship_type"))
            .where(F.col("ship_type") == FISHING_SHIP_TYPE).select("mmsi").collect())
    return {int(r["mmsi"]) for r in rows}


def _geography(spark: SparkSession, archive: Path, settings: Settings,
               pos: DataFrame) -> DetectGeography:
    """The detectors' geography as the embedded path builds it from a store: fishing
    vessels from the static reports, the reception map learned from the last days."""
    from pyspark.sql import functions as F

    geo = geography_from_geo(load_geography(settings), settings, _fishing(spark, archive))
    days = settings.detect.reception_days
    if days > 0:
        traffic = pos.where(~F.col("exercise"))
        newest = traffic.agg(F.max("t_us")).first()
        top = None if newest is None else newest[0]
        if top is None:
            e = np.empty(0)
            geo.reception.map = learn_reception(e.astype(np.int64), e, e, e, geo.receivers, days)
        else:
            recent = (traffic.where(F.col("t_us") >= int(top) - int(days * 86400e6))
                      .select("mmsi", "t_us", "lat", "lon").toArrow())
            geo.reception.map = learn_reception(
                _np(recent, "mmsi", np.int64), _np(recent, "t_us", np.float64) / 1e6,
                _np(recent, "lat", np.float64), _np(recent, "lon", np.float64),
                geo.receivers, days)
    return geo


#: the geography's indexes that the kernels build on first use (DetectGeography)
_GEO_INDEXES = ("shore", "approach_indexes", "zone_indexes", "water_index", "registry_indexes",
                "zone_order", "zone_grid", "grid_columns")


def warm_geography(geo: DetectGeography) -> None:
    """Build the geography's lazy indexes once on the driver, so that they travel to the
    tasks with it (~22 MB pickled, broadcast by PySpark) instead of being rebuilt in each
    task (1.3 s of CPU, measured: the first vessel of every task paid it)."""
    for name in _GEO_INDEXES:
        getattr(geo, name)


def check_run(archive: Path, cell_deg: float, margin_km: float) -> None:
    """Clear errors for a run's options, before Spark starts (a JVM start takes seconds)."""
    if not 0.05 <= cell_deg <= 30.0:
        raise InputError(f"--cell-deg {cell_deg} must be between 0.05 and 30")
    if not 1.0 <= margin_km <= 200.0 or margin_km / _KM_PER_DEG >= cell_deg / 2:
        raise InputError(f"--margin-km {margin_km} must be 1–200 km and under half a cell")
    archive_table(archive, "positions")


def _dark_vessels(plan: _Plan, tracked: DataFrame, dets: DataFrame,
                  cell: Any, held: list[DataFrame]) -> DataFrame:
    """The dark-vessel events: (a) per space cell, the contacts of its core that the
    kernel's nearest-AIS test finds dark; (b) one group, those contacts and every tracked
    fix within a time block either side of one, through the whole kernel."""
    from pyspark.sql import functions as F

    cell_deg = plan.cell_deg

    def core_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            tbl = pa.Table.from_batches([b])
            cells = core_cells(_np(tbl, "lat", np.float64), _np(tbl, "lon", np.float64),
                               cell_deg)
            yield from tbl.add_column(0, "cell", pa.array(cells, pa.int64())).to_batches()

    def dark_in_cell(fx: pa.Table, dt: pa.Table) -> pa.Table:
        return _dark_in_cell(plan, fx, dt)

    by_core = dets.mapInArrow(core_of, _DET_CELLS)
    busy = by_core.select("cell").distinct()
    near = tracked.join(F.broadcast(busy), "cell", "left_semi")
    dark_dets = (near.groupBy("cell").cogroup(by_core.groupBy("cell"))
                 .applyInArrow(dark_in_cell, schema=_DET_CELLS).persist())
    held.append(dark_dets)
    block = dark_block_s(plan.settings)
    # every fix of those blocks, wherever it is: the kernel's evidence (the nearest AIS
    # track's distance) may come from a track far outside the contact's cell
    blocks = (dark_dets.select(F.floor(F.col("t_us") / (block * 1e6)).alias("b")).distinct()
              .select(F.explode(F.array(*(F.col("b") + d for d in (-1, 0, 1))))
                      .alias("block")).distinct())
    fixes = (tracked.withColumn("block", F.floor(F.col("t") / block))
             .join(F.broadcast(blocks), ["block"], "left_semi")
             .drop("block").dropDuplicates(["mmsi", "seq"])
             .withColumn("cell", F.lit(DARK_GROUP).cast("long")))
    group = dark_dets.withColumn("cell", F.lit(DARK_GROUP).cast("long"))
    return fixes.groupBy("cell").cogroup(group.groupBy("cell")).applyInArrow(
        cell, schema=_EVENTS)


def detect_archive(archive: Path, settings: Settings, spark: SparkSession,
                   cell_deg: float = 1.0, margin_km: float = 20.0) -> SparkRun:
    """Every event in an archive's history, as :func:`detect_batch` finds it in a store."""
    from pyspark.sql import functions as F

    check_run(archive, cell_deg, margin_km)
    pos = _positions(spark, archive).drop("exercise")
    dets = _detections(spark, archive)
    span = pos.agg(F.min("t_us"), F.max("t_us"), F.count(F.lit(1)),
                   F.countDistinct("mmsi")).first()
    assert span is not None
    n_pos, n_vessels = int(span[2]), int(span[3])
    times = [float(v) / 1e6 for v in (span[0], span[1]) if v is not None]
    n_det = 0
    if dets is not None:
        dspan = dets.agg(F.min("t_us"), F.max("t_us"), F.count(F.lit(1))).first()
        assert dspan is not None
        n_det = int(dspan[2])
        times += [float(v) / 1e6 for v in (dspan[0], dspan[1]) if v is not None]
    if not times:
        return SparkRun([], 0, 0, 0, 0)
    geo = _geography(spark, archive, settings, _positions(spark, archive))
    warm_geography(geo)
    plan = _Plan(settings.detect, geo, min(times), max(times), cell_deg, margin_km)

    def vessel(tbl: pa.Table) -> pa.Table:
        return _per_vessel(plan, tbl)

    stage1 = pos.groupBy("mmsi").applyInArrow(vessel, schema=_STAGE1).persist()
    held: list[DataFrame] = [stage1]
    try:
        per_vessel = stage1.where(F.col("kind") == 0).select("id", "start", "type", "record")
        tracked = stage1.where(F.col("kind") == 1).drop("kind", "id", "start", "type", "record")

        def cell(key: tuple[Any, ...], fx: pa.Table, dt: pa.Table) -> pa.Table:
            return _per_cell(plan, key, fx, dt)

        no_dets = spark.createDataFrame([], _DET_CELLS)
        encounters = (tracked.groupBy("cell").cogroup(no_dets.groupBy("cell"))
                      .applyInArrow(cell, schema=_EVENTS))
        cross = encounters
        if dets is not None:
            cross = encounters.unionByName(_dark_vessels(plan, tracked, dets, cell, held))
        rows = (per_vessel.unionByName(cross).dropDuplicates(["id"])
                .orderBy("start", "type", "id").collect())
        n_cells = tracked.select("cell").distinct().count()
    finally:
        for df in held:
            df.unpersist()
    return SparkRun([json.loads(r["record"]) for r in rows], n_pos, n_det, n_vessels, n_cells)


# --------------------------------------------------------------------------- trace
def archive_fixes_in_box(spark: SparkSession, archive: Path, start: datetime, end: datetime,
                         box: tuple[float, float, float, float],
                         pad: timedelta) -> list[VesselFixes]:
    """:func:`khazar.store.picture.fixes_in_box` over an archive: every fix from
    ``start − pad`` to ``end + pad`` of each vessel with a fix inside ``box`` between
    ``start`` and ``end`` (exercise positions and invalid MMSIs left out), in the store's
    order; one fix per instant (the first)."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(archive_table(archive, "positions")))
    lo, hi = start - pad, end + pad
    # the day partitions prune the scan: a year's archive is read only around the window
    df = df.where((F.col("day") >= F.lit(lo.date())) & (F.col("day") <= F.lit(hi.date()))
                  & ~F.col("exercise") & F.col("mmsi_valid"))
    min_lat, min_lon, max_lat, max_lon = box
    cand = (df.where(F.col("ts").between(F.lit(start), F.lit(end))
                     & F.col("lat").between(min_lat, max_lat)
                     & F.col("lon").between(min_lon, max_lon))
            .select("mmsi").distinct())
    key = F.col("msg_key").cast("decimal(20,0)")
    rows = (df.where(F.col("ts").between(F.lit(lo), F.lit(hi)))
            .join(F.broadcast(cand), "mmsi")
            .select(F.col("mmsi").cast("long").alias("mmsi"), F.unix_micros("ts").alias("t_us"),
                    F.col("lat").cast("double").alias("lat"),
                    F.col("lon").cast("double").alias("lon"),
                    F.col("sog_kn").cast("double").alias("sog"),
                    F.coalesce(F.col("status").cast("int"), F.lit(-1)).alias("st"),
                    F.coalesce(F.unix_micros("report_ts"), F.lit(2**62)).alias("rts"),
                    key.alias("key"))
            .orderBy("mmsi", "t_us", "rts", "key").drop("rts", "key").toArrow())
    mmsi = _np(rows, "mmsi", np.int64)
    t = _np(rows, "t_us", np.float64) / 1e6
    out: list[VesselFixes] = []
    cuts = np.flatnonzero(np.diff(mmsi)) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, mmsi.size], strict=True):
        if b <= a:
            continue
        # one fix per instant (several receivers): keep the first
        _, first = np.unique(t[a:b], return_index=True)
        idx = a + np.sort(first)
        out.append(VesselFixes(
            mmsi=int(mmsi[a]), t_s=t[idx], lat=_np(rows, "lat", np.float64)[idx],
            lon=_np(rows, "lon", np.float64)[idx],
            sog_kn=_np(rows, "sog", np.float64, np.nan)[idx],
            status=_np(rows, "st", np.int16)[idx]))
    return out
