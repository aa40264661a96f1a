"""The public surface of khazar.ingest stays what the server and the simulator use."""

from __future__ import annotations

import khazar.ingest as ingest
from khazar.ingest import REASONS, Reason


def test_exported_names() -> None:
    assert set(ingest.__all__) == {
        "REASONS", "FileKind", "FileProgress", "IngestResult", "Ingestor", "LineBatch",
        "RawLine", "Reason", "ingest_file", "sniff",
    }


def test_reasons_are_a_fixed_list() -> None:
    assert REASONS == ("empty", "not_ais", "malformed", "bad_checksum", "unknown_type",
                       "truncated", "incomplete_multipart", "out_of_range", "bad_row",
                       "line_too_long", "rate_limited", "internal_error")
    assert Reason("bad_checksum") is Reason.bad_checksum
