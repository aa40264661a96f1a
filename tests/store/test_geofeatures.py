"""Zones and assets in the store answer bbox queries in the database, alike on DuckDB and on
PostgreSQL (PostGIS's index), and alike to testing each feature's bounds in Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import box as shapely_box
from shapely.geometry import shape

from khazar.config import load_settings
from khazar.domain.picture import BBox
from khazar.geo import load_geography
from khazar.interop.features import asset_feature, zone_feature
from khazar.store import open_store
from khazar.store.geofeatures import features_in, replace_features

BOXES = [BBox(49.0, 39.5, 51.5, 41.0), BBox(50.8, 40.0, 50.9, 40.1), BBox(46.6, 36.6, 47.0, 37.0),
         BBox(-10.0, -10.0, 10.0, 10.0), BBox(46.0, 36.0, 55.0, 48.0)]


@pytest.fixture(scope="module")
def layers() -> dict[str, list[dict[str, object]]]:
    geo = load_geography(load_settings())
    return {"zones": [zone_feature(z) for z in geo.zones],
            "assets": [asset_feature(a, None) for a in geo.assets]}


def test_bbox_queries_run_in_the_database(store_at: Path | str,
                                          layers: dict[str, list[dict[str, object]]]) -> None:
    with open_store(store_at) as store:
        assert features_in(store, "zones", BOXES[0]) is None  # never written
        for kind, feats in layers.items():
            replace_features(store, kind, feats)
            replace_features(store, kind, feats)  # replaced, not doubled
            for box in BOXES:
                query = shapely_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat)
                expected = [f["id"] for f in feats
                            if shapely_box(*shape(f["geometry"]).bounds).intersects(query)]
                found = features_in(store, kind, box)
                assert found is not None
                assert [f["id"] for f in found] == expected, (kind, box)
        assert len(features_in(store, "zones", BOXES[-1]) or []) == len(layers["zones"])
        replace_features(store, "assets", [])  # a theatre without assets
        assert features_in(store, "assets", BOXES[-1]) is None
        assert features_in(store, "zones", BOXES[3]) == []
