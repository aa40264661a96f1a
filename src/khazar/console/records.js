// Vessel reports as flat numeric records: what the vessel layer needs of a GeoJSON
// vessel feature, FIELDS numbers per vessel in one Float64Array. The live worker
// (live-worker.js) packs each update off the page's main thread and hands the array over
// without a copy; the page packs the features of a full picture it fetched itself.
// Loaded by the page (<script>) and by the worker (importScripts): no DOM, no MapLibre.
"use strict";
(function (root) {
  const FIELDS = 9;
  //: offsets in a record; a missing value is NaN
  const R = { MMSI: 0, LON: 1, LAT: 2, SOG_KN: 3, COG_DEG: 4, HEADING_DEG: 5, KIND: 6, STALE: 7, AGE_S: 8 };

  function num(v) { return v === null || v === undefined ? NaN : Number(v); }

  /** Pack GeoJSON vessel features into a Float64Array of FIELDS numbers each; `kinds`
   *  is the list of vessel kinds (a kind's record value is its index, -1 if unlisted). */
  function pack(features, kinds) {
    const index = kinds instanceof Map ? kinds : new Map(kinds.map((k, i) => [k, i]));
    const out = new Float64Array(features.length * FIELDS);
    let o = 0;
    for (const f of features) {
      const p = f.properties, c = f.geometry.coordinates;
      out[o + R.MMSI] = p.mmsi;
      out[o + R.LON] = c[0];
      out[o + R.LAT] = c[1];
      out[o + R.SOG_KN] = num(p.sog_kn);
      out[o + R.COG_DEG] = num(p.cog_deg);
      out[o + R.HEADING_DEG] = num(p.heading_deg);
      const k = index.get(p.kind);
      out[o + R.KIND] = k === undefined ? -1 : k;
      out[o + R.STALE] = p.stale ? 1 : 0;
      out[o + R.AGE_S] = num(p.age_s);
      o += FIELDS;
    }
    return out;
  }

  root.KhazarRecords = { FIELDS, R, pack };
})(self);
