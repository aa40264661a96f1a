"""The reception map from the store (both backends) equals the pure module's on the same
fixes; ``khazar reception`` shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tests.detect.builders import Track, at, geography
from typer.testing import CliRunner

from khazar.cli import app
from khazar.detect.reception import learn_reception
from khazar.store import open_store
from khazar.store.picture import load_reception

RX = (float(at(0, 0)[0]), float(at(0, 0)[1]), 20_000.0)


def test_store_map_matches_pure_and_cli_shows_it(store_at: Path | str) -> None:
    fx = Track(273000001, x=40_000, y=5_000).leg(120, 10).silence(180, 10).leg(20, 10).fixes()
    rows = [(int(m), datetime.fromtimestamp(float(t), UTC), float(la), float(lo), 10.0, 90.0,
             0, 1, "test", datetime.fromtimestamp(float(t), UTC), i)
            for i, (m, t, la, lo) in enumerate(zip(fx.mmsi, fx.t_s, fx.lat, fx.lon,
                                                   strict=True))]
    with open_store(store_at) as store:
        with store.transaction() as tx:
            tx.executemany(
                "INSERT INTO positions (mmsi, ts, lat, lon, sog_kn, cog_deg, status, msg_type, "
                "source, report_ts, msg_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        got = load_reception(store, geography(receivers=(RX,)), 7.0)
    want = learn_reception(fx.mmsi, fx.t_s, fx.lat, fx.lon, (RX,), 7.0)
    assert got.key.tolist() == want.key.tolist() and got.key.size > 3
    assert np.allclose(got.share, want.share)
    res = CliRunner().invoke(app, ["reception", "--db", str(store_at), "--format", "geojson"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["type"] == "FeatureCollection" and out["cells"] == len(out["features"]) > 0
    assert all(f["geometry"]["type"] == "Polygon" for f in out["features"])
    bad = CliRunner().invoke(app, ["reception", "--db", str(store_at), "--days", "-1"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
