"""Ingest (DESIGN C1): sources → framing → multipart → decode → store.

Public surface: :class:`Ingestor` (feed lines, get counts by reason), :func:`ingest_file`,
and the fixed list of reasons. The live transports (UDP, TCP client with back-off, a
followed file) are in :mod:`khazar.live.transport`.

Live use (a listener thread queues lines; one thread feeds)::

    with open_store(db) as store:
        ingestor = Ingestor(IngestRepo(store), exercise=False)
        result = ingestor.feed([RawLine(text, source="udp:10110")])
        result.accepted, result.rejected   # {"bad_checksum": 1, ...}
        ingestor.close()                   # pending fragments → incomplete_multipart

Stages: :mod:`~khazar.ingest.framing` (wrappers, checksums), :mod:`~khazar.ingest.multipart`,
:mod:`~khazar.ingest.decode` (vectorised hot types, pyais for the rest, units normalised
once), :mod:`~khazar.ingest.csvfiles`. Ingest does no I/O of its own: batches go to an
:class:`~khazar.ingest.batch.IngestSink`, in practice :class:`khazar.store.ingest.IngestRepo`.
"""

from khazar.ingest.files import FileKind, FileProgress, ingest_file, sniff
from khazar.ingest.pipeline import Ingestor, IngestResult, LineBatch, RawLine
from khazar.ingest.reasons import REASONS, Reason

__all__ = [
    "REASONS",
    "FileKind",
    "FileProgress",
    "IngestResult",
    "Ingestor",
    "LineBatch",
    "RawLine",
    "Reason",
    "ingest_file",
    "sniff",
]
