"""The history archive: a store's observations as GeoParquet, one file per table, theatre
and UTC day (``khazar archive``), and back into a store (``khazar ingest DIR``).

Layout (version 1)::

    DIR/manifest.json
    DIR/<table>/theatre=<name>/day=<YYYY-MM-DD>/part-<sha256 prefix>.parquet

Tables: what the store observed, each partitioned by its time column (:data:`TABLES`).
Each file holds the table's columns as the store has them (what a database generates, such
as PostgreSQL's ``rowid`` and ``geom``, is left out), rows in the store's insertion order,
and, for tables with a position, a ``geometry`` column of WKB points with GeoParquet 1.1
metadata (CRS84), so that GeoPandas, DuckDB, GDAL and Spark read it as it is. Spark and
pyarrow read ``DIR/<table>`` with ``theatre`` and ``day`` as partition columns.

The manifest names every file with its rows, bytes and SHA-256, and holds no clock time:
archiving the same store again writes the same bytes and changes nothing. A range is
widened to whole UTC days. A day already archived is replaced only by at least as many
rows (a store that has since dropped old rows never shrinks the archive: that day is kept
and reported). Files are written beside their place and renamed into it, the manifest
last: a crash leaves the previous archive readable.

Reading back checks each file against the manifest and inserts only rows the store does
not hold yet (by each table's key, as ingest does), so ingesting an archive twice, or into
the store it came from, adds nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from khazar.errors import InputError, StoreError
from khazar.ingest.files import file_sha256
from khazar.store.backend import DuckDBBackend, Session
from khazar.store.db import Store
from khazar.store.ingest import INGEST_LOCK, fold_new_rows
from khazar.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from khazar.store.transfer import Column, snapshot, table_batches, table_columns

__all__ = ["FORMAT", "TABLES", "ArchiveReport", "ArchivedTable", "ImportReport",
           "is_archive", "read_archive", "write_archive"]

FORMAT = "khazar-archive"
VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ArchivedTable:
    """A table the archive keeps: the column that places a row in a day, and the key
    that makes a row unique (as ingest de-duplicates)."""

    name: str
    time: str
    key: tuple[str, ...]


#: in the order they are written and read back
TABLES: tuple[ArchivedTable, ...] = (
    ArchivedTable("raw_sentences", "received_at", ("source", "line_no")),
    ArchivedTable("rejects", "received_at", ("source", "line_no")),
    ArchivedTable("positions", "ts", ("mmsi", "report_ts", "msg_key")),
    ArchivedTable("base_stations", "ts", ("mmsi", "report_ts", "msg_key")),
    ArchivedTable("vessels_static", "ts", ("mmsi", "msg_key")),
    ArchivedTable("detections", "ts", ("ts", "lat", "lon", "source")),
    ArchivedTable("events", "start_ts", ("id",)),
)
#: rows per Arrow batch read or written: memory stays bounded on a table of millions
BATCH_ROWS = 100_000
_DAY_S = 86_400
_STAGE = "_khazar_archive"
_GEOMETRY = "geometry"
_PARTITION_COLUMNS = frozenset({"theatre", "day", _GEOMETRY})


# writing --------------------------------------------------------------------------------
@dataclass(slots=True)
class ArchiveReport:
    """What ``khazar archive`` did, table by table: files written anew, files already
    equal, days kept because the store now holds fewer rows than the archive."""

    out: Path
    theatre: str
    days: tuple[str, str] | None
    written: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "theatre": self.theatre,
                "days": list(self.days) if self.days else None,
                "written": self.written, "unchanged": self.unchanged, "kept": self.kept,
                "rows": self.rows, "bytes": self.bytes}


def write_archive(store: Store, out: Path, theatre: str, start: datetime | None = None,
                  end: datetime | None = None,
                  progress: Callable[[str, str, int], None] | None = None) -> ArchiveReport:
    """Archive the store's observations from ``start`` to ``end`` (widened to whole UTC
    days; None: from the first, to the last) into ``out`` under ``theatre``.
    ``progress(table, day, rows)`` after each file."""
    if not theatre or any(ch in theatre for ch in "/\\=") or theatre.startswith("."):
        raise InputError(f"theatre name {theatre!r} cannot name a partition folder")
    if start is not None and end is not None and end < start:
        raise InputError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise InputError(f"--out {out}: a folder that holds other things and no archive "
                         "manifest; give a new or empty folder, or an archive's")
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out) if (out / MANIFEST).exists() else _new_manifest()
    manifest["theatres"] = sorted(set(manifest.get("theatres", [])) | {theatre})
    _sweep(out, manifest)
    first = _day(start) if start is not None else None
    last = _day(end) if end is not None else None
    report = ArchiveReport(out, theatre, None)
    canonical = _canonical()
    with snapshot(store) as pinned:
        columns = table_columns(store)
        for table in TABLES:
            if table.name not in columns:
                continue
            cols = [c for c in canonical[table.name] if not c.generated]
            held = {c.name for c in columns[table.name] if not c.generated}
            if held != {c.name for c in cols}:
                raise StoreError(f"{store.location}: table {table.name} has other columns "
                                 "than this Khazar's schema; open it read-write once to "
                                 "bring it to its schema")
            entry = manifest["tables"].setdefault(table.name, {"time": table.time,
                                                               "key": list(table.key),
                                                               "partitions": {}})
            entry["columns"] = [{"name": c.name, "type": c.type} for c in cols]
            has_rowid = any(c.name == "rowid" for c in columns[table.name])
            for day, rows in _days(store, table, first, last):
                folder = f"{table.name}/theatre={theatre}/day={day.isoformat()}"
                known = entry["partitions"].get(f"{theatre}/{day.isoformat()}")
                if known is not None and known["rows"] > rows:
                    report.kept.append(f"{table.name} {day.isoformat()}: the store holds "
                                       f"{rows:,} rows, the archive {known['rows']:,}")
                    continue
                where = _within(table.time, day)
                batches = table_batches(store, pinned, table.name, cols, has_rowid,
                                        BATCH_ROWS, where)
                written = _write_file(out, folder, cols, batches, known)
                key = f"{theatre}/{day.isoformat()}"
                entry["partitions"][key] = {k: written[k] for k in ("path", "rows", "bytes",
                                                                    "sha256")}
                if written["bbox"] is not None:
                    entry["partitions"][key]["bbox"] = written["bbox"]
                if written["new"]:
                    # the manifest names the new file before the old one goes: a crash
                    # leaves one or the other listed, whole
                    _save(out, manifest)
                    if known is not None and known.get("path") != written["path"]:
                        (out / str(known["path"])).unlink(missing_ok=True)
                bucket = report.written if written["new"] else report.unchanged
                bucket[table.name] = bucket.get(table.name, 0) + 1
                report.rows[table.name] = report.rows.get(table.name, 0) + written["rows"]
                report.bytes += written["bytes"]
                day_s = day.isoformat()
                report.days = ((min(report.days[0], day_s), max(report.days[1], day_s))
                               if report.days else (day_s, day_s))
                if progress is not None:
                    progress(table.name, day_s, written["rows"])
    _save(out, manifest)
    return report


def _save(out: Path, manifest: dict[str, Any]) -> None:
    manifest["schema_version"] = SCHEMA_VERSION
    for entry in manifest["tables"].values():
        entry["partitions"] = dict(sorted(entry["partitions"].items()))
    _write_atomic(out / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n")
                  .encode())


def _sweep(out: Path, manifest: dict[str, Any]) -> None:
    """Remove what a run killed midway left: unfinished files, and partition files the
    manifest no longer (or not yet) names."""
    listed = {str(p["path"]) for entry in manifest["tables"].values()
              for p in entry.get("partitions", {}).values()}
    for table in TABLES:
        root = out / table.name
        if not root.is_dir():
            continue
        for path in root.glob("theatre=*/day=*/*"):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and (path.name.startswith(".part-") or (
                    path.suffix == ".parquet" and rel not in listed)):
                path.unlink()


@cache
def _canonical() -> dict[str, list[Column]]:
    """Every table's columns as the embedded (DuckDB) schema types them: the archive's
    types whatever the store (PostgreSQL keeps a TINYINT as SMALLINT)."""
    backend = DuckDBBackend(Path(":memory:"), duckdb.connect())
    try:
        for migration in MIGRATIONS:
            for sql in statements(migration, "duckdb"):
                backend.execute(sql)
        return table_columns(backend)
    finally:
        backend.close()


def _new_manifest() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "theatres": [], "tables": {}}


def _day(t: datetime) -> date:
    return t.astimezone(UTC).date() if t.tzinfo else t.date()


def _within(column: str, day: date) -> str:
    """SQL: ``column`` within the UTC day (literals of our own making, never input)."""
    nxt = day + timedelta(days=1)
    return (f"\"{column}\" >= TIMESTAMPTZ '{day.isoformat()} 00:00:00+00' AND "
            f"\"{column}\" < TIMESTAMPTZ '{nxt.isoformat()} 00:00:00+00'")


def _days(db: Session, table: ArchivedTable, first: date | None,
          last: date | None) -> list[tuple[date, int]]:
    """The UTC days the table has rows on (within ``first``–``last``), with their rows."""
    rows = db.execute(
        f'SELECT CAST(floor(EXTRACT(EPOCH FROM "{table.time}") / {_DAY_S}) AS BIGINT) AS d, '
        f'count(*) FROM "{table.name}" GROUP BY d ORDER BY d').fetchall()
    epoch = date(1970, 1, 1)
    days = [(epoch + timedelta(days=int(d)), int(n)) for d, n in rows]
    return [(d, n) for d, n in days
            if (first is None or d >= first) and (last is None or d <= last)]


def _geometry(lon: pa.Array, lat: pa.Array) -> pa.Array:
    """WKB points (little-endian, 21 bytes each) from longitude and latitude."""
    n = len(lon)
    points = np.empty(n, dtype=[("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
    points["order"] = 1
    points["kind"] = 1
    points["x"] = np.asarray(lon.to_numpy(zero_copy_only=False), dtype=np.float64)
    points["y"] = np.asarray(lat.to_numpy(zero_copy_only=False), dtype=np.float64)
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()),
                                                   pa.py_buffer(points.tobytes())])


#: GeoParquet 1.1 metadata of the ``geometry`` column (CRS84: no ``crs`` given); each
#: file's bounding box is the manifest's, known only when the file is written
_GEO = json.dumps({"version": "1.1.0", "primary_column": _GEOMETRY,
                   "columns": {_GEOMETRY: {"encoding": "WKB", "geometry_types": ["Point"]}}},
                  sort_keys=True).encode()


def _write_file(out: Path, folder: str, cols: Sequence[Column], batches: Iterator[pa.Table],
                known: dict[str, Any] | None) -> dict[str, Any]:
    """Write one partition file in ``folder`` (batch by batch: memory stays bounded) under
    a name made of its SHA-256, unless the same bytes are already there. Returns its path
    (relative), rows, bytes, sha256, bbox and whether it is new."""
    (out / folder).mkdir(parents=True, exist_ok=True)
    names = [c.name for c in cols]
    spatial = "lat" in names and "lon" in names
    schema = pa.schema([(c.name, c.arrow) for c in cols]
                       + ([(_GEOMETRY, pa.binary())] if spatial else []))
    if spatial:
        schema = schema.with_metadata({b"geo": _GEO})
    fd, tmp_name = tempfile.mkstemp(prefix=".part-", suffix=".tmp", dir=out / folder)
    os.close(fd)
    tmp = Path(tmp_name)
    rows = 0
    lo = [np.inf, np.inf]
    hi = [-np.inf, -np.inf]
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for batch in batches:
                if spatial and batch.num_rows:
                    lon = batch.column("lon").combine_chunks()
                    lat = batch.column("lat").combine_chunks()
                    lo = [min(lo[0], float(np.min(lon))), min(lo[1], float(np.min(lat)))]
                    hi = [max(hi[0], float(np.max(lon))), max(hi[1], float(np.max(lat)))]
                    batch = batch.append_column(_GEOMETRY, _geometry(lon, lat))
                writer.write_table(batch.cast(schema), row_group_size=BATCH_ROWS)
                rows += batch.num_rows
        digest = file_sha256(tmp)
        size = tmp.stat().st_size
        bbox = [lo[0], lo[1], hi[0], hi[1]] if spatial and rows else None
        rel = f"{folder}/part-{digest[:16]}.parquet"
        found = {"path": rel, "rows": rows, "bytes": size, "sha256": digest, "bbox": bbox}
        path = out / rel
        if known is not None and known.get("path") == rel and path.exists() \
                and file_sha256(path) == digest:
            return {**found, "new": False}
        _fsync(tmp)
        tmp.replace(path)
        return {**found, "new": True}
    finally:
        tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


# reading --------------------------------------------------------------------------------
def is_archive(path: Path) -> bool:
    """``path`` is a folder holding an archive's manifest."""
    return path.is_dir() and (path / MANIFEST).is_file()


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable archive manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path}: not a Khazar archive manifest (format "
                         f"{manifest.get('format') if isinstance(manifest, dict) else '?'!r})")
    if manifest.get("version") != VERSION:
        raise InputError(f"{path}: archive version {manifest.get('version')!r}; this Khazar "
                         f"reads version {VERSION}")
    if not isinstance(manifest.get("tables"), dict):
        raise InputError(f"{path}: the manifest lists no tables")
    return manifest


