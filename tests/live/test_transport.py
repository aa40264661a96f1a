"""The transports' one decoding and the file follower (appends, split lines, truncation,
rotation, a file that appears late)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from khazar.config import load_settings
from khazar.live.feeds import FeedPipeline
from khazar.live.state import ServerState
from khazar.live.stats import FeedCounters
from khazar.live.transport import FileFollower, UdpListener, decode_lines, split_complete
from khazar.store import open_store

from .helpers import lines_of, send_udp, wait_for


class Collect:
    """A line sink that keeps what it is offered."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.refused: list[tuple[str, int, list[str]]] = []

    def offer_many(self, texts: list[str], source: str) -> int:
        self.texts += texts
        return len(texts)

    def refuse(self, source: str, reason: str, count: int, kept: Sequence[str] = ()) -> None:
        self.refused.append((reason, count, list(kept)))


def test_decoding_keeps_whole_lines_and_replaces_undecodable_bytes() -> None:
    assert decode_lines(b"  a\r\n\r\nb\n \n\xff\xfec\n") == ["a", "b", "\ufffd\ufffdc"]
    lines, rest = split_complete(b"one\r\ntwo\nthr")
    assert (lines, rest) == (["one", "two"], b"thr")
    # a multi-byte character cut between two reads is joined, not replaced
    lines, rest = split_complete(rest + "ee \u00e9".encode()[:-1])
    assert (lines, rest) == ([], "three \u00e9".encode()[:-1])
    lines, rest = split_complete(rest + "\u00e9".encode()[-1:] + b"\n")
    assert (lines, rest) == (["three \u00e9"], b"")


def test_garbage_and_non_ascii_are_counted_rejections(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, load_settings())
        pipeline = FeedPipeline(state, flush_s=0.05)
        pipeline.start()
        udp = UdpListener(pipeline, state.feeds, "127.0.0.1", 0)
        udp.start()
        good = lines_of("udp")
        try:
            garbage = b"\xff\xfe\x00\x81garbage\r\n" + "!AIVDM,1,1,,A,\u00c4\u00d6,0*00\n".encode()
            send_udp(udp.address[1], garbage + ("\r\n".join(good) + "\r\n").encode())
            wait_for(lambda: udp.name in state.feeds.snapshot()
                     and state.feeds.snapshot()[udp.name].accepted == len(good))
        finally:
            udp.stop()
            pipeline.stop()
        stats = state.feeds.snapshot()[udp.name]
        assert stats.received == len(good) + 2 and stats.rejected == 2
        assert state.counters["feed.rejected"] == 2 and pipeline.total.positions == len(good)
        assert "ingest_errors" not in "".join(state.counters)


@pytest.fixture
def follower(tmp_path: Path) -> Iterator[tuple[FileFollower, Collect, Path]]:
    sink, path = Collect(), tmp_path / "feed.nmea"
    f = FileFollower(sink, FeedCounters(), path, poll_s=0.02)
    f.start()
    try:
        yield f, sink, path
    finally:
        f.stop()


def test_the_follower_waits_for_the_file_and_reads_what_is_appended(
        follower: tuple[FileFollower, Collect, Path]) -> None:
    f, sink, path = follower
    wait_for(lambda: f.feeds.snapshot().get(f.name) is not None)
    assert f.feeds.snapshot()[f.name].connected is False  # not there yet
    path.write_bytes(b"one\ntw")
    wait_for(lambda: sink.texts == ["one"])
    with path.open("ab") as out:
        out.write(b"o\nthree\n")
    wait_for(lambda: sink.texts == ["one", "two", "three"])
    assert f.feeds.snapshot()[f.name].connected is True and f.opens == 1


def test_the_follower_reads_a_truncated_file_again(
        follower: tuple[FileFollower, Collect, Path]) -> None:
    f, sink, path = follower
    path.write_bytes(b"a long first line\nand a second one\n")
    wait_for(lambda: len(sink.texts) == 2)
    with path.open("r+b") as out:  # truncated in place (copytruncate), then written
        out.truncate(0)
    wait_for(lambda: f.opens == 2)
    with path.open("ab") as out:
        out.write(b"after\n")
    wait_for(lambda: sink.texts[2:] == ["after"])


def test_the_follower_finishes_a_rotated_file_then_reads_the_new_one(
        follower: tuple[FileFollower, Collect, Path]) -> None:
    f, sink, path = follower
    path.write_bytes(b"old 1\n")
    wait_for(lambda: sink.texts == ["old 1"])
    with path.open("ab") as out:
        out.write(b"old 2\nold 3 without newline")
        os.rename(path, path.with_suffix(".1"))  # logrotate: rename, create
        path.write_bytes(b"new 1\n")
    wait_for(lambda: sink.texts == ["old 1", "old 2", "old 3 without newline", "new 1"])
    assert f.opens == 2
