"""The vector framing against the per-line framing, line by line: same reasons and details,
times, stations, single sentences and fragments, on every corpus line and on mutations."""

from __future__ import annotations

import random
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ingest.helpers import DATA

from khazar.ingest.framing import Framed, _frame_lines, frame_batch


def _cs(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}"


def _same(texts: list[str]) -> Framed:
    recv = [1_600_000_000_000_000 + i for i in range(len(texts))]
    got = frame_batch(texts, recv, vector_min=1)
    ref = _frame_lines(texts, recv)
    assert got.reasons == ref.reasons
    assert got.details == ref.details
    assert got.line_times_us == ref.line_times_us
    assert got.own_time == ref.own_time
    assert got.stations == ref.stations
    assert got.singles == ref.singles
    assert got.sentences == ref.sentences
    return got


def _corpus() -> list[str]:
    return [x for f in sorted(DATA.glob("*/*")) if f.suffix not in (".chk", ".json", ".gz")
            for x in f.read_text(errors="replace").splitlines()]


def test_every_corpus_line_frames_as_line_by_line() -> None:
    lines = [x for x in _corpus() if "PGHP" not in x]  # a Gatehouse header: all line by line
    framed = _same(lines)
    assert len(framed.singles.idx) > 1000 and len(framed.sentences) > 100


def _tagged(rng: random.Random, body: str) -> str:
    items = rng.sample([f"s:{rng.choice(['AZ-BAKU', 'r1', '', 'X,Y'])}",
                        f"c:{rng.choice(['1700000000', '1700000000123', '17x', '', '9' * 14])}",
                        f"g:{rng.randint(1, 2)}-2-{rng.randint(1, 99)}", "n:42", "s:dup"],
                       rng.randint(0, 4))
    tag = ",".join(items)
    cs = _cs(tag) if rng.random() < 0.9 else "ZZ"
    return f"\\{tag}*{cs}\\{body}"


def _line(rng: random.Random) -> str:
    count = rng.choice([1, 1, 1, 2, 3, 0, 10])
    fields = ["AIVDM" if rng.random() < 0.9 else rng.choice(["GPGGA", "AIVDO", "AIVDX"]),
              str(count), str(rng.randint(0, max(count, 1))), rng.choice(["", "3", "12"]),
              rng.choice(["A", "B", ""]),
              "".join(rng.choice("13B5;0w`W:") for _ in range(rng.choice([0, 1, 16, 28]))),
              rng.choice("0123456x")]
    if rng.random() < 0.05:
        fields.insert(3, "extra")
    body = ",".join(fields)
    cs = _cs(body) if rng.random() < 0.9 else rng.choice(["00", "G1", "a"])
    line = f"{rng.choice('!!!!$')}{body}*{cs}"
    if rng.random() < 0.1:
        line += rng.choice([",1700000000", ",r003669946,1325394060", ""])
    if rng.random() < 0.6:
        line = _tagged(rng, line)
    return line + rng.choice(["", "", "\r", "  ", "\r\n"])


def _mutate(rng: random.Random, line: str) -> str:
    if not line or rng.random() < 0.7:
        return line
    i = rng.randrange(len(line))
    op = rng.randrange(3)
    if op == 0:
        return line[:i] + line[i + 1:]
    ch = rng.choice("\\*,!$ \x00é0A")
    return line[:i] + ch + line[i + (op == 1):]


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 60))
def test_random_and_mutated_lines_frame_as_line_by_line(seed: int, n: int) -> None:
    rng = random.Random(seed)
    corpus = _CORPUS
    lines = [_mutate(rng, _line(rng) if rng.random() < 0.7 else rng.choice(corpus))
             for _ in range(n)]
    _same([x for x in lines if "PGHP" not in x])


_CORPUS = [x for x in _corpus() if x][:3000]
