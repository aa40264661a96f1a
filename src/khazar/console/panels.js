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

  const BAKU_MS = 4 * 3600 * 1000;
  function hhmmss(d) { return d.toISOString().slice(11, 19); }
  function fmtTimes(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const baku = new Date(d.getTime() + BAKU_MS);
    return d.toISOString().slice(0, 10) + " " + hhmmss(d) + " UTC · " + hhmmss(baku) + " " + t("clock.baku");
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
    if (s < 120) return Math.round(s) + " s";
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

  function renderAlerts(container, fc, me, boats, actions) {
    container.replaceChildren();
    const feats = (fc && fc.features) || [];
    if (!feats.length) { container.append(el("p", { class: "muted" }, t("alerts.none"))); return; }
    const may = (a) => me && me.actions.includes(a);
    for (const f of feats) {
      const p = f.properties;
      const card = el("div", { class: "alert-card sev-" + p.severity + (p.exercise ? " exercise" : ""),
        "data-alert-id": p.id, "data-state": p.state });
      append(card,
        el("div", { class: "alert-head" },
          el("span", { class: "sev" }, t("severity." + p.severity)),
          el("span", { class: "alert-type" }, p.type),
          el("span", { class: "badge state-" + p.state }, t("state." + p.state)),
          p.exercise ? el("span", { class: "badge exercise" }, "EXERCISE") : null),
        el("div", { class: "alert-summary" }, p.summary),
        el("div", { class: "alert-meta mono" },
          (p.mmsi ? t("alerts.vessel") + " " + p.mmsi + " · " : "") +
          (p.asset_id ? t("alerts.asset") + " " + p.asset_id + " · " : "") + p.lat_dm + " " + p.lon_dm),
        el("div", { class: "alert-meta" }, t("alerts.first") + ": " + fmtTimes(p.first_ts)),
        p.assigned_boat ? el("div", { class: "alert-meta" }, t("alerts.boat") + ": " + p.assigned_boat) : null);
      const bar = el("div", { class: "alert-actions" });
      if (p.state === "new") {
        bar.append(el("button", { type: "button", class: "act-ack", disabled: !may("alerts.ack"),
          onclick: () => actions.ack(p.id) }, t("alerts.ack")));
      }
      if (p.state === "acknowledged" || p.state === "assigned") {
        const sel = el("select", { class: "act-boat", "aria-label": t("alerts.boat") },
          ...boats.map((b) => el("option", { value: b.name }, b.name + " · " + (b.status || ""))));
        bar.append(sel, el("button", { type: "button", class: "act-assign", disabled: !may("alerts.assign"),
          onclick: () => actions.assign(p.id, sel.value) }, t("alerts.assign")));
        bar.append(el("button", { type: "button", class: "act-dispatch", disabled: !may("dispatch.order"),
          onclick: () => actions.dispatchOptions(p.id) }, t("dispatch.button")));
        const reason = el("input", { class: "act-reason", placeholder: t("alerts.reason") });
        bar.append(reason, el("button", { type: "button", class: "act-resolve", disabled: !may("alerts.resolve"),
          onclick: () => actions.resolve(p.id, reason.value) }, t("alerts.resolve")));
      }
      const note = el("input", { class: "act-note-text", placeholder: t("alerts.note_text") });
      bar.append(note, el("button", { type: "button", class: "act-note", disabled: !may("alerts.note"),
        onclick: () => actions.note(p.id, note.value) }, t("alerts.note")));
      card.append(bar);
      const plan = actions.openPlan(p.id);
      if (plan) card.append(renderDispatch(plan, may("dispatch.order"), actions));
      card.addEventListener("click", (e) => { if (e.target === card || e.target.closest(".alert-summary")) actions.focus(f); });
      container.append(card);
    }
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
          el("div", { class: "small muted" }, o.base)),
        el("td", { class: "mono eta" }, o.eta_min === null ? t("dispatch.cannot") : num(o.eta_min, 0, t("unit.min"))),
        el("td", { class: "mono" }, num(o.distance_nm, 1, "nm")),
        el("td", { class: "mono" }, num(o.course_deg, 0, "°")),
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
    if (p.phase !== "during") cell.append(el("div", { class: "muted" }, t("plan." + p.phase)));
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
          el("div", { class: "small muted" }, p.base + " · " + p.cruise_speed_kn + "/" + p.max_speed_kn + " " + t("unit.kn"))),
        status,
        el("td", { class: "mono small" }, p.lat_dm, el("br"), p.lon_dm,
          p.position_source === "base" ? el("div", { class: "muted" }, t("fleet.at_base")) : null),
        planCell(byBoat.get(p.name), planLoaded)));
    }
    container.append(table);
  }

  function renderScorecard(container, card) {
    container.replaceChildren();
    if (!card) { container.append(el("p", { class: "muted" }, t("scorecard.none"))); return; }
    if (card.period) {
      container.append(el("p", { class: "small muted" }, fmtTimes(card.period.start) + " → " + fmtTimes(card.period.end)));
    }
    for (const g of card.goals) {
      const section = el("div", { class: "goal", "data-goal": g.goal }, el("h2", {}, g.title));
      if (!g.indicators.length) section.append(el("p", { class: "muted small" }, t("scorecard.none")));
      for (const i of g.indicators) {
        const value = i.value === null ? "—" : (Math.abs(i.value) >= 100 ? Math.round(i.value) : Number(i.value.toFixed(2)));
        section.append(el("div", { class: "indicator", "data-indicator": i.id },
          el("div", { class: "indicator-head" }, el("span", { class: "indicator-name" }, i.name),
            el("span", { class: "indicator-value mono" }, value + (i.unit ? " " + i.unit : ""))),
          el("div", { class: "indicator-def small muted" }, i.definition),
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

  function renderLegend(container) {
    container.replaceChildren();
    for (const [kind, colour] of Object.entries(window.KhazarMap.KIND_COLOURS)) {
      container.append(el("span", { class: "legend-item" },
        el("span", { class: "kind-dot", style: "background:" + colour }), t("kind." + kind)));
    }
  }

  window.KhazarPanels = { el, fmtTimes, fmtDM, num, renderVessel, renderAlerts, renderFleet, renderScorecard, renderLayers, renderLegend };
})();
