"""Sources: in-memory fake, file replay, UDP listener, TCP client with back-off, `listen`."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from tests.ingest.helpers import DATA, cli, sentence, tagged

from khazar.config import IngestSettings
from khazar.ingest import Ingestor, RawLine
from khazar.live.sources import FileSource, MemorySource, TcpSource, UdpSource, listen_loop
from khazar.store import open_store
from khazar.store.ingest import IngestRepo

LINE = sentence("15RTgt0PAso;90TKcjM8h6g208CQ")


def _drain(src: MemorySource | UdpSource | TcpSource, ing: Ingestor, until_s: float) -> None:
    deadline = time.monotonic() + until_s
    while time.monotonic() < deadline and not src.exhausted:
        batch = src.poll(1000, 0.05)
        if batch is not None:
            ing.feed_batch(batch)


def test_memory_and_file_sources_feed_the_same_pipeline(tmp_path: Path) -> None:
    lines = (DATA / "libais" / "tagblock.nmea").read_text().splitlines()
    with open_store(tmp_path / "a.duckdb") as a, open_store(tmp_path / "b.duckdb") as b:
        ia, ib = Ingestor(IngestRepo(a)), Ingestor(IngestRepo(b))
        _drain(MemorySource(lines, name="tagblock.nmea"), ia, 5)
        _drain(FileSource(DATA / "libais" / "tagblock.nmea"), ib, 5)
        ra, rb = ia.close(), ib.close()
        del ra, rb
        assert ia.total.accepted == ib.total.accepted == 5
        assert ia.total.positions == ib.total.positions == 3
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
    src = UdpSource(0, host="127.0.0.1", queue_max=5).start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            tx.sendto(("\n".join([LINE] * 8) + "\n").encode(), ("127.0.0.1", src.port))
            deadline = time.monotonic() + 5
            while src.received < 8 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert src.received == 8 and src.drops == 3
        with open_store(tmp_path / "k.duckdb") as store:
            ing = Ingestor(IngestRepo(store))
            batch = src.poll(100, 1.0)
            assert batch is not None and len(batch.texts) == 5
            ing.feed_batch(batch)
            ing.close()
            assert ing.total.accepted == 5 and ing.total.positions == 1  # same report 5×
    finally:
        src.close()


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

    src = TcpSource("127.0.0.1", port, backoff_initial_s=0.5, backoff_max_s=2.0,
                    sleep=fake_sleep).start()
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
            batch = None
            deadline = time.monotonic() + 5
            texts: list[str] = []
            while len(texts) < 2 and time.monotonic() < deadline:
                batch = src.poll(10, 0.1)
                if batch is not None:
                    texts += batch.texts
        assert texts == [LINE, LINE]  # a line split across reads is joined
    finally:
        src.close()
        srv.close()
    assert waits[:4] == [0.5, 1.0, 2.0, 2.0]
    assert src.failures >= 4 and src.connects == 1


def test_listen_loop_ingests_udp(tmp_path: Path) -> None:
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
        summary = listen_loop(store, udp_ports=[port], tcp_addrs=[], settings=IngestSettings(),
                              duration_s=2.0)
    sender.join()
    assert summary["result"]["accepted"] == 3 and summary["result"]["positions"] == 3
    assert summary["sources"][0]["drops"] == 0


def test_listen_command_help_and_json(tmp_path: Path) -> None:
    assert "back-off" in cli("listen", "--help")
    out = cli("listen", "--db", str(tmp_path / "k.duckdb"), "--udp", "0", "--duration", "0.3",
              "--format", "json")
    assert json.loads(out)["result"]["lines"] == 0
