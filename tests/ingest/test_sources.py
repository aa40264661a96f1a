"""Sources: file following, UDP listener, TCP client with back-off, `listen` (the live
runtime's transports, :mod:`khazar.live.transport`)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.ingest.helpers import DATA, cli, sentence, tagged

from khazar.config import load_settings
from khazar.ingest import Ingestor, RawLine
from khazar.live.feeds import FeedPipeline
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.live.stats import FeedCounters
from khazar.live.transport import FileFollower, TcpClient, UdpListener
from khazar.store import open_store
from khazar.store.ingest import IngestRepo

LINE = sentence("15RTgt0PAso;90TKcjM8h6g208CQ")


def _wait(pred: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Collect:
    """A line sink that keeps what it is offered."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def offer_many(self, texts: list[str], source: str) -> int:
        self.lines += [(t, source) for t in texts]
        return len(texts)

    def refuse(self, source: str, reason: str, count: int, kept: Sequence[str] = ()) -> None:
        raise AssertionError(f"{count} lines of {source} refused ({reason})")


def test_a_followed_file_and_lines_fed_directly_store_the_same(tmp_path: Path) -> None:
    path = DATA / "libais" / "tagblock.nmea"
    lines = path.read_text().splitlines()
    with open_store(tmp_path / "a.duckdb") as a, open_store(tmp_path / "b.duckdb") as b:
        ia = Ingestor(IngestRepo(a))
        ia.feed(RawLine(line, source="tagblock.nmea") for line in lines)
        ia.close()
        state = ServerState.create(b, load_settings())

        def received(source: str) -> int:
            stats = state.feeds.snapshot().get(source)
            return 0 if stats is None else stats.received

        pipeline = FeedPipeline(state, flush_s=0.05)
        pipeline.start()
        follower = FileFollower(pipeline, state.feeds, path, poll_s=0.05)
        follower.start()
        try:
            _wait(lambda: received(follower.name) == len(lines))
        finally:
            follower.stop()
            pipeline.stop()  # stores what is still queued
        assert ia.total.accepted == pipeline.total.accepted == 5
        assert ia.total.positions == pipeline.total.positions == 3
        q = "SELECT mmsi, ts, lat, lon FROM positions ORDER BY ALL"
        assert a.conn.execute(q).fetchall() == b.conn.execute(q).fetchall()


def test_feed_rawlines_incrementally_with_exercise_flag(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        ing = Ingestor(IngestRepo(store), exercise=True)
        first = ing.feed([RawLine(tagged(LINE, "SIM", 1_700_000_000), source="sim")])
        second = ing.feed([RawLine("garbage", source="sim"),
                           RawLine(sentence("15RTgt0PAso;90TKcjM8h6g208CQ")[:-2] + "00",
                                   source="sim")])
        assert first.accepted == 1 and first.positions == 1
        assert second.rejected == {"malformed": 1, "bad_checksum": 1}
        row = store.conn.execute("SELECT exercise, station FROM positions").fetchall()
        assert row == [(True, "SIM")]


def test_udp_listener_counts_drops_when_the_queue_is_full(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, load_settings())
        pipeline = FeedPipeline(state, queue_max=5, flush_s=0.05)  # not draining yet
        src = UdpListener(pipeline, state.feeds, "127.0.0.1", 0)
        src.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
                tx.sendto(("\n".join([LINE] * 8) + "\n").encode(), src.address)
            _wait(lambda: state.feeds.snapshot().get(src.name) is not None
                  and state.feeds.snapshot()[src.name].received == 8)
            stats = state.feeds.snapshot()[src.name]
            assert stats.received == 8 and stats.dropped == 3 and stats.connected is True
            assert state.counters["feed.received"] == 8 and state.counters["feed.dropped"] == 3
            pipeline.start()
            _wait(lambda: state.feeds.snapshot()[src.name].accepted == 5)
        finally:
            src.stop()
            pipeline.stop()
        assert pipeline.total.accepted == 5 and pipeline.total.positions == 1  # same report 5×
        assert state.feeds.snapshot()[src.name].connected is False


def test_tcp_client_reconnects_with_exponential_backoff() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # nothing listens: connections are refused
    waits: list[float] = []
    ready = threading.Event()

    def fake_sleep(s: float) -> None:
        waits.append(s)
        if len(waits) >= 4:
            ready.set()
        time.sleep(0.01)

    sink, feeds = Collect(), FeedCounters()
    src = TcpClient(sink, feeds, "127.0.0.1", port, initial_s=0.5, max_s=2.0, sleep=fake_sleep)
    src.start()
    assert ready.wait(10)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen()
    try:
        conn, _ = srv.accept()
        with conn:
            conn.sendall((LINE + "\n" + LINE[:20]).encode())
            conn.sendall((LINE[20:] + "\n").encode())
            _wait(lambda: len(sink.lines) >= 2, 5)
        assert [t for t, _ in sink.lines] == [LINE, LINE]  # a line split across reads is joined
        assert {s for _, s in sink.lines} == {f"tcp:127.0.0.1:{port}"}
    finally:
        src.stop()
        srv.close()
    assert waits[:4] == [0.5, 1.0, 2.0, 2.0]
    assert src.failures >= 4 and src.connects == 1
    assert feeds.snapshot()[src.name].connects == 1


def test_listen_runtime_ingests_udp(tmp_path: Path) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    def send() -> None:
        time.sleep(0.5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for k in range(3):
                tx.sendto((tagged(LINE, "AIS-CATCHER", 1_700_000_000 + 60 * k) + "\n").encode(),
                          ("127.0.0.1", port))

    sender = threading.Thread(target=send)
    sender.start()
    with open_store(tmp_path / "k.duckdb") as store:
        runtime = LiveRuntime(ServerState.create(store, load_settings()), RuntimeOptions(
            udp=(("127.0.0.1", port),), detect=False, publish=False, exercises=False,
            run_source="listen"))
        runtime.run(2.0)
        summary = runtime.summary()
    sender.join()
    assert summary["result"]["accepted"] == 3 and summary["result"]["positions"] == 3
    assert summary["sources"] == [{"source": f"udp:{port}", "received": 3, "accepted": 3,
                                   "rejected": 0, "dropped": 0, "kernel_drops": 0,
                                   "connects": 1, "by_reason": {}}]


def test_listen_command_help_and_json(tmp_path: Path) -> None:
    assert "back-off" in cli("listen", "--help")
    assert "--follow" in cli("listen", "--help")
    out = cli("listen", "--db", str(tmp_path / "k.duckdb"), "--udp", "0", "--duration", "0.3",
              "--format", "json")
    assert json.loads(out)["result"]["lines"] == 0
