"""Both commands on the one live runtime: `khazar listen` (a real process) and `khazar serve`
(KhazarServer in the background) over UDP, TCP (with a reconnect) and a followed file; the
log shows connects, disconnects and the per-source counts."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.store import open_store

from .helpers import (
    MMSI,
    LineServer,
    data_of,
    drive,
    free_udp_port,
    lines_of,
    send_udp,
    wait_for,
)

SRC = Path(__file__).resolve().parents[2] / "src"
#: lines (each one position report) per vessel of the scenario
N = len(lines_of("udp"))


def _stored(conn: object) -> dict[int, str]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT DISTINCT mmsi, source FROM positions").fetchall()
    return {int(m): str(s) for m, s in rows}


def _expect_sources(stored: dict[int, str], udp_port: int, tcp_port: int, follow: Path) -> None:
    assert stored[MMSI["udp"]] == f"udp:{udp_port}"
    for key in ("tcp-first", "tcp-again"):  # lines sent after the reconnect are stored too
        assert stored[MMSI[key]] == f"tcp:127.0.0.1:{tcp_port}"
    for key in ("file-before", "file-appended"):
        assert stored[MMSI[key]] == f"file:{follow}"


def test_listen_command_reads_udp_tcp_with_reconnect_and_a_followed_file(
        tmp_path: Path) -> None:
    db, follow = tmp_path / "k.duckdb", tmp_path / "feed.nmea"
    follow.write_bytes(data_of("file-before"))
    udp_port, server = free_udp_port(), LineServer()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from khazar.cli import main; main()", "listen", "--db", str(db),
         "--udp", str(udp_port), "--tcp", f"127.0.0.1:{server.port}", "--follow", str(follow),
         "--duration", "6", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)})
    try:
        conn = drive(udp_port, server, follow)
        out, err = proc.communicate(timeout=120)
        conn.close()
    finally:
        server.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    summary = json.loads(out)
    by_source = {s["source"]: s for s in summary["sources"]}
    tcp = by_source[f"tcp:127.0.0.1:{server.port}"]
    assert tcp["connects"] == 2 and tcp["received"] == 2 * N and tcp["accepted"] == 2 * N
    assert by_source[f"udp:{udp_port}"]["accepted"] == N
    assert by_source[f"file:{follow}"]["accepted"] == 2 * N
    assert summary["result"]["positions"] == 5 * N
    assert "disconnected (the peer closed the connection); reconnecting" in err
    assert "Traceback" not in err
    with open_store(db) as store:
        _expect_sources(_stored(store.conn), udp_port, server.port, follow)


def test_serve_reads_udp_tcp_with_reconnect_and_a_followed_file(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="khazar")
    db, follow = tmp_path / "k.duckdb", tmp_path / "feed.nmea"
    follow.write_bytes(data_of("file-before"))
    open_store(db).close()
    server = LineServer()
    settings = load_settings(ingest={"reconnect_initial_s": 0.1, "reconnect_max_s": 0.4})
    khazar = KhazarServer(settings, ServeOptions(
        db=db, port=0, udp_port=0, tcp=("127.0.0.1", server.port), follow=(follow,),
        detect=False, live_period_s=0.2))
    khazar.start_background()
    conn = None
    try:
        assert khazar.udp is not None
        udp_port = khazar.udp.address[1]
        conn = drive(udp_port, server, follow)

        def stored() -> dict[int, str]:
            with khazar.state.locked() as store:
                return _stored(store.conn)

        wait_for(lambda: set(MMSI.values()) <= set(stored()), what="every feed stored")
        _expect_sources(stored(), udp_port, server.port, follow)
        feeds = khazar.state.feeds.snapshot()
        assert feeds[f"tcp:127.0.0.1:{server.port}"].connects == 2
        assert feeds[f"udp:{udp_port}"].accepted == N
        assert khazar.state.counters["feed.tcp_reconnects"] >= 1
        assert khazar.state.counters["feed.received"] == 5 * N
    finally:
        khazar.stop()
        if conn is not None:
            conn.close()
        server.close()
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    tcp = f"tcp:127.0.0.1:{server.port}"
    assert (logging.INFO, f"{tcp}: connected") in messages
    assert (logging.WARNING, f"{tcp}: disconnected (the peer closed the connection); "
            "reconnecting in 0.1 s") in messages
    # stop() logs the counts since the last stats line
    assert any(m.startswith(f"udp:{udp_port}: {N} received, {N} accepted, 0 rejected, 0 dropped")
               for _, m in messages)


def test_the_runtime_logs_per_source_counts_every_period(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from khazar.live.runtime import LiveRuntime, RuntimeOptions
    from khazar.live.state import ServerState

    caplog.set_level(logging.INFO, logger="khazar")
    settings = load_settings(live={"stats_log_s": 0.3})
    with open_store(tmp_path / "k.duckdb") as store:
        rt = LiveRuntime(ServerState.create(store, settings), RuntimeOptions(
            udp=(("127.0.0.1", 0),), detect=False, publish=False, exercises=False))
        rt.start()
        try:
            assert rt.udp is not None
            port = rt.udp.address[1]
            send_udp(port, data_of("udp") + b"not nmea\n")
            line = f"udp:{port}: {N + 1} received, {N} accepted, 1 rejected, 0 dropped in "
            wait_for(lambda: any(r.getMessage().startswith(line) for r in caplog.records))
            # the next line counts only what came since
            quiet = f"udp:{port}: 0 received, 0 accepted, 0 rejected, 0 dropped in "
            wait_for(lambda: any(r.getMessage().startswith(quiet) for r in caplog.records))
        finally:
            rt.stop()


def test_both_commands_offer_follow() -> None:
    from tests.ingest.helpers import cli

    assert "--follow" in cli("serve", "--help")
    assert "--follow" in cli("listen", "--help")