@dataclass(slots=True)
class ImportReport:
    """What reading an archive into a store did, table by table."""

    source: Path
    files: int = 0
    read: dict[str, int] = field(default_factory=dict)
    inserted: dict[str, int] = field(default_factory=dict)

    @property
    def already_held(self) -> int:
        return sum(self.read.values()) - sum(self.inserted.values())

    def as_dict(self) -> dict[str, Any]:
        return {"archive": str(self.source), "files": self.files, "read": self.read,
                "inserted": self.inserted, "already_held": self.already_held}


def read_archive(store: Store, folder: Path,
                 progress: Callable[[str, str, int], None] | None = None) -> ImportReport:
    """Insert the archive's rows the store does not hold yet, file by file (each in one
    transaction), checking each file's SHA-256 against the manifest first.
    :class:`InputError` naming a missing, altered or unreadable file (what was read
    before it stays: each file is whole or not at all)."""
    manifest = _read_manifest(folder)
    report = ImportReport(folder)
    columns = table_columns(store)
    for table in TABLES:
        entry = manifest["tables"].get(table.name)
        if entry is None:
            continue
        if table.name not in columns:
            raise StoreError(f"the store has no table {table.name}; open it read-write "
                             "with this Khazar once to bring it to its schema")
        ours = {c.name: c for c in columns[table.name] if not c.generated}
        for key, part in sorted(entry.get("partitions", {}).items()):
            path = _checked(folder, part)
            data = pq.read_table(path)
            extra = sorted(set(data.column_names) - set(ours) - _PARTITION_COLUMNS)
            missing = sorted(set(ours) - set(data.column_names))
            if extra or missing:
                raise InputError(f"{path}: columns differ from the store's {table.name} "
                                 f"(archive only: {extra or '-'}, store only: {missing or '-'})")
            names = [n for n in data.column_names if n in ours]
            data = data.select(names).cast(pa.schema([(n, ours[n].arrow) for n in names]))
            inserted = _insert_new(store, table, data)
            report.files += 1
            report.read[table.name] = report.read.get(table.name, 0) + data.num_rows
            report.inserted[table.name] = report.inserted.get(table.name, 0) + inserted
            if progress is not None:
                progress(table.name, key, inserted)
    return report


