"""Ingest (DESIGN C1): sources → framing → multipart → decode → store.

Public surface: :class:`Ingestor` (feed lines, get counts by reason), :func:`ingest_file`,
the :class:`Source` family (file replay, UDP, TCP client, in-memory fake / simulator) and the
fixed list of rejection reasons.
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
