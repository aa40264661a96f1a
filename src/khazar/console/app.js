// The console: login, the map, live updates (SSE) and periodic refresh, panels.
"use strict";
(function () {
  const api = window.KhazarApi, i18n = window.KhazarI18n, P = window.KhazarPanels, M = window.KhazarMap;
  const t = (k) => i18n.t(k);
  const $ = (id) => document.getElementById(id);

  const state = {
    me: null, map: null, vessels: new Map(), pictureTime: null, selected: null,
    alerts: null, fleet: null, unavailable: new Set(), live: null, timers: [], labels: [],
    layers: {
      water: { ids: ["land", "ports"], visible: true },
      zones: { ids: ["zones-fill", "zones-line"], visible: true },
      assets: { ids: ["assets-area", "assets-line", "assets-point"], visible: true },
      vessels: { ids: ["vessels"], visible: true },
      tracks: { ids: ["tracks"], visible: true },
      fleet: { ids: ["fleet"], visible: true },
      patrols: { ids: ["patrols", "plan-offset", "plan-position"], visible: true },
      dispatch: { ids: ["dispatch-routes", "dispatch-ends"], visible: true },
      alerts: { ids: ["alerts", "selected-alert"], visible: true },
      reception: { ids: ["reception"], visible: false },
    },
    dirty: false, vesselRequests: 0, replay: null, exercise: false,
    plans: new Map(), routes: new Map(),
    selectedAlert: null, details: new Map(),  // the alert opened in the queue, its detail by id
  };

  function message(text, isError) {
    const m = $("status-message");
    m.textContent = text || "";
    m.classList.toggle("error", !!isError);
  }

  function markUnavailable(name, err) {
    state.unavailable.add(name);
    if (state.layers[name]) state.layers[name].unavailable = true;
    $("status-unavailable").textContent = t("status.unavailable") + ": " + [...state.unavailable].join(", ");
    $("status-unavailable").title = err ? String(err.message) : "";
  }

  async function load(name, path) {
    try {
      return await api.get(path);
    } catch (err) {
      if (err.status === 401) { lostSession(); throw err; }
      if (err.status === 503 || err.status === 404) { markUnavailable(name, err); return null; }
      message(t("error.generic") + ": " + err.message, true);
      return null;
    }
  }

  // A paged collection (/api/tracks) whole: each page's "next" link followed, the features
  // joined. Null as load() gives it when the first page fails.
  async function loadPages(name, path) {
    const fc = await load(name, path);
    let page = fc;
    for (let n = 0; page && n < 1000; n++) {
      const next = (page.links || []).find((l) => l.rel === "next");
      if (!next) break;
      const url = new URL(next.href, location.href);
      page = await load(name, url.pathname.replace(/^\/api/, "") + url.search);
      if (page) fc.features.push(...page.features);
    }
    if (fc) fc.numberReturned = fc.features.length;
    return fc;
  }

  // --- clocks -------------------------------------------------------------------
  function tick() {
    const now = new Date();
    $("clock-utc").textContent = now.toISOString().slice(11, 19);
    const local = P.localTime();
    $("clock-local").hidden = !local.name;
    if (local.name) {
      $("clock-local-name").textContent = P.localName();
      $("clock-local-time").textContent = new Date(now.getTime() + local.ms).toISOString().slice(11, 19);
    }
    $("clock-picture").textContent = state.pictureTime ? P.fmtTimes(state.pictureTime) : "—";
  }

  // --- vessels ------------------------------------------------------------------
  // The vessel layer (vessels.js) takes each report as it arrives; the counts and the
  // vessel panel follow once a second.
  function flushVessels() {
    if (!state.dirty || !state.map) return;
    state.dirty = false;
    let stale = 0;
    for (const f of state.vessels.values()) if (f.properties.stale) stale++;
    $("vessel-count").textContent = state.vessels.size;
    $("stale-count").textContent = stale;
    if (state.selected && state.vessels.has(state.selected)) showVessel(state.selected, false);
  }
  // --- history replay: the picture as it was at a chosen time --------------------------
  function replayTime() {
    if (!state.replay) return null;
    const base = new Date(state.replay.base).getTime();
    return new Date(base + Number($("replay-slider").value) * 60000).toISOString().slice(0, 19) + "Z";
  }
  async function onReplayToggle(e) {
    if (e.target.checked && state.pictureTime) {
      state.replay = { base: state.pictureTime };
      $("replay-slider").disabled = false;
      document.body.classList.add("replaying");
    } else {
      state.replay = null;
      $("replay-slider").disabled = true;
      $("replay-slider").value = 0;
      document.body.classList.remove("replaying");
      M.setData(state.map, "tracks", M.EMPTY);
    }
    drawRoutes();
    await refreshVessels();
  }
  async function onReplaySlide() {
    await Promise.all([refreshVessels(), refreshDeviation()]);
    const t = replayTime();
    const fc = t ? await loadPages("tracks", "/tracks?limit=500&datetime=" + encodeURIComponent(
      new Date(new Date(t).getTime() - 30 * 60000).toISOString().slice(0, 19) + "Z/" + t)) : null;
    if (fc) M.setData(state.map, "tracks", fc);
  }

  async function refreshVessels() {
    const t = replayTime();
    const mode = (t || "live") + (state.exercise ? ":exercise" : "");
    $("replay-time").textContent = t ? P.fmtTimes(t) : "";
    const fc = await load("vessels", "/vessels?limit=10000" + exerciseParam() +
      (t ? "&datetime=" + encodeURIComponent("../" + t) : ""));
    if (!fc) return;
    state.vesselRequests++;
    const again = state.vesselMode === mode;  // the same picture: vessels glide on
    state.vesselMode = mode;
    state.vessels = new Map(fc.features.map((f) => [f.properties.mmsi, f]));
    state.pictureTime = fc.pictureTime;
    state.mapVessels.setFeatures(fc.features, again && !t ? "replace" : "reset", !t);
    state.dirty = true;
    if (state.vesselRequests === 1 && state.alerts) renderAlerts();  // the vessels' names, once known
    flushVessels();
  }
  function exerciseParam() { return state.exercise ? "&exercise=true" : ""; }
  async function onExerciseToggle(e) {
    // exercise traffic is kept apart: its own picture and alert queue, shown in purple
    state.exercise = e.target.checked;
    document.body.classList.toggle("exercise", state.exercise);
    drawRoutes();
    await Promise.all([refreshVessels(), refreshAlerts()]);
  }
  // a live update from the worker (live-worker.js): packed records for the map at once,
  // the rows behind them for the panel and the counts (every few seconds when many)
  function applyPositions(m) {
    if (state.replay || state.exercise) return;  // live updates are the live picture only
    if (state.mapVessels) state.mapVessels.setRecords(m.records, "merge", true);
    if (m.rows) patchVessels(m.fields, m.rows);
    if (m.selected) patchVessels(m.fields, [m.selected]);
    if (m.pictureTime) state.pictureTime = m.pictureTime;
    state.dirty = true;
  }
  // live rows (api/geojson.py positions_update) onto the vessels' features: where each is,
  // how it moves, how old its report is. A vessel not seen before gets a feature of its
  // own; its name and static data come with the next /api/vessels refresh.
  function patchVessels(fields, rows) {
    const at = {};
    fields.forEach((name, i) => { at[name] = i; });
    for (const r of rows) {
      const mmsi = r[at.mmsi], lon = r[at.lon], lat = r[at.lat];
      let f = state.vessels.get(mmsi);
      if (!f) {
        f = { type: "Feature", id: mmsi, geometry: null, properties: { mmsi, name: null, callsign: null,
          imo: null, ship_type: null, destination: null, length_m: null } };
        state.vessels.set(mmsi, f);
      }
      const p = f.properties, seen_ms = r[at.last_seen] * 1000;
      f.geometry = { type: "Point", coordinates: [lon, lat] };
      p.sog_kn = r[at.sog_kn]; p.cog_deg = r[at.cog_deg]; p.heading_deg = r[at.heading_deg];
      p.status = r[at.status]; p.kind = r[at.kind]; p.stale = r[at.stale]; p.age_s = r[at.age_s];
      p.last_seen = new Date(seen_ms).toISOString().slice(0, 19) + "+00:00";
      p.lat_dm = P.fmtDM(lat, true);
      p.lon_dm = P.fmtDM(lon, false);
    }
  }
  function showVessel(mmsi, switchTab) {
    if (state.selected !== mmsi && state.live) state.live.postMessage({ type: "select", mmsi });
    state.selected = mmsi;
    const f = state.vessels.get(mmsi);
    P.renderVessel($("panel-vessel"), f, showTrack);
    M.setSelected(state.map, f ? state.mapVessels.lngLat(mmsi) : null);
    if (switchTab !== false) {
      selectTab("vessel");
      if (!state.replay) showTrack(mmsi);
    }
  }
  async function showTrack(mmsi) {
    const fc = await loadPages("tracks", "/tracks?mmsi=" + encodeURIComponent(mmsi) + "&hours=6");
    if (fc) M.setData(state.map, "tracks", fc);
  }

  // --- alerts and fleet -----------------------------------------------------------
  const alertActions = {
    ack: (id) => act("/alerts/" + id + "/acknowledge", {}),
    assign: (id, boat) => act("/alerts/" + id + "/assign", { boat }),
    resolve: (id, reason) => act("/alerts/" + id + "/resolve", { reason }),
    // a note shows in the alert's detail as soon as the server has it
    note: async (id, text) => {
      try {
        const note = await api.post("/alerts/" + encodeURIComponent(id) + "/notes", { text });
        const d = state.details.get(id);
        if (d && !d.error) {
          const q = d.properties || d;
          q.notes = [...(q.notes || []), note];
        }
        for (const i of document.querySelectorAll(".alert-detail .act-note-text")) {
          if (i.closest("[data-alert-id]").dataset.alertId === id) i.value = "";
        }
        message("");
        renderAlerts();
        loadDetail(id);
      } catch (err) {
        if (err.status === 401) return lostSession();
        message(err.status === 403 ? t("error.forbidden") + " " + err.message : t("error.generic") + ": " + err.message, true);
      }
    },
    select: (id) => selectAlert(id),
    detail: (id) => state.details.get(id) || null,
    openPlan: (id) => state.plans.get(id) || null,
    closePlan: (id) => { state.plans.delete(id); renderAlerts(); },
    dispatchOptions: async (id) => {
      try {
        state.plans.set(id, await api.get("/alerts/" + encodeURIComponent(id) + "/dispatch"));
        renderAlerts();
      } catch (err) {
        if (err.status === 401) return lostSession();
        message(t("error.generic") + ": " + err.message, true);
      }
    },
    dispatch: async (id, boat) => {
      try {
        const out = await api.post("/alerts/" + encodeURIComponent(id) + "/dispatch", { boat });
        state.plans.delete(id);
        state.routes.set(id, out.route);
        drawRoutes();
        fitRoute(out.route);
        if (state.selectedAlert === id) loadDetail(id);
        message(t("dispatch.sent").replace("{boat}", boat).replace("{eta}", Math.round(out.eta_min)));
        await Promise.all([refreshAlerts(), refreshFleet()]);
      } catch (err) {
        if (err.status === 401) return lostSession();
        message(err.status === 403 ? t("error.forbidden") + " " + err.message : t("error.generic") + ": " + err.message, true);
      }
    },
  };
  function alertById(id) {
    const feats = (state.alerts && state.alerts.features) || [];
    return feats.find((f) => f.properties.id === id) || null;
  }
  /** Open an alert (or close it: null): its detail in the queue, its ring marked on the
   *  map, the map on it, the vessel's track drawn. */
  async function selectAlert(id) {
    state.selectedAlert = id;
    const f = id ? alertById(id) : null;
    M.setSelectedAlert(state.map, f);
    renderAlerts();
    if (!f) return;
    state.map.flyTo({ center: f.geometry.coordinates, zoom: Math.max(state.map.getZoom(), 9) });
    if (f.properties.mmsi && state.vessels.has(f.properties.mmsi)) showTrack(f.properties.mmsi);
    await loadDetail(id);
  }
  async function loadDetail(id) {
    try {
      const d = await api.get("/alerts/" + encodeURIComponent(id));
      const q = d.properties || d;
      if (q.events === undefined && q.event_ids && q.event_ids.length && q.mmsi !== null) {
        // a server without the detail's events: its events from the collection, by id
        const wanted = new Set(q.event_ids);
        const fc = await api.get("/events?limit=1000&mmsi=" + q.mmsi + (q.exercise ? "&exercise=true" : "") +
          "&datetime=" + encodeURIComponent(q.first_ts.slice(0, 19) + "Z/" + q.last_ts.slice(0, 19) + "Z"));
        q.events = fc.features.filter((f) => wanted.has(f.properties.id))
          .sort((a, b) => String(a.properties.start).localeCompare(String(b.properties.start)));
      }
      state.details.set(id, d);
    } catch (err) {
      if (err.status === 401) return lostSession();
      state.details.set(id, { error: err.message });
    }
    if (state.selectedAlert === id) renderAlerts();
  }
  async function act(path, body) {
    try {
      await api.post(path, body);
      message("");
      await Promise.all([refreshAlerts(), refreshFleet()]);
      if (state.selectedAlert) loadDetail(state.selectedAlert);
    } catch (err) {
      if (err.status === 401) return lostSession();
      message(err.status === 403 ? t("error.forbidden") + " " + err.message : t("error.generic") + ": " + err.message, true);
    }
  }
  async function refreshAlerts() {
    const fc = await load("alerts", "/alerts?state=new&state=acknowledged&state=assigned&limit=200" + exerciseParam());
    if (!fc) return;
    state.alerts = fc;
    $("alert-count").textContent = fc.numberMatched;
    M.setData(state.map, "alerts", fc);
    M.setData(state.map, "projections", projections(fc));
    M.setSelectedAlert(state.map, state.selectedAlert ? alertById(state.selectedAlert) : null);
    renderAlerts();
  }
  /** Pre-alerts' projected tracks to the line (issue 21), as map features. */
  function projections(fc) {
    const features = [];
    for (const f of (fc && fc.features) || []) {
      const im = f.properties.impact;
      if (!im || !im.track || im.track.some((c) => !c || c[0] === null || c[1] === null)) continue;
      const props = { alert_id: f.properties.id, impact_at: im.impact_at, asset_id: im.asset_id };
      features.push({ type: "Feature", geometry: { type: "LineString", coordinates: im.track }, properties: props });
      features.push({ type: "Feature", geometry: { type: "Point", coordinates: im.track[1] }, properties: props });
    }
    return { type: "FeatureCollection", features };
  }
  // an alert on the live stream is shown at once; the collection is re-read behind it
  function showAlert(f) {
    if (!state.alerts || state.replay || !!f.properties.exercise !== !!state.exercise) return;
    const open = ["new", "acknowledged", "assigned"].includes(f.properties.state);
    const rest = state.alerts.features.filter((g) => g.properties.id !== f.properties.id);
    state.alerts = { ...state.alerts, features: open ? [f, ...rest] : rest };
    renderAlerts();
  }
  function renderAlerts() {
    const boats = state.fleet ? state.fleet.features.map((f) => f.properties) : [];
    const now = state.pictureTime ? new Date(state.pictureTime).getTime() : Date.now();
    const picture = (mmsi) => { const f = state.vessels.get(mmsi); return f ? f.properties : null; };
    // the queue is drawn again on every change: what is being typed (a note, a reason) stays
    const panel = $("panel-alerts"), typed = [], active = document.activeElement;
    let focus = null;
    for (const i of panel.querySelectorAll("input, select")) {
      const key = [i.closest("[data-alert-id]")?.dataset.alertId, i.className];
      typed.push([key, i.value]);
      if (i === active) focus = key;
    }
    P.renderAlerts(panel, state.alerts, state.me, boats, alertActions, state.selectedAlert, now, picture);
    for (const [[id, cls], value] of typed) {
      const i = [...panel.querySelectorAll("input, select")].find((e) =>
        e.className === cls && e.closest("[data-alert-id]")?.dataset.alertId === id);
      if (!i) continue;
      if (i.tagName === "INPUT" || [...i.options].some((o) => o.value === value)) i.value = value;
      if (focus && focus[0] === id && focus[1] === cls) i.focus();
    }
  }
  function drawRoutes() {
    // the routes of the picture shown: live or exercise; none while replaying history
    const features = [];
    for (const r of state.routes.values()) {
      if (state.replay || !!r.properties.exercise !== state.exercise) continue;
      const geometry = r.geometry || r.properties.route;
      if (!geometry || !geometry.coordinates || geometry.coordinates.length < 2) continue;
      features.push({ type: "Feature", geometry, properties: { ...r.properties, route: undefined } });
      const c = geometry.coordinates;
      features.push({ type: "Feature", geometry: { type: "Point", coordinates: c[c.length - 1] },
        properties: { boat: r.properties.boat, end: true } });
    }
    M.setData(state.map, "dispatch", { type: "FeatureCollection", features });
  }
  function fitRoute(route) {
    const c = route.geometry.coordinates;
    const lons = c.map((p) => p[0]), lats = c.map((p) => p[1]);
    state.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
      { padding: 80, maxZoom: 10, duration: 0 });
  }
  function renderFleet() {
    const may = (a) => state.me && state.me.actions.includes(a);
    P.renderFleet($("panel-fleet"), state.fleet, state.unavailable.has("dispatch"), may, setBoatStatus, state.deviation);
  }
  async function setBoatStatus(boat, status) {
    await act("/fleet/" + encodeURIComponent(boat) + "/status", { status });
  }
  async function refreshFleet() {
    const [fc, routes] = await Promise.all([load("fleet", "/fleet"), load("dispatch", "/dispatches")]);
    if (routes) {
      state.routes = new Map(routes.features.map((f) => [f.properties.alert_id, f]));
      drawRoutes();
    }
    if (!fc) return;
    state.fleet = fc;
    M.setData(state.map, "fleet", fc);
    renderFleet();
    await refreshDeviation();
  }

  // --- patrol plan: where each boat should be now, against where it is ---------------
  async function refreshDeviation() {
    const fc = await load("patrols", "/patrols/deviation" + (replayTime() ? "?datetime=" + encodeURIComponent(replayTime()) : ""));
    if (!fc) return;
    state.deviation = { loaded: !fc.message, features: fc.features };
    const marks = [];
    for (const f of fc.features) {
      const p = f.properties;
      if (p.phase && p.phase !== "during") continue;  // off shift: neither on nor off plan
      const planned = f.geometry.type === "LineString" ? f.geometry.coordinates[0] : f.geometry.coordinates;
      marks.push({ type: "Feature", geometry: { type: "Point", coordinates: planned },
        properties: { boat: p.boat, off_plan: !!p.off_plan, status: p.status } });
      if (f.geometry.type === "LineString") marks.push({ type: "Feature", geometry: f.geometry,
        properties: { boat: p.boat, off_plan: !!p.off_plan, status: p.status } });
    }
    M.setData(state.map, "plan", { type: "FeatureCollection", features: marks });
    if (state.fleet) renderFleet();
  }

  // --- static layers --------------------------------------------------------------
  async function checkCapabilities() {
    const st = await load("status", "/status");
    if (st && !st.capabilities.dispatch) markUnavailable("dispatch");
    state.picture = (st && st.picture) || null;
    renderBanner();
  }
  /** Replayed or simulated data says so, with its picture time, above the map. */
  function renderBanner() {
    const pic = state.picture, box = $("picture-banner");
    if (!pic || !pic.replay) { box.hidden = true; box.replaceChildren(); return; }
    const simulated = /sim/i.test(String(pic.replay));
    const lag = pic.wall_lag_s;
    box.replaceChildren(P.el("b", {}, t(simulated ? "banner.simulated" : "banner.replay")),
      " · " + t("banner.time").replace("{time}", P.fmtTimes(pic.time)) +
      (lag !== null && lag !== undefined && Math.abs(lag) >= 60 ? " · " + t("banner.lag").replace("{lag}", P.fmtAge(lag)) : ""));
    box.dataset.replay = String(pic.replay);
    box.hidden = false;
  }
  async function loadGeography() {
    const [basemap, zones, assets, patrols] = await Promise.all([
      load("water", "/basemap"), load("zones", "/zones"), load("assets", "/assets"), load("patrols", "/patrols"),
    ]);
    M.setData(state.map, "basemap", basemap);
    const water = ((basemap && basemap.features) || []).find((f) => f.properties.layer === "water");
    if (water) {  // the theatre's local time and title
      P.setLocalTime(water.properties.utc_offset_h, water.properties.local_time_name);
      if (water.properties.name) document.title = "Khazar · " + water.properties.name;
      tick();
    }
    const view = M.theatreView(basemap);
    if (view) state.map.fitBounds([[view[0], view[1]], [view[2], view[3]]], { animate: false, padding: 10 });
    M.setData(state.map, "zones", zones);
    M.setData(state.map, "assets", assets);
    M.setData(state.map, "patrols", patrols);
    placeLabels(basemap, assets);
    updateLabels();
    state.map.on("moveend", updateLabels);
    P.renderLayers($("panel-layers"), state.layers, toggleLayer);
  }
  function placeLabels(basemap, assets) {
    // HTML labels: no glyphs needed, any script (Azerbaijani ə included) renders. Each is
    // named in the console's language (i18n "place.<id>") and placed by priority: the
    // most critical assets first, then ports; a label that would overlap one already
    // placed is hidden (updateLabels), as MapLibre's symbol placement would do.
    for (const m of state.labels) m.remove();
    state.labels = [];
    const feats = [];
    if (assets) for (const f of assets.features) {
      if (f.geometry.type === "Point" && ["platform", "terminal"].includes(f.properties.kind)) {
        feats.push([f, "label-asset", 1000 + ((f.properties.criticality && f.properties.criticality.value) || 0)]);
      }
    }
    if (basemap) for (const f of basemap.features) if (f.properties.layer === "port") feats.push([f, "label-port", 500]);
    feats.sort((a, b) => b[2] - a[2]);
    for (const [f, cls] of feats) {
      const div = document.createElement("div");
      div.className = "map-label " + cls;
      div.dataset.minZoom = cls === "label-asset" ? "7.6" : "5";
      div.dataset.place = f.properties.id;
      div.dataset.name = f.properties.name;
      div.textContent = P.placeName(f.properties.id, f.properties.name);
      state.labels.push(new maplibregl.Marker({ element: div, anchor: "left", offset: [6, 0] })
        .setLngLat(f.geometry.coordinates).addTo(state.map));
    }
  }
  function nameLabels() {
    for (const m of state.labels) {
      const e = m.getElement();
      e.textContent = P.placeName(e.dataset.place, e.dataset.name);
    }
    updateLabels();
  }
  function updateLabels() {
    const z = state.map.getZoom();
    const show = state.layers.assets.visible;
    const placed = [];
    const overlaps = (r) => placed.some((q) => r.left < q.right + 2 && r.right > q.left - 2 &&
      r.top < q.bottom + 1 && r.bottom > q.top - 1);
    // the map's own controls (zoom, scale, legend, banner) are placed first: no label under them
    const frame = $("map").getBoundingClientRect();
    for (const c of document.querySelectorAll(".maplibregl-ctrl, #legend, #picture-banner:not([hidden])")) {
      placed.push(c.getBoundingClientRect());
    }
    for (const m of state.labels) {  // in priority order
      const e = m.getElement();
      e.hidden = !show || z < Number(e.dataset.minZoom);
      if (e.hidden) continue;
      const r = e.getBoundingClientRect();
      const cut = r.left < frame.left || r.right > frame.right || r.top < frame.top || r.bottom > frame.bottom;
      e.classList.toggle("collided", cut || overlaps(r));
      if (cut || overlaps(r)) { e.hidden = true; continue; }
      placed.push(r);
    }
  }
  function toggleLayer(key, visible) {
    state.layers[key].visible = visible;
    M.setVisible(state.map, state.layers[key].ids, visible);
    // the reception map is learned from the store on request: fetched when first shown
    if (key === "reception" && visible && !state.receptionLoaded) {
      state.receptionLoaded = true;
      load("reception", "/reception").then((fc) => { if (fc) M.setData(state.map, "reception", fc); });
    }
    if (key === "assets") updateLabels();
  }

  // --- live stream ----------------------------------------------------------------
  // read in a worker: parsing thousands of vessel reports a second on the page would
  // stall the map (live-worker.js)
  function connectLive() {
    if (!state.live) {
      state.live = new Worker("/console/live-worker.js");
      state.live.onmessage = (e) => {
        const m = e.data;
        if (m.type === "positions") applyPositions(m);
        else if (m.type === "open") $("live-indicator").className = "live on";
        else if (m.type === "error") {
          $("live-indicator").className = "live off";
          // the browser gave up on the stream (a refused reconnect): the session may be gone
          if (m.closed && state.me) checkSession();
        }
        else if (m.type === "session_ended") sessionEnded(JSON.parse(m.data));
        else if (m.type === "alert") { showAlert(JSON.parse(m.data)); refreshAlerts(); }
        else if (m.type === "note") refreshAlerts();
        else if (m.type === "fleet") refreshFleet();
        else if (m.type === "security") showSecurity(JSON.parse(m.data));
      };
    }
    state.live.postMessage({ type: "connect", kinds: state.mapVessels.kinds });
    if (state.selected !== null) state.live.postMessage({ type: "select", mmsi: state.selected });
  }

  // the server ended the session (signed out elsewhere, account disabled, role or password
  // changed, ended by an administrator): the login screen, saying why
  function sessionEnded(d) {
    if (!state.me) return;  // already signed out here
    api.setCsrf(null);
    const key = "session.ended." + d.reason;
    showLogin(i18n.has(key) ? t(key) : d.message);
  }
  async function checkSession() {
    try { await api.get("/me"); } catch (err) {
      if (err.status === 401) lostSession();
    }
  }
  // a request answered 401: the session is gone (the server may not have said why)
  function lostSession() {
    showLogin(state.me ? t("session.ended.unknown") : "");
  }

  // --- views ----------------------------------------------------------------------
  const PANELS = ["alerts", "fleet", "vessel", "scorecard", "exercise", "layers"];
  function selectTab(name) {
    document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
    for (const p of PANELS) $("panel-" + p).hidden = p !== name;
    if (name === "scorecard") refreshScorecard();
    if (name === "exercise" && window.KhazarExercise) window.KhazarExercise.refresh();
  }
  async function refreshScorecard() {
    $("panel-scorecard").replaceChildren(P.el("p", { class: "muted" }, "…"));
    state.scorecard = await load("scorecard", "/scorecard");
    P.renderScorecard($("panel-scorecard"), state.scorecard);
  }
  function stopTimers() {
    for (const id of state.timers) clearInterval(id);
    state.timers = [];
    if (state.live) state.live.postMessage({ type: "close" });
    $("live-indicator").className = "live off";
  }
  function showLogin(why) {
    stopTimers();
    state.me = null;
    $("login-error").textContent = why || "";
    $("app-view").hidden = true;
    $("login-view").hidden = false;
    $("login-username").focus();
  }
  async function showApp(me) {
    state.me = me;
    api.setCsrf(me.csrf_token);
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("user-name").textContent = me.username;
    $("user-role").textContent = me.role;
    window.KhazarExercise.setup(me, message);
    if (!state.map) {
      const created = M.create($("map"), (mmsi) => showVessel(mmsi), (ll) => {
        $("cursor-pos").textContent = ll.lat.toFixed(4) + ", " + ll.lng.toFixed(4);
      });
      state.map = created.map;
      state.map.khazarOnAlertClick = (id) => { selectTab("alerts"); selectAlert(id); };
      state.mapVessels = created.vessels;
      window.khazarConsole.map = state.map;
      await created.ready;
      P.renderLegend($("legend"));
      $("legend").addEventListener("click", () => setTimeout(updateLabels, 0));
      await loadGeography();
    } else {
      state.map.resize();
    }
    await checkCapabilities();
    await refreshFleet();
    await Promise.all([refreshVessels(), refreshAlerts()]);
    connectLive();
    state.timers.push(setInterval(tick, 1000));
    state.timers.push(setInterval(flushVessels, 1000));
    state.timers.push(setInterval(refreshVessels, 15000));
    state.timers.push(setInterval(refreshFleet, 30000));
    state.timers.push(setInterval(refreshDeviation, 15000));
    state.timers.push(setInterval(checkCapabilities, 30000));
    tick();
  }

  async function onLogin(e) {
    e.preventDefault();
    $("login-error").textContent = "";
    try {
      const me = await api.post("/login", { username: $("login-username").value, password: $("login-password").value });
      $("login-password").value = "";
      await showApp(me);
    } catch (err) {
      $("login-error").textContent = err.status === 401 ? t("login.failed")
        : err.status === 429 ? t("login.throttled") + " " + err.message
        : t("error.generic") + ": " + err.message;
    }
  }
  // only an admin's stream carries these (a login lockout: someone is guessing)
  function showSecurity(d) {
    message(t("security.lockout") + ": " + (d.kind === "account" ? t("security.account") : t("security.address"))
      + " " + d.name + " — " + d.failures + " " + t("security.failures") + " (" + (d.client || "?") + "), "
      + t("security.until") + " " + d.until, true);
  }

  function openPasswordDialog() {
    $("password-error").textContent = "";
    $("password-form").reset();
    $("password-dialog").showModal();
  }
  async function onPasswordChange(e) {
    e.preventDefault();
    $("password-error").textContent = "";
    if ($("password-new").value !== $("password-confirm").value) {
      $("password-error").textContent = t("password.mismatch");
      return;
    }
    try {
      await api.post("/me/password", { current_password: $("password-current").value, new_password: $("password-new").value });
      $("password-form").reset();
      $("password-dialog").close();
      message(t("password.changed"));
    } catch (err) {
      $("password-error").textContent = err.message;
    }
  }

  async function onLogout() {
    stopTimers();  // the stream first: its "you signed out" is no news here
    try { await api.post("/logout", {}); } catch (err) { /* already gone */ }
    api.setCsrf(null);
    showLogin();
  }

  window.khazarConsole = {
    state,
    vesselCount: () => state.vessels.size,
    renderedVessels: () => state.mapVessels ? state.mapVessels.renderedCount() : 0,
    vesselLayerRenders: () => state.mapVessels ? state.mapVessels.renders() : 0,
    selectVessel: (mmsi) => showVessel(mmsi),
    selectAlert: (id) => selectAlert(id),
  };

  document.addEventListener("DOMContentLoaded", async () => {
    i18n.apply();
    document.querySelectorAll("button.lang").forEach((b) => b.addEventListener("click", () => i18n.setLang(b.dataset.lang)));
    document.addEventListener("khazar:lang", () => {
      if (!state.me) return;
      P.renderLegend($("legend"));
      nameLabels();
      renderBanner();
      renderAlerts();
      if (state.fleet) renderFleet();
      if (state.scorecard) P.renderScorecard($("panel-scorecard"), state.scorecard);
      window.KhazarExercise.render();
      P.renderLayers($("panel-layers"), state.layers, toggleLayer);
      if (state.selected) showVessel(state.selected, false);
    });
    document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
    $("login-form").addEventListener("submit", onLogin);
    $("logout-button").addEventListener("click", onLogout);
    $("password-button").addEventListener("click", openPasswordDialog);
    $("password-form").addEventListener("submit", onPasswordChange);
    $("password-cancel").addEventListener("click", () => $("password-dialog").close());
    $("replay-toggle").addEventListener("change", onReplayToggle);
    $("exercise-toggle").addEventListener("change", onExerciseToggle);
    $("replay-slider").addEventListener("change", onReplaySlide);
    try {
      await showApp(await api.get("/me"));
    } catch (err) {
      showLogin();
    }
  });
})();
