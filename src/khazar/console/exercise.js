// The Exercise tab: an exercise director starts a red-team scenario, everyone sees the
// runs; a finished run shows its score sheet. Exercise alerts live in the exercise
// picture (the "Exercise picture" switch), drawn in purple.
"use strict";
(function () {
  const api = window.KhazarApi, P = window.KhazarPanels;
  const t = (k) => window.KhazarI18n.t(k);
  const el = (...a) => P.el(...a);
  const $ = (id) => document.getElementById(id);
  let me = null, data = null, timer = null, onMessage = () => {};

  function secs(v) {
    if (v === null || v === undefined) return "—";
    return v < 120 ? Math.round(v) + " " + t("unit.s") : (v / 60).toFixed(1) + " " + t("unit.min");
  }

  function startForm(scenarios) {
    const may = me && me.actions.includes("exercise.run");
    const open = data && data.exercises.some((r) => ["simulating", "running", "replayed"].includes(r.state));
    const scenario = el("select", { id: "exercise-scenario" },
      ...scenarios.map((s) => el("option", { value: s, selected: s === "safety_zone_entry" }, s)));
    const hours = el("input", { id: "exercise-hours", type: "number", min: "0.25", max: "24", step: "0.25", value: "1" });
    const speed = el("input", { id: "exercise-speed", type: "number", min: "1", max: "3600", step: "1", value: "60" });
    const seed = el("input", { id: "exercise-seed", type: "number", min: "0", step: "1", value: "1" });
    const density = el("input", { id: "exercise-density", type: "number", min: "0.01", max: "1", step: "0.01", value: "0.1" });
    const form = el("div", { class: "exercise-form" },
      el("label", {}, t("exercise.scenario"), scenario),
      el("label", {}, t("exercise.hours"), hours),
      el("label", {}, t("exercise.speed") + " ×", speed),
      el("label", {}, t("exercise.seed"), seed),
      el("label", {}, t("exercise.density"), density),
      el("button", { type: "button", id: "exercise-start", disabled: !may || open, onclick: async () => {
        try {
          await api.post("/exercises", { scenario: scenario.value, hours: Number(hours.value),
            speed: Number(speed.value), seed: Number(seed.value), density: Number(density.value) });
          onMessage("");
          await refresh();
        } catch (err) { onMessage(t("error.generic") + ": " + err.message, true); }
      } }, t("exercise.start")));
    return el("div", {}, form, may ? null : el("p", { class: "small muted" }, t("exercise.director_only")));
  }

  function sheet(score) {
    if (score.error) return el("p", { class: "error" }, score.error);
    const head = el("div", { class: "score-summary" },
      el("span", {}, t("exercise.raised") + ": ", el("b", { class: "score-raised" }, score.raised + " / " + score.planted)),
      el("span", {}, t("exercise.missed") + ": ", el("b", { class: "score-missed" + (score.missed ? " error" : "") }, score.missed)),
      el("span", {}, t("exercise.ack") + ": ", el("b", {}, secs(score.median_time_to_ack_s))),
      el("span", {}, t("exercise.dispatch") + ": ", el("b", {}, secs(score.median_time_to_dispatch_s))));
    const table = el("table", { class: "grid score-sheet" },
      el("tr", {}, el("th", {}, t("exercise.behaviour")), el("th", {}, t("exercise.col.raised")),
        el("th", { title: t("exercise.ack") }, t("exercise.col.ack")),
        el("th", { title: t("exercise.dispatch") }, t("exercise.col.dispatch")),
        el("th", { title: t("exercise.intercept") }, t("exercise.col.intercept"))));
    for (const r of score.behaviours) {
      table.append(el("tr", { class: r.raised ? "hit" : "miss", "data-behaviour": r.behaviour },
        el("td", {}, r.scenario, el("div", { class: "small muted mono" }, r.mmsis.join(", "))),
        el("td", { class: "score-raised-cell" }, r.raised ? t("exercise.yes") + " (" + r.alerts.length + ")" : t("exercise.no")),
        el("td", { class: "mono score-ack" }, secs(r.time_to_ack_s)),
        el("td", { class: "mono score-dispatch" }, secs(r.time_to_dispatch_s), r.boat ? el("div", { class: "small muted" }, r.boat) : null),
        el("td", { class: "mono score-intercept" }, secs(r.time_to_intercept_s))));
    }
    return el("div", { class: "score" }, el("h2", {}, t("exercise.sheet")), head, table,
      el("p", { class: "small muted" }, "* " + score.intercept_is_estimate),
      score.other_alerts.length ? el("p", { class: "small muted" }, t("exercise.other").replace("{n}", score.other_alerts.length)) : null);
  }

  function runCard(run) {
    const may = me && me.actions.includes("exercise.run");
    const open = ["simulating", "running", "replayed"].includes(run.state);
    const card = el("div", { class: "exercise-run state-" + run.state, "data-exercise-id": run.id, "data-state": run.state },
      el("div", { class: "alert-head" }, el("span", { class: "badge exercise" }, t("alerts.exercise")),
        el("b", {}, run.scenario), el("span", { class: "badge" },
          window.KhazarI18n.has("exercise." + run.state) ? t("exercise." + run.state) : run.state)),
      el("div", { class: "alert-meta" }, run.hours + " " + t("unit.h") + " × " + run.speed + " · " +
        t("exercise.seed").toLowerCase() + " " + run.seed + " · " +
        t("exercise.lines").replace("{n}", run.lines_sent) + " · " + run.started_by + " · " + P.fmtTimes(run.started_at)));
    if (open) {
      card.append(el("button", { type: "button", class: "exercise-finish", disabled: !may, onclick: async () => {
        try {
          await api.post("/exercises/" + encodeURIComponent(run.id) + "/finish", {});
          await refresh();
        } catch (err) { onMessage(t("error.generic") + ": " + err.message, true); }
      } }, t("exercise.finish")));
    }
    if (run.score) card.append(sheet(run.score));
    return card;
  }

  function render() {
    const panel = $("panel-exercise");
    panel.replaceChildren();
    if (!data) return;
    panel.append(startForm(data.scenarios));
    if (!data.exercises.length) panel.append(el("p", { class: "muted" }, t("exercise.none")));
    for (const run of data.exercises) panel.append(runCard(run));
  }

  async function refresh() {
    try {
      data = await api.get("/exercises");
    } catch (err) {
      onMessage(t("error.generic") + ": " + err.message, true);
      return;
    }
    render();
    const open = data.exercises.some((r) => ["simulating", "running", "replayed"].includes(r.state));
    if (open && !timer) timer = setInterval(() => { if (!$("panel-exercise").hidden) refresh(); }, 3000);
    if (!open && timer) { clearInterval(timer); timer = null; }
  }

  window.KhazarExercise = {
    setup: (who, message) => { me = who; onMessage = message; },
    refresh,
    render,
  };
})();
