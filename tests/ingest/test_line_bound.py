"""Files are bounded like feeds (issue 18, point 4): a line over ``ingest.max_line_chars`` is
rejected as ``line_too_long`` and stored cut to a prefix, never whole; reading a file never
holds more than 1 MiB of one unterminated line."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.ingest.helpers import DATA

from khazar.ingest import Reason
from khazar.ingest.files import ingest_file, read_line_batches
from khazar.store import open_store
from khazar.store.ingest import IngestRepo


def test_a_file_line_over_the_bound_is_rejected_and_stored_cut(tmp_path: Path) -> None:
    good = (DATA / "libais" / "tagblock.nmea").read_text().splitlines()
    path = tmp_path / "mixed.nmea.gz"
    huge = "!AIVDM,1,1,,A," + "7" * 5_000_000  # one line of 5 MB
    with gzip.open(path, "wt") as f:
        f.write("\n".join([good[0], "X" * 1025, huge, *good[1:]]) + "\n")
    with open_store(tmp_path / "k.duckdb") as store:
        result = ingest_file(IngestRepo(store), path)
        reference = ingest_file(IngestRepo(store), DATA / "libais" / "tagblock.nmea")
        rows = store.execute("SELECT line_no, length(line), detail FROM rejects WHERE reason = "
                             "'line_too_long' ORDER BY line_no").fetchall()
        longest = store.execute("SELECT max(length(line)) FROM raw_sentences").fetchone()
    assert result.rejected[Reason.line_too_long.value] == 2
    assert result.lines == len(good) + 2
    assert result.accepted == reference.accepted  # the lines around them as before
    assert [(r[0], r[1]) for r in rows] == [(2, 256), (3, 256)]
    assert "longer than 1024" in rows[0][2]
    assert longest is not None and longest[0] <= 1024


def test_reading_never_holds_more_than_a_mebibyte_of_one_line(tmp_path: Path) -> None:
    path = tmp_path / "one-line.nmea"
    path.write_bytes(b"A" * (12 << 20) + b"\nB\n" + b"C" * (3 << 20))  # no final newline
    batches = [b for b, _ in read_line_batches(path, "s", 0, 10)]
    texts = [t for b in batches for t in b.texts]
    assert [len(t) for t in texts] == [1 << 20, 1, 1 << 20]
    assert texts[1] == "B" and [b.first_line_no for b in batches] == [1]
    assert texts[0] == "A" * (1 << 20) and texts[2] == "C" * (1 << 20)
