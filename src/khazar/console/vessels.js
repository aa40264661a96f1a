// Live vessels as one MapLibre custom WebGL layer: a point sprite per vessel, an arrow
// rotated by course, coloured by type, stale targets faded.
//
// Why not a GeoJSON symbol layer: every update of 5,000 vessels made MapLibre's worker
// re-tile and re-place 5,000 symbols (seconds on a software-GL console) and moving them
// smoothly would mean a setData per frame. Here an update is one buffer upload, and the
// vertex shader moves each vessel between 1 Hz reports: it glides from where it is drawn
// to where it was reported plus one second of travel, then dead-reckons on speed and
// course for at most MAX_EXTRAPOLATION_S. The map repaints only while some vessel moves
// by a visible amount (half a pixel), not every frame.
"use strict";
(function () {
  const GLIDE_S = 1.0;               // the reporting period the glide spans
  const MAX_EXTRAPOLATION_S = 60;    // dead reckoning stops a minute after the last report
  const FRESH_S = 30;                // only reports younger than this are dead-reckoned
  const JUMP_MERC = 2e-4;            // ≈ 5 km at 40° N: farther than this, do not glide
  const PICK_PX = 10;                // click / hover radius
  const EARTH_CIRCUMFERENCE_M = 2 * Math.PI * 6371008.8;  // MapLibre's earth radius
  const FLOATS = 12;                 // from(2) to(2) vel(2) t0 rot size rgba… see ATTRS
  const ATTRS = [["a_from", 2, 0], ["a_to", 2, 2], ["a_vel", 2, 4], ["a_t0", 1, 6],
    ["a_rot", 1, 7], ["a_color", 4, 8]];

  // Each vessel is ONE triangle (tip up; its three vertices carry the vessel's record, the
  // corner is gl_VertexID % 3), rotated and sized in screen pixels in the vertex shader;
  // the fragment shader cuts the notch of the old symbol's arrow out of its tail. One
  // triangle each, not two, and no point-sprite box: fewer primitives and pixels on
  // software GL; and one plain draw, not an instanced one (see onAdd).
  const VS = `#version 300 es
  uniform mat4 u_matrix; uniform vec2 u_viewport; uniform float u_now; uniform float u_glide;
  uniform float u_max_dt; uniform float u_size; uniform float u_bearing;
  in vec2 a_from; in vec2 a_to; in vec2 a_vel; in float a_t0; in float a_rot; in vec4 a_color;
  out vec4 v_color; out vec2 v_local;
  const vec2 ARROW[3] = vec2[3](vec2(0.0, 0.86), vec2(0.64, -0.78), vec2(-0.64, -0.78));
  void main() {
    float dt = u_now - a_t0;
    vec2 p = dt < u_glide ? mix(a_from, a_to + a_vel * u_glide, max(dt, 0.0) / u_glide)
                          : a_to + a_vel * min(dt, u_max_dt);
    vec4 c = u_matrix * vec4(p, 0.0, 1.0);
    v_local = ARROW[gl_VertexID % 3];
    vec2 k = v_local * 0.5 * u_size;                      // pixels, y up, tip north
    float cr = cos(a_rot - u_bearing), sr = sin(a_rot - u_bearing);  // clockwise from up
    vec2 r = vec2(k.x * cr + k.y * sr, -k.x * sr + k.y * cr);
    gl_Position = c + vec4(r * 2.0 / u_viewport * c.w, 0.0, 0.0);
    v_color = vec4(a_color.rgb * a_color.a, a_color.a);  // MapLibre blends premultiplied
  }`;
  const FS = `#version 300 es
  precision mediump float;
  in vec4 v_color; in vec2 v_local; out vec4 o;
  void main() {
    if (v_local.y < -0.36 - 0.65625 * abs(v_local.x)) discard;  // the notched tail
    o = v_color;
  }`;

  function hex(c) {
    const n = parseInt(c.slice(1), 16);
    return [(n >> 16 & 255) / 255, (n >> 8 & 255) / 255, (n & 255) / 255];
  }

  function compile(gl, type, src) {
    const s = gl.createShader(type);
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error("vessel shader: " + gl.getShaderInfoLog(s));
    return s;
  }

  function create(opts) {
    const kinds = Object.keys(opts.colours);                 // a record's KIND is an index here
    const colours = kinds.map((k) => hex(opts.colours[k]));
    const fallback = hex(opts.fallbackColour);
    const F = window.KhazarRecords.FIELDS, R = window.KhazarRecords.R;
    const epoch = performance.now();
    const now = () => (performance.now() - epoch) / 1000;
    let map = null, gl = null, prog = null, vao = null, buf = null, uni = {};
    let data = new Float32Array(0), n = 0, uploaded = true, visible = true;
    let corners = new Float32Array(0);   // data, each record three times: the vertex buffer
    let mmsis = [], slots = new Map(), origin = [0.6, 0.38];   // all positions relative to origin
    let repaintPending = false, maxSpeed = 0, movingUntil = 0, renders = 0;

    function positionAt(i, t) {  // the shader's formula, for picking and for a new glide
      const o = i * FLOATS, dt = t - data[o + 6];
      if (dt < GLIDE_S) {
        const f = Math.max(dt, 0) / GLIDE_S;
        return [data[o] + (data[o + 2] + data[o + 4] * GLIDE_S - data[o]) * f,
          data[o + 1] + (data[o + 3] + data[o + 5] * GLIDE_S - data[o + 1]) * f];
      }
      const d = Math.min(dt, MAX_EXTRAPOLATION_S);
      return [data[o + 2] + data[o + 4] * d, data[o + 3] + data[o + 5] * d];
    }

    /** Draw vessels from GeoJSON point features. mode "merge": update or add these (a live
     *  report); "replace": exactly these, known ones gliding on from where they are drawn;
     *  "reset": exactly these, where they are (history replay, another picture).
     *  live=false draws them without dead reckoning. */
    function setFeatures(features, mode, live) {
      setRecords(window.KhazarRecords.pack(features, kinds), mode, live);
    }

    /** The same from packed records (records.js: FIELDS numbers per vessel). */
    function setRecords(rec, mode, live) {
      const t = now();
      const reset = mode !== "merge";
      const count = rec.length / F;
      const keep = new Map();
      if (mode === "replace") for (const [mmsi, i] of slots) keep.set(mmsi, positionAt(i, t));
      if (reset) { n = 0; mmsis = []; slots = new Map(); }
      const need = n + count;
      if (need * FLOATS > data.length) {
        const grown = new Float32Array(Math.max(need, 2 * n, 1024) * FLOATS);
        grown.set(data.subarray(0, n * FLOATS));
        data = grown;
      }
      let speed = 0;
      for (let k = 0; k < count; k++) {
        const q = k * F, mmsi = rec[q + R.MMSI];
        let i = slots.get(mmsi);
        const fresh = i === undefined;
        if (fresh) { i = n++; slots.set(mmsi, i); mmsis[i] = mmsi; }
        const lat = rec[q + R.LAT];
        const x = (180 + rec[q + R.LON]) / 360 - origin[0];
        const y = (180 - (180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360))) / 360 - origin[1];
        let [fx, fy] = !fresh ? positionAt(i, t) : (keep.get(mmsi) || [x, y]);
        if (Math.abs(fx - x) + Math.abs(fy - y) > JUMP_MERC) { fx = x; fy = y; }
        let vx = 0, vy = 0;
        const cog = rec[q + R.COG_DEG], heading = rec[q + R.HEADING_DEG], sog = rec[q + R.SOG_KN];
        const course = Number.isNaN(cog) ? heading : cog;
        const stale = rec[q + R.STALE] > 0, age = rec[q + R.AGE_S];
        if (live && !stale && !(age > FRESH_S) && sog > 0.2 && !Number.isNaN(course)) {
          // metres → mercator units at this latitude (MapLibre's meterInMercatorCoordinateUnits)
          const v = sog * 1852 / 3600 / (EARTH_CIRCUMFERENCE_M * Math.cos(lat * Math.PI / 180));
          const r = course * Math.PI / 180;
          vx = v * Math.sin(r); vy = -v * Math.cos(r);
        }
        const o = i * FLOATS, kind = rec[q + R.KIND], rgb = kind >= 0 ? colours[kind] : fallback;
        const rot = Number.isNaN(heading) ? (Number.isNaN(cog) ? 0 : cog) : heading;
        data[o] = fx; data[o + 1] = fy; data[o + 2] = x; data[o + 3] = y;
        data[o + 4] = vx; data[o + 5] = vy; data[o + 6] = t;
        data[o + 7] = (rot * Math.PI) / 180;
        data[o + 8] = rgb[0]; data[o + 9] = rgb[1]; data[o + 10] = rgb[2];
        data[o + 11] = stale ? 0.35 : 1.0;
        const glide = Math.hypot(x + vx * GLIDE_S - fx, y + vy * GLIDE_S - fy) / GLIDE_S;
        speed = Math.max(speed, glide, Math.hypot(vx, vy));
      }
      const still = reset || t >= movingUntil;
      maxSpeed = still ? speed : Math.max(speed, maxSpeed);
      if (still) movingUntil = 0;
      if (count) movingUntil = Math.max(movingUntil, t + GLIDE_S + (live ? MAX_EXTRAPOLATION_S : 0));
      uploaded = false;
      if (map) map.triggerRepaint();
    }

    function scheduleRepaint() {
      // repaint as often as the fastest vessel moves half a pixel, at most once a frame
      if (!map || repaintPending || now() >= movingUntil || maxSpeed <= 0) return;
      const pxPerS = maxSpeed * 512 * Math.pow(2, map.getZoom());
      const wait_ms = Math.min(1000, 500 / pxPerS);
      if (wait_ms < 17) { map.triggerRepaint(); return; }
      repaintPending = true;
      setTimeout(() => { repaintPending = false; if (map) map.triggerRepaint(); }, wait_ms);
    }

    const layer = {
      id: "vessels", type: "custom", renderingMode: "2d",
      onAdd(m, g) {
        map = m; gl = g;
        if (!(gl instanceof WebGL2RenderingContext)) throw new Error("vessel layer needs WebGL 2");
        prog = gl.createProgram();
        gl.attachShader(prog, compile(gl, gl.VERTEX_SHADER, VS));
        gl.attachShader(prog, compile(gl, gl.FRAGMENT_SHADER, FS));
        gl.linkProgram(prog);
        if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error("vessel program: " + gl.getProgramInfoLog(prog));
        for (const u of ["u_matrix", "u_viewport", "u_now", "u_glide", "u_max_dt", "u_size", "u_bearing"]) uni[u] = gl.getUniformLocation(prog, u);
        buf = gl.createBuffer();
        vao = gl.createVertexArray();
        gl.bindVertexArray(vao);
        gl.bindBuffer(gl.ARRAY_BUFFER, buf);
        for (const [name, size, offset] of ATTRS) {
          const loc = gl.getAttribLocation(prog, name);
          gl.enableVertexAttribArray(loc);
          gl.vertexAttribPointer(loc, size, gl.FLOAT, false, FLOATS * 4, offset * 4);
          // no instancing: SwiftShader runs an instanced draw as one draw per instance
          // (5,000 draws a frame, ~80 ms of the GPU process's main thread); each vessel's
          // record is repeated for its three corners instead (gl_VertexID % 3)
        }
        gl.bindVertexArray(null);
        uploaded = false;
      },
      onRemove() {
        if (gl) { gl.deleteBuffer(buf); gl.deleteVertexArray(vao); gl.deleteProgram(prog); }
        map = null;
      },
      render(g, args) {
        renders++;
        if (!n) return;
        if (!uploaded) {
          gl.bindBuffer(gl.ARRAY_BUFFER, buf);
          if (corners.length < 3 * n * FLOATS) corners = new Float32Array(3 * data.length);
          for (let i = 0, o = 0; i < n; i++) {
            const v = i * FLOATS;
            for (let c = 0; c < 3; c++) for (let k = 0; k < FLOATS; k++) corners[o++] = data[v + k];
          }
          gl.bufferData(gl.ARRAY_BUFFER, corners.subarray(0, 3 * n * FLOATS), gl.DYNAMIC_DRAW);
          uploaded = true;
        }
        // translate the mercator matrix to the origin the positions are relative to
        const m = args.defaultProjectionData.mainMatrix, M = new Float32Array(16);
        for (let k = 0; k < 16; k++) M[k] = m[k];
        for (let r = 0; r < 4; r++) M[12 + r] = m[r] * origin[0] + m[4 + r] * origin[1] + m[12 + r];
        const z = map.getZoom();
        gl.useProgram(prog);
        gl.uniformMatrix4fv(uni.u_matrix, false, M);
        gl.uniform1f(uni.u_now, now());
        gl.uniform1f(uni.u_glide, GLIDE_S);
        gl.uniform1f(uni.u_max_dt, MAX_EXTRAPOLATION_S);
        gl.uniform1f(uni.u_size, Math.min(24, Math.max(12, 12 + (z - 5) * 2.4)) * devicePixelRatio);
        gl.uniform2f(uni.u_viewport, gl.drawingBufferWidth, gl.drawingBufferHeight);
        gl.uniform1f(uni.u_bearing, (map.getBearing() * Math.PI) / 180);
        gl.bindVertexArray(vao);
        gl.drawArrays(gl.TRIANGLES, 0, 3 * n);
        gl.bindVertexArray(null);
        scheduleRepaint();
      },
    };

    /** The MMSI of the vessel drawn nearest to a screen point (within PICK_PX), or null. */
    function pick(point) {
      if (!map || !n || !visible) return null;
      const m = maplibregl.MercatorCoordinate.fromLngLat(map.unproject(point));
      const tx = m.x - origin[0], ty = m.y - origin[1], t = now();
      const pxPerUnit = 512 * Math.pow(2, map.getZoom());
      let best = null, bestD = PICK_PX;
      for (let i = 0; i < n; i++) {
        const [x, y] = positionAt(i, t);
        const d = Math.hypot(x - tx, y - ty) * pxPerUnit;
        if (d < bestD) { bestD = d; best = mmsis[i]; }
      }
      return best;
    }

    /** How many vessels are drawn inside the map's current view. */
    function renderedCount() {
      if (!map || !visible) return 0;
      const b = map.getBounds(), t = now();
      const sw = maplibregl.MercatorCoordinate.fromLngLat(b.getSouthWest());
      const ne = maplibregl.MercatorCoordinate.fromLngLat(b.getNorthEast());
      let k = 0;
      for (let i = 0; i < n; i++) {
        const [x, y] = positionAt(i, t);
        const X = x + origin[0], Y = y + origin[1];
        if (X >= sw.x && X <= ne.x && Y >= ne.y && Y <= sw.y) k++;
      }
      return k;
    }

    /** The drawn (interpolated) position of a vessel as [lon, lat], or null. */
    function lngLat(mmsi) {
      const i = slots.get(mmsi);
      if (i === undefined) return null;
      const [x, y] = positionAt(i, now());
      const ll = new maplibregl.MercatorCoordinate(x + origin[0], y + origin[1]).toLngLat();
      return [ll.lng, ll.lat];
    }

    function setVisible(v) { visible = v; }

    return { layer, kinds, setFeatures, setRecords, pick, renderedCount, lngLat, setVisible,
      renders: () => renders, count: () => n };
  }

  window.KhazarVessels = { create };
})();
