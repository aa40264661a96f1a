"""Exports read back through independent parsers give the values we wrote, not merely parse."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import gpxpy
import takproto
from fastkml import KML, Placemark
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import decode

from khazar.alerts import AssetInfo, RuleContext, alerts_for_events
from khazar.config import load_settings
from khazar.domain import Event
from khazar.domain.picture import TrackRow
from khazar.interop import (
    VesselState,
    alert_cot,
    alert_feature,
    features_to_gpx,
    features_to_kml,
    parse_endpoint,
    send_messages,
    to_protobuf,
    track_feature,
    vessel_cot,
    vessel_sentences,
)
from khazar.interop.export import render_features
from khazar.interop.kml import data_value
from khazar.units import kn_to_ms

STRANGER = 273_123_456


def context() -> RuleContext:
    assets = {"acg-sangachal-oil": AssetInfo("acg-sangachal-oil", "pipeline", "acg", 40.0)}
    return RuleContext.from_settings(load_settings(), {}, assets)


def event(
    type_: str,
    mmsi: int,
    asset: str | None = None,
    other: int | None = None,
    lat: float = 40.1,
    lon: float = 50.5,
    start_min: int = 0,
) -> Event:
    start = datetime(2026, 5, 1, 6, tzinfo=UTC) + timedelta(minutes=start_min)
    end = start + timedelta(minutes=30)
    return Event(type_, mmsi, start, end, lat, lon, other_mmsi=other, asset_id=asset)


T0 = datetime(2026, 5, 1, 6, 0, 12, 345000, tzinfo=UTC)


def _alert_features() -> list[dict]:  # type: ignore[type-arg]
    events = [
        event("anchor_drag", STRANGER, asset="acg-sangachal-oil", lat=40.0712345, lon=49.9876543),
        event("encounter", 273_000_111, other=273_000_222, lat=38.5, lon=49.25, start_min=5),
    ]
    return [alert_feature(a) for a in alerts_for_events(events, context())]


def _track() -> dict:  # type: ignore[type-arg]
    times = [T0 + timedelta(seconds=10 * i) for i in range(5)]
    lats = [40.1 + 0.0012345 * i for i in range(5)]
    lons = [50.2 - 0.0009876 * i for i in range(5)]
    return track_feature(TrackRow(STRANGER, times, lats, lons, [None] * 5))


def _placemarks(text: str) -> list[Placemark]:
    doc = KML.from_string(text.encode()).features[0]
    out: list[Placemark] = []
    for item in doc.features:
        out.extend(item.features if hasattr(item, "features") else [item])
    return out


def test_kml_round_trip_values_equal() -> None:
    features = [*_alert_features(), _track()]
    placemarks = _placemarks(features_to_kml(features, "khazar test"))
    assert len(placemarks) == len(features)
    for feature, pm in zip(features, placemarks, strict=True):
        props = feature["properties"]
        assert pm.id == str(feature["id"])  # KML ids are text; a track's is its MMSI
        assert pm.name == props["name"]
        coords = feature["geometry"]["coordinates"]
        got = pm.geometry.__geo_interface__["coordinates"]
        if feature["geometry"]["type"] == "Point":
            assert list(got[:2]) == coords
        else:
            assert [list(c[:2]) for c in got] == coords
        data = {d.name: d.value for d in pm.extended_data.elements}
        for key, value in props.items():
            if key in ("name", "start", "end"):
                continue
            if value is None:
                assert key not in data  # KML has no null
            else:
                assert data[key] == data_value(value), key
        start = props.get("start") or props["times"][0]
        assert pm.times.begin.dt == datetime.fromisoformat(start)


def test_gpx_round_trip_values_equal() -> None:
    alerts = _alert_features()
    track = _track()
    text, skipped = features_to_gpx([*alerts, track], "khazar test")
    assert skipped == 0
    gpx = gpxpy.parse(text)
    assert [w.name for w in gpx.waypoints] == [a["properties"]["name"] for a in alerts]
    for w, a in zip(gpx.waypoints, alerts, strict=True):
        assert [w.longitude, w.latitude] == a["geometry"]["coordinates"]
        assert w.time == datetime.fromisoformat(a["properties"]["first_ts"])
        assert w.description == a["properties"]["summary"]
    [trk] = gpx.tracks
    assert trk.name == f"MMSI {STRANGER}"
    points = trk.segments[0].points
    assert [[p.longitude, p.latitude] for p in points] == track["geometry"]["coordinates"]
    assert [p.time for p in points] == [
        datetime.fromisoformat(t) for t in track["properties"]["times"]
    ]


def test_geojson_jsonl_csv_carry_the_same_values() -> None:
    features = _alert_features()
    fc = json.loads(render_features(features, "geojson", "x"))
    assert fc["features"] == json.loads(json.dumps(features))
    rows = [json.loads(line) for line in render_features(features, "jsonl", "x").splitlines()]
    assert [(r["lon"], r["lat"], r["score"]) for r in rows] == [
        (*f["geometry"]["coordinates"], f["properties"]["score"]) for f in features
    ]
    lines = render_features(features, "csv", "x").splitlines()
    assert lines[0].startswith("id,lon,lat,")
    assert len(lines) == 1 + len(features)


_LAT = st.floats(36.5, 47.0, allow_nan=False)
_LON = st.floats(46.5, 55.0, allow_nan=False)


@given(
    mmsi=st.integers(200_000_000, 775_999_999),
    lat=_LAT,
    lon=_LON,
    sog=st.floats(0, 60, allow_nan=False),
    cog=st.floats(0, 359.9, allow_nan=False),
    ms=st.integers(0, 999),
)
@settings(max_examples=80, deadline=None)
def test_cot_round_trips_through_takproto(
    mmsi: int, lat: float, lon: float, sog: float, cog: float, ms: int
) -> None:
    ts = T0.replace(microsecond=ms * 1000)
    v = VesselState(mmsi, ts, lat, lon, sog_kn=sog, cog_deg=cog, name="MV TEST")
    for framing in ("mesh", "stream"):
        msg = takproto.parse_proto(bytearray(to_protobuf(vessel_cot(v, {mmsi}), framing)))
        ev = msg.cotEvent
        assert ev.uid == f"khazar-vessel-{mmsi}"
        assert ev.type == "a-f-S"
        assert ev.sendTime == ev.startTime == int(ts.timestamp() * 1000)
        assert ev.staleTime - ev.startTime == 600_000
        assert ev.lat == round(lat, 7) and ev.lon == round(lon, 7)
        assert ev.detail.contact.callsign == "MV TEST"
        assert ev.detail.track.course == round(cog, 1)
        assert ev.detail.track.speed == round(kn_to_ms(sog), 3)


def test_alert_cot_round_trips_through_takproto() -> None:
    [alert, _] = alerts_for_events(
        [
            event("anchor_drag", STRANGER, asset="acg-sangachal-oil", lat=40.07, lon=49.98),
            event("encounter", 273_000_111, other=273_000_222, start_min=5),
        ],
        context(),
    )
    msg = takproto.parse_proto(bytearray(to_protobuf(alert_cot(alert))))
    ev = msg.cotEvent
    assert ev.uid == f"khazar-alert-{alert.id}"
    assert ev.type == "b-m-p-s-p-i"
    assert (ev.lat, ev.lon) == (40.07, 49.98)
    assert ev.detail.contact.callsign == "CRITICAL anchor-drag"
    assert ET.fromstring(ev.detail.xmlDetail).text == (
        f"{alert.summary} [state new, score {alert.score:.0f}]"
    )


@given(
    mmsi=st.integers(200_000_000, 775_999_999),
    lat=_LAT,
    lon=_LON,
    sog=st.floats(0, 102.2, allow_nan=False),
    cog=st.floats(0, 359.9, allow_nan=False),
    status=st.integers(0, 15),
    heading=st.integers(0, 359),
)
@settings(max_examples=150, deadline=None)
def test_nmea_out_round_trips_through_pyais_decode(
    mmsi: int, lat: float, lon: float, sog: float, cog: float, status: int, heading: int
) -> None:
    v = VesselState(mmsi, T0, lat, lon, sog, cog, heading, status, name="EAGLE S", ship_type=80)
    sentences = list(vessel_sentences([v]))
    assert all(s.startswith("!AIVDM,") for s in sentences)
    pos = decode(sentences[0]).asdict()
    # equal at AIS resolution: 1/10000 minute, 0.1 kn, 0.1°
    assert pos["mmsi"] == mmsi
    assert abs(pos["lat"] - lat) <= 0.5 / 600_000 + 1e-6
    assert abs(pos["lon"] - lon) <= 0.5 / 600_000 + 1e-6
    assert abs(pos["speed"] - sog) <= 0.05 + 1e-9
    assert abs(pos["course"] - cog) <= 0.05 + 1e-9 or abs(pos["course"] - cog) >= 359.9
    assert pos["heading"] == heading
    assert int(pos["status"]) == status
    assert pos["second"] == T0.second
    static = decode(*sentences[1:]).asdict()
    assert static["mmsi"] == mmsi and static["shipname"] == "EAGLE S"
    assert int(static["ship_type"]) == 80


def test_unknown_values_go_out_as_ais_not_available() -> None:
    v = VesselState(273_123_456, T0, 40.0, 50.0)
    [sentence] = list(vessel_sentences([v]))
    pos = decode(sentence).asdict()
    assert pos["speed"] == 102.3 and pos["course"] == 360.0 and pos["heading"] == 511


def test_udp_sender_delivers_cot_to_a_local_listener() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        port = rx.getsockname()[1]
        v = VesselState(273_123_456, T0, 40.0, 50.0, 5.0, 90.0)
        sent = send_messages(
            parse_endpoint(f"udp://127.0.0.1:{port}"), [vessel_cot(v).encode()] * 3
        )
        got = [rx.recv(65536) for _ in range(sent)]
    assert sent == 3
    assert got[0] == vessel_cot(v).encode()


def test_tcp_sender_streams_tak_protobuf_to_a_local_server() -> None:
    import threading

    v = VesselState(273_123_456, T0, 40.0, 50.0, 5.0, 90.0, name="MV TEST")
    payload = to_protobuf(vessel_cot(v), "stream")
    received = bytearray()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(5)
        port = server.getsockname()[1]

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                while chunk := conn.recv(65536):
                    received.extend(chunk)

        thread = threading.Thread(target=accept)
        thread.start()
        sent = send_messages(parse_endpoint(f"tcp://127.0.0.1:{port}"), [payload, payload])
        thread.join(5)
    assert sent == 2
    assert bytes(received) == payload * 2
    first = takproto.parse_proto(bytearray(received[: len(payload)]))
    assert first.cotEvent.uid == "khazar-vessel-273123456"


def test_bad_endpoints_are_input_errors() -> None:
    import pytest

    from khazar.errors import InputError

    for url in ("http://x:1", "udp://host", "tcp://:80", "udp://h:notaport"):
        with pytest.raises(InputError):
            parse_endpoint(url)
