"""Interoperability (DESIGN C9): GeoJSON, KML (fastkml), GPX (gpxpy), Cursor-on-Target for
TAK (takproto), NMEA AIS out (pyais encode), and a UDP/TCP sender.

The one writer of external formats. :mod:`~khazar.interop.features` gives every domain object
its one GeoJSON feature (the API, the CLI and the exports all use it); the writers are pure
(features in, text or bytes out); :mod:`~khazar.interop.send` is the only module with sockets,
:mod:`~khazar.interop.export` the one that writes files.
"""

from khazar.interop.cot import VesselState, alert_cot, to_protobuf, vessel_cot
from khazar.interop.export import EXPORT_FORMATS, write_features
from khazar.interop.features import (
    Feature,
    alert_feature,
    asset_feature,
    collection,
    event_feature,
    feature_collection,
    geometry_feature,
    point_feature,
    route_feature,
    track_feature,
    vessel_feature,
    zone_feature,
)
from khazar.interop.gpx import features_to_gpx
from khazar.interop.kml import features_to_kml
from khazar.interop.nmea import vessel_sentences
from khazar.interop.send import Endpoint, parse_endpoint, send_messages

__all__ = [
    "EXPORT_FORMATS",
    "Endpoint",
    "Feature",
    "VesselState",
    "alert_cot",
    "alert_feature",
    "asset_feature",
    "collection",
    "event_feature",
    "feature_collection",
    "features_to_gpx",
    "features_to_kml",
    "geometry_feature",
    "parse_endpoint",
    "point_feature",
    "route_feature",
    "send_messages",
    "to_protobuf",
    "track_feature",
    "vessel_cot",
    "vessel_feature",
    "vessel_sentences",
    "write_features",
    "zone_feature",
]
