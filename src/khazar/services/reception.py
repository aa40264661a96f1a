"""The learned AIS reception map (:mod:`khazar.detect.reception`) from the store, for
``khazar reception``, ``GET /api/reception`` and the report."""

from __future__ import annotations

from typing import Any

from khazar.config import Settings
from khazar.detect.adapters import geography_from_geo
from khazar.detect.reception import ReceptionMap
from khazar.geo import load_geography
from khazar.store.backend import Session
from khazar.store.picture import load_reception

__all__ = ["learned_reception", "reception_geojson"]


def learned_reception(store: Session, settings: Settings, days: float | None = None
                      ) -> ReceptionMap:
    """The map ``khazar detect`` uses: the last ``days`` (default
    ``detect.reception_days``) of stored positions, the theatre's or the configured
    receivers as the prior."""
    geo = geography_from_geo(load_geography(settings), settings)
    return load_reception(store, geo, settings.detect.reception_days if days is None
                          else days)


def reception_geojson(m: ReceptionMap) -> dict[str, Any]:
    """The map as a GeoJSON FeatureCollection of cell polygons (share, expected and
    received reports, prior, covered), with the window it was learned over."""
    feats: list[dict[str, Any]] = []
    for r in m.records():
        w, s, e, n = r["west"], r["south"], r["east"], r["north"]
        feats.append({"type": "Feature", "bbox": [w, s, e, n],
                      "geometry": {"type": "Polygon",
                                   "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
                      "properties": {k: v for k, v in r.items()
                                     if k not in ("west", "south", "east", "north")}})
    return {"type": "FeatureCollection", "features": feats,
            "cell_deg": m.cell_deg, "days": m.days, "min_share": m.min_share,
            "prior_strength": m.prior_strength,
            "cells": len(feats), "blind_cells": sum(1 for f in feats
                                                    if not f["properties"]["covered"])}
