// The live stream (/api/live) read in a dedicated worker, off the page's main thread.
//
// Why: a live update carries every vessel that moved (5,000 vessels once a second in the
// benchmark). Read by an EventSource on the page, the stream parser and JSON.parse blocked
// the main thread for 150–250 ms each second on a software-GL console, frames the map
// could not draw while dragged. Here the worker parses each update (rows of a few numbers
// per vessel: api/geojson.py positions_update), packs them into flat records (records.js)
// and hands the array to the page without a copy; the page's vessel layer uploads it as
// one buffer.
//
// Messages from the page: {type: "connect", kinds}, {type: "close"}, {type: "select", mmsi}.
// To the page: {type: "open"}, {type: "error", closed} (closed: the browser gave up
// reconnecting: the server refused the stream, e.g. 401 once the session is gone),
// {type: "session_ended", data} (the server ended the stream because the session ended:
// logout, account disabled, new role or password, an admin; the worker does not reconnect),
// {type: "positions", records, pictureTime,
// fields, rows, selected} and, for the small events (alert, note, fleet), {type, data} with
// data as the raw JSON text. `rows` (the latest row of each vessel that moved, for the
// vessel panel and the counts) come with every update while few vessels changed,
// otherwise every ROWS_PERIOD_MS (the page updates its vessel objects from them, work this
// worker keeps off the page each second); `selected` is the selected vessel's row whenever
// it is in an update.
"use strict";
importScripts("records.js");

const ROWS_PERIOD_MS = 5000;
const ROWS_AT_ONCE = 500;   // fewer changed vessels than this: rows with every update
const EVENTS = ["alert", "note", "fleet", "security"];

let source = null, kinds = new Map(), selected = null;
let pending = new Map(), lastRows = 0;

function connect() {
  if (source) source.close();
  pending = new Map();
  lastRows = 0;
  source = new EventSource("/api/live");
  source.addEventListener("open", () => postMessage({ type: "open" }));
  source.addEventListener("error", () => postMessage({
    type: "error", closed: !source || source.readyState === EventSource.CLOSED }));
  // the session ended: reconnecting would only get 401; the page shows the login screen
  source.addEventListener("session_ended", (e) => {
    source.close();
    source = null;
    postMessage({ type: "session_ended", data: e.data });
  });
  source.addEventListener("positions", (e) => positions(JSON.parse(e.data)));
  for (const name of EVENTS) source.addEventListener(name, (e) => postMessage({ type: name, data: e.data }));
}

function positions(data) {
  const fields = data.fields || [], rows = data.rows || [];
  const records = self.KhazarRecords.packRows(fields, rows, kinds);
  const mmsi = fields.indexOf("mmsi");
  let sel = null;
  for (const r of rows) {
    pending.set(r[mmsi], r);
    if (r[mmsi] === selected) sel = r;
  }
  const now = Date.now();
  let changed = null;
  if (pending.size < ROWS_AT_ONCE || now - lastRows >= ROWS_PERIOD_MS) {
    changed = [...pending.values()];
    pending = new Map();
    lastRows = now;
  }
  postMessage({ type: "positions", records, pictureTime: data.pictureTime || null, fields,
    rows: changed, selected: sel }, [records.buffer]);
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
