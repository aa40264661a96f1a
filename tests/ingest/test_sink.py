"""The pipeline does no I/O of its own: it writes through any IngestSink, one call a batch."""

from __future__ import annotations

from pathlib import Path

from khazar.ingest import Ingestor, LineBatch, ingest_file
from khazar.ingest.batch import BatchCounts, IngestBatch, RunRecord

SAMPLE = Path(__file__).parent.parent / "data" / "ais" / "pyais" / "nmea_data_sample.txt"


class MemorySink:
    """Keeps every batch in memory; a finished run is reported back like the store does."""

    def __init__(self) -> None:
        self.batches: list[IngestBatch] = []
        self.runs: dict[str, RunRecord] = {}
        self.started: list[tuple[str, str, str]] = []
        #: answer every write as if the store had all its rows already (a re-read)
        self.holds_everything = False

    def run(self, run_id: str) -> RunRecord | None:
        return self.runs.get(run_id)

    def start_run(self, run_id: str, source: str, kind: str) -> None:
        self.started.append((run_id, source, kind))

    def write(self, batch: IngestBatch, run_id: str, progress: tuple[int, int, int, int],
              reasons: dict[str, int], finished: bool = False) -> BatchCounts:
        self.batches.append(batch)
        counts = BatchCounts()
        for table, data in (("positions", batch.positions), ("vessels_static", batch.statics)):
            if data is not None:
                counts.staged[table] = data.num_rows
                counts.inserted[table] = 0 if self.holds_everything else data.num_rows
        return counts

    def finish_run(self, run_id: str, progress: tuple[int, int, int, int],
                   reasons: dict[str, int]) -> None:
        lines, accepted, rejected, dups = progress
        self.runs[run_id] = RunRecord(run_id, "", "nmea", True, lines, accepted, rejected, dups,
                                      dict(reasons))


def test_a_file_goes_to_the_sink_and_is_skipped_once_finished() -> None:
    sink = MemorySink()
    result = ingest_file(sink, SAMPLE, batch_lines=20)
    assert result.lines > 20 and not result.skipped
    assert len(sink.batches) >= 2  # one write per batch of 20 lines
    positions = sum(b.positions.num_rows for b in sink.batches if b.positions is not None)
    assert positions == result.positions > 0
    assert [k for _, _, k in sink.started] == ["nmea"]
    again = ingest_file(sink, SAMPLE, batch_lines=20)
    assert again.skipped and again.lines == result.lines


def test_rows_the_sink_already_holds_count_as_duplicates() -> None:
    sink = MemorySink()
    sink.holds_everything = True
    lines = [line for line in SAMPLE.read_text().splitlines() if line.strip()]
    ingestor = Ingestor(sink, run_id="mem:1")
    result = ingestor.feed_batch(LineBatch("mem", lines, 1, 1_700_000_000_000_000))
    ingestor.close()
    staged = sum(b.positions.num_rows for b in sink.batches if b.positions is not None)
    assert staged > 0
    assert result.positions == 0
    assert result.duplicates >= staged
    assert sink.runs["mem:1"].finished and sink.runs["mem:1"].lines == len(lines)
