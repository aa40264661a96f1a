"""The TCP feed client: reads lines, reconnects with back-off after the peer hangs up."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.api.feed import position_lines

from khazar.config import load_settings
from khazar.live.feeds import FeedPipeline
from khazar.live.state import ServerState
from khazar.live.transport import TcpClient
from khazar.store import open_store


def _wait(pred: object, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_tcp_client_ingests_and_reconnects(tmp_path: Path) -> None:
    settings = load_settings(ingest={"reconnect_initial_s": 0.1, "reconnect_max_s": 0.2})
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(15)
    port = listener.getsockname()[1]
    now = datetime.now(UTC).replace(microsecond=0)
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, settings)
        pipeline = FeedPipeline(state, queue_max=1000, flush_s=0.05)
        pipeline.start()
        client = TcpClient(pipeline, state.feeds, "127.0.0.1", port,
                           initial_s=settings.ingest.reconnect_initial_s,
                           max_s=settings.ingest.reconnect_max_s)
        client.start()
        try:
            for k, mmsi in enumerate((423555001, 423555002)):
                conn, _ = listener.accept()  # the first connection, then the reconnect
                lines = position_lines(mmsi, now, 40.1 + k / 10, 50.2, 9.0, 45.0)
                # a line split across two packets is reassembled
                data = ("\r\n".join(lines) + "\r\n").encode()
                conn.sendall(data[:20])
                time.sleep(0.1)
                conn.sendall(data[20:])
                _wait(lambda n=k: state.counters.get("feed.positions", 0) >= n + 1)
                conn.close()  # the peer hangs up: the client backs off and reconnects
        finally:
            client.stop()
            pipeline.stop()
            listener.close()
        rows = store.conn.execute(
            "SELECT mmsi FROM positions WHERE source LIKE 'tcp:%' ORDER BY mmsi").fetchall()
    assert [r[0] for r in rows] == [423555001, 423555002]
    assert client.connects == 2 and client.waits_s[0] == 0.1
