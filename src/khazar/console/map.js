// The map: Khazar's own GeoJSON basemap (no tiles, no glyphs), zones, assets, patrol plan
// and deviation, tracks, fleet, alerts; the vessels are a custom WebGL layer (vessels.js).
// Labels are HTML overlays, so no glyph server or font files are needed.
"use strict";
(function () {
  const KIND_COLOURS = {
    patrol: "#3ddc97", service: "#9b8cff", tanker: "#ff6b5a", cargo: "#4aa3ff",
    passenger: "#ffd166", fishing: "#ff9f1c", tug: "#c0a080", highspeed: "#ff4fd8",
    pleasure: "#b8e986", other: "#a0aab4", unknown: "#6c7a89",
  };
  const ZONE_COLOURS = {
    territorial_sea: "#2f80ed", fishery_zone: "#56ccf2", contiguous_zone: "#56ccf2", platform_safety: "#eb5757",
    pipeline_corridor: "#f2994a", port_approach: "#6fcf97", border_sector: "#bb6bd9",
    terminal_safety: "#eb5757",
  };
  const EMPTY = { type: "FeatureCollection", features: [] };

  function matchColours(table, fallback) {
    const expr = ["match", ["get", "kind"]];
    for (const [k, v] of Object.entries(table)) expr.push(k, v);
    expr.push(fallback);
    return expr;
  }

  // Everything but the vessels lives in ONE GeoJSON source, told apart by a `part`
  // property: MapLibre redraws the stencil clipping masks of every tile each time the
  // source changes between fill/line layers, a full-screen pass per source per frame,
  // which on a software-GL console (SwiftShader) cost more than everything else drawn.
  const PARTS = ["land", "reception", "zones", "assets", "ports", "patrols", "plan", "tracks", "projections", "dispatch", "alerts", "fleet"];
  // zones big enough to cover much of the view are outlined only (no fill overdraw)
  const FILLED_ZONES = ["platform_safety", "terminal_safety", "pipeline_corridor", "port_approach"];
  //: alert rings by severity (exercise alerts purple); the legend draws the same
  const SEVERITY_COLOURS = { critical: "#ff3b30", high: "#ff9500", medium: "#ffcc00", low: "#8e8e93" };
  const EXERCISE_COLOUR = "#b36bff";
  const FLEET_COLOURS = { available: "#3ddc97", on_patrol: "#56ccf2", dispatched: "#ff9500", maintenance: "#8e8e93" };

  function style() {
    return {
      version: 8,
      name: "khazar-dark",
      sources: {},
      // no background layer: the sea is the map container's CSS colour under the
      // transparent canvas (console.css), land is drawn over it; on software GL every
      // full-screen layer is a full pass of the rasteriser
      layers: [],
    };
  }

  function signedArea(ring) {
    let a = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
    return a;
  }
  function oriented(ring, positive) { return (signedArea(ring) > 0) === positive ? ring : ring.slice().reverse(); }

  /** Land as the complement of the basemap's water polygon(s) in a box around the
   *  theatre's extent (from the API): the box with the water as holes, and the water's own
   *  holes (islands) as land. An open theatre's edges are water's edges: land is only
   *  drawn beyond them by a margin, so the sea outside the extent stays sea-coloured. */
  function landFromWater(basemap) {
    const polys = [];
    let extent = null;
    for (const f of (basemap && basemap.features) || []) {
      if (f.properties.layer !== "water") continue;
      if (Array.isArray(f.properties.extent)) extent = f.properties.extent;
      const g = f.geometry;
      for (const p of g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : []) polys.push(p);
    }
    if (!polys.length) return [];
    const [w, s, e, n] = extent || [-180, -85, 180, 85];
    const box = oriented([[w, s], [e, s], [e, n], [w, n], [w, s]], true);
    const coords = [[box, ...polys.map((p) => oriented(p[0], false))]];
    for (const p of polys) for (const hole of p.slice(1)) coords.push([oriented(hole, true)]);
    return [{ type: "Feature", geometry: { type: "MultiPolygon", coordinates: coords }, properties: { layer: "land" } }];
  }

  function part(name) { return ["==", ["get", "part"], name]; }
  function byPart(values, fallback) {
    const expr = ["match", ["get", "part"]];
    for (const [k, v] of Object.entries(values)) expr.push(k, v);
    expr.push(fallback);
    return expr;
  }
  // the names the circles under the vessels had as layers of their own → their part
  const POINT_LAYERS = { "assets-point": "assets", ports: "ports", "plan-position": "plan",
    "dispatch-ends": "dispatch", alerts: "alerts" };
  /** Points of assets, planned positions and route ends, ports and alerts, but not of
   *  the parts switched off. */
  function pointsFilter(hidden) {
    const show = (names) => names.filter((p) => !hidden.includes(p));
    return ["any",
      ["all", ["in", ["get", "part"], ["literal", show(["assets", "plan", "dispatch"])]],
        ["==", ["geometry-type"], "Point"]],
      ["in", ["get", "part"], ["literal", show(["ports", "alerts"])]]];
  }
  function all(...f) { return ["all", ...f]; }

  /** MapLibre 5 draws the sky every frame, as a full-screen blended quad with depth
   *  writes, even when the map is not pitched and no sky can show. On a software-GL
   *  console that was a quarter of a frame (llvmpipe: 73 → 54 ms a frame with 5,000
   *  vessels, docs/console.md). The sky is drawn only while the map is pitched (never, with
   *  maxPitch 0). This reaches into the painter's draw table (not public API); should a
   *  later MapLibre change it, the sky is drawn as before. */
  function skipHiddenSky(map) {
    const painter = map.painter;
    const draw = painter && painter.drawFunctions;
    if (!draw || typeof draw.sky !== "function") return;
    const sky = draw.sky;
    painter.drawFunctions = { ...draw, sky: (p, s) => { if (map.getPitch() > 0) sky(p, s); } };
  }

  function create(container, onVesselClick, onMove) {
    const map = new maplibregl.Map({
      // the theatre's first view comes with the basemap (fitTheatre); until then the world
      container, style: style(), center: [0, 20], zoom: 1, minZoom: 1, maxZoom: 15,
      attributionControl: false, renderWorldCopies: false, fadeDuration: 0,
      // a watch console looks straight down: rotate, never tilt
      maxPitch: 0, pitchWithRotate: false,
    });
    skipHiddenSky(map);
    map.on("webglcontextrestored", () => skipHiddenSky(map));   // a new painter
    map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-left");
    map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
    const vessels = window.KhazarVessels.create({ colours: KIND_COLOURS, fallbackColour: "#a0aab4" });
    map.khazarParts = {};
    map.khazarVessels = vessels;
    const ready = new Promise((resolve) => map.on("load", resolve));
    ready.then(() => {
      map.addSource("geo", { type: "geojson", data: EMPTY, tolerance: 0.5 });
      // the selected vessel's ring moves every second: a source of its own (a circle layer
      // needs no clipping mask), so the geography is not re-tiled for it
      map.addSource("selected", { type: "geojson", data: EMPTY });
      // the alert opened in the queue: a wide white ring around its own (a source of its own too)
      map.addSource("selected-alert", { type: "geojson", data: EMPTY });
      // the coastline is the land's fill outline (1 px GL lines, one primitive a segment)
      // rather than a line layer of its own over a second copy of the water polygon (two
      // triangles a segment plus the joins): the water is no longer in the source at all
      map.addLayer({ id: "land", type: "fill", source: "geo", filter: part("land"),
        paint: { "fill-color": "#1b1f24", "fill-outline-color": "#5d7b8f" } });
      // no fill-antialias where a line layer draws the edge anyway: the antialiasing
      // outline is every vertex of the polygon drawn again
      // the learned AIS reception (GET /api/reception): cells by share received, red
      // where the picture is blind; off until the layer is switched on
      map.addLayer({ id: "reception", type: "fill", source: "geo", filter: part("reception"),
        layout: { visibility: "none" },
        paint: { "fill-color": ["interpolate", ["linear"], ["get", "share"], 0, "#ff3b30", 0.5, "#ffcc00", 1, "#3ddc97"],
                 "fill-opacity": 0.22, "fill-antialias": false } });
      map.addLayer({ id: "zones-fill", type: "fill", source: "geo",
        filter: all(part("zones"), ["in", ["get", "kind"], ["literal", FILLED_ZONES]]),
        paint: { "fill-color": matchColours(ZONE_COLOURS, "#888"), "fill-opacity": 0.08, "fill-antialias": false } });
      map.addLayer({ id: "zones-line", type: "line", source: "geo", filter: part("zones"),
        paint: { "line-color": matchColours(ZONE_COLOURS, "#888"), "line-width": 1,
                 "line-dasharray": [3, 2], "line-opacity": 0.8 } });
      map.addLayer({ id: "assets-area", type: "fill", source: "geo",
        filter: all(part("assets"), ["==", ["geometry-type"], "Polygon"]),
        paint: { "fill-color": "#f2c94c", "fill-opacity": 0.12 } });
      map.addLayer({ id: "assets-line", type: "line", source: "geo",
        filter: all(part("assets"), ["==", ["geometry-type"], "LineString"]),
        paint: { "line-color": "#f2c94c", "line-width": 1.6 } });
      map.addLayer({ id: "patrols", type: "line", source: "geo", filter: part("patrols"),
        paint: { "line-color": "#3ddc97", "line-width": 1.5, "line-dasharray": [1, 1.5] } });
      // deviation from the plan: a line from the planned position to the boat, the planned
      // position as a hollow diamond-ish ring; red when beyond the threshold
      map.addLayer({ id: "plan-offset", type: "line", source: "geo",
        filter: all(part("plan"), ["==", ["geometry-type"], "LineString"]),
        paint: { "line-color": ["case", ["get", "off_plan"], "#ff3b30", "#3ddc97"], "line-width": 1.5,
                 "line-dasharray": [2, 1] } });
      // round joins: a track that doubles back (a spoofed fix and back) drew a miter spike
      // a hundred pixels wide with the default join
      map.addLayer({ id: "tracks", type: "line", source: "geo", filter: part("tracks"),
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": "#e0e6ea", "line-width": 1.4, "line-opacity": 0.7 } });
      // a pre-alert's projected track (issue 21): from where the anchor was judged down to
      // the point where the held course meets the line, dashed red, its end ringed
      map.addLayer({ id: "projections", type: "line", source: "geo",
        filter: all(part("projections"), ["==", ["geometry-type"], "LineString"]),
        layout: { "line-cap": "round" },
        paint: { "line-color": "#ff3b30", "line-width": 2.5, "line-dasharray": [2, 1.5], "line-opacity": 0.95 } });
      map.addLayer({ id: "projection-ends", type: "circle", source: "geo",
        filter: all(part("projections"), ["==", ["geometry-type"], "Point"]),
        paint: { "circle-radius": 6, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2,
                 "circle-stroke-color": "#ff3b30" } });
      map.addLayer({ id: "dispatch-routes", type: "line", source: "geo",
        filter: all(part("dispatch"), ["==", ["geometry-type"], "LineString"]),
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#ff9500", "line-width": 3, "line-opacity": 0.9 } });
      // every circle under the vessels in ONE layer, styled by part: asset points, ports,
      // planned patrol positions (hollow, red off plan), dispatch route ends, alerts (hollow
      // rings by severity, purple for exercise). One layer instead of five: fewer draw calls
      // and less per-frame work per tile. Features keep the source's order (the five
      // layers' order); the points now lie over the route and patrol lines, not under.
      // Their old names still switch them (setVisible).
      map.addLayer({ id: "points", type: "circle", source: "geo", filter: pointsFilter([]),
        paint: {
          "circle-radius": byPart({ assets: 4, ports: 3, plan: 5, dispatch: 5, alerts: 11 }, 4),
          "circle-color": byPart({ assets: "#f2c94c", ports: "#cfd8dc", dispatch: "#ff9500" }, "rgba(0,0,0,0)"),
          "circle-stroke-width": byPart({ assets: 1, ports: 0, plan: 2, dispatch: 1.5, alerts: 2 }, 0),
          "circle-stroke-color": ["match", ["get", "part"],
            "assets", "#1b1f24",
            "plan", ["case", ["get", "off_plan"], "#ff3b30", "#3ddc97"],
            "dispatch", "#ffffff",
            "alerts", ["case", ["==", ["get", "exercise"], true], EXERCISE_COLOUR,
              ["match", ["get", "severity"], "critical", SEVERITY_COLOURS.critical,
                "high", SEVERITY_COLOURS.high, "medium", SEVERITY_COLOURS.medium, SEVERITY_COLOURS.low]],
            "rgba(0,0,0,0)"],
        } });
      map.addLayer(vessels.layer);
      map.addLayer({ id: "fleet", type: "circle", source: "geo", filter: part("fleet"),
        paint: { "circle-radius": 6, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2,
                 "circle-stroke-color": ["match", ["get", "status"], "available", FLEET_COLOURS.available,
                   "dispatched", FLEET_COLOURS.dispatched, "on_patrol", FLEET_COLOURS.on_patrol,
                   "maintenance", FLEET_COLOURS.maintenance, "#cfd8dc"] } });
      map.addLayer({ id: "selected-alert", type: "circle", source: "selected-alert",
        paint: { "circle-radius": 20, "circle-color": "rgba(255,255,255,0.12)", "circle-stroke-width": 3,
                 "circle-stroke-color": "#ffffff" } });
      map.addLayer({ id: "selected", type: "circle", source: "selected",
        paint: { "circle-radius": 14, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2,
                 "circle-stroke-color": "#ffffff" } });
      map.on("click", (e) => {
        const mmsi = vessels.pick(e.point);
        if (mmsi !== null) { onVesselClick(mmsi); return; }
        // an alert ring: open that alert in the queue
        const box = [[e.point.x - 8, e.point.y - 8], [e.point.x + 8, e.point.y + 8]];
        const hit = map.queryRenderedFeatures(box, { layers: ["points"] }).find((f) => f.properties.part === "alerts");
        if (hit && map.khazarOnAlertClick) map.khazarOnAlertClick(hit.properties.id);
      });
      let hover = false;
      map.on("mousemove", (e) => {
        onMove(e.lngLat);
        const over = vessels.pick(e.point) !== null;
        if (over !== hover) { hover = over; map.getCanvas().style.cursor = over ? "pointer" : ""; }
      });
    });
    return { map, ready, vessels };
  }

  const JUMP_KN = 60;  // faster than any vessel here: a spoofed or bad fix, not a path
  /** A track as the vessel sailed it: broken where consecutive fixes would need more than
   *  JUMP_KN (a spoofed position is not a leg of the voyage). */
  function splitJumps(f) {
    const g = f.geometry, times = f.properties && f.properties.times;
    if (!g || g.type !== "LineString" || !Array.isArray(times) || times.length !== g.coordinates.length) return f;
    const parts = [[g.coordinates[0]]];
    for (let i = 1; i < g.coordinates.length; i++) {
      const [lon0, lat0] = g.coordinates[i - 1], [lon1, lat1] = g.coordinates[i];
      const dx = (lon1 - lon0) * Math.cos((lat0 + lat1) / 2 * Math.PI / 180), dy = lat1 - lat0;
      const nm = Math.hypot(dx, dy) * 60;
      const h = Math.max((new Date(times[i]) - new Date(times[i - 1])) / 3.6e6, 1 / 3600);
      if (nm / h > JUMP_KN) parts.push([]);
      parts[parts.length - 1].push(g.coordinates[i]);
    }
    const legs = parts.filter((p) => p.length >= 2);
    return { ...f, geometry: { type: "MultiLineString", coordinates: legs } };
  }

  /** Replace one part of the map's data: basemap, reception, zones, assets, patrols, plan,
   *  tracks, dispatch, alerts or fleet (a FeatureCollection, or null for none). */
  function setData(map, name, data) {
    const feats = (data && data.features) || [];
    const parts = map.khazarParts;
    const tag = (p, fs) => fs.map((f) => ({ type: "Feature", geometry: f.geometry, properties: { ...f.properties, part: p } }));
    if (name === "basemap") {
      parts.ports = tag("ports", feats.filter((f) => f.properties.layer === "port"));
      parts.land = tag("land", landFromWater(data));
    } else {
      if (!PARTS.includes(name)) throw new Error("unknown map part " + name);
      parts[name] = tag(name, name === "tracks" ? feats.map(splitJumps) : feats);
    }
    const src = map.getSource("geo");
    if (src) src.setData({ type: "FeatureCollection", features: PARTS.flatMap((p) => parts[p] || []) });
  }

  /** Ring the selected vessel at [lon, lat], or nowhere (null). */
  function setSelected(map, lngLat) {
    const src = map.getSource("selected");
    if (src) src.setData(lngLat ? { type: "FeatureCollection", features: [
      { type: "Feature", geometry: { type: "Point", coordinates: lngLat }, properties: {} }] } : EMPTY);
  }

  /** Mark the alert opened in the queue (a Feature), or none (null). */
  function setSelectedAlert(map, f) {
    const src = map && map.getSource("selected-alert");
    if (src) src.setData(f ? { type: "FeatureCollection", features: [
      { type: "Feature", geometry: f.geometry, properties: { id: f.properties.id } }] } : EMPTY);
  }

  /** Show or hide layers by name (the point layers' names switch their part of "points"). */
  function setVisible(map, layers, visible) {
    const hidden = map.khazarHiddenPoints || (map.khazarHiddenPoints = new Set());
    for (const id of layers) {
      if (POINT_LAYERS[id]) {
        if (visible) hidden.delete(POINT_LAYERS[id]); else hidden.add(POINT_LAYERS[id]);
        if (map.getLayer("points")) map.setFilter("points", pointsFilter([...hidden]));
        continue;
      }
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
      if (id === "vessels") map.khazarVessels.setVisible(visible);
    }
  }

  /** The theatre's first view (W, S, E, N) from the basemap's water feature, or null. */
  function theatreView(basemap) {
    for (const f of (basemap && basemap.features) || []) {
      if (f.properties.layer === "water" && Array.isArray(f.properties.view)) return f.properties.view;
    }
    return null;
  }

  window.KhazarMap = { create, setData, theatreView, setSelected, setSelectedAlert, setVisible, KIND_COLOURS, ZONE_COLOURS,
    SEVERITY_COLOURS, EXERCISE_COLOUR, FLEET_COLOURS, EMPTY };
})();
