"""Scorecard indicators from tiny snapshots; coverage from hand-made plans."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from khazar.domain.reporting import AlertRow, EventRow, ReportSnapshot
from khazar.errors import InputError
from khazar.geo import load_theatre
from khazar.report import (
    ScorecardInputs,
    TradePorts,
    asset_coverage,
    compute_scorecard,
    parse_plan,
    patrol_hours,
)

T0 = 1_777_600_000.0


def ev(
    typ: str, mmsi: int, t: float, zone: str | None = None, asset: str | None = None
) -> EventRow:
    return EventRow(f"{typ}-{mmsi}-{t}", typ, mmsi, None, t, t + 600, 40.0, 50.0, zone, asset, {})


def al(state: str, severity: str, asset: str | None, resolution: str | None = None,
       created: float = T0) -> AlertRow:
    return AlertRow(f"a-{state}-{severity}-{asset}-{created}", "loitering", severity, state,
                    1, asset, None, created, created, resolution, "")


def snap(events: list[EventRow] = [], alerts: list[AlertRow] = [],  # noqa: B006
         firsts: dict[str, dict[str, float]] | None = None,
         destinations: dict[int, str] | None = None) -> ReportSnapshot:
    empty = np.zeros(0)
    return ReportSnapshot(empty, empty, empty, 0, 0, list(events), list(alerts), firsts or {},
                          destinations or {})


_T = load_theatre(None).trade  # the shipped Caspian's [trade]
CASPIAN_TRADE = TradePorts(home=frozenset(_T.home_ports), home_name=_T.home_name,
                           partners=frozenset(_T.partner_ports), partner_name=_T.partner_name,
                           destinations=_T.partner_destinations)


def inputs(s: ReportSnapshot, **kw: object) -> ScorecardInputs:
    base: dict[str, object] = dict(
        snapshot=s,
        asset_value={"chirag-1": 2.0, "sd1-gas": 8.0, "port-alat": 0.0},
        asset_gas_bcm_yr={"chirag-1": 0.5, "sd1-gas": 8.0},
        asset_oil_kbd={"chirag-1": 150.0, "sd1-gas": 0.0},
        coverage=None, patrol_hours=None, fleet=["A", "B", "C"], boat_status={},
        border_zone_ids=frozenset({"aze-border-irn"}), audit_ok=True, audit_entries=3,
        audit_problems=0, trade=CASPIAN_TRADE,
    )
    base.update(kw)
    return ScorecardInputs(**base)  # type: ignore[arg-type]


def by_id(s: ScorecardInputs) -> dict[str, float | None]:
    return {i.id: i.value for i in compute_scorecard(s)}


def test_every_goal_has_indicators_with_definitions() -> None:
    inds = compute_scorecard(inputs(snap()))
    assert {i.goal for i in inds} == {"energy", "peace", "trade", "defence", "governance"}
    assert all(i.definition for i in inds)


def test_energy_weighted_coverage() -> None:
    values = by_id(inputs(snap(), coverage={"chirag-1": 1.0, "sd1-gas": 0.25}))
    assert values["energy_covered"] == pytest.approx(100 * (2.0 * 1.0 + 8.0 * 0.25) / 10.0)
    assert by_id(inputs(snap()))["energy_covered"] is None


def test_open_severe_alerts_and_supply_at_risk() -> None:
    s = snap(alerts=[
        al("new", "critical", "chirag-1"),
        al("acknowledged", "low", "sd1-gas"),
        al("resolved", "critical", "sd1-gas", "fishing boat, cleared"),
        al("new", "high", "port-alat"),  # no energy value
    ])
    v = by_id(inputs(s))
    assert v["open_critical_alerts"] == 1
    assert v["gas_at_risk"] == pytest.approx(8.5)
    assert v["oil_at_risk"] == pytest.approx(150.0)


def test_border_incursions_count_only_border_sectors() -> None:
    s = snap(events=[
        ev("zone_entry", 1, T0, zone="aze-border-irn"),
        ev("zone_entry", 1, T0 + 7200, zone="aze-border-irn"),
        ev("zone_entry", 2, T0, zone="aze-territorial-sea"),
    ])
    v = by_id(inputs(s))
    assert v["border_incursions"] == 2
    assert v["border_vessels"] == 1


def test_middle_corridor_transits_from_consecutive_port_visits() -> None:
    s = snap(events=[
        ev("port_visit", 7, T0, zone="port-aktau"),
        ev("port_visit", 7, T0 + 86_400, zone="port-alat"),
        ev("port_visit", 7, T0 + 2 * 86_400, zone="port-baku-city"),
        ev("port_visit", 8, T0, zone="port-makhachkala"),
        ev("port_visit", 8, T0 + 86_400, zone="port-alat"),
    ])
    v = by_id(inputs(s))
    assert v["corridor_transits"] == 1
    assert v["port_calls"] == 3


def test_defence_and_governance() -> None:
    a1 = al("resolved", "high", "chirag-1", "cleared after boarding", created=T0)
    a2 = al("resolved", "low", None, "", created=T0)
    firsts = {a1.id: {"assigned": T0 + 600}, a2.id: {"assigned": T0 + 1800}}
    s = snap(alerts=[a1, a2], firsts=firsts)
    v = by_id(inputs(s, boat_status={"B": "maintenance"}, audit_ok=False, audit_problems=2))
    assert v["boats_available"] == 2
    assert v["response_min"] == pytest.approx(20.0)
    assert v["resolved_documented"] == 50.0
    assert v["audit_integrity"] == 0.0


def _plan(coords: list[tuple[float, float]], times: list[str]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"boat": "SBS-01", "base": "Baku", "times": times}}]}


def test_coverage_is_share_of_shift_near_the_asset() -> None:
    # the boat waits at the platform for 2 h, then goes 60 km east for 2 h
    plan = _plan(
        [(50.0, 40.0), (50.0, 40.0), (50.7, 40.0), (50.7, 40.0)],
        ["2026-05-01T00:00:00+00:00", "2026-05-01T02:00:00+00:00",
         "2026-05-01T02:00:01+00:00", "2026-05-01T04:00:00+00:00"],
    )
    routes = parse_plan(plan)
    assert patrol_hours(routes) == pytest.approx(4.0)
    cov = asset_coverage(routes, {"p": Point(50.0, 40.0),
                                  "line": LineString([(50.7, 39.9), (50.7, 40.1)])},
                         radius_m=5000.0, step_s=60.0)
    assert cov["p"] == pytest.approx(0.5, abs=0.02)
    assert cov["line"] == pytest.approx(0.5, abs=0.02)


def test_bad_plan_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="coordinates but"):
        parse_plan(_plan([(50.0, 40.0), (50.1, 40.0)], ["2026-05-01T00:00:00+00:00"]))
    with pytest.raises(InputError, match="FeatureCollection"):
        parse_plan({"type": "Feature"})


def test_response_time_ignores_assignments_stamped_before_the_alert() -> None:
    a1 = al("assigned", "high", None, created=T0)
    a2 = al("assigned", "low", "chirag-1", created=T0)
    firsts = {a1.id: {"assigned": T0 + 300}, a2.id: {"assigned": T0 - 3600}}
    inds = {i.id: i for i in compute_scorecard(inputs(snap(alerts=[a1, a2], firsts=firsts)))}
    assert inds["response_min"].value == 5.0
    assert "1 assignment" in inds["response_min"].note


def test_vessels_bound_for_corridor_ports_from_ais_destinations() -> None:
    s = snap(destinations={1: "AKTAU", 2: "KURYK PORT", 3: "BAKU", 4: "TURKMENBASHI"})
    assert by_id(inputs(s))["corridor_vessels"] == 3


def test_response_time_is_measured_on_the_picture_clock() -> None:
    """A simulated day acted on in the console months later (the defect: "median time to
    assign a boat: 157,739.7 min" against the report's 9 min): the wall-clock assignment
    measures the gap between two clocks and is left out, with a note."""
    day = np.linspace(T0 - 86_400.0, T0, 50)
    raised = al("assigned", "high", None, created=T0)  # raised at the end of the day
    later = al("assigned", "critical", "chirag-1", created=T0)
    live = al("assigned", "low", None, created=T0 + 30 * 86_400.0)  # both on the wall clock
    firsts = {raised.id: {"assigned": T0 + 540},
              later.id: {"assigned": T0 + 219 * 86_400.0},
              live.id: {"assigned": T0 + 30 * 86_400.0 + 660}}
    s = ReportSnapshot(day, day, day, 1, 0, [], [raised, later], firsts)
    inds = {i.id: i for i in compute_scorecard(inputs(s))}
    assert inds["response_min"].value == 9.0
    assert "1 assignment(s) stamped on the wall clock" in inds["response_min"].note
    s = ReportSnapshot(day, day, day, 1, 0, [], [raised, later, live], firsts)
    assert by_id(inputs(s))["response_min"] == 10.0  # median of 9 and 11


def test_trade_indicators_of_a_theatre_without_trade_ports_are_not_computed() -> None:
    """A built theatre names no home or partner ports: no Caspian port is counted, and
    each trade indicator says what to write in theatre.toml."""
    s = snap(events=[ev("port_visit", 1, T0, asset="port-alat"),
                     ev("port_visit", 1, T0 + 90_000, asset="port-aktau")],
             destinations={1: "AKTAU"})
    trade = {i.id: i for i in compute_scorecard(inputs(s, trade=TradePorts()))
             if i.goal == "trade"}
    assert {k: i.value for k, i in trade.items()} == {
        "port_calls": None, "corridor_transits": None, "corridor_vessels": None}
    assert all("[trade]" in i.note for i in trade.values())
    caspian = by_id(inputs(s))
    assert (caspian["port_calls"], caspian["corridor_transits"],
            caspian["corridor_vessels"]) == (1, 1, 1)
