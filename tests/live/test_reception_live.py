"""Live detection learns the reception map from the store at set-up and re-learns it every
``detect.reception_refresh_min``: the same map ``khazar detect`` would use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.detect.builders import Track

from khazar.config import load_settings
from khazar.live.detection import LiveDetection
from khazar.live.state import ServerState
from khazar.store import open_store
from khazar.store.picture import load_reception
from khazar.tracks import Fixes

INSERT = ("INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
          "source, report_ts, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _rows(fx: Fixes, key0: int) -> list[tuple[object, ...]]:
    return [(int(m), datetime.fromtimestamp(float(t), UTC), float(la), float(lo), 10.0, 90.0,
             0, 1, "test", datetime.fromtimestamp(float(t), UTC), key0 + i)
            for i, (m, t, la, lo) in enumerate(zip(fx.mmsi, fx.t_s, fx.lat, fx.lon,
                                                   strict=True))]


def test_live_detection_learns_and_refreshes_the_map(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        with store.transaction() as tx:
            tx.executemany(INSERT, _rows(Track(273000001, x=40_000).leg(60, 10).fixes(), 0))
        state = ServerState.create(store, load_settings())
        det = LiveDetection(state)
        det._setup()
        m = det.detector.geo.reception.map
        want = load_reception(store, det.detector.geo, 7.0)
        assert m is not None and m.key.tolist() == want.key.tolist() and m.key.size > 0
        # new traffic far away (60 km north): learned at the next refresh, not before
        far = Track(273000002, x=40_000, y=60_000, t=3600.0).leg(60, 10).fixes()
        with store.transaction() as tx:
            tx.executemany(INSERT, _rows(far, 10_000))
        det.step()
        assert det.detector.geo.reception.map is m  # refresh period not yet over
        det._reception_at = float("-inf")
        det.step()
        m2 = det.detector.geo.reception.map
        assert m2 is not m and m2 is not None
        assert (m2.lookup(far.lat, far.lon) >= 0).all()
        assert not (m.lookup(far.lat, far.lon) >= 0).any()
        assert (m2.share[m2.lookup(far.lat, far.lon)] > 0.95).all()  # heard every 10 s
