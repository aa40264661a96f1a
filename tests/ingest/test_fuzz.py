"""Bad input never crashes the ingest: ≥ 100k mutated and random lines, most with valid
checksums so that they reach the decoder; every line is accounted for with a known reason."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ingest.helpers import DATA, checksum

from khazar.ingest import REASONS, Ingestor, LineBatch
from khazar.ingest.framing import frame_batch
from khazar.store import open_store
from khazar.store.ingest import IngestRepo

_ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"
_JUNK = "!$\\*,:#0123456789ABCDEFabcdefgsc-\t éÿ\x00"


def _seed_lines() -> list[str]:
    lines = []
    for f in sorted(DATA.glob("*/*")):
        if f.suffix in (".chk", ".json", ".gz") or f.name in ("COPYING", "LICENSE", "SOURCE"):
            continue
        text = f.read_text(errors="replace")
        lines += [x for x in text.splitlines() if x.startswith(("!", "\\"))]
    return lines


def _reframe(line: str) -> str:
    """Recompute the NMEA (and tag-block) checksums of a mutated line."""
    tag = ""
    if line.startswith("\\") and line.count("\\") >= 2:
        end = line.index("\\", 1)
        inner = line[1:end].split("*")[0]
        tag = f"\\{inner}*{checksum(inner)}\\"
        line = line[end + 1:]
    if line.startswith("!") and "*" in line:
        body = line[1:line.index("*")]
        line = f"!{body}*{checksum(body)}"
    return tag + line


def _mutate(rng: random.Random, line: str) -> str:
    chars = list(line)
    for _ in range(rng.randint(1, 2)):
        op = rng.random()
        pos = rng.randrange(len(chars)) if chars else 0
        if op < 0.55 and chars:  # payload-ish character
            chars[pos] = rng.choice(_ARMOUR)
        elif op < 0.62 and chars:
            chars[pos] = rng.choice(_JUNK)
        elif op < 0.72:
            chars.insert(pos, rng.choice(_ARMOUR + ","))
        elif op < 0.82 and chars:
            del chars[pos:pos + rng.randint(1, 6)]
        else:  # change a field: fragment counts, fill bits, times
            fields = "".join(chars).split(",")
            k = rng.randrange(len(fields))
            fields[k] = rng.choice(["", "0", "1", "2", "9", "5", "x", "12", "c:99999999999999",
                                    "c:-1", "g:1-2-3", "3", "A", "B"])
            chars = list(",".join(fields))
    return "".join(chars)


def _random_payload_line(rng: random.Random) -> str:
    n = rng.randint(0, 90)
    payload = "".join(rng.choice(_ARMOUR) for _ in range(n))
    count = rng.choice([1, 1, 1, 2, 3])
    body = f"AIVDM,{count},{rng.randint(1, count)},{rng.choice(['', '1', '7'])},A,{payload}," \
           f"{rng.randint(0, 5)}"
    return f"!{body}*{checksum(body)}"


def make_fuzz_lines(n: int, seed: int = 2024) -> list[str]:
    rng = random.Random(seed)
    seeds = _seed_lines()
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.7:
            out.append(_reframe(_mutate(rng, rng.choice(seeds))))
        elif r < 0.85:
            out.append(_random_payload_line(rng))
        elif r < 0.93:
            out.append(_mutate(rng, rng.choice(seeds)))  # checksum now probably wrong
        else:
            out.append("".join(rng.choice(_JUNK + _ARMOUR) for _ in range(rng.randint(0, 80))))
    return out


def _ingest_lines(db: Path, lines: list[str]) -> dict[str, object]:
    with open_store(db) as store:
        ing = Ingestor(IngestRepo(store), run_source="fuzz", batch_lines=20_000)
        ing.feed_batch(LineBatch("fuzz", lines, 1, 1_700_000_000_000_000))
        ing.close()
        return ing.total.as_dict()


def test_100k_fuzzed_lines_are_all_accounted_for(tmp_path: Path) -> None:
    lines = make_fuzz_lines(100_000)
    framed = frame_batch(lines, [1_700_000_000_000_000] * len(lines))
    reaching_decoder = len(framed.sentences) + len(framed.singles.idx)
    assert reaching_decoder >= len(lines) // 2
    result = _ingest_lines(tmp_path / "fuzz.duckdb", lines)
    by_reason = result["by_reason"]
    assert isinstance(by_reason, dict)
    assert set(by_reason) <= set(REASONS)
    assert by_reason.get("internal_error", 0) == 0
    assert result["accepted"] + result["rejected"] == result["lines"] == len(lines)
    assert result["pending"] == 0
    # the decoder saw enough to reject for decoder reasons, and accepted real reports
    assert by_reason.get("unknown_type", 0) > 0 and by_reason.get("truncated", 0) > 0
    assert result["positions"] > 1000


@settings(max_examples=20, deadline=None)
@given(st.lists(st.text(alphabet=_JUNK + _ARMOUR + "\\!", max_size=120), max_size=40))
def test_any_text_is_accounted_for(tmp_path_factory: object, texts: list[str]) -> None:
    lines = [_reframe(t) for t in texts]
    with open_store(":memory:") as store:
        ing = Ingestor(IngestRepo(store), run_source="prop")
        ing.feed_batch(LineBatch("prop", [x.replace("\n", " ") for x in lines], 1, 0))
        ing.close()
        r = ing.total
    assert r.accepted + r.rejected_total == r.lines == len(lines)
    assert r.internal_errors == 0


def test_fuzzed_csv_rows_are_accounted_for(tmp_path: Path) -> None:
    from khazar.ingest.csvfiles import detect_layout

    rng = random.Random(7)
    header = "mmsi,timestamp,lat,lon,sog,cog,heading,status,name"
    good = "423000001,2025-03-01T10:00:00Z,40.30,50.10,12.5,90.0,91,0,KHAZAR"
    rows = [header]
    for _ in range(5_000):
        row = list(good)
        for _ in range(rng.randint(0, 3)):
            pos = rng.randrange(len(row))
            row[pos] = rng.choice(_JUNK + "0123456789,.-:TZ")
        rows.append("".join(row))
    layout = detect_layout(header)
    assert layout is not None and layout.name == "generic"
    with open_store(tmp_path / "csv.duckdb") as store:
        ing = Ingestor(IngestRepo(store), run_source="csv-fuzz")
        ing.feed_csv_batch(LineBatch("csv", rows, 1, 0), layout, header_line=1)
        ing.close()
        r = ing.total
    assert r.accepted + r.rejected_total == r.lines == len(rows)
    assert r.internal_errors == 0 and set(r.rejected) <= set(REASONS)
    assert r.positions > 100 and r.rejected.get("bad_row", 0) > 100
