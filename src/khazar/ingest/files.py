"""Ingesting files: NMEA in any wrapper, decoded AIS CSV and radar/SAR detection CSV, plain
or gzip-compressed (recognised by its magic bytes, whatever the name).

A file's run id is the SHA-256 of its content, and its source name ``<file name>@<12 hex>``:
the same content ingested again (under any name or path) is recognised. A run that finished is
skipped unless ``force``; a run that was interrupted (crash, kill -9) is simply run again —
the store's anti-joins drop what was already committed.

Lines of an NMEA file that carry no time of their own get the time of the file's in-band
clock (:mod:`khazar.ingest.clocks`: Gatehouse headers, the receiver's ZDA/RMC, else base
stations' UTC), read in a first pass; only a file without any clock falls back to one time
for all (its modification time, or ``received_at``), and the result counts those lines.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import gzip
import hashlib
import io
import itertools
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from khazar.errors import InputError, UnknownFormatError
from khazar.ingest.batch import IngestSink
from khazar.ingest.clocks import Clock, ClockKind, ClockScan
from khazar.ingest.csvfiles import CsvLayout, detect_layout
from khazar.ingest.pipeline import (
    KEPT_PREFIX_CHARS,
    MAX_LINE_CHARS,
    Ingestor,
    IngestResult,
    LineBatch,
)

__all__ = ["FileKind", "FileProgress", "file_clock", "file_sha256", "ingest_file", "is_gzip",
           "read_line_batches", "sniff"]

_CHUNK_BYTES = 4 << 20
#: the most of one unterminated line held while reading: past it the line is handed on cut
#: (the ingestor rejects it as too long) and the rest of it, up to its newline, skipped
_LINE_HOLD_BYTES = 1 << 20
_SNIFF_LINES = 500


class FileKind(enum.StrEnum):
    """What a file holds; ``ais`` / ``radar`` are the user's ``--kind`` overrides for CSV."""

    nmea = "nmea"
    ais = "ais"
    radar = "radar"


@dataclass(frozen=True, slots=True)
class FileProgress:
    """Reported after every committed batch."""

    path: Path
    bytes_read: int
    bytes_total: int
    result: IngestResult


_GZIP_MAGIC = b"\x1f\x8b"
_NEWLINES = re.compile(r"\r\n|\r|\n")


def is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == _GZIP_MAGIC


@contextlib.contextmanager
def _open_lines(path: Path) -> Iterator[tuple[io.BufferedIOBase, io.BufferedReader]]:
    """The file's (decompressed) bytes, and the file itself (whose position is progress)."""
    with path.open("rb") as raw:
        if raw.read(2) == _GZIP_MAGIC:
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz, raw
        else:
            raw.seek(0)
            yield raw, raw


def file_sha256(path: Path) -> str:
    """The file's SHA-256 (hex), read 1 MiB at a time."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def sniff(path: Path, kind: FileKind | None = None
          ) -> tuple[FileKind, CsvLayout | None, int]:
    """Decide how to read ``path``: NMEA, or a CSV layout recognised from its header
    (returned with the header's line number). Junk lines before NMEA are allowed."""
    try:
        with _open_lines(path) as (data, _):
            text = b"".join(itertools.islice(data, _SNIFF_LINES)).decode("utf-8", "replace")
        # universal newlines, as text mode reads them (a lone \r ends a line too)
        head = [s.strip() for s in _NEWLINES.split(text)][:_SNIFF_LINES]
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot be read ({exc}); a .gz file must be whole "
                         "gzip") from exc
    head = [s.removeprefix("\ufeff") for s in head[:1]] + head[1:]
    nmea = next((s for s in head if s[:1] in ("!", "\\", "$")), None)
    first = next(((n, s) for n, s in enumerate(head, start=1)
                  if (s and not s.startswith("#")) or s.startswith("# Timestamp")), None)
    if first is not None and first[1][:1] not in ("!", "\\", "$"):
        number, header = first
        layout = detect_layout(header, kind.value if kind in (FileKind.ais, FileKind.radar)
                               else None)
        if layout is not None:
            return (FileKind.radar if layout.kind == "radar" else FileKind.ais), layout, number
        if nmea is None and kind in (FileKind.ais, FileKind.radar):
            need = ("timestamp,lat,lon[,length_m,source]" if kind is FileKind.radar
                    else "mmsi,timestamp,lat,lon,… (or DMA, MarineCadastre)")
            raise UnknownFormatError(
                f"{path}: --kind {kind.value} given, but header {header[:80]!r} lacks the "
                f"{kind.value} columns {need}; fix the header")
        if nmea is None:
            raise UnknownFormatError(
                f"{path}: header {header[:80]!r} is neither NMEA nor a known CSV layout (DMA, "
                "MarineCadastre, generic mmsi,timestamp,lat,lon,…, or detections "
                "timestamp,lat,lon[,length_m,source]); pass --kind or fix the header"
            )
    if nmea is None:
        raise UnknownFormatError(f"{path}: no NMEA sentence or CSV header in its first "
                                 f"{_SNIFF_LINES} lines")
    if kind not in (None, FileKind.nmea):
        raise InputError(f"{path}: --kind {kind} given, but the file holds NMEA ({nmea[:40]!r})")
    return FileKind.nmea, None, 0


