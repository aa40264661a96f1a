"""Bounded feed input (issue 18, point 4): a maximum line length, a rate per source, a queue
bounded by bytes, the kernel's UDP drops read, counters kept across restarts. Every line
sent ends in a counted bucket with its reason; nothing over a bound is kept whole."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from khazar.config import load_settings
from khazar.live.bounds import ByteBoundedQueue, FeedBounds, LineCutter, RateLimiter, line_cost
from khazar.live.feeds import FeedPipeline
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.live.stats import FeedCounters
from khazar.live.transport import FileFollower, TcpClient, UdpListener, decode_lines
from khazar.store import Store, open_store
from khazar.store.feedcounts import load_counts

from .helpers import LineServer, free_udp_port, lines_of, send_udp, wait_for
from .test_transport import Collect


def _datagram(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_stream_never_holds_more_than_the_bound_of_one_line() -> None:
    cutter = LineCutter(100, decode_lines)
    good = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"
    lines, cut = cutter.feed(good.encode() + b"\n" + b"x" * 60)
    assert (lines, cut) == ([good], [])
    lines, cut = cutter.feed(b"y" * 60)  # 120 bytes without a newline: over the bound
    assert lines == [] and len(cut) == 1 and cut[0] == "x" * 60 + "y" * 40
    assert cutter.rest == b""
    for _ in range(1000):  # the rest of the over-long line is skipped, never kept
        assert cutter.feed(b"z" * 4096) == ([], [])
        assert len(cutter.rest) == 0
    lines, cut = cutter.feed(b"zz\n" + good.encode() + b"\n")
    assert (lines, cut) == ([good], [])
    lines, cut = cutter.feed(b"tail")
    assert cutter.flush() == ["tail"]


def test_the_rate_limiter_grants_its_rate_and_its_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(100.0, 200.0, clock=lambda: now[0])
    assert limiter.take(500) == 200  # the burst
    assert limiter.take(1) == 0
    now[0] = 0.5
    assert limiter.take(500) == 50
    now[0] = 100.0
    assert limiter.take(10) == 10 and limiter.take(1000) == 190  # refilled to the burst only
    assert limiter.wait_s(100) == 1.0


def test_the_queue_is_bounded_by_bytes_and_says_what_fits() -> None:
    q = ByteBoundedQueue(max_lines=1000, max_bytes=10_000)
    t = time.time()
    from datetime import UTC, datetime
    when = datetime.fromtimestamp(t, UTC)
    big = "A" * 1000
    queued = q.put_many([(big, "s", when, "")] * 20)
    assert queued == 10_000 // line_cost(big) == 8
    assert q.bytes <= 10_000
    assert line_cost("\u00e9" * 100) > line_cost("e" * 100)  # non-ASCII costs more
    assert len(q.get_batch(5, 0.0)) == 5 and q.qsize() == 3
    assert q.put_many([(big, "s", when, "")] * 20) == 5


def test_over_long_udp_lines_are_refused_and_only_a_prefix_is_stored(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, load_settings())
        pipeline = FeedPipeline(state, flush_s=0.05)
        pipeline.start()
        udp = UdpListener(pipeline, state.feeds, "127.0.0.1", 0,
                          bounds=FeedBounds(max_line_chars=1024, kept_prefix_chars=256))
        udp.start()
        good = lines_of("udp")
        huge = "!AIVDM," + "Q" * 60_000
        try:
            send_udp(udp.address[1], _datagram([good[0], "B" * 1025, good[1]]))
            send_udp(udp.address[1], huge.encode())  # one line, no newline: 60 kB
            send_udp(udp.address[1], _datagram(["C" * 1024]))  # at the bound: not refused

            def done() -> bool:
                s = state.feeds.snapshot().get(udp.name)
                return s is not None and s.accepted + s.rejected == 5
            wait_for(done)
        finally:
            udp.stop()
            pipeline.stop()
        stats = state.feeds.snapshot()[udp.name]
        assert stats.received == 5 and stats.dropped == 0 and stats.accepted == len(good)
        assert stats.reasons == {"line_too_long": 2, "malformed": 1}
        assert state.counters["feed.rejected.line_too_long"] == 2
        rows = store.execute("SELECT reason, detail, line FROM rejects WHERE reason = "
                             "'line_too_long' ORDER BY line_no").fetchall()
        assert [len(r[2]) for r in rows] == [256, 256]
        assert rows[0][2] == "B" * 256 and rows[1][2] == huge[:256]
        assert "longer than 1024" in rows[0][1]
        longest = store.execute("SELECT max(length(line)) FROM raw_sentences").fetchone()
        assert longest is not None and longest[0] == 1024  # the line at the bound, whole
        runs = store.execute("SELECT reasons FROM ingest_runs").fetchall()
        assert any('"line_too_long": 2' in r[0] for r in runs)


def test_an_over_long_tcp_line_is_cut_at_the_bound(tmp_path: Path) -> None:
    sink, server = Collect(), LineServer()
    client = TcpClient(sink, FeedCounters(), "127.0.0.1", server.port,
                       bounds=FeedBounds(max_line_chars=200, kept_prefix_chars=50))
    client.start()
    good = lines_of("tcp-first")
    try:
        conn = server.accept()
        with conn:
            conn.sendall(_datagram([good[0]]) + b"G" * 1_000_000 + b"\n" + _datagram([good[1]]))
            wait_for(lambda: len(sink.texts) == 2)
    finally:
        client.stop()
        server.close()
    assert sink.texts == good
    assert sink.refused == [("line_too_long", 1, ["G" * 50])]


@contextmanager
def _limited_udp(tmp_path: Path) -> Iterator[tuple[ServerState, Store, LiveRuntime]]:
    """A running UDP feed whose senders may each send 50 lines a second (bursts of 100)."""
    settings = load_settings(ingest={"rate_lines_s": 50.0, "rate_burst_s": 2.0})
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, settings)
        rt = LiveRuntime(state, RuntimeOptions(udp=(("127.0.0.1", 0),), detect=False,
                                               publish=False, exercises=False))
        rt.start()
        try:
            yield state, store, rt
        finally:
            rt.stop()


def _all_counted(state: ServerState, name: str, n: int) -> None:
    """Wait until ``n`` lines of ``name`` are accepted or rejected; then the counts."""
    def counted() -> bool:
        s = state.feeds.snapshot().get(name)
        return s is not None and s.accepted + s.rejected == n
    wait_for(counted)


def test_a_source_over_its_rate_is_refused_and_counted(tmp_path: Path) -> None:
    with _limited_udp(tmp_path) as (state, store, rt):
        assert rt.udp is not None
        line = lines_of("udp")[0]
        send_udp(rt.udp.address[1], _datagram([line] * 300))  # 300 at once, burst 100
        name = rt.udp.name
        _all_counted(state, name, 300)
        rt.stop()
        stats = state.feeds.snapshot()[name]
        assert stats.received == 300 and stats.reasons == {"rate_limited": 200}
        assert stats.accepted == 100 and stats.dropped == 0
        assert state.counters["feed.rejected.rate_limited"] == 200
        # a rate-limited line is counted, not stored
        n = store.execute("SELECT count(*) FROM rejects").fetchone()
        assert n is not None and n[0] == 0


def _send_from(address: str, port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.bind((address, 0))
        tx.sendto(data, ("127.0.0.1", port))


def test_each_sender_has_its_own_rate(tmp_path: Path) -> None:
    """One sender flooding a UDP port is refused over its rate; another sender to the same
    port meanwhile has every line accepted (before, the port shared one rate: the flood
    used it up and the other's lines were refused with it)."""
    with _limited_udp(tmp_path) as (state, store, rt):
        assert rt.udp is not None
        port, name = rt.udp.address[1], rt.udp.name
        flood = lines_of("udp")[0]
        honest = lines_of("tcp-first")
        # 300 lines at once from 127.0.0.2: its burst of 100 passes
        _send_from("127.0.0.2", port, _datagram([flood] * 300))
        for _ in range(10):  # then 20 from 127.0.0.1, within its own rate
            _send_from("127.0.0.1", port, _datagram(honest))
        _all_counted(state, name, 320)
        rt.stop()
        stats = state.feeds.snapshot()[name]
        assert stats.reasons == {"rate_limited": 200} and stats.accepted == 120
        (row,) = [r for r in state.feeds.report() if r["source"] == name]
        assert row["refused_by_sender"] == {"127.0.0.2": {"rate_limited": 200}}
        honest_mmsi = 423600002
        stored = store.execute("SELECT count(*) FROM positions WHERE mmsi = ?",
                               [honest_mmsi]).fetchone()
        assert stored is not None and stored[0] == 2  # its two reports (sent ten times)
        raw = store.execute("SELECT count(*) FROM raw_sentences WHERE line IN (?, ?)",
                            honest).fetchone()
        assert raw is not None and raw[0] == 20, "every line of the other sender is kept"


def test_the_senders_counted_one_by_one_are_bounded() -> None:
    from khazar.live.stats import OTHER_PEERS, PEERS_LISTED

    feeds = FeedCounters()
    for i in range(PEERS_LISTED + 10):
        feeds.refused("udp:1", "rate_limited", 1)
        feeds.peer_refused("udp:1", f"10.0.{i // 256}.{i % 256}", "rate_limited", 1)
    (row,) = feeds.report()
    peers = row["refused_by_sender"]
    assert len(peers) == PEERS_LISTED + 1 and peers[OTHER_PEERS] == {"rate_limited": 10}


def test_a_followed_file_over_its_rate_is_read_slower_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "feed.nmea"
    lines = lines_of("file-before") * 30  # 60 lines, at 40 a second with a burst of 20
    path.write_bytes(_datagram(lines))
    sink = Collect()
    follower = FileFollower(sink, FeedCounters(), path, poll_s=0.02,
                            bounds=FeedBounds(rate_lines_s=40.0, rate_burst_s=0.5))
    started = time.monotonic()
    follower.start()
    try:
        wait_for(lambda: len(sink.texts) == 60)
    finally:
        follower.stop()
    assert time.monotonic() - started >= 0.9  # (60 - 20) / 40 s
    assert sink.texts == lines and sink.refused == []


def test_the_queue_drops_by_bytes_and_counts_per_source(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, load_settings())
        pipeline = FeedPipeline(state, queue_max_bytes=1 << 20, flush_s=0.05)  # not started
        line = "!AIVDM," + "W" * 1000
        queued = sum(pipeline.offer_many([line] * 100, "udp:a") for _ in range(20))
        assert queued == (1 << 20) // line_cost(line) < 2000
        pipeline.offer_many(["short"], "tcp:b")  # no room for another source either
        a, b = state.feeds.snapshot()["udp:a"], state.feeds.snapshot()["tcp:b"]
        assert (a.received, a.dropped) == (2000, 2000 - queued)
        assert (b.received, b.dropped) == (1, 0 if queued * line_cost(line) + line_cost(
            "short") <= 1 << 20 else 1)
        assert state.counters["feed.dropped"] == a.dropped + b.dropped
        assert pipeline.queue.bytes <= 1 << 20


def test_the_kernel_drops_of_a_udp_socket_are_counted(tmp_path: Path) -> None:
    feeds = FeedCounters()
    udp = UdpListener(Collect(), feeds, "127.0.0.1", 0, kernel_buffer=4096)  # not reading
    try:
        assert udp.kernel_drops == 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for _ in range(200):
                tx.sendto(b"!" * 1000 + b"\n", udp.address)
        dropped = udp.poll_kernel_drops()
        assert dropped > 100  # a 4 KiB buffer holds a few datagrams
        assert feeds.snapshot()[udp.name].kernel_drops == dropped
        assert udp.poll_kernel_drops() == 0  # counted once
    finally:
        udp.sock.close()


def test_feed_counters_survive_a_restart(store_at: Path | str) -> None:
    port = free_udp_port()
    settings = load_settings(live={"counters_save_s": 0.2})
    good = lines_of("udp")
    name = f"udp:{port}"

    def run(extra: list[str]) -> dict[str, object]:
        with open_store(store_at) as store:
            state = ServerState.create(store, settings)
            rt = LiveRuntime(state, RuntimeOptions(udp=(("127.0.0.1", port),), detect=False,
                                                   publish=False, exercises=False))
            rt.start()
            try:
                before = state.feeds.snapshot(history=True).get(name)
                done = 0 if before is None else before.accepted + before.rejected
                send_udp(port, _datagram(good + extra))

                def counted() -> bool:
                    s = state.feeds.snapshot().get(name)
                    return s is not None and s.accepted + s.rejected == done + len(good) + 1
                wait_for(counted)
            finally:
                rt.stop()
            s = state.feeds.snapshot()[name]
            return {"received": s.received, "accepted": s.accepted, "rejected": s.rejected,
                    "reasons": dict(s.reasons), "connects": s.connects}

    first = run(["X" * 2000])
    assert first == {"received": 3, "accepted": 2, "rejected": 1,
                     "reasons": {"line_too_long": 1}, "connects": 1}
    second = run(["garbage"])  # a new process on the same store counts on
    assert second == {"received": 6, "accepted": 4, "rejected": 2,
                      "reasons": {"line_too_long": 1, "malformed": 1}, "connects": 2}
    with open_store(store_at) as store:
        saved = load_counts(store)[name]
    assert saved["received"] == 6 and saved["reason:malformed"] == 1
    assert saved["reason:line_too_long"] == 1 and saved["connects"] == 2


def test_the_report_lists_open_sources_first_then_those_of_earlier_runs() -> None:
    feeds = FeedCounters()
    feeds.received("udp:2", 5)
    feeds.restore({"udp:1": {"received": 7, "reason:line_too_long": 2, "rejected": 2},
                   "udp:2": {"received": 1, "kernel_drops": 3}})
    feeds.refused("udp:2", "rate_limited", 4)
    report = feeds.report()
    assert [(r["source"], r["open"]) for r in report] == [("udp:2", True), ("udp:1", False)]
    assert report[0]["received"] == 10 and report[0]["kernel_drops"] == 3
    assert report[0]["by_reason"] == {"rate_limited": 4} and report[0]["rejected"] == 4
    assert report[1]["by_reason"] == {"line_too_long": 2} and report[1]["connected"] is None
    assert set(feeds.snapshot()) == {"udp:2"} and set(feeds.snapshot(history=True)) == {
        "udp:1", "udp:2"}