def _checked(folder: Path, part: dict[str, Any]) -> Path:
    rel = str(part.get("path", ""))
    path = (folder / rel).resolve()
    if not rel or not path.is_relative_to(folder.resolve()):
        raise InputError(f"{folder / MANIFEST}: a partition path {rel!r} leads outside the "
                         "archive")
    if not path.is_file():
        raise InputError(f"{path}: listed in the manifest but missing; the archive is "
                         "incomplete (copy it again)")
    if file_sha256(path) != part.get("sha256"):
        raise InputError(f"{path}: its SHA-256 differs from the manifest's: the file was "
                         "altered or damaged; nothing of it was read")
    return path


def _insert_new(store: Store, table: ArchivedTable, data: pa.Table) -> int:
    """Insert the rows whose key the store does not hold, in the file's order, in one
    transaction (positions and static reports also update each vessel's latest state)."""
    if data.num_rows == 0:
        return 0
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    same = " AND ".join(f'e."{k}" = s."{k}"' for k in table.key)
    order = "_khazar_ord"
    staged = data.append_column(order, pa.array(np.arange(data.num_rows), pa.int64()))
    with store.transaction() as tx:
        tx.lock(INGEST_LOCK)  # one writer of the ingest tables at a time (PostgreSQL)
        with tx.staged(_STAGE, staged):
            new = (f'"{_STAGE}" s WHERE NOT EXISTS (SELECT 1 FROM "{table.name}" e '
                   f'WHERE {same})')
            fold_new_rows(tx, table.name, f"(SELECT s.* FROM {new}) n", [])
            done = tx.execute(
                f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM {new} '
                f'ORDER BY s."{order}"').fetchone()
    return int(done[0]) if done else 0
