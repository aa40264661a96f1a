from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from khazar.alerts import AlertState, Severity, alerts_for_events, match_rule
from khazar.config import AlertRule
from khazar.domain import Event

from .builders import (
    OTHER,
    PATROL,
    STRANGER,
    SUPPLY_ACG,
    SUPPLY_ND,
    T0,
    WATCHED,
    context,
    event,
)

CTX = context()
CORRIDOR = "corridor:acg-sangachal-oil"
SAFETY = "safety:acg-ca"


def test_anchor_drag_on_the_main_trunk_line_is_critical() -> None:
    [alert] = alerts_for_events(
        [event("anchor_drag", asset="acg-sangachal-oil", zone=CORRIDOR)], CTX
    )
    assert alert.rule == "anchor-drag"
    assert alert.state is AlertState.new
    assert alert.severity is Severity.critical
    assert alert.score == 80.0  # 0.5·1.0 + 0.3·(40/40), no history


def test_the_same_behaviour_at_a_less_critical_line_is_less_severe() -> None:
    [big] = alerts_for_events([event("anchor_drag", asset="acg-sangachal-oil")], CTX)
    [small] = alerts_for_events([event("anchor_drag", asset="nd-line")], CTX)
    assert small.score < big.score
    assert small.severity is Severity.high


def test_supply_boat_at_its_own_platform_raises_nothing() -> None:
    events = [
        event("loitering", SUPPLY_ACG, asset="acg-ca", zone=SAFETY, duration_min=180),
        event("zone_entry", SUPPLY_ACG, asset="acg-ca", zone=SAFETY),
        event("ais_gap", SUPPLY_ACG, asset="acg-ca", zone=SAFETY),
    ]
    assert alerts_for_events(events, CTX) == []


def test_supply_boat_of_another_group_is_not_exempt_at_acg() -> None:
    [alert] = alerts_for_events([event("zone_entry", SUPPLY_ND, asset="acg-ca", zone=SAFETY)], CTX)
    assert alert.rule == "safety-zone-entry"
    assert alert.mmsi == SUPPLY_ND


def test_spoofing_of_a_registry_mmsi_is_always_raised() -> None:
    [alert] = alerts_for_events([event("spoofing", SUPPLY_ACG)], CTX)
    assert alert.rule == "identity-spoofing"


def test_own_patrol_boats_are_exempt_even_in_encounters() -> None:
    events = [
        event("loitering", PATROL, asset="acg-sangachal-oil", zone=CORRIDOR),
        event("encounter", STRANGER, other=PATROL),
    ]
    assert alerts_for_events(events, CTX) == []


def test_pipeline_corridor_entry_and_exits_and_port_visits_are_not_alerts() -> None:
    events = [
        event("zone_entry", STRANGER, asset="acg-sangachal-oil", zone=CORRIDOR),
        event("zone_exit", STRANGER, asset="acg-sangachal-oil", zone=CORRIDOR),
        event("port_visit", STRANGER),
        event("loitering", STRANGER),  # loitering at open sea, no asset
        event("ais_gap", STRANGER, zone="ts:az"),  # gap outside protected zones
    ]
    assert [match_rule(e, CTX) for e in events] == [None] * 5


def test_watchlisted_vessel_is_raised_for_a_port_visit_and_scores_higher() -> None:
    [watched] = alerts_for_events([event("port_visit", WATCHED)], CTX)
    assert watched.rule == "watchlist"
    [plain] = alerts_for_events([event("encounter", STRANGER, other=OTHER)], CTX)
    [watched_enc] = alerts_for_events([event("encounter", WATCHED, other=OTHER)], CTX)
    assert abs(watched_enc.score - (plain.score + 25.0)) < 1e-9


def test_repeats_merge_into_one_alert_that_updates() -> None:
    events = [
        event("loitering", STRANGER, start_min=i * 60, asset="acg-sangachal-oil", zone=CORRIDOR)
        for i in range(50)
    ]
    [alert] = alerts_for_events(events, CTX)
    assert alert.event_count == 50
    assert len(set(alert.event_ids)) == 50
    assert alert.first_ts == T0
    assert alert.last_ts == T0 + timedelta(minutes=49 * 60 + 30)
    assert "50 events" in alert.summary


