"""The ingest pipeline: lines → framing → multipart assembly → decode → store, per batch.

:class:`Ingestor` is the public entry point for every feed (files, UDP, TCP, simulator, tests):
give it :class:`RawLine` values or whole :class:`LineBatch` es and it commits each batch in one
transaction of its :class:`~khazar.ingest.batch.IngestSink` (the store's ``IngestRepo``).
Every line read ends up in exactly one bucket: accepted, rejected with a
:class:`~khazar.ingest.reasons.Reason`, or (until the next fragment or :meth:`Ingestor.close`)
pending in multipart assembly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from khazar.ingest.batch import (
    IngestBatch,
    IngestSink,
    bases_table,
    detections_table,
    positions_table,
    raw_table,
    rejects_table,
    statics_table,
)
from khazar.ingest.csvfiles import CsvLayout, parse_csv_lines
from khazar.ingest.decode import Decoded, LineRef, Message, Messages, decode_messages
from khazar.ingest.framing import Framed, frame_batch
from khazar.ingest.multipart import Assembler
from khazar.ingest.reasons import Reason

__all__ = ["MAX_LINE_CHARS", "IngestResult", "Ingestor", "LineBatch", "RawLine"]

#: a line longer than this is rejected as ``line_too_long`` and stored cut to
#: :data:`KEPT_PREFIX_CHARS` (the settings' ``ingest.max_line_chars``, ``kept_prefix_chars``;
#: docs/security.md, "Bounded input")
MAX_LINE_CHARS = 1024
KEPT_PREFIX_CHARS = 256
#: what a line over the bound is parsed as: nothing a parser accepts (its reason is then set)
_PLACEHOLDER = "\x00"


def _bound(texts: list[str], limit: int, keep: int) -> tuple[list[str], dict[int, str]]:
    """``texts`` with each line over ``limit`` characters replaced by a placeholder, and
    those lines' kept prefixes by index (none: ``texts`` itself)."""
    if not texts or max(map(len, texts)) <= limit:
        return texts, {}
    cut = {i: t[:keep] for i, t in enumerate(texts) if len(t) > limit}
    return [_PLACEHOLDER if i in cut else t for i, t in enumerate(texts)], cut


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line as received. ``received_at`` defaults to now; ``line_no`` to a session counter."""

    text: str
    source: str = "memory"
    line_no: int | None = None
    received_at: datetime | None = None


@dataclass(slots=True)
class LineBatch:
    """Consecutive lines of one source: the unit the pipeline decodes and commits."""

    source: str
    texts: list[str]
    first_line_no: int
    received_us: list[int] | int  # per line, or one time for all
    #: ``received_us`` is a stand-in (a file's time, no clock in it), not when lines came:
    #: lines without their own time are counted in ``IngestResult.time_fallback``
    time_fallback: bool = False


@dataclass(slots=True)
class IngestResult:
    """Counts of one call (or of a whole run). ``lines == accepted + rejected + pending``."""

    lines: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    positions: int = 0
    statics: int = 0
    base_stations: int = 0
    detections: int = 0
    duplicates: int = 0
    no_position: int = 0
    skipped: bool = False  # a file already ingested completely: nothing was read
    #: where a file's line times came from (:class:`~khazar.ingest.clocks.ClockKind`; ""
    #: for live feeds and CSV, "mixed" for a total over files with different clocks)
    clock: str = ""
    #: lines that got the stand-in time (the file's time: no time of their own, no clock)
    time_fallback: int = 0
    #: positions stored with an invalid MMSI (0, a MID outside 201–775 …): kept, flagged,
    #: left out of the vessel picture
    invalid_mmsi: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def internal_errors(self) -> int:
        return self.rejected.get(Reason.internal_error.value, 0)

    def add(self, other: IngestResult) -> None:
        """Accumulate ``other`` (``pending`` is a level, not a sum: it is replaced)."""
        self.lines += other.lines
        self.accepted += other.accepted
        for k, v in other.rejected.items():
            self.rejected[k] = self.rejected.get(k, 0) + v
        self.pending = other.pending
        self.positions += other.positions
        self.statics += other.statics
        self.base_stations += other.base_stations
        self.detections += other.detections
        self.duplicates += other.duplicates
        self.no_position += other.no_position
        self.time_fallback += other.time_fallback
        self.invalid_mmsi += other.invalid_mmsi
        if other.clock and other.clock != self.clock:
            self.clock = other.clock if not self.clock else "mixed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "accepted": self.accepted,
            "rejected": self.rejected_total,
            "pending": self.pending,
            "by_reason": dict(sorted(self.rejected.items())),
            "positions": self.positions,
            "positions_invalid_mmsi": self.invalid_mmsi,
            "vessels_static": self.statics,
            "base_stations": self.base_stations,
            "detections": self.detections,
            "duplicates": self.duplicates,
            "reports_without_position": self.no_position,
            "skipped": self.skipped,
            "clock": self.clock,
            "lines_with_file_time": self.time_fallback,
        }


def _reject(result: IngestResult, reason: str, n: int = 1) -> None:
    result.rejected[reason] = result.rejected.get(reason, 0) + n


class Ingestor:
    """Feeds lines into one sink (the store's ``IngestRepo``). Not thread-safe: one thread
    feeds it (listeners queue).

    ``run_id`` names the run in ``ingest_runs`` (a file's content hash makes re-runs resume);
    ``exercise`` marks every position and detection as exercise data.
    """

    def __init__(
        self,
        sink: IngestSink,
        *,
        run_id: str | None = None,
        run_source: str = "live",
        kind: str = "nmea",
        exercise: bool = False,
        multipart_timeout_s: float = 60.0,
        batch_lines: int = 50_000,
        on_commit: Callable[[IngestResult], None] | None = None,
        pause_after_batch_s: float = 0.0,
        max_line_chars: int = MAX_LINE_CHARS,
        kept_prefix_chars: int = KEPT_PREFIX_CHARS,
    ) -> None:
        self.sink = sink
        #: lines longer are rejected (``line_too_long``), stored cut to ``kept_prefix_chars``
        self.max_line_chars = max_line_chars
        self.kept_prefix_chars = kept_prefix_chars
        self.run_id = run_id or f"live:{uuid.uuid4()}"
        self.exercise = exercise
        self.batch_lines = batch_lines
        self.on_commit = on_commit
        self.pause_after_batch_s = pause_after_batch_s
        self.total = IngestResult()
        self._assembler = Assembler(timeout_s=multipart_timeout_s)
        self._seq = 0
        self._counters: dict[str, int] = {}
        self._session_base = time.time_ns() // 1000 * 1000
        self.sink.start_run(self.run_id, run_source, kind)

    # public ------------------------------------------------------------------------
    def feed(self, lines: Iterable[RawLine]) -> IngestResult:
        """Ingest lines (any number, any sources); returns the counts of this call."""
        result = IngestResult()
        for batch in self._group(lines):
            result.add(self.feed_batch(batch))
        return result

    def feed_batch(self, batch: LineBatch) -> IngestResult:
        """Decode and commit one batch (split when longer than ``batch_lines``)."""
        result = IngestResult()
        for part in self._split(batch):
            result.add(self._process(part))
        return result

    def feed_batches(self, batches: Iterable[LineBatch],
                     after_commit: Callable[[], None] | None = None) -> IngestResult:
        """:meth:`feed_batch` for each batch, each decoded while the one before it commits
        (in a writer thread: the store's work releases the interpreter). Batches still
        commit one at a time, in order, each in its own transaction; ``after_commit`` is
        called (in this thread) after each, when :attr:`total` includes it."""
        result = IngestResult()
        pending: tuple[Future[None], IngestResult] | None = None

        def settle() -> None:
            nonlocal pending
            if pending is not None:
                done, part_result = pending
                pending = None
                done.result()
                result.add(part_result)
                if after_commit is not None:
                    after_commit()

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit") as pool:
            try:
                for batch in batches:
                    for part in self._split(batch):
                        out, part_result = self._prepare(part)
                        settle()
                        pending = (pool.submit(self._commit, out, part_result), part_result)
                settle()
            finally:
                if pending is not None:  # an error before: the batch in flight still ends
                    pending[0].exception()
        return result

    def _split(self, batch: LineBatch) -> Iterator[LineBatch]:
        n = len(batch.texts)
        if n <= self.batch_lines:
            yield batch
            return
        recv = batch.received_us
        for start in range(0, n, self.batch_lines):
            stop = min(n, start + self.batch_lines)
            yield LineBatch(batch.source, batch.texts[start:stop], batch.first_line_no + start,
                            recv[start:stop] if isinstance(recv, list) else recv,
                            batch.time_fallback)

    def feed_csv_batch(self, batch: LineBatch, layout: CsvLayout, header_line: int = 0
                       ) -> IngestResult:
        """Ingest lines of a CSV file (``header_line`` is the header's line number)."""
        result = IngestResult(lines=len(batch.texts))
        recv = batch.received_us
        recv_list = recv if isinstance(recv, list) else [recv] * len(batch.texts)
        out = _Out(source=batch.source)
        try:
            texts, cut = _bound(batch.texts, self.max_line_chars, self.kept_prefix_chars)
            decoded, reasons, details = parse_csv_lines(
                layout, texts, header_line, batch.first_line_no, recv_list[0]
                if recv_list else 0)
            for i, prefix in cut.items():
                texts[i], reasons[i], details[i] = prefix, Reason.line_too_long, self._too_long
            for i, text in enumerate(texts):
                reason = reasons[i]
                if reason is Reason.empty:
                    _reject(result, reason.value)
                    continue
                line_no = batch.first_line_no + i
                line = text.rstrip("\r\n")
                out.raw(line_no, recv_list[i], "", line)
                if reason is None:
                    result.accepted += 1
                else:
                    out.reject(line_no, recv_list[i], reason, details[i], line)
                    _reject(result, reason.value)
            out.decoded = decoded
        except Exception as exc:  # a bug: keep the lines, count internal errors
            out, result = self._internal_error(batch, recv_list, exc)
        self._commit(out, result)
        return result

    def refuse(self, lines: Iterable[RawLine], reason: Reason, detail: str) -> IngestResult:
        """Store ``lines`` as rejected for ``reason`` without decoding them: lines a live
        feed refused before its queue (too long: their texts are already cut to a bounded
        prefix). Numbered in the same per-source sequence as :meth:`feed`'s lines."""
        result = IngestResult()
        for batch in self._group(lines):
            out = _Out(source=batch.source)
            part = IngestResult(lines=len(batch.texts))
            recv = batch.received_us
            for i, text in enumerate(batch.texts):
                out.reject(batch.first_line_no + i, recv[i] if isinstance(recv, list) else recv,
                           reason, detail, text)
            _reject(part, reason.value, len(batch.texts))
            self._commit(out, part)
            result.add(part)
        return result

    @property
    def _too_long(self) -> str:
        return (f"longer than {self.max_line_chars} characters; the first "
                f"{self.kept_prefix_chars} kept")

    def _internal_error(self, batch: LineBatch, recv: list[int], exc: Exception
                        ) -> tuple[_Out, IngestResult]:
        out = _Out(source=batch.source)
        result = IngestResult(lines=len(batch.texts))
        detail = f"{type(exc).__name__}: {exc}"[:500]
        limit, keep = self.max_line_chars, self.kept_prefix_chars
        for i, text in enumerate(batch.texts):
            out.reject(batch.first_line_no + i, recv[i], Reason.internal_error, detail,
                       text[:keep] if len(text) > limit else text)
        _reject(result, Reason.internal_error.value, len(batch.texts))
        return out, result

    def close(self) -> IngestResult:
        """End of the feed: pending fragments become ``incomplete_multipart``; run finished."""
        result = IngestResult()
        by_source: dict[str, list[LineRef]] = {}
        for ref in self._assembler.flush():
            by_source.setdefault(ref.source, []).append(ref)
        for source, refs in by_source.items():
            out = _Out(source=source)
            part = IngestResult()
            for ref in refs:
                out.late_reject(ref, Reason.incomplete_multipart, "no further fragment")
            _reject(part, Reason.incomplete_multipart.value, len(refs))
            self._commit(out, part)
            result.add(part)
        self.total.pending = 0
        self.sink.finish_run(self.run_id, self._progress(self.total), dict(self.total.rejected))
        return result

    # internals -----------------------------------------------------------------------
    def _group(self, lines: Iterable[RawLine]) -> Iterator[LineBatch]:
        texts: list[str] = []
        recv: list[int] = []
        source = ""
        first = 0
        expect = 0
        for line in lines:
            line_no = line.line_no
            if line_no is None:
                count = self._counters.get(line.source, 0)
                self._counters[line.source] = count + 1
                line_no = self._session_base + count
            t = line.received_at
            us = int(t.timestamp() * 1_000_000) if t is not None else time.time_ns() // 1000
            if texts and (line.source != source or line_no != expect
                          or len(texts) >= self.batch_lines):
                yield LineBatch(source, texts, first, recv)
                texts, recv = [], []
            if not texts:
                source, first = line.source, line_no
            texts.append(line.text)
            recv.append(us)
            expect = line_no + 1
        if texts:
            yield LineBatch(source, texts, first, recv)

    def _process(self, batch: LineBatch) -> IngestResult:
        out, result = self._prepare(batch)
        self._commit(out, result)
        return result

    def _prepare(self, batch: LineBatch) -> tuple[_Out, IngestResult]:
        """Decode a batch into what it writes (nothing is written yet)."""
        result = IngestResult()
        texts = batch.texts
        n = len(texts)
        result.lines = n
        recv = batch.received_us
        recv_list = recv if isinstance(recv, list) else [recv] * n
        out = _Out(source=batch.source)
        try:
            self._decode_into(batch, recv_list, out, result)
        except Exception as exc:  # a bug: never lose the lines, count them as internal errors
            out, result = self._internal_error(batch, recv_list, exc)
        return out, result

    def _decode_into(self, batch: LineBatch, recv: list[int], out: _Out,
                     result: IngestResult) -> None:
        texts, cut = _bound(batch.texts, self.max_line_chars, self.kept_prefix_chars)
        first = batch.first_line_no
        framed = frame_batch(texts, recv)
        reasons = framed.reasons
        details = framed.details
        for i, prefix in cut.items():  # framed as garbage: rejected for their length
            texts[i], reasons[i], details[i] = prefix, Reason.line_too_long, self._too_long
        times = framed.line_times_us
        msgs = Messages()
        singles = framed.singles
        msgs.extend(singles.idx, singles.payload, singles.fill, singles.station, singles.time_us)
        assembled: list[Message] = []
        fragment = [False] * len(texts)
        abandoned: list[LineRef] = []
        for s in framed.sentences:
            if s.count == 1:
                msgs.append(Message(s.payload, s.fill, s.station, s.time_us, s.idx))
                continue
            fragment[s.idx] = True
            ref = LineRef(batch.source, first + s.idx, texts[s.idx].rstrip("\r\n"),
                          times[s.idx])
            self._seq += 1
            self._assembler.add(batch.source, s, ref, self._seq, assembled, abandoned)
        for m in assembled:
            msgs.append(m)
        decoded = decode_messages(msgs)
        rejected_multi: set[int] = set()
        for k, why, detail in decoded.rejects:
            refs = msgs.refs.get(k)
            if refs is None:
                reasons[msgs.idx[k]] = why
                details[msgs.idx[k]] = detail
            else:
                rejected_multi.add(k)
                for ref in refs:
                    out.late_reject(ref, why, detail)
                    _reject(result, why.value)
        for k, refs in msgs.refs.items():
            if k not in rejected_multi:
                result.accepted += len(refs)
        for ref in abandoned:
            out.late_reject(ref, Reason.incomplete_multipart, "fragments missing or out of order")
            _reject(result, Reason.incomplete_multipart.value)
        stations = framed.stations
        raw = out.raw_cols
        if reasons.count(None) == len(reasons):  # the common batch: every line accepted
            raw[0].extend(range(first, first + len(texts)))
            raw[1].extend(times)
            raw[2].extend(stations)
            raw[3].extend([t.rstrip("\r\n") for t in texts])
            result.accepted += len(texts) - fragment.count(True)
            if batch.time_fallback:
                result.time_fallback += framed.own_time.count(False)
        else:
            self._lines_with_reasons(batch, texts, framed, fragment, out, result)
        result.pending = self._assembler.pending_lines
        out.decoded = decoded

    @staticmethod
    def _lines_with_reasons(batch: LineBatch, texts: list[str], framed: Framed,
                            fragment: list[bool], out: _Out, result: IngestResult) -> None:
        """Raw lines and rejects of a batch some of whose lines (``texts``: over-long ones
        cut) have a reason."""
        first = batch.first_line_no
        reasons, details, times, stations = (framed.reasons, framed.details,
                                             framed.line_times_us, framed.stations)
        empty = Reason.empty
        kept = [i for i, r in enumerate(reasons) if r is not empty]
        if len(kept) < len(texts):
            _reject(result, empty.value, len(texts) - len(kept))
        lines = [texts[i].rstrip("\r\n") for i in kept]
        raw = out.raw_cols
        raw[0].extend([first + i for i in kept])
        raw[1].extend([times[i] for i in kept])
        raw[2].extend([stations[i] for i in kept])
        raw[3].extend(lines)
        for k, i in enumerate(kept):
            reason = reasons[i]
            if reason is not None:
                out.reject(first + i, times[i], reason, details[i], lines[k])
                _reject(result, reason.value)
        result.accepted += sum(1 for i in kept if reasons[i] is None and not fragment[i])
        if batch.time_fallback:
            own = framed.own_time
            result.time_fallback += sum(1 for i in kept if not own[i])

    def _commit(self, out: _Out, result: IngestResult) -> None:
        batch = out.build(self.exercise)
        result.duplicates += out.batch_duplicates
        result.positions = batch.positions.num_rows if batch.positions is not None else 0
        result.statics = batch.statics.num_rows if batch.statics is not None else 0
        result.base_stations = batch.bases.num_rows if batch.bases is not None else 0
        result.detections = batch.detections.num_rows if batch.detections is not None else 0
        if out.decoded is not None:
            result.no_position = out.decoded.no_position
        after = IngestResult()
        after.add(self.total)
        after.add(result)
        counts = self.sink.write(batch, self.run_id, self._progress(after),
                                 dict(after.rejected))
        # rows the store already had are duplicates, not new records
        for table, attr in (("positions", "positions"), ("vessels_static", "statics"),
                            ("base_stations", "base_stations"), ("detections", "detections")):
            if table in counts.staged:
                setattr(result, attr, counts.inserted.get(table, 0))
        result.duplicates += counts.duplicates
        result.invalid_mmsi = counts.invalid_mmsi
        self.total.add(result)
        if self.on_commit is not None:
            self.on_commit(self.total)
        if self.pause_after_batch_s > 0:
            time.sleep(self.pause_after_batch_s)

    @staticmethod
    def _progress(t: IngestResult) -> tuple[int, int, int, int]:
        return (t.lines, t.accepted, t.rejected_total, t.duplicates)


class _Out:
    """What one batch writes: raw lines, rejects and decoded rows (deduplicated in-batch)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.raw_cols: tuple[list[int], list[int], list[str], list[str]] = ([], [], [], [])
        self.rej_cols: tuple[list[int], list[int], list[str], list[str], list[str]] = (
            [], [], [], [], [])
        self.decoded: Decoded | None = None
        self.batch_duplicates = 0

    def raw(self, line_no: int, received_us: int, station: str, line: str) -> None:
        c = self.raw_cols
        c[0].append(line_no)
        c[1].append(received_us)
        c[2].append(station)
        c[3].append(line)

    def reject(self, line_no: int, received_us: int, reason: Reason, detail: str,
               line: str) -> None:
        c = self.rej_cols
        c[0].append(line_no)
        c[1].append(received_us)
        c[2].append(reason.value)
        c[3].append(detail)
        c[4].append(line)

    def late_reject(self, ref: LineRef, reason: Reason, detail: str) -> None:
        self.reject(ref.line_no, ref.received_us, reason, detail, ref.text)

    def build(self, exercise: bool) -> IngestBatch:
        batch = IngestBatch(source=self.source)
        if self.raw_cols[0]:
            batch.raw = raw_table(self.source, *self.raw_cols)
        if self.rej_cols[0]:
            batch.rejects = rejects_table(self.source, *self.rej_cols)
        d = self.decoded
        if d is None:
            return batch
        if d.positions and len(d.positions["mmsi"]):
            cols = d.positions
            keep = _first_unique(cols["mmsi"], cols["report_s"], cols["msg_key"])
            self.batch_duplicates += int(len(keep) - keep.sum())
            if not keep.all():
                cols = {k: (np.asarray(v)[keep] if not isinstance(v, list)
                            else [x for x, ok in zip(v, keep.tolist(), strict=True) if ok])
                        for k, v in cols.items()}
            batch.positions = positions_table(cols, self.source, exercise)
        if d.statics:
            rows = _unique_rows(d.statics, lambda r: (r[0], r[14]))
            self.batch_duplicates += len(d.statics) - len(rows)
            batch.statics = statics_table(rows, self.source)
        if d.detections:
            rows = _unique_rows(d.detections, lambda r: (r[0], r[1], r[2], r[4]))
            self.batch_duplicates += len(d.detections) - len(rows)
            batch.detections = detections_table(rows, exercise)
        if d.bases:
            rows = _unique_rows(d.bases, lambda r: (r[0], r[7], r[6]))
            self.batch_duplicates += len(d.bases) - len(rows)
            batch.bases = bases_table(rows, self.source)
        return batch


def _unique_rows(rows: list[tuple[Any, ...]], key: Callable[[tuple[Any, ...]], Any]
                 ) -> list[tuple[Any, ...]]:
    seen: set[Any] = set()
    out = []
    for r in rows:
        k = key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def _first_unique(*keys: Any) -> Any:
    """Mask of the first occurrence of each key tuple (in input order)."""
    n = len(keys[0])
    order = np.lexsort((np.arange(n), *reversed(keys)))
    same = np.ones(n, dtype=bool)
    same[0] = False
    for k in keys:
        arr = np.asarray(k)[order]
        same[1:] &= arr[1:] == arr[:-1]
    keep = np.empty(n, dtype=bool)
    keep[order] = ~same
    return keep
