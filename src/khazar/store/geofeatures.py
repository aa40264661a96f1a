"""The loaded theatre's zones and assets in the store, for the API's bbox queries.

The server that loads the geography writes its features here (:func:`replace_features`,
once per process and layer; several servers on one database write the same rows).
:func:`features_in` answers a bbox query in the database: on PostgreSQL with PostGIS's
``&&`` on the GiST-indexed geometry, on DuckDB on the stored bounds; both test the
feature's bounding box against the query's, as the OGC API's ``bbox`` means.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shapely.geometry import shape

from khazar.domain.picture import BBox
from khazar.store.backend import Session

__all__ = ["features_in", "replace_features"]


def _bounds(feature: dict[str, Any]) -> tuple[float, float, float, float]:
    geometry = feature.get("geometry")
    if not geometry:
        raise ValueError(f"feature {feature.get('id')!r} has no geometry")
    lo_x, lo_y, hi_x, hi_y = shape(geometry).bounds
    return float(lo_x), float(lo_y), float(hi_x), float(hi_y)


def replace_features(db: Session, kind: str, features: Sequence[dict[str, Any]]) -> None:
    """The features of layer ``kind`` (``zones``, ``assets``), replacing what was there."""
    rows = [(kind, i, str(f.get("id", i)), json.dumps(f, separators=(",", ":")), *_bounds(f))
            for i, f in enumerate(features)]
    with db.transaction() as tx:  # PostgreSQL generates the PostGIS geometry itself
        tx.execute("DELETE FROM geo_features WHERE kind = ?", [kind])
        if rows:  # a theatre may have no assets
            tx.executemany("INSERT INTO geo_features (kind, seq, id, feature, min_lon, "
                           "min_lat, max_lon, max_lat) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def features_in(db: Session, kind: str, box: BBox) -> list[dict[str, Any]] | None:
    """The features of ``kind`` whose bounding box meets ``box``, in layer order; None
    when the layer was never written (the caller filters its own copy)."""
    if db.dialect == "postgresql":
        where = "geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)"
        args: list[object] = [box.min_lon, box.min_lat, box.max_lon, box.max_lat]
    else:
        where = "max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?"
        args = [box.min_lon, box.max_lon, box.min_lat, box.max_lat]
    known = db.execute("SELECT count(*) FROM geo_features WHERE kind = ?", [kind]).fetchone()
    if not known or not known[0]:
        return None
    rows = db.execute(f"SELECT feature FROM geo_features WHERE kind = ? AND {where} "
                      "ORDER BY seq", [kind, *args]).fetchall()
    return [json.loads(r[0]) for r in rows]