def test_a_repeat_after_the_merge_window_opens_a_new_alert() -> None:
    first = event("loitering", STRANGER, asset="acg-sangachal-oil")
    late = event("loitering", STRANGER, start_min=30 + 6 * 60 + 1, asset="acg-sangachal-oil")
    alerts = alerts_for_events([first, late], CTX)
    assert len(alerts) == 2
    # the second one has the first in the vessel's history, so it scores higher
    assert alerts[1].score > alerts[0].score


def test_different_vessels_places_or_behaviours_stay_separate() -> None:
    events = [
        event("loitering", STRANGER, asset="acg-sangachal-oil"),
        event("loitering", OTHER, asset="acg-sangachal-oil"),
        event("loitering", STRANGER, asset="nd-line", start_min=1),  # (ids: type, vessel, start)
        event("anchor_drag", STRANGER, asset="acg-sangachal-oil"),
    ]
    assert len(alerts_for_events(events, CTX)) == 4


def test_encounter_pairs_merge_whatever_the_order() -> None:
    events = [
        event("encounter", STRANGER, other=OTHER),
        event("encounter", OTHER, other=STRANGER, start_min=90),
    ]
    [alert] = alerts_for_events(events, CTX)
    assert alert.event_count == 2


def test_resolved_alert_is_not_reopened_by_a_repeat() -> None:
    import dataclasses

    first = event("loitering", STRANGER, asset="acg-sangachal-oil")
    [alert] = alerts_for_events([first], CTX)
    closed = dataclasses.replace(alert, state=AlertState.resolved, resolution="fishing")
    again = event("loitering", STRANGER, start_min=60, asset="acg-sangachal-oil")
    [fresh] = alerts_for_events([first, again], CTX, existing=[closed])
    assert fresh.id != alert.id
    assert fresh.event_ids == (again.id,)


def test_an_open_event_that_grows_updates_its_alert() -> None:
    short = event("loitering", STRANGER, asset="acg-sangachal-oil", duration_min=20)
    [alert] = alerts_for_events([short], CTX)
    longer = event("loitering", STRANGER, asset="acg-sangachal-oil", duration_min=90)
    assert longer.id == short.id
    [updated] = alerts_for_events([longer], CTX, existing=[alert])
    assert updated.id == alert.id
    assert updated.last_ts == T0 + timedelta(minutes=90)
    assert updated.event_count == 1


def test_rules_come_from_configuration() -> None:
    strict = context(
        alerts={
            "rules": [
                AlertRule(
                    name="long-loiter",
                    event_types=["loitering"],
                    require_asset=True,
                    min_duration_min=60,
                    behaviour_weight=0.9,
                )
            ]
        }
    )
    short = event("loitering", STRANGER, asset="acg-ca", duration_min=30)
    long = event("loitering", STRANGER, asset="acg-ca", duration_min=61, start_min=5)
    drag = event("anchor_drag", STRANGER, asset="acg-ca")
    assert [a.rule for a in alerts_for_events([short, long, drag], strict)] == ["long-loiter"]


def test_dark_contacts_merge_by_place_not_across_the_sea() -> None:
    events = [
        event("dark_vessel", None, start_min=0, lat=38.50, lon=49.00),
        event("dark_vessel", None, start_min=5, lat=38.51, lon=49.01),
        event("dark_vessel", None, start_min=10, lat=39.50, lon=50.00),
    ]
    alerts = alerts_for_events(events, CTX)
    assert sorted(a.event_count for a in alerts) == [1, 2]


_TYPES = st.sampled_from(["loitering", "anchor_drag", "encounter", "zone_entry", "ais_gap"])
_VESSELS = st.sampled_from([STRANGER, OTHER, SUPPLY_ACG, WATCHED])
_ASSETS = st.sampled_from([None, "acg-ca", "acg-sangachal-oil", "nd-line"])


