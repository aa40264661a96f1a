"""Assemble the report from what was read from the store: compute the scorecard, draw,
render."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from khazar.config import Settings
from khazar.errors import InputError
from khazar.geo import load_geography
from khazar.report import plots
from khazar.report.coverage import parse_plan
from khazar.report.html import ReportPage, render
from khazar.report.inputs import ReportData, reception_note, scorecard_inputs
from khazar.report.scorecard import Indicator, compute_scorecard

__all__ = ["ReportResult", "build_report"]



@dataclass(frozen=True, slots=True)
class ReportResult:
    html: Path
    scorecard: Path
    indicators: list[Indicator]


def build_report(
    data: ReportData, settings: Settings, out_dir: Path, plan_file: Path | None = None
) -> ReportResult:
    """Write ``index.html``, ``scorecard.json`` and the figures into ``out_dir``; ``data``
    from :func:`khazar.services.scorecard.report_data`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    geo = load_geography(settings)
    notes: list[str] = []
    routes = None
    if plan_file is not None:
        try:
            plan = json.loads(plan_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read patrol plan {plan_file}: {exc}") from exc
        routes = parse_plan(plan)
        notes.append(f"Patrol coverage from plan {plan_file.name} ({len(routes)} boats).")
    else:
        notes.append("No patrol plan given (--plan): coverage indicators are not computed.")
    assembled = scorecard_inputs(data, settings, geo, routes)
    inputs, protected, crit = assembled.inputs, assembled.protected, assembled.criticality
    coverage, snap = assembled.coverage, assembled.inputs.snapshot
    indicators = compute_scorecard(inputs)

    asset_geoms = {k: a.geometry for k, a in protected.items()}
    # the theatre's frames (map.overview and map.detail) and local time (docs/theatres.md)
    theatre = geo.theatre
    local = (theatre.utc_offset_h, theatre.local_time_name)
    figures = [
        (plots.traffic_density(snap.position_lat, snap.position_lon, geo.water, theatre.overview,
                               out_dir / "traffic_density.png").name,
         "Traffic density: AIS position reports per cell"),
        (plots.events_map(snap.events, geo.water, asset_geoms, theatre.detail,
                          out_dir / "events_map.png").name,
         "Security events by type, drawn over zone entries, exits and port visits (grey "
         "density: how many per cell); dashed lines are subsea pipelines, squares platforms"),
        (plots.alert_timeline(snap.alerts, out_dir / "alert_timeline.png", local).name,
         f"Alerts per hour ({local[1]} time) by severity"),
        (plots.coverage_vs_value({k: c.value for k, c in crit.items()}, coverage,
                                 out_dir / "coverage_vs_value.png",
                                 names={k: a.name for k, a in protected.items()}).name,
         "Patrol coverage of each protected asset against its energy value"),
    ]
    notes.append(energy_value_note(settings.energy.gas_weight_per_bcm_yr,
                                   settings.energy.oil_weight_per_kbd))
    notes.append("Asset positions marked low confidence in the registry are approximate.")
    if data.reception is not None:
        notes.append(reception_note(data.reception))
    period = None
    if snap.position_ts_s.size:
        period = (float(snap.position_ts_s.min()), float(snap.position_ts_s.max()))
    page = ReportPage(
        title="Khazar — maritime security report and Charter scorecard",
        generated=datetime.now(UTC),
        period=period,
        totals={
            "vessels": snap.vessel_count,
            "position reports": int(snap.position_ts_s.size),
            "radar/SAR detections": snap.detection_count,
            "events": len(snap.events),
            "alerts": len(snap.alerts),
        },
        indicators=indicators,
        figures=figures,
        events=snap.events,
        alerts=snap.alerts,
        notes=notes,
        local=local,
    )
    html = out_dir / "index.html"
    html.write_text(render(page), encoding="utf-8")
    card = out_dir / "scorecard.json"
    card.write_text(json.dumps([_ind(i)
                                for i in indicators], indent=2) + "\n")
    return ReportResult(html=html, scorecard=card, indicators=indicators)


#: energy content, BP Statistical Review of World Energy, approximate conversion factors:
#: 1 bcm of natural gas ≈ 0.90 Mtoe; 1 tonne of crude oil ≈ 7.33 barrels
_MTOE_PER_BCM = 0.90
_BBL_PER_TONNE = 7.33


def energy_value_note(a: float, b: float) -> str:
    """The report's explanation of an asset's energy value ``a·bcm/yr + b·kb/d``."""
    kbd_per_bcm_yr = _MTOE_PER_BCM * 1e6 * _BBL_PER_TONNE / 365.0 / 1e3
    parity = 1.0 / kbd_per_bcm_yr
    side = ("these weights count oil below its energy content" if b < parity * a else
            "these weights count oil at or above its energy content")
    ratio = f"{1.0 / b:g} kb/d of oil weigh as much as 1 bcm/yr of gas" if b > 0 else (
        "oil is not counted")
    return (
        "Energy value of an asset: the supply lost if it failed, from a max-flow over the "
        "public network of Azerbaijan's oil and gas system (latest full-year flows; "
        "docs/geography.md). value = a·G + b·O, where G is the gas lost in bcm/yr (billion "
        "cubic metres a year), O the oil lost in kb/d (thousand barrels a day), "
        f"a = {a:g} per bcm/yr (energy.gas_weight_per_bcm_yr) and b = {b:g} per kb/d "
        f"(energy.oil_weight_per_kbd): {ratio}. a and b are the defender's weights set "
        f"in the configuration, not a "
        f"physical conversion: by energy content (BP Statistical Review's approximate "
        f"factors, 1 bcm of gas ≈ {_MTOE_PER_BCM} Mtoe, 1 t of oil ≈ {_BBL_PER_TONNE} bbl) "
        f"1 bcm/yr of gas equals about {kbd_per_bcm_yr:.0f} kb/d of oil, which would be "
        f"b ≈ {parity:.3f}·a; {side}."
    )


def _ind(i: Indicator) -> dict[str, object]:
    return {
        "goal": i.goal, "id": i.id, "name": i.name, "value": i.value, "unit": i.unit,
        "definition": i.definition, "note": i.note,
    }
