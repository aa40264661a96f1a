// The map: Khazar's own GeoJSON basemap (no tiles, no glyphs), zones, assets, vessels
// as course-rotated arrows coloured by type (stale ones faded), tracks, fleet, alerts.
// Labels are HTML overlays, so no glyph server or font files are needed.
"use strict";
(function () {
  const KIND_COLOURS = {
    patrol: "#3ddc97", service: "#9b8cff", tanker: "#ff6b5a", cargo: "#4aa3ff",
    passenger: "#ffd166", fishing: "#ff9f1c", tug: "#c0a080", highspeed: "#ff4fd8",
    pleasure: "#b8e986", other: "#a0aab4", unknown: "#6c7a89",
  };
  const ZONE_COLOURS = {
    territorial_sea: "#2f80ed", fishery_zone: "#56ccf2", platform_safety: "#eb5757",
    pipeline_corridor: "#f2994a", port_approach: "#6fcf97", border_sector: "#bb6bd9",
  };
  const EMPTY = { type: "FeatureCollection", features: [] };

  function arrowImage(size) {
    // A white, SDF-tinted arrow pointing north; MapLibre rotates and colours it.
    const c = document.createElement("canvas");
    c.width = c.height = size;
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.beginPath();
    g.moveTo(size / 2, 2);
    g.lineTo(size - 5, size - 3);
    g.lineTo(size / 2, size - 9);
    g.lineTo(5, size - 3);
    g.closePath();
    g.fill();
    return g.getImageData(0, 0, size, size);
  }

  function matchColours(table, fallback) {
    const expr = ["match", ["get", "kind"]];
    for (const [k, v] of Object.entries(table)) expr.push(k, v);
    expr.push(fallback);
    return expr;
  }

  function style() {
    return {
      version: 8,
      name: "khazar-dark",
      sources: {},
      layers: [{ id: "land", type: "background", paint: { "background-color": "#1b1f24" } }],
    };
  }

  function create(container, onVesselClick, onMove) {
    const map = new maplibregl.Map({
      container, style: style(), bounds: [[48.6, 38.3], [51.9, 42.2]], minZoom: 4, maxZoom: 15,
      attributionControl: false, renderWorldCopies: false, fadeDuration: 0,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-left");
    map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
    const ready = new Promise((resolve) => map.on("load", resolve));
    ready.then(() => {
      map.addImage("vessel-arrow", arrowImage(28), { sdf: true, pixelRatio: 2 });
      for (const id of ["basemap", "zones", "assets", "tracks", "patrols", "fleet", "alerts", "selected", "dispatch"]) {
        map.addSource(id, { type: "geojson", data: EMPTY });
      }
      // points only: fewer tile levels and no simplification work on each update
      map.addSource("vessels", { type: "geojson", data: EMPTY, maxzoom: 10, buffer: 16, tolerance: 0 });
      map.addLayer({ id: "water", type: "fill", source: "basemap", filter: ["==", ["get", "layer"], "water"],
        paint: { "fill-color": "#0d2538" } });
      map.addLayer({ id: "coast", type: "line", source: "basemap", filter: ["==", ["get", "layer"], "water"],
        paint: { "line-color": "#5d7b8f", "line-width": 1 } });
      map.addLayer({ id: "zones-fill", type: "fill", source: "zones",
        paint: { "fill-color": matchColours(ZONE_COLOURS, "#888"), "fill-opacity": 0.06 } });
      map.addLayer({ id: "zones-line", type: "line", source: "zones",
        paint: { "line-color": matchColours(ZONE_COLOURS, "#888"), "line-width": 1,
                 "line-dasharray": [3, 2], "line-opacity": 0.8 } });
      map.addLayer({ id: "assets-area", type: "fill", source: "assets",
        filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#f2c94c", "fill-opacity": 0.12 } });
      map.addLayer({ id: "assets-line", type: "line", source: "assets",
        filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": "#f2c94c", "line-width": 1.6 } });
      map.addLayer({ id: "assets-point", type: "circle", source: "assets",
        filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 4, "circle-color": "#f2c94c", "circle-stroke-color": "#1b1f24",
                 "circle-stroke-width": 1 } });
      map.addLayer({ id: "ports", type: "circle", source: "basemap", filter: ["==", ["get", "layer"], "port"],
        paint: { "circle-radius": 3, "circle-color": "#cfd8dc" } });
      map.addLayer({ id: "patrols", type: "line", source: "patrols",
        paint: { "line-color": "#3ddc97", "line-width": 1.5, "line-dasharray": [1, 1.5] } });
      map.addLayer({ id: "tracks", type: "line", source: "tracks",
        paint: { "line-color": "#e0e6ea", "line-width": 1.4, "line-opacity": 0.7 } });
      map.addLayer({ id: "dispatch-routes", type: "line", source: "dispatch",
        filter: ["==", ["geometry-type"], "LineString"],
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#ff9500", "line-width": 3, "line-opacity": 0.9 } });
      map.addLayer({ id: "dispatch-ends", type: "circle", source: "dispatch",
        filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 5, "circle-color": "#ff9500", "circle-stroke-color": "#fff",
                 "circle-stroke-width": 1.5 } });
      map.addLayer({ id: "alerts", type: "circle", source: "alerts",
        paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)",
                 "circle-stroke-width": 2,
                 "circle-stroke-color": ["case", ["==", ["get", "exercise"], true], "#b36bff",
                   ["match", ["get", "severity"], "critical", "#ff3b30",
                   "high", "#ff9500", "medium", "#ffcc00", "#8e8e93"]] } });
      map.addLayer({ id: "vessels", type: "symbol", source: "vessels",
        layout: { "icon-image": "vessel-arrow", "icon-size": ["interpolate", ["linear"], ["zoom"], 5, 0.9, 10, 1.5],
                  "icon-rotate": ["coalesce", ["get", "heading_deg"], ["get", "cog_deg"], 0],
                  "icon-rotation-alignment": "map", "icon-allow-overlap": true,
                  "icon-ignore-placement": true },
        paint: { "icon-color": matchColours(KIND_COLOURS, "#a0aab4"),
                 "icon-opacity": ["case", ["get", "stale"], 0.35, 1.0] } });
      map.addLayer({ id: "fleet", type: "circle", source: "fleet",
        paint: { "circle-radius": 6, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2,
                 "circle-stroke-color": ["match", ["get", "status"], "available", "#3ddc97",
                   "dispatched", "#ff9500", "on_patrol", "#56ccf2", "maintenance", "#8e8e93", "#cfd8dc"] } });
      map.addLayer({ id: "selected", type: "circle", source: "selected",
        paint: { "circle-radius": 14, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2,
                 "circle-stroke-color": "#ffffff" } });
      map.on("click", "vessels", (e) => { if (e.features.length) onVesselClick(e.features[0].properties.mmsi); });
      map.on("mouseenter", "vessels", () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", "vessels", () => { map.getCanvas().style.cursor = ""; });
      map.on("mousemove", (e) => onMove(e.lngLat));
    });
    return { map, ready };
  }

  function setData(map, source, data) {
    const src = map.getSource(source);
    if (src) src.setData(data || EMPTY);
  }

  function setVisible(map, layers, visible) {
    for (const id of layers) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    }
  }

  window.KhazarMap = { create, setData, setVisible, KIND_COLOURS, ZONE_COLOURS, EMPTY };
})();
