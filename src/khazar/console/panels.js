// Side panels: alert queue with actions, fleet status, vessel details, layer switches.
"use strict";
(function () {
  const t = (k) => window.KhazarI18n.t(k);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // the theatre's local time beside UTC (the basemap's utc_offset_h and local_time_name);
  // UTC only until the basemap says, and for a theatre on UTC
  const LOCAL = { ms: 0, name: null };
  function setLocalTime(offsetH, name) {
    LOCAL.ms = (Number(offsetH) || 0) * 3600e3;
    LOCAL.name = LOCAL.ms ? String(name || "local") : null;
  }
  function localTime() { return { ms: LOCAL.ms, name: LOCAL.name }; }
  /** The local clock's name, translated where the console knows it (clock.local.NAME). */
  function localName() {
    const key = "clock.local." + LOCAL.name;
    return window.KhazarI18n.has(key) ? t(key) : LOCAL.name;
  }
  function hhmmss(d) { return d.toISOString().slice(11, 19); }
  function fmtTimes(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const utc = d.toISOString().slice(0, 10) + " " + hhmmss(d) + " UTC";
    if (!LOCAL.name) return utc;
    return utc + " · " + hhmmss(new Date(d.getTime() + LOCAL.ms)) + " " + localName();
  }
  /** Degrees and decimal minutes, as the server writes them (units.deg_decimal_minutes):
   *  40°21.834′N, 050°07.212′E. */
  function fmtDM(value, isLat) {
    const hemi = isLat ? (value >= 0 ? "N" : "S") : (value >= 0 ? "E" : "W");
    const v = Math.abs(value);
    let deg = Math.floor(v), minutes = (v - deg) * 60;
    if (Math.round(minutes * 1000) / 1000 >= 60) { deg += 1; minutes = 0; }
    return String(deg).padStart(isLat ? 2 : 3, "0") + "°" + minutes.toFixed(3).padStart(6, "0") + "′" + hemi;
  }
  function fmtAge(s) {
    if (s === null || s === undefined) return "—";
    if (s < 120) return Math.round(s) + " " + t("unit.s");
    if (s < 7200) return Math.round(s / 60) + " " + t("unit.min");
    return (s / 3600).toFixed(1) + " " + t("unit.h");
  }
  function num(v, digits, unit) {
    return v === null || v === undefined ? "—" : Number(v).toFixed(digits) + (unit ? " " + unit : "");
  }

  function row(label, value, cls) {
    return el("tr", {}, el("th", {}, label), el("td", { class: cls || "" }, value));
  }

  function renderVessel(container, f, onTrack) {
    container.replaceChildren();
    if (!f) { container.append(el("p", { class: "muted" }, t("vessel.none"))); return; }
    const p = f.properties;
    const title = el("h2", {}, p.name || ("MMSI " + p.mmsi),
      el("span", { class: "kind-dot", style: "background:" + (window.KhazarMap.KIND_COLOURS[p.kind] || "#999") }),
      p.stale ? el("span", { class: "badge dim" }, t("vessel.stale")) : null);
    const table = el("table", { class: "kv", id: "vessel-details" },
      row(t("vessel.name"), p.name || "—"),
      row(t("vessel.mmsi"), p.mmsi, "mono"),
      row(t("vessel.imo"), p.imo || "—", "mono"),
      row(t("vessel.callsign"), p.callsign || "—", "mono"),
      row(t("vessel.type"), t("kind." + p.kind) + (p.ship_type ? " (" + p.ship_type + ")" : "")),
      row(t("vessel.destination"), p.destination || "—"),
      row(t("vessel.speed"), num(p.sog_kn, 1, t("unit.kn"))),
      row(t("vessel.course"), num(p.cog_deg, 0, "°")),
      row(t("vessel.heading"), p.heading_deg === null ? "—" : p.heading_deg + "°"),
      row(t("vessel.position"), p.lat_dm + "  " + p.lon_dm, "mono"),
      row(t("vessel.last_seen"), fmtTimes(p.last_seen)),
      row(t("vessel.age"), fmtAge(p.age_s)));
    container.append(title, table,
      el("button", { type: "button", onclick: () => onTrack(p.mmsi) }, t("vessel.track")));
  }

  // --- the alert queue: severity first, then age (longest waiting first: raised, then
  // first seen), as the server orders GET /api/alerts ---------------------------------
  const SEV_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
  function alertOrder(a, b) {
    const pa = a.properties, pb = b.properties;
    return (SEV_RANK[pa.severity] ?? 9) - (SEV_RANK[pb.severity] ?? 9) ||
      String(pa.created_at || pa.first_ts).localeCompare(String(pb.created_at || pb.first_ts)) ||
      String(pa.first_ts).localeCompare(String(pb.first_ts)) || String(pa.id).localeCompare(String(pb.id));
  }
  /** The queue as the watch officer reads it: alerts of one incident together, the
   *  incident placed by its most severe, oldest alert; [[feature…]…] */
  function triage(features) {
    const sorted = features.slice().sort(alertOrder);
    const groups = [], byIncident = new Map();
    for (const f of sorted) {
      const inc = f.properties.incident_id;
      if (inc && byIncident.has(inc)) { byIncident.get(inc).push(f); continue; }
      const g = [f];
      if (inc) byIncident.set(inc, g);
      groups.push(g);
    }
    return groups;
  }
  /** A place (asset, port) by id in the current language; the server's name otherwise. */
  function placeName(id, name) {
    if (id && window.KhazarI18n.has("place." + id)) return t("place." + id);
    return name || id || null;
  }
  function baseName(base) {
    return base && window.KhazarI18n.has("base." + base) ? t("base." + base) : base;
  }
  function typeName(type) {
    return window.KhazarI18n.has("type." + type) ? t("type." + type) : String(type || "").replace(/_/g, " ");
  }
  /** The alert's title in the current language: the server's (title / title_az) when it
   *  sends one, else the type and the asset it concerns. */
  function alertTitle(p) {
    const own = window.KhazarI18n.lang === "az" ? p.title_az : p.title;
    if (own) return own;
    const place = placeName(p.asset_id, p.asset_name);
    return place ? t("type.at").replace("{type}", typeName(p.type)).replace("{place}", place) : typeName(p.type);
  }
  /** The vessel's name: the server's (vessel_name), else the picture's static data. */
  function vesselName(p, picture) {
    if (p.vessel_name) return p.vessel_name;
    const v = picture && p.mmsi !== null && p.mmsi !== undefined ? picture(p.mmsi) : null;
    return (v && v.name) || null;
  }
  function vesselLabel(p, picture) {
    if (p.mmsi === null || p.mmsi === undefined) return t("vessel.unknown");
    const name = vesselName(p, picture);
    return (name ? name + " · " : "") + "MMSI " + p.mmsi;
  }
  /** HH:MM UTC; with the date too when it is not the day of `ref` (the alert's). */
  function hhmm(iso, ref) {
    const d = new Date(iso);
    if (isNaN(d)) return String(iso || "—");
    const r = ref ? new Date(ref) : null;
    const day = r && !isNaN(r) && r.toISOString().slice(0, 10) !== d.toISOString().slice(0, 10);
    return (day ? d.toISOString().slice(0, 10) + " " : "") + d.toISOString().slice(11, 16) + " UTC";
  }

  /** A pre-alert's countdown (issue 21): minutes until the ship reaches the line, from the
   *  picture time; null for other alerts. */
  function countdown(p, now) {
    const im = p.impact;
    if (!im || !im.impact_at) return null;
    const place = placeName(im.asset_id, im.asset_id === p.asset_id ? p.asset_name : null);
    const left = ((new Date(im.impact_at).getTime()) - (now || Date.now())) / 60000;
    return el("div", { class: "alert-countdown mono" + (left <= 30 ? " warn" : ""), "data-impact-at": im.impact_at },
      (left > 0 ? t("alerts.impact_in").replace("{min}", Math.round(left)).replace("{place}", place)
        : t("alerts.impact_passed").replace("{place}", place)));
  }
  function alertCard(f, ctx) {
    const { me, actions, selected, now } = ctx;
    const may = (a) => me && me.actions.includes(a);
    const p = f.properties;
    const isSel = selected === p.id;
    const card = el("div", { class: "alert-card sev-" + p.severity + (p.exercise ? " exercise" : "") +
        (p.escalated ? " escalated" : "") + (isSel ? " selected" : ""),
      "data-alert-id": p.id, "data-state": p.state, "data-severity": p.severity,
      "data-incident": p.incident_id || null });
    // how long ago the behaviour began (picture time): what the officer weighs
    const age = now && p.first_ts ? (now - new Date(p.first_ts).getTime()) / 1000 : null;
    append(card,
      el("div", { class: "alert-head" },
        el("span", { class: "sev" }, t("severity." + p.severity)),
        p.escalated ? el("span", { class: "badge escalated", title: p.escalated_at ?
          t("alerts.escalated_at").replace("{time}", fmtTimes(p.escalated_at)) : null }, "▲ " + t("alerts.escalated")) : null,
        el("span", { class: "badge state-" + p.state }, t("state." + p.state)),
        p.exercise ? el("span", { class: "badge exercise" }, t("alerts.exercise")) : null,
        el("span", { class: "spacer" }),
        el("span", { class: "alert-age mono small", title: fmtTimes(p.first_ts) },
          age !== null && age >= 0 ? t("alerts.open_for").replace("{age}", fmtAge(age)) : hhmm(p.first_ts))),
      el("div", { class: "alert-title", title: p.summary || null }, alertTitle(p)),
      el("div", { class: "alert-meta alert-who" },
        el("span", { class: "alert-vessel" }, vesselLabel(p, ctx.picture)),
        p.asset_id ? el("span", { class: "alert-asset" }, " · " + placeName(p.asset_id, p.asset_name)) : null),
      el("div", { class: "alert-meta" }, t("alerts.first") + " " + hhmm(p.first_ts) +
        (p.escalated && p.escalated_at ? " · " + t("alerts.escalated_at").replace("{time}", hhmm(p.escalated_at)) : "")),
      p.assigned_boat ? el("div", { class: "alert-meta" }, t("alerts.boat") + ": ", el("b", { class: "mono" }, p.assigned_boat)) : null,
      countdown(p, now));
    const bar = el("div", { class: "alert-actions" });
    if (p.state === "new") {
      bar.append(el("button", { type: "button", class: "act-ack", disabled: !may("alerts.ack"),
        onclick: () => actions.ack(p.id) }, t("alerts.ack")));
    }
    if (p.state === "acknowledged" || p.state === "assigned") {
      bar.append(el("button", { type: "button", class: "act-dispatch", disabled: !may("dispatch.order"),
        onclick: () => actions.dispatchOptions(p.id) }, t("dispatch.button")));
    }
    bar.append(el("button", { type: "button", class: "act-details", "aria-expanded": isSel ? "true" : "false",
      onclick: () => actions.select(isSel ? null : p.id) }, isSel ? t("alerts.hide") : t("alerts.details")));
    card.append(bar);
    const plan = actions.openPlan(p.id);
    if (plan) card.append(renderDispatch(plan, may("dispatch.order"), actions));
    if (isSel) card.append(renderAlertDetail(f, actions.detail(p.id), ctx));
    card.addEventListener("click", (e) => {
      if (e.target.closest(".alert-title, .alert-who, .alert-head") || e.target === card) actions.select(p.id);
    });
    return card;
  }

  function renderAlerts(container, fc, me, boats, actions, selected, now, picture) {
    container.replaceChildren();
    const feats = (fc && fc.features) || [];
    if (!feats.length) { container.append(el("p", { class: "muted" }, t("alerts.none"))); return; }
    const ctx = { me, boats, actions, selected, now, picture };
    for (const group of triage(feats)) {
      if (group.length === 1) { container.append(alertCard(group[0], ctx)); continue; }
      const box = el("div", { class: "incident", "data-incident": group[0].properties.incident_id },
        el("div", { class: "incident-head" }, t("alerts.incident").replace("{n}", group.length)));
      for (const f of group) box.append(alertCard(f, ctx));
      container.append(box);
    }
  }

  function section(title, ...children) {
    return el("div", { class: "detail-section" }, el("h3", {}, title), ...children);
  }
  /** The detail of the selected alert (GET /api/alerts/{id}): the vessel, the assets, the
   *  events with their times, the state history, the notes, the recommended boat. Fields
   *  the server does not send are left out. */
  function renderAlertDetail(f, detail, ctx) {
    const { me, boats, actions } = ctx;
    const may = (a) => me && me.actions.includes(a);
    const p = f.properties;
    const box = el("div", { class: "alert-detail", "data-alert-id": p.id });
    if (!detail) { box.append(el("p", { class: "muted small" }, t("detail.loading"))); return box; }
    if (detail.error) { box.append(el("p", { class: "warn small" }, t("detail.unavailable") + ": " + detail.error)); return box; }
    const d = detail.properties || detail;
    // the server's vessel block, else what the picture knows of the MMSI
    const seen = ctx.picture && p.mmsi !== null && p.mmsi !== undefined ? ctx.picture(p.mmsi) : null;
    const v = d.vessel ? { ...(seen || {}), ...d.vessel } : (seen ? { ...seen, mmsi: p.mmsi } : { mmsi: p.mmsi, name: p.vessel_name });
    const code = v.ship_type_code ?? (typeof v.ship_type === "number" ? v.ship_type : null);
    // the type in the console's language: the picture's kind, with the AIS code
    const vtype = v.kind ? t("kind." + v.kind) + (code !== null ? " (" + code + ")" : "")
      : (v.ship_type !== null && v.ship_type !== undefined ? String(v.ship_type) : "—");
    if (v && v.mmsi !== null && v.mmsi !== undefined) {
      box.append(section(t("detail.vessel"), el("table", { class: "kv detail-vessel" },
        row(t("vessel.name"), v.name || "—", "vessel-name"),
        row(t("vessel.mmsi"), String(v.mmsi), "mono"),
        row(t("vessel.imo"), v.imo || "—", "mono"),
        row(t("vessel.callsign"), v.callsign || "—", "mono"),
        row(t("vessel.flag"), v.flag || "—"),
        row(t("vessel.type"), vtype),
        row(t("vessel.length"), v.length_m ? Math.round(v.length_m) + " " + t("unit.m") : "—"))));
    }
    const assets = d.assets || (p.asset_id ? [{ id: p.asset_id, name: p.asset_name }] : []);
    if (assets.length) {
      box.append(section(t("detail.assets"), el("ul", { class: "detail-assets" },
        ...assets.map((a) => el("li", { "data-asset": a.id }, placeName(a.id, a.name))))));
    }
    const im = d.impact || p.impact;
    if (im) {
      const ahead = im.ahead || [];
      box.append(section(t("detail.projection"), countdown({ ...p, impact: im }, ctx.now),
        el("div", { class: "small muted" }, t("detail.projection_at").replace("{time}", hhmm(im.detected_at, p.first_ts))
          .replace("{conf}", im.confidence !== null && im.confidence !== undefined ? Math.round(100 * im.confidence) + " %" : "—")),
        el("ul", { class: "detail-projection small" }, ...ahead.map((a) => el("li", { "data-asset": a.asset_id },
          (a.on_course ? "" : "~ ") + t("detail.projection_line").replace("{place}", placeName(a.asset_id, null) || a.zone_id)
            .replace("{km}", num(a.distance_km, 1, "")).replace("{min}", Math.round(a.minutes))
            .replace("{kn}", num(im.speed_kn, 1, "")))))));
    }
    const events = d.events || [];
    box.append(section(t("detail.events"), events.length ? el("table", { class: "grid detail-events small" },
      ...events.map((e) => {
        const q = e.properties || e;
        return el("tr", {}, el("td", { class: "mono" }, hhmm(q.start || q.ts, p.first_ts)),
          el("td", {}, typeName(q.type)),
          el("td", { class: "muted" }, placeName(q.asset_id, q.asset_name) || q.zone_name || q.zone_id || ""));
      })) : el("p", { class: "muted small" }, t("detail.no_events"))));
    const history = d.history || d.transitions || [];
    box.append(section(t("detail.history"), history.length ? el("ol", { class: "detail-history small" },
      ...history.map((h) => {
        const change = !h.from ? t("history.created") + " → " + t("state." + h.to)
          : h.from === h.to ? t("history.escalated") : t("state." + h.from) + " → " + t("state." + h.to);
        return el("li", {}, el("span", { class: "mono" }, hhmm(h.ts, p.first_ts)), " ", el("b", {}, change),
          h.boat ? " · " + h.boat : "", " · " + t("detail.by").replace("{who}", h.actor),
          h.reason ? el("div", { class: "muted" }, h.reason) : null);
      })) : el("p", { class: "muted small" }, t("detail.no_history"))));
    const notes = d.notes || [];
    const text = el("input", { class: "act-note-text", placeholder: t("alerts.note_text") });
    const addNote = () => { if (text.value.trim()) actions.note(p.id, text.value.trim()); };
    text.addEventListener("keydown", (e) => { if (e.key === "Enter") addNote(); });
    box.append(section(t("detail.notes"),
      notes.length ? el("ul", { class: "detail-notes small" }, ...notes.map((n) => el("li", { class: "note" },
        el("div", { class: "muted" }, el("span", { class: "mono" }, hhmm(n.ts, p.first_ts)), " · ", el("b", { class: "note-author" }, n.author)),
        el("div", { class: "note-text" }, n.text)))) : el("p", { class: "muted small" }, t("detail.no_notes")),
      el("div", { class: "alert-actions" }, text, el("button", { type: "button", class: "act-note",
        disabled: !may("alerts.note"), onclick: addNote }, t("alerts.note")))));
    if (d.recommended !== undefined) {
      const r = d.recommended;
      const body = [];
      if (!r) body.push(el("p", { class: "muted small" }, t("detail.no_boat")));
      else {
        body.push(el("div", { class: "dispatch-rec" }, "★ ", el("b", { class: "mono rec-boat" }, r.boat),
          r.eta_min !== null && r.eta_min !== undefined ? " · " + num(r.eta_min, 0, t("unit.min")) : ""));
        if (r.before_ship_min !== null && r.before_ship_min !== undefined) {
          body.push(el("div", { class: "small rec-before" + (r.before_ship_min < 0 ? " warn" : "") },
            (r.before_ship_min >= 0 ? t("detail.before_ship") : t("detail.after_ship"))
              .replace("{min}", Math.round(Math.abs(r.before_ship_min)))));
        }
        const ic = r.intercept;
        if (ic) {
          body.push(el("div", { class: "small mono" }, t("detail.intercept").replace("{pos}", fmtDM(ic.lat, true) + " " + fmtDM(ic.lon, false))));
          if (ic.capped) body.push(el("div", { class: "small warn rec-capped" }, "⚠ " + t("detail.capped").replace("{min}", Math.round(ic.cap_min))));
          else if (ic.extrapolated_min) body.push(el("div", { class: "small muted" }, t("detail.extrapolated").replace("{min}", Math.round(ic.extrapolated_min))));
        }
      }
      box.append(section(t("detail.recommended"), ...body));
    }
    const linked = ((d.incident && d.incident.alerts) || []).filter((a) => (a.id || a) !== p.id);
    if (linked.length) {
      box.append(section(t("detail.incident"), el("ul", { class: "detail-incident small" }, ...linked.map((a) => {
        const q = typeof a === "string" ? { id: a } : (a.properties || a);
        return el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); actions.select(q.id); } },
          (q.severity ? t("severity." + q.severity) + " · " : "") + (q.title || q.type ? alertTitle(q) : q.id)));
      }))));
    }
    if (p.state === "acknowledged" || p.state === "assigned") {
      const sel = el("select", { class: "act-boat", "aria-label": t("alerts.boat") },
        ...boats.map((b) => el("option", { value: b.name, selected: b.name === p.assigned_boat }, b.name + " · " + t("status." + (b.status || "unknown")))));
      const reason = el("input", { class: "act-reason", placeholder: t("alerts.reason") });
      box.append(el("div", { class: "alert-actions" }, sel,
        el("button", { type: "button", class: "act-assign", disabled: !may("alerts.assign"),
          onclick: () => actions.assign(p.id, sel.value) }, t("alerts.assign"))),
      el("div", { class: "alert-actions" }, reason,
        el("button", { type: "button", class: "act-resolve", disabled: !may("alerts.resolve"),
          onclick: () => actions.resolve(p.id, reason.value) }, t("alerts.resolve"))));
    }
    return box;
  }

  function append(node, ...children) {
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
  }

  function renderDispatch(plan, allowed, actions) {
    // the boats' intercept ETAs over water, fastest first; the recommendation highlighted
    const box = el("div", { class: "dispatch-options", "data-alert-id": plan.alert_id });
    box.append(el("div", { class: "alert-meta" }, t("dispatch.title") + " · " + t("dispatch.target") + " " +
      num(plan.target.speed_kn, 1, t("unit.kn")) + " · " + fmtTimes(plan.decided_at)));
    const rec = plan.options.find((o) => o.recommended);
    if (rec) {
      box.append(el("div", { class: "dispatch-rec" }, "★ " + t("dispatch.recommended") + ": ",
        el("b", { class: "mono" }, rec.boat), " · " + num(rec.eta_min, 0, t("unit.min"))));
    }
    const table = el("table", { class: "grid dispatch-table" },
      el("tr", {}, el("th", {}, t("alerts.boat")), el("th", {}, t("fleet.eta")),
        el("th", {}, t("dispatch.distance")), el("th", {}, t("dispatch.course")), el("th", {}, "")));
    for (const o of plan.options) {
      table.append(el("tr", { class: "dispatch-row" + (o.recommended ? " recommended" : ""), "data-boat": o.boat },
        el("td", { title: o.recommended ? t("dispatch.recommended") : null },
          el("span", { class: "mono" }, (o.recommended ? "★ " : "") + o.boat),
          el("div", { class: "small muted" }, baseName(o.base))),
        el("td", { class: "mono eta" }, o.eta_min === null ? t("dispatch.cannot") : num(o.eta_min, 0, t("unit.min"))),
        el("td", { class: "mono" }, num(o.distance_nm, 1, t("unit.nm"))),
        el("td", { class: "mono" }, o.course_deg === null || o.course_deg === undefined ? "—" : Math.round(o.course_deg) + "°"),
        el("td", {}, el("button", { type: "button", class: "act-send", disabled: !allowed || o.eta_min === null,
          onclick: () => actions.dispatch(plan.alert_id, o.boat) }, t("dispatch.send")))));
    }
    box.append(table);
    if (plan.unavailable.length) {
      box.append(el("div", { class: "alert-meta" }, t("dispatch.busy") + ": " +
        plan.unavailable.map((u) => u.boat + " (" + t("status." + u.status) + ")").join(", ")));
    }
    box.append(el("button", { type: "button", class: "act-close-dispatch", onclick: () => actions.closePlan(plan.alert_id) },
      t("dispatch.close")));
    return box;
  }

  // one boat's deviation from the patrol plan (from /api/patrols/deviation)
  function planCell(d, planLoaded) {
    if (!planLoaded) return el("td", { class: "fleet-plan small muted" }, t("plan.none"));
    if (!d) return el("td", { class: "fleet-plan small muted" }, t("plan.not_planned"));
    const p = d.properties;
    // outside its shift a boat is not on or off its plan: it is at base or on its way
    if (p.phase && p.phase !== "during") {
      return el("td", { class: "fleet-plan small muted plan-" + p.phase, "data-status": "off_shift",
        "data-off-plan": "false" }, el("div", { class: "plan-status" }, t("plan." + p.phase)));
    }
    const nm = (m) => (m / 1852).toFixed(1);
    const cell = el("td", { class: "fleet-plan small plan-" + p.status + (p.off_plan ? " off-plan" : ""),
      "data-status": p.status, "data-off-plan": p.off_plan ? "true" : "false" },
      el("div", { class: "plan-status" }, t("plan." + p.status)));
    if (p.status === "no_position") return cell;
    if (p.off_plan) cell.append(el("div", { class: "plan-flag" }, t("plan.off")));
    cell.append(el("div", { class: "mono" }, t("plan.offset").replace("{nm}", nm(p.position_offset_m))));
    if (p.status === "off_route") cell.append(el("div", { class: "mono" }, t("plan.cross").replace("{nm}", nm(p.cross_track_m))));
    else if (Math.abs(p.schedule_offset_s) >= 60) {
      const min = Math.round(Math.abs(p.schedule_offset_s) / 60);
      cell.append(el("div", { class: "mono" }, t(p.schedule_offset_s > 0 ? "plan.late" : "plan.early").replace("{min}", min)));
    }
    if (p.max_offset_1h_m !== null) cell.append(el("div", { class: "muted" }, t("plan.max_1h").replace("{nm}", nm(p.max_offset_1h_m))));
    return cell;
  }

  function renderFleet(container, fc, noDispatch, may, onStatus, deviation) {
    container.replaceChildren();
    if (noDispatch) {
      container.append(el("p", { class: "warn small", id: "dispatch-unavailable" },
        t("alerts.dispatch") + ": " + t("error.unavailable")));
    }
    const feats = (fc && fc.features) || [];
    if (!feats.length) { container.append(el("p", { class: "muted" }, t("fleet.none"))); return; }
    const table = el("table", { class: "grid", id: "fleet-table" },
      el("tr", {}, el("th", {}, t("alerts.boat")), el("th", {}, t("fleet.status")),
        el("th", {}, t("vessel.position")), el("th", {}, t("fleet.plan"))));
    const planLoaded = !!(deviation && deviation.loaded);
    const byBoat = new Map(((deviation && deviation.features) || []).map((d) => [d.properties.boat, d]));
    const canSet = may && may("fleet.status");
    for (const f of feats) {
      const p = f.properties;
      const label = el("span", { class: "fleet-status-text" }, t("status." + p.status));
      const status = el("td", { class: "fleet-status status-" + p.status }, label,
        p.detail ? el("div", { class: "small muted mono" }, p.detail) : null,
        p.status_updated ? el("div", { class: "small muted" }, fmtTimes(p.status_updated).slice(11)) : null);
      if (canSet) {
        const sel = el("select", { class: "fleet-set small status-" + p.status, "aria-label": t("fleet.status") },
          ...["available", "on_patrol", "dispatched", "maintenance"].map((s) =>
            el("option", { value: s, selected: s === p.status }, t("status." + s))));
        sel.addEventListener("change", () => onStatus(p.name, sel.value));
        label.replaceWith(sel);
      }
      table.append(el("tr", { "data-boat": p.name },
        el("td", {}, el("span", { class: "mono" }, p.name),
          el("div", { class: "small muted" }, baseName(p.base) + " · " + p.cruise_speed_kn + "/" + p.max_speed_kn + " " + t("unit.kn"))),
        status,
        el("td", { class: "mono small" }, p.lat_dm, el("br"), p.lon_dm,
          p.position_source === "base" ? el("div", { class: "muted" }, t("fleet.at_base")) : null),
        planCell(byBoat.get(p.name), planLoaded)));
    }
    container.append(table);
  }

  // the server's scorecard texts in the console's language (by goal and indicator id; a
  // count inside the text, as in "of 12", is carried over as {n})
  function cardText(key, fallback) {
    if (!window.KhazarI18n.has(key)) return fallback;
    const n = String(fallback || "").match(/\d+/);
    return t(key).replace("{n}", n ? n[0] : "");
  }
  function cardUnit(unit) {
    if (!unit) return "";
    if (/^of \d+$/.test(unit)) return cardText("unit.of", unit);
    return cardText("unit." + unit, unit);
  }

  function renderScorecard(container, card) {
    container.replaceChildren();
    if (!card) { container.append(el("p", { class: "muted" }, t("scorecard.none"))); return; }
    if (card.period) {
      container.append(el("p", { class: "small muted" }, fmtTimes(card.period.start) + " → " + fmtTimes(card.period.end)));
    }
    for (const g of card.goals) {
      const section = el("div", { class: "goal", "data-goal": g.goal },
        el("h2", {}, cardText("goal." + g.goal, g.title)));
      if (!g.indicators.length) section.append(el("p", { class: "muted small" }, t("scorecard.none")));
      for (const i of g.indicators) {
        // a translation applies to the text it was written for: an indicator a theatre words
        // its own way (its ports, its partners) is shown as the server words it
        const key = window.KhazarI18n.matchesEnglish("ind." + i.id, i.name) ? "ind." + i.id : "";
        const value = i.value === null ? "—" : (Math.abs(i.value) >= 100 ? Math.round(i.value) : Number(i.value.toFixed(2)));
        section.append(el("div", { class: "indicator", "data-indicator": i.id },
          el("div", { class: "indicator-head" },
            el("span", { class: "indicator-name" }, cardText(key, i.name)),
            el("span", { class: "indicator-value mono" }, value + (i.unit ? " " + cardUnit(i.unit) : ""))),
          el("div", { class: "indicator-def small muted" }, cardText(key && key + ".def", i.definition)),
          i.note ? el("div", { class: "indicator-note small warn" }, i.note) : null));
      }
      container.append(section);
    }
    for (const n of card.notes || []) container.append(el("p", { class: "small muted" }, n));
  }

  function renderLayers(container, layers, onToggle) {
    container.replaceChildren();
    for (const [key, info] of Object.entries(layers)) {
      const box = el("input", { type: "checkbox", checked: info.visible, onchange: (e) => onToggle(key, e.target.checked) });
      container.append(el("label", { class: "layer-switch" }, box, " ", t("layers." + key),
        info.unavailable ? el("span", { class: "warn small" }, " (" + t("error.unavailable") + ")") : null));
    }
  }

  // --- the legend: every symbol and line the map draws ------------------------------
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    return n;
  }
  /** A 22×12 swatch drawn as the map draws it: dot, ring, arrow, line, dashed, dotted,
   *  band (a filled strip), box (a dashed outline with a faint fill). */
  function swatch(kind, colour, opts) {
    const o = opts || {};
    const s = svg("svg", { width: 22, height: 12, viewBox: "0 0 22 12", class: "swatch", "aria-hidden": "true" });
    if (kind === "dot") s.append(svg("circle", { cx: 11, cy: 6, r: 4, fill: colour, stroke: o.stroke || "none" }));
    else if (kind === "ring") s.append(svg("circle", { cx: 11, cy: 6, r: o.r || 4.5, fill: o.fill || "none", stroke: colour, "stroke-width": o.w || 1.8 }));
    else if (kind === "arrow") s.append(svg("path", { d: "M11 1 L15 11 L11 8.5 L7 11 Z", fill: colour }));
    else if (kind === "band") s.append(svg("rect", { x: 1, y: 3, width: 20, height: 6, fill: colour, "fill-opacity": 0.3 }),
      svg("line", { x1: 1, y1: 6, x2: 21, y2: 6, stroke: colour, "stroke-width": 1.4 }));
    else if (kind === "box") s.append(svg("rect", { x: 2, y: 1.5, width: 18, height: 9, fill: colour, "fill-opacity": o.fill ? 0.15 : 0,
      stroke: colour, "stroke-width": 1, "stroke-dasharray": "3 2" }));
    else {
      const dash = { dashed: "4 2", dotted: "1.5 2.2" }[kind];
      const line = svg("line", { x1: 1, y1: 6, x2: 21, y2: 6, stroke: colour, "stroke-width": o.w || 1.6, "stroke-linecap": "round" });
      if (dash) line.setAttribute("stroke-dasharray", dash);
      s.append(line);
      if (o.end) s.append(svg("circle", { cx: 19, cy: 6, r: 2.6, fill: colour, stroke: "#fff", "stroke-width": 1 }));
    }
    return s;
  }
  function legendItem(sw, label, key) {
    return el("span", { class: "legend-item", "data-legend": key }, sw, label);
  }
  let legendOpen = true;
  function renderLegend(container) {
    const M = window.KhazarMap;
    container.replaceChildren();
    container.classList.toggle("collapsed", !legendOpen);
    container.append(el("button", { type: "button", class: "legend-toggle", "aria-expanded": String(legendOpen),
      onclick: () => { legendOpen = !legendOpen; renderLegend(container); } }, (legendOpen ? "▾ " : "▸ ") + t("legend.title")));
    if (!legendOpen) return;
    const group = (title, ...items) => el("div", { class: "legend-group" }, el("div", { class: "legend-head" }, title), ...items);
    container.append(
      group(t("legend.vessels"), ...Object.entries(M.KIND_COLOURS).map(([kind, colour]) =>
        legendItem(swatch("arrow", colour), t("kind." + kind), "kind." + kind)),
        legendItem(swatch("ring", "#ffffff", { r: 5, w: 2 }), t("legend.selected_vessel"), "selected-vessel"),
        legendItem(swatch("line", "#e0e6ea", { w: 1.4 }), t("legend.track"), "track")),
      group(t("legend.alerts"), ...Object.entries(M.SEVERITY_COLOURS).map(([sev, colour]) =>
        legendItem(swatch("ring", colour, { r: 5, w: 2 }), t("severity." + sev), "severity." + sev)),
        legendItem(swatch("ring", M.EXERCISE_COLOUR, { r: 5, w: 2 }), t("legend.exercise"), "exercise"),
        legendItem(swatch("ring", "#ffffff", { r: 5.2, w: 2.6, fill: "rgba(255,255,255,0.15)" }), t("legend.selected_alert"), "selected-alert")),
      group(t("legend.zones"), ...Object.entries(M.ZONE_COLOURS).map(([kind, colour]) =>
        legendItem(swatch("box", colour, { fill: ["platform_safety", "terminal_safety", "pipeline_corridor", "port_approach"].includes(kind) }),
          t("zone." + kind), "zone." + kind))),
      group(t("legend.assets"),
        legendItem(swatch("dot", "#f2c94c", { stroke: "#1b1f24" }), t("legend.platform"), "platform"),
        legendItem(swatch("line", "#f2c94c"), t("legend.pipeline"), "pipeline"),
        legendItem(swatch("band", "#f2c94c"), t("legend.protected"), "protected"),
        legendItem(swatch("dot", "#cfd8dc"), t("legend.port"), "port")),
      group(t("legend.patrol"),
        legendItem(swatch("dotted", "#3ddc97", { w: 1.8 }), t("legend.patrol_route"), "patrol-route"),
        legendItem(swatch("dashed", "#3ddc97"), t("legend.plan_position"), "plan-position"),
        legendItem(swatch("dashed", "#ff3b30"), t("legend.off_plan"), "off-plan"),
        el("span", { class: "legend-sub" }, t("legend.boat") + ":"),
        ...Object.entries(M.FLEET_COLOURS).map(([st, colour]) =>
          legendItem(swatch("ring", colour, { r: 4.5, w: 2 }), t("status." + st), "boat." + st)),
        legendItem(swatch("line", "#ff9500", { w: 3, end: true }), t("legend.dispatch_route"), "dispatch-route"),
        legendItem(swatch("dashed", "#ff3b30", { w: 2.5, end: true }), t("legend.projection"), "projection")));
  }

  window.KhazarPanels = { el, fmtTimes, setLocalTime, localTime, localName, fmtAge, triage, alertTitle, placeName, typeName, fmtDM, num, renderVessel, renderAlerts, renderFleet, renderScorecard, renderLayers, renderLegend };
})();
