// The live stream (/api/live) read in a dedicated worker, off the page's main thread.
//
// Why: a live update carries every vessel that moved (5,000 vessels once a second is
// ~2.6 MB of JSON a second). Read by an EventSource on the page, the stream parser and
// JSON.parse blocked the main thread for 150–250 ms each second on a software-GL
// console, frames the map could not draw while dragged. Here the worker parses, packs the
// vessels into flat records (records.js) and hands the array to the page without a copy;
// the page's vessel layer uploads it as one buffer.
//
// Messages from the page: {type: "connect", kinds}, {type: "close"}, {type: "select", mmsi}.
// To the page: {type: "open"}, {type: "error"}, {type: "positions", records, pictureTime,
// features, selected} and, for the small events (alert, note, fleet), {type, data} with
// data as the raw JSON text. `features` (the GeoJSON features behind the records, for
// the vessel panel and the counts) come with every update while few vessels changed,
// otherwise every FEATURES_PERIOD_MS (copying thousands of objects to the page is what
// this worker avoids doing each second); `selected` is the selected vessel's feature
// whenever it is in an update.
"use strict";
importScripts("records.js");

const FEATURES_PERIOD_MS = 5000;
const FEATURES_AT_ONCE = 500;   // fewer changed vessels than this: features with every update
const EVENTS = ["alert", "note", "fleet"];

let source = null, kinds = new Map(), selected = null;
let pending = new Map(), lastFeatures = 0;

function connect() {
  if (source) source.close();
  pending = new Map();
  lastFeatures = 0;
  source = new EventSource("/api/live");
  source.addEventListener("open", () => postMessage({ type: "open" }));
  source.addEventListener("error", () => postMessage({ type: "error" }));
  source.addEventListener("positions", (e) => positions(JSON.parse(e.data)));
  for (const name of EVENTS) source.addEventListener(name, (e) => postMessage({ type: name, data: e.data }));
}

function positions(data) {
  const feats = data.features || [];
  const records = self.KhazarRecords.pack(feats, kinds);
  let sel = null;
  for (const f of feats) {
    pending.set(f.properties.mmsi, f);
    if (f.properties.mmsi === selected) sel = f;
  }
  const now = Date.now();
  let features = null;
  if (pending.size < FEATURES_AT_ONCE || now - lastFeatures >= FEATURES_PERIOD_MS) {
    features = [...pending.values()];
    pending = new Map();
    lastFeatures = now;
  }
  postMessage({ type: "positions", records, pictureTime: data.pictureTime || null, features, selected: sel },
    [records.buffer]);
}

self.onmessage = (e) => {
  const m = e.data;
  if (m.type === "connect") {
    kinds = new Map(m.kinds.map((k, i) => [k, i]));
    connect();
  } else if (m.type === "close") {
    if (source) source.close();
    source = null;
  } else if (m.type === "select") {
    selected = m.mmsi;
  }
};