@st.composite
def _events(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    n = draw(st.integers(0, 30))
    out = []
    for _ in range(n):
        typ = draw(_TYPES)
        other = draw(_VESSELS) if typ == "encounter" else None
        mmsi = draw(_VESSELS)
        if other == mmsi:
            other = None
        asset = draw(_ASSETS)
        zone = SAFETY if asset == "acg-ca" else (CORRIDOR if asset else None)
        out.append(
            event(
                typ,
                mmsi,
                start_min=draw(st.integers(0, 3000)),
                duration_min=draw(st.integers(1, 300)),
                asset=asset,
                zone=zone,
                other=other,
            )
        )
    return out


@given(_events())
@settings(max_examples=60, deadline=None)
def test_every_alertable_event_lands_in_exactly_one_alert_and_reruns_are_idempotent(
    events: list,  # type: ignore[type-arg]
) -> None:
    alerts = alerts_for_events(events, CTX)
    alertable = {e.id for e in events if match_rule(e, CTX) is not None}
    placed = [eid for a in alerts for eid in a.event_ids]
    assert sorted(placed) == sorted(alertable)
    assert len({a.id for a in alerts}) == len(alerts)
    for a in alerts:
        assert 0.0 <= a.score <= 100.0
        assert a.first_ts <= a.last_ts
    assert alerts_for_events(events, CTX, existing=alerts, now=T0) == []


def test_rendezvous_near_the_shore_is_not_an_alert() -> None:
    import dataclasses

    # a fake coast: the meridian 49.0 E, distance in metres east of it
    shore = dataclasses.replace(CTX, shore_distance_m=lambda lat, lon: (lon - 49.0) * 85_000)
    harbour = event("encounter", STRANGER, other=OTHER, lon=49.02)  # 1.7 km off
    at_sea = event("encounter", STRANGER, other=OTHER, lon=49.2, start_min=600)  # 17 km off
    assert match_rule(harbour, shore) is None
    assert match_rule(at_sea, shore) is not None
    assert match_rule(harbour, CTX) is not None  # no coast known: the rule applies


def test_evidence_bounds_and_service_craft_types_come_from_the_rule() -> None:
    import dataclasses

    tug, tanker = 273_000_052, 273_000_080
    ctx = dataclasses.replace(CTX, ship_types={tug: 52, tanker: 80})

    def drag(mmsi: int, speed_kn: float, fixes: int, start_min: int = 0) -> Event:
        e = event("anchor_drag", mmsi, asset="acg-sangachal-oil", start_min=start_min)
        ev = {"speed_in_corridor_kn": speed_kn, "fixes": fixes}
        return dataclasses.replace(e, evidence=ev)

    assert match_rule(drag(tanker, 6.5, 40), ctx) is not None
    assert match_rule(drag(tanker, 12.0, 40), ctx) is None  # transit along the line
    assert match_rule(drag(tanker, 6.5, 1), ctx) is None  # one fix is no crossing
    assert match_rule(drag(tug, 6.5, 40), ctx) is None  # harbour service craft
    # an encounter is exempt only when both vessels are of the exempt types
    rule = ctx.rules[4].model_copy(update={"exempt_ship_types": [52]})
    assert rule.name == "rendezvous"
    only = dataclasses.replace(ctx, rules=(rule,), ship_types={tug: 52, tug + 1: 52, tanker: 80})
    assert match_rule(event("encounter", tug, other=tanker), only) is not None
    assert match_rule(event("encounter", tug, other=tug + 1), only) is None


def test_two_behaviours_of_one_vessel_at_one_moment_are_two_alerts() -> None:
    # found by the property above: a watchlist vessel loitering and entering a zone at the
    # same minute, with no asset, gave both alerts one id and the second overwrote the first
    events = [event("loitering", WATCHED, start_min=0, duration_min=1),
              event("zone_entry", WATCHED, start_min=0, duration_min=1)]
    alerts = alerts_for_events(events, CTX)
    alertable = {e.id for e in events if match_rule(e, CTX) is not None}
    assert sorted(eid for a in alerts for eid in a.event_ids) == sorted(alertable)
    assert len({a.id for a in alerts}) == len(alerts)
