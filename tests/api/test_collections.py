"""Collections: GeoJSON shaped like OGC API Features, bbox/datetime/limit, openapi.json."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta

import httpx
from openapi_spec_validator import validate
from tests.api.conftest import FEED_MINUTES, START, Served
from tests.api.feed import SHIPS

from khazar.units import deg_decimal_minutes


def test_openapi_is_valid_and_lists_the_collections(served: Served) -> None:
    spec = httpx.get(served.url + "/api/openapi.json").json()
    validate(spec)
    for path in ("/api/vessels", "/api/tracks", "/api/events", "/api/alerts", "/api/assets",
                 "/api/zones", "/api/fleet", "/api/live", "/api/login", "/api/logout"):
        assert path in spec["paths"], path


def test_vessels_latest_position_and_static(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        fc = client.get("/api/vessels").json()
    assert fc["type"] == "FeatureCollection"
    assert fc["numberMatched"] == fc["numberReturned"] == len(SHIPS)
    by_mmsi = {f["properties"]["mmsi"]: f for f in fc["features"]}
    tanker = by_mmsi[SHIPS[1].mmsi]["properties"]
    assert tanker["name"] == "XAZAR TANKER" and tanker["imo"] == 9100002
    assert tanker["destination"] == "BAKU" and tanker["kind"] == "tanker"
    assert tanker["sog_kn"] == SHIPS[1].sog_kn
    last = (START + timedelta(minutes=FEED_MINUTES)).isoformat()
    assert tanker["last_seen"][:16] == last[:16]
    _lon, lat = by_mmsi[SHIPS[1].mmsi]["geometry"]["coordinates"]
    assert tanker["lat_dm"] == deg_decimal_minutes(lat, is_lat=True)
    assert by_mmsi[423900001]["properties"]["kind"] == "patrol"
    assert by_mmsi[423100001]["properties"]["kind"] == "service"
    assert not tanker["stale"]


def test_bbox_datetime_and_limit(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        west = client.get("/api/vessels", params={"bbox": "49.0,39.5,50.1,40.5"}).json()
        assert {f["properties"]["mmsi"] for f in west["features"]} == {
            s.mmsi for s in SHIPS if s.at(FEED_MINUTES * 60)[1] < 50.1}
        assert len(west["features"]) not in (0, len(SHIPS))
        limited = client.get("/api/vessels", params={"limit": 2}).json()
        assert limited["numberReturned"] == 2 and limited["numberMatched"] == len(SHIPS)
        # replay: as of ten minutes in, the last report is at 08:10 and the rest is stale-free
        as_of = (START + timedelta(minutes=10)).isoformat()
        early = client.get("/api/vessels", params={"datetime": f"../{as_of}"}).json()
        assert {f["properties"]["last_seen"][:16] for f in early["features"]} == {as_of[:16]}
        bad = client.get("/api/vessels", params={"bbox": "1,2,3"})
        assert bad.status_code == 400 and "bbox" in bad.json()["detail"]
        bad = client.get("/api/vessels", params={"datetime": "yesterday"})
        assert bad.status_code == 400 and "yesterday" in bad.json()["detail"]


def test_tracks_are_linestrings_in_time_order(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        fc = client.get("/api/tracks", params={"mmsi": SHIPS[0].mmsi, "hours": 1}).json()
    (track,) = fc["features"]
    assert track["geometry"]["type"] == "LineString"
    assert track["properties"]["points"] == FEED_MINUTES + 1
    times = track["properties"]["times"]
    assert times == sorted(times)
    first_lon, first_lat = track["geometry"]["coordinates"][0]
    assert abs(first_lat - SHIPS[0].lat) < 1e-4 and abs(first_lon - SHIPS[0].lon) < 1e-4


def test_alert_queue_filters_by_state(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        fc = client.get("/api/alerts", params={"state": "new"}).json()
        assert fc["numberMatched"] >= 1
        assert all(f["properties"]["state"] == "new" for f in fc["features"])
        assert client.get("/api/alerts", params={"state": "bogus"}).status_code == 400


def test_fleet_lists_every_boat_with_status(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        fc = client.get("/api/fleet").json()
    assert fc["numberReturned"] == 12
    sbs01 = next(f for f in fc["features"] if f["id"] == "SBS-01")["properties"]
    assert sbs01["position_source"] == "ais"  # heard in the feed
    assert next(f for f in fc["features"] if f["id"] == "SBS-02")["properties"][
        "position_source"] == "base"


def test_collections_listing_and_items_alias(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        listing = client.get("/api/collections").json()
        assert {c["id"] for c in listing["collections"]} >= {"vessels", "alerts", "zones"}
        r = client.get("/api/collections/vessels/items", params={"limit": 1},
                       follow_redirects=True)
        assert r.status_code == 200 and r.json()["numberReturned"] == 1
        assert client.get("/api/collections/nope/items").status_code == 404


def test_console_and_maplibre_are_served_locally(served: Served) -> None:
    with served.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and "maplibre-gl.js" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        js = client.get("/vendor/maplibre-gl/maplibre-gl.js")
        assert js.status_code == 200 and len(js.content) > 100_000
        assert client.get("/console/app.js").status_code == 200


def test_patrols_empty_without_a_plan(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        r = client.get("/api/patrols")
    assert r.status_code == 200, r.text
    assert r.json()["features"] == [] and "khazar plan" in r.json()["message"]


def test_reception_map_is_geojson_cells_with_share(served: Served) -> None:
    client, _ = served.login("vera")
    with closing(client):
        fc = client.get("/api/reception").json()
    assert fc["type"] == "FeatureCollection" and fc["cells"] == len(fc["features"]) > 0
    for f in fc["features"]:
        p = f["properties"]
        assert 0.0 <= p["share"] <= 1.0 and p["covered"] == (p["share"] >= fc["min_share"])
        s = fc["prior_strength"]
        want = min(1.0, (p["received"] + s * p["prior"]) / (p["expected"] + s))
        assert abs(p["share"] - want) < 2e-3  # the Beta posterior mean of the counts shown
    assert fc["blind_cells"] == sum(not f["properties"]["covered"] for f in fc["features"])
