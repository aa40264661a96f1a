"""One shape per domain object: an asset, a zone, an alert and an event have the same
properties (and geometry) through the CLI, the CLI's export, the API and the interop
function that makes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from khazar.api.server import KhazarServer, ServeOptions
from khazar.cli import app
from khazar.config import load_settings
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Severity
from khazar.energy import asset_criticality
from khazar.geo import Geography, load_geography
from khazar.interop.features import alert_feature, asset_feature, event_feature, zone_feature
from khazar.services.triage import TRIAGE_FIELDS
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.alerts import upsert_alerts
from khazar.store.events import upsert_events

T0 = datetime(2026, 11, 20, 8, 0, 7, tzinfo=UTC)
PASSWORD = "correct horse battery"
ASSET, ZONE = "sd1-gas", "aze-territorial-sea"
EVENT = Event("loitering", 273_123_456, T0, T0 + timedelta(minutes=40), 40.0712345, 49.9876543,
              asset_id=ASSET, evidence={"radius_m": 412.5, "fixes": 31})
ALERT = Alert(
    id="Aoneshape01", rule="loitering-asset", type="loitering", severity=Severity.high,
    score=61.5, state=AlertState.new, mmsi=273_123_456, other_mmsi=None, asset_id=ASSET,
    zone_id=None, lat=40.0712345, lon=49.9876543, first_ts=T0, last_ts=EVENT.end,
    event_ids=(EVENT.id,), summary="vessel 273123456 loitering over the SD1 gas line",
    created_at=T0, updated_at=T0 + timedelta(minutes=41),
)
runner = CliRunner()


@dataclass
class Shapes:
    """kind → surface → the feature of the one object of that kind."""

    by_kind: dict[str, dict[str, dict[str, Any]]]


def _json(value: Any) -> Any:
    """What a client reads: the value after JSON text."""
    return json.loads(json.dumps(value, default=str))


def _cli(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    fc: dict[str, Any] = json.loads(result.stdout)
    return fc


def _pick(fc: dict[str, Any], fid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in fc["features"] if f["properties"].get("id") == fid]
    assert len(found) == 1, (fid, len(found))
    return found[0]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shapes]:
    settings = load_settings()
    geo: Geography = load_geography(settings)
    crit = asset_criticality(settings, geo.assets)
    db = tmp_path_factory.mktemp("shape") / "khazar.duckdb"
    with open_store(db) as store:
        add_user(store, "vera", PASSWORD, "viewer", actor="test",
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        upsert_events(store.conn, [EVENT], detected_at=T0 + timedelta(minutes=41))
        upsert_alerts(store.conn, [ALERT])
    by_kind: dict[str, dict[str, dict[str, Any]]] = {
        "asset": {
            "interop": asset_feature(geo.asset(ASSET), crit[ASSET]),
            "cli": _pick(_cli(["assets", "--format", "geojson"]), ASSET),
        },
        "zone": {
            "interop": zone_feature(next(z for z in geo.zones if z.id == ZONE)),
            "cli": _pick(_cli(["zones", "--format", "geojson"]), ZONE),
        },
        "alert": {"interop": alert_feature(ALERT)},
        "event": {"interop": event_feature(EVENT)},
    }
    # the CLI's export reads the store: before the server holds it
    for kind, fid in (("asset", ASSET), ("zone", ZONE), ("alert", ALERT.id),
                      ("event", EVENT.id)):
        fc = _cli(["export", f"{kind}s", "--db", str(db), "--format", "geojson"])
        by_kind[kind]["export"] = _pick(fc, fid)
    server = KhazarServer(settings, ServeOptions(db=db, port=0, udp_port=0,
                                                 exercise_udp_port=0, detect=False))
    url = server.start_background()
    try:
        with closing(httpx.Client(base_url=url, timeout=30, follow_redirects=True)) as client:
            r = client.post("/api/login", json={"username": "vera", "password": PASSWORD})
            assert r.status_code == 200, r.text
            for kind, fid in (("asset", ASSET), ("zone", ZONE), ("alert", ALERT.id),
                              ("event", EVENT.id)):
                fc = client.get(f"/api/collections/{kind}s/items").json()
                by_kind[kind]["api"] = _pick(fc, fid)
    finally:
        server.stop()
    yield Shapes(by_kind)


@pytest.mark.parametrize("kind", ["asset", "zone", "alert", "event"])
def test_the_same_object_has_the_same_properties_everywhere(shapes: Shapes, kind: str) -> None:
    surfaces = shapes.by_kind[kind]
    reference = _json(surfaces["interop"])
    assert reference["properties"], kind
    for surface, feat in surfaces.items():
        props = dict(feat["properties"])
        if kind == "alert" and surface == "api":
            # the watch floor's list adds its triage fields (issue 15) to the one shape,
            # and only those: the rest is the same everywhere
            assert set(props) >= TRIAGE_FIELDS, sorted(TRIAGE_FIELDS - set(props))
            props = {k: v for k, v in props.items() if k not in TRIAGE_FIELDS}
        assert props == reference["properties"], (kind, surface)
        assert feat["geometry"] == reference["geometry"], (kind, surface)


def test_an_event_through_the_api_keeps_its_stored_id(shapes: Shapes) -> None:
    # the API rebuilds the Event from its row; the id is made from the start time's text
    assert shapes.by_kind["event"]["api"]["id"] == EVENT.id


def test_export_files_carry_the_feature_values(tmp_path: Path) -> None:
    # the other formats of `khazar export` are written from the same records
    settings = load_settings()
    geo = load_geography(settings)
    crit = asset_criticality(settings, geo.assets)
    db, out = tmp_path / "k.duckdb", tmp_path / "assets.jsonl"
    with open_store(db):  # export opens the store read-only: it must exist
        pass
    result = runner.invoke(app, ["export", "assets", "--db", str(db), "--format", "jsonl",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    feat = _json(asset_feature(geo.asset(ASSET), crit[ASSET]))
    assert rows[ASSET] == {**feat["properties"], "geometry": feat["geometry"]}


def test_the_public_surface_is_all_and_only_all() -> None:
    from khazar.interop import features

    here = features.__name__
    defined = {name for name, value in vars(features).items()
               if not name.startswith("_") and getattr(value, "__module__", None) == here}
    assert defined <= set(features.__all__)
    assert all(hasattr(features, name) for name in features.__all__)
