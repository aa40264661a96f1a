"""Write features to a file (or text) in any export format: geojson, kml, gpx, jsonl, csv.

jsonl and csv carry the properties (lists and dicts as JSON text in csv), plus ``lat``/
``lon`` for points and the GeoJSON ``geometry`` text for everything else.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from khazar.errors import InputError
from khazar.interop.features import Feature, dumps
from khazar.interop.gpx import features_to_gpx
from khazar.interop.kml import data_value, features_to_kml

__all__ = ["EXPORT_FORMATS", "render_features", "write_features"]

EXPORT_FORMATS = ("geojson", "kml", "gpx", "jsonl", "csv")


def _flat(feature: Feature) -> dict[str, Any]:
    row: dict[str, Any] = {"id": feature.get("id")}
    geom = feature["geometry"]
    if geom["type"] == "Point":
        row["lon"], row["lat"] = geom["coordinates"][:2]
    else:
        row["geometry"] = json.dumps(geom)
    for key, value in (feature.get("properties") or {}).items():
        row.setdefault(key, value)
    return row


def render_features(features: Sequence[Feature], fmt: str, name: str) -> str:
    """The text of ``features`` in ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    if fmt == "geojson":
        return dumps(features, name) + "\n"
    if fmt == "kml":
        return features_to_kml(features, name)
    if fmt == "gpx":
        text, _skipped = features_to_gpx(features, name)
        return text
    if fmt == "jsonl":
        return "".join(
            json.dumps(_flat(f), ensure_ascii=False, default=str) + "\n" for f in features
        )
    if fmt == "csv":
        rows = [_flat(f) for f in features]
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: data_value(row.get(k)) for k in columns})
        return buf.getvalue()
    raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def write_features(features: Sequence[Feature], fmt: str, out: Path, name: str) -> int:
    """Write ``features`` to ``out`` in ``fmt``; return the number of features written."""
    text = render_features(features, fmt, name)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return len(features)
