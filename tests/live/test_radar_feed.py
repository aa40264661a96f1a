"""A radar feed into the live runtime (``khazar serve --radar-udp``): CSV rows of radar
detections stored as detections, a bad row counted as a reject with its reason, and a
contact with no AIS speculated as a dark vessel at once (not 30 min + W later)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from khazar.config import load_settings
from khazar.live.runtime import LiveRuntime, RuntimeOptions
from khazar.live.state import ServerState
from khazar.store import open_store

from .helpers import send_udp, wait_for


def _rows(t: datetime) -> bytes:
    """Two radar echoes a minute apart, 400 m apart, in the open Caspian, no AIS near."""
    stamps = [(t + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ") for k in range(2)]
    return (f"{stamps[0]},40.50000,51.00000,12,radar:test\n"
            f"{stamps[1]},40.50360,51.00000,12,radar:test\n").encode()


def test_radar_rows_are_stored_and_a_dark_contact_is_speculated(tmp_path: Path) -> None:
    settings = load_settings()
    with open_store(tmp_path / "k.duckdb") as store:
        state = ServerState.create(store, settings)
        rt = LiveRuntime(state, RuntimeOptions(radar_udp=("127.0.0.1", 0), publish=False,
                                               exercises=False))
        rt.start()
        try:
            assert rt.radar_udp is not None and rt.detection is not None
            assert rt.detection.ready.wait(120)
            port = rt.radar_udp.address[1]
            t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
            send_udp(port, _rows(t0) + b"timestamp,lat,lon,length_m,source\nnot,a,row\n")

            def count(sql: str) -> int:
                with state.locked() as s:
                    row = s.conn.execute(sql).fetchone()
                    return int(row[0]) if row else 0

            wait_for(lambda: count("SELECT count(*) FROM detections") == 2, what="detections")
            wait_for(lambda: state.counters.get("feed.rejected", 0) == 2, what="rejects")
            assert count("SELECT count(*) FROM positions") == 0
            with state.locked() as s:
                reasons = {r for (r,) in s.conn.execute(
                    "SELECT DISTINCT reason FROM rejects").fetchall()}
            assert reasons == {"bad_row"}
            # decided now on the AIS heard (none), without waiting for the committed path
            wait_for(lambda: count("SELECT count(*) FROM events WHERE type = 'dark_vessel'")
                     == 1, what="a provisional dark contact")
            assert state.counters.get("detect.provisional", 0) >= 1
        finally:
            rt.stop()
