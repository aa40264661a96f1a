"""KML (OGC KML 2.2) written with fastkml from GeoJSON features.

Each feature becomes a Placemark: ``name`` from the ``name`` property (else the id), the
geometry as is, ``start``/``end`` (or ``times``) as a TimeSpan, a ``timestamp`` as a
TimeStamp, every other property as ExtendedData (lists and dicts as JSON text; None values
are left out, KML has no null).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pygeoif
from fastkml import (
    KML,
    Data,
    Document,
    ExtendedData,
    Folder,
    KmlDateTime,
    Placemark,
    TimeSpan,
    TimeStamp,
)

from khazar.interop.features import Feature

__all__ = ["data_value", "features_to_kml"]

_TIME_KEYS = ("start", "end", "timestamp")


def data_value(value: Any) -> str:
    """How a property value is written to (and compared with, after parsing) KML/GPX text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _times(props: dict[str, Any]) -> TimeSpan | TimeStamp | None:
    start, end = props.get("start"), props.get("end")
    times = props.get("times")
    if start is None and isinstance(times, list) and times:
        start, end = times[0], times[-1]
    if start is not None:
        return TimeSpan(
            begin=KmlDateTime(datetime.fromisoformat(str(start))),
            end=KmlDateTime(datetime.fromisoformat(str(end))) if end is not None else None,
        )
    ts = props.get("timestamp")
    if ts is not None:
        return TimeStamp(timestamp=KmlDateTime(datetime.fromisoformat(str(ts))))
    return None


def _placemark(feature: Feature) -> Placemark:
    props = dict(feature.get("properties") or {})
    name = str(props.get("name") or feature.get("id") or "")
    elements = [
        Data(name=key, value=data_value(value))
        for key, value in props.items()
        if key not in ("name", "description") and key not in _TIME_KEYS and value is not None
    ]
    return Placemark(
        id=str(feature["id"]) if feature.get("id") is not None else None,
        name=name,
        description=str(props["description"]) if props.get("description") else None,
        geometry=pygeoif.shape(feature["geometry"]),
        times=_times(props),
        extended_data=ExtendedData(elements=elements) if elements else None,
    )


def features_to_kml(
    features: Iterable[Feature], name: str, folders: dict[str, Iterable[Feature]] | None = None
) -> str:
    """A KML document of ``features`` (and optional named folders of more features)."""
    items: list[Placemark | Folder] = [_placemark(f) for f in features]
    for folder_name, folder_features in (folders or {}).items():
        items.append(Folder(name=folder_name, features=[_placemark(f) for f in folder_features]))
    doc = Document(name=name, features=items)
    text: str = KML(features=[doc]).to_string(prettyprint=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text
