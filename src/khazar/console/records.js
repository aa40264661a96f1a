// Vessel reports as flat numeric records: what the vessel layer needs of a GeoJSON
// vessel feature or of a live update's row, FIELDS numbers per vessel in one Float64Array. The live worker
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

  /** The same from the rows of a live `positions` update (`fields` names their columns:
   *  mmsi, lon, lat, sog_kn, cog_deg, heading_deg, kind, stale, age_s…). */
  function packRows(fields, rows, kinds) {
    const index = kinds instanceof Map ? kinds : new Map(kinds.map((k, i) => [k, i]));
    const col = (name) => {
      const i = fields.indexOf(name);
      if (i < 0) throw new Error("live positions without a " + name + " column");
      return i;
    };
    const mmsi = col("mmsi"), lon = col("lon"), lat = col("lat"), sog = col("sog_kn"),
      cog = col("cog_deg"), heading = col("heading_deg"), kind = col("kind"),
      stale = col("stale"), age = col("age_s");
    const out = new Float64Array(rows.length * FIELDS);
    let o = 0;
    for (const r of rows) {
      out[o + R.MMSI] = r[mmsi];
      out[o + R.LON] = r[lon];
      out[o + R.LAT] = r[lat];
      out[o + R.SOG_KN] = num(r[sog]);
      out[o + R.COG_DEG] = num(r[cog]);
      out[o + R.HEADING_DEG] = num(r[heading]);
      const k = index.get(r[kind]);
      out[o + R.KIND] = k === undefined ? -1 : k;
      out[o + R.STALE] = r[stale] ? 1 : 0;
      out[o + R.AGE_S] = num(r[age]);
      o += FIELDS;
    }
    return out;
  }

  root.KhazarRecords = { FIELDS, R, pack, packRows };
})(self);