def read_line_batches(path: Path, source: str, received_us: int,
                      batch_lines: int) -> Iterator[tuple[LineBatch, int]]:
    """Line batches of a file, with the number of bytes read so far (for progress; of the
    compressed file when it is gzip)."""
    line_no = 1
    done = 0
    rest = b""
    skipping = False
    texts: list[str] = []
    first = 1
    with _open_lines(path) as (f, raw):
        while True:
            try:
                chunk = f.read(_CHUNK_BYTES)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(f"{path}: gzip data is damaged after {done:,} bytes "
                                 f"({exc}); the lines before were ingested") from exc
            eof = not chunk
            if skipping and not eof:  # the rest of a line over the bound: not kept
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                chunk, rest, skipping = rest + chunk[end:], b"", False
            data = rest + chunk
            if not eof:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
                if len(rest) > _LINE_HOLD_BYTES:  # the start of a line over the bound, held
                    rest, skipping = rest[:_LINE_HOLD_BYTES], True
                lines = data.decode("utf-8", "replace").split("\n")[:-1]
            else:
                lines = data.decode("utf-8", "replace").split("\n") if data else []
            done = raw.tell()
            for_line = lines
            while for_line:
                room = batch_lines - len(texts)
                texts.extend(for_line[:room])
                for_line = for_line[room:]
                if len(texts) >= batch_lines:
                    yield LineBatch(source, texts, first, received_us), done
                    line_no = first + len(texts)
                    first, texts = line_no, []
            if eof:
                break
    if texts:
        yield LineBatch(source, texts, first, received_us), done


def file_clock(path: Path, batch_lines: int = 200_000) -> Clock | None:
    """The in-band clock of an NMEA file (a pass over its lines), or None when it has none."""
    scan = ClockScan()
    for batch, _ in read_line_batches(path, "", 0, batch_lines):
        scan.feed(batch.first_line_no, batch.texts)
    return scan.clock()


def ingest_file(
    sink: IngestSink,
    path: Path,
    *,
    kind: FileKind | None = None,
    received_at: datetime | None = None,
    exercise: bool = False,
    force: bool = False,
    batch_lines: int = 200_000,
    multipart_timeout_s: float = 60.0,
    pause_after_batch_s: float = 0.0,
    on_progress: Callable[[FileProgress], None] | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
    kept_prefix_chars: int = KEPT_PREFIX_CHARS,
) -> IngestResult:
    """Ingest one file into ``sink`` (the store's ``IngestRepo``). Lines of an NMEA file
    without a time of their own get the time of the file's in-band clock; without one, they
    get ``received_at`` (default: the file's modification time, so that re-ingesting gives
    the same rows) and ``IngestResult.time_fallback`` counts them."""
    if not path.is_file():
        raise InputError(f"{path} is not a readable file; check the path")
    file_kind, layout, header_line = sniff(path, kind)
    digest = file_sha256(path)
    run_id = f"file:{digest}"
    source = f"{path.name}@{digest[:12]}"
    previous = sink.run(run_id)
    if previous is not None and previous.finished and not force:
        return IngestResult(
            lines=previous.lines, accepted=previous.accepted, rejected=dict(previous.reasons),
            duplicates=previous.duplicates, skipped=True,
        )
    t = received_at.timestamp() if received_at is not None else path.stat().st_mtime
    received_us = int(t * 1_000_000)
    total = path.stat().st_size
    clock = file_clock(path, batch_lines) if layout is None else None
    ingestor = Ingestor(sink, run_id=run_id, run_source=source,
                        kind=layout.name if layout is not None else file_kind.value,
                        exercise=exercise, multipart_timeout_s=multipart_timeout_s,
                        batch_lines=batch_lines, pause_after_batch_s=pause_after_batch_s,
                        max_line_chars=max_line_chars, kept_prefix_chars=kept_prefix_chars)
    if layout is None:
        ingestor.total.clock = (clock.kind if clock is not None else ClockKind.none).value
    batches = read_line_batches(path, source, received_us, batch_lines)
    if layout is None:
        read: collections.deque[int] = collections.deque()  # bytes read, per batch in flight

        def nmea() -> Iterator[LineBatch]:
            for batch, done in batches:
                read.append(done)
                if clock is not None:
                    batch.received_us = clock.times(batch.first_line_no, len(batch.texts))
                else:
                    batch.time_fallback = True
                yield batch

        def progress() -> None:
            done = read.popleft() if read else total
            if on_progress is not None:
                on_progress(FileProgress(path, done, total, ingestor.total))

        # each batch decodes while the one before commits; every batch is one transaction
        ingestor.feed_batches(nmea(), progress)
    else:
        for batch, done in batches:
            ingestor.feed_csv_batch(batch, layout, header_line)
            if on_progress is not None:
                on_progress(FileProgress(path, done, total, ingestor.total))
    ingestor.close()
    return ingestor.total
