"""Alert titles (every type, both languages), incidents and the watch floor's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from khazar.alerts.incidents import link_incidents
from khazar.alerts.rules import WATCHLIST_RULE
from khazar.alerts.titles import ALERT_TYPES, LANGUAGES, TEMPLATES, alert_titles, short_place
from khazar.config import load_settings
from khazar.detect.engine import (
    AnchorDragDetector,
    DarkVesselDetector,
    EncounterDetector,
    GapDetector,
    LoiteringDetector,
    PortVisitDetector,
    SpoofingDetector,
    ZoneDetector,
)
from khazar.domain.alerts import Alert, AlertState, Severity, triage_order
from khazar.domain.vessels import flag_of, ship_type_text

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)


def _types_raised() -> set[str]:
    """Every event type a detector emits or a rule turns into an alert."""
    settings = load_settings()
    names = {cls.name for cls in (LoiteringDetector, EncounterDetector, GapDetector,
                                  SpoofingDetector, AnchorDragDetector, PortVisitDetector,
                                  DarkVesselDetector)}
    assert ZoneDetector.name == "zones"
    names |= {"zone_entry", "zone_exit"}  # the zone detector's two types
    names |= {t for r in settings.alerts.rules for t in r.event_types}
    names |= set(WATCHLIST_RULE.event_types)
    return names


def test_every_alert_type_has_a_title_in_both_languages() -> None:
    raised = _types_raised()
    assert {"anchor_drag", "dark_vessel", "spoofing", "zone_entry"} <= raised
    missing = raised - set(ALERT_TYPES)
    assert not missing, f"alert types without a title template: {sorted(missing)}"
    for kind in ALERT_TYPES:
        assert set(TEMPLATES[kind]) == set(LANGUAGES), kind
        en, az = TEMPLATES[kind]["en"], TEMPLATES[kind]["az"]
        for tpl in (en.at, en.bare, az.at, az.bare):
            assert tpl.strip() and ("_" not in kind or kind not in tpl)
        assert "{place}" in en.at and "{place}" in az.at
        assert en.at != az.at and en.bare != az.bare
        titles = alert_titles(kind, "CASPIAN STAR", 423000001, "ACG 24-inch oil export line",
                              "VOLGA 3", 273000002)
        assert "_" not in titles.en and "_" not in titles.az
        assert titles.en != titles.az


def test_the_issue_title() -> None:
    place = short_place("ACG 24-inch oil export line Chirag-1 → Sangachal")
    assert place == "ACG 24-inch oil export line"
    t = alert_titles("anchor_drag", "CASPIAN STAR", 423000001, place)
    assert t.en == "Anchor drag by CASPIAN STAR across the ACG 24-inch oil export line"
    assert t.az == "Lövbərin sürüklənməsi: CASPIAN STAR, ACG 24-inch oil export line üzərindən"
    # no name: the MMSI; no place: the bare form; no vessel at all: said so
    assert alert_titles("loitering", None, 423000001, None).en == "MMSI 423000001 loitering"
    assert alert_titles("dark_vessel", None, None, None).az == "AIS-siz gəmi"
    assert short_place("Deepwater Gunashli platform (ACG) safety zone (500 m)") == \
        "Deepwater Gunashli platform safety zone"


def test_flag_and_ship_type_words() -> None:
    assert flag_of(423451002) == "Azerbaijan" and flag_of(273000001) == "Russia"
    assert flag_of(422000001) == "Iran" and flag_of(999000001) is None
    # the simulator's foreign flags are all known
    from khazar.sim.scenarios.base import FOREIGN_MIDS

    assert all(flag_of(mid * 1_000_000 + 1) for mid in FOREIGN_MIDS)
    assert flag_of(None) is None and flag_of(12345) is None
    assert ship_type_text(80) == "tanker" and ship_type_text(84) == "tanker"
    assert ship_type_text(30) == "fishing" and ship_type_text(0) is None
    assert ship_type_text(5) == "reserved"


def _alert(aid: str, mmsi: int | None, first_min: float, last_min: float,
           severity: Severity = Severity.high, created_min: float = 0.0,
           other: int | None = None, exercise: bool = False) -> Alert:
    return Alert(
        id=aid, rule="r", type="anchor_drag", severity=severity, score=60.0,
        state=AlertState.new, mmsi=mmsi, other_mmsi=other, asset_id=None, zone_id=None,
        lat=40.0, lon=50.0, first_ts=T0 + timedelta(minutes=first_min),
        last_ts=T0 + timedelta(minutes=last_min), event_ids=(), summary="",
        created_at=T0 + timedelta(minutes=created_min),
        updated_at=T0 + timedelta(minutes=created_min), exercise=exercise)


def test_incidents_link_one_vessel_in_one_episode() -> None:
    alerts = [
        _alert("A1", 1, 0, 20), _alert("A2", 1, 10, 25),  # overlapping: one incident
        _alert("A3", 1, 80, 90),  # 55 min after A2 ended: within the 60 min gap
        _alert("A4", 1, 300, 310),  # hours later: a new episode
        _alert("A5", 2, 0, 20),  # another vessel
        _alert("A6", None, 0, 20), _alert("A7", None, 5, 20),  # no vessel: each alone
        _alert("A8", 1, 5, 15, exercise=True),  # an exercise alert never joins a live one
        _alert("A9", 2, 0, 10, other=1), _alert("A10", 1, 5, 12, other=2),  # one pair
    ]
    got = link_incidents(alerts, timedelta(minutes=60))
    assert got["A1"] == got["A2"] == got["A3"] and got["A1"].size == 3
    assert got["A1"].id == "I1" and got["A1"].alert_ids == ("A1", "A2", "A3")
    assert got["A4"].size == 1 and got["A4"].id != got["A1"].id
    assert got["A5"].alert_ids == ("A5",)
    assert got["A6"].id != got["A7"].id and got["A6"].size == 1
    assert got["A8"].alert_ids == ("A8",)
    assert got["A9"] == got["A10"] and got["A9"].size == 2
    # a shorter gap splits A3 off
    tight = link_incidents(alerts, timedelta(minutes=30))
    assert tight["A1"].size == 2 and tight["A3"].size == 1


def test_triage_order_is_severity_then_age() -> None:
    alerts = [
        _alert("Anew-high", 1, 0, 50, Severity.high, created_min=40),
        _alert("Aold-low", 2, 0, 1, Severity.low, created_min=-500),
        _alert("Acrit", 3, 0, 2, Severity.critical, created_min=30),
        _alert("Aold-high", 4, 0, 3, Severity.high, created_min=5),
        _alert("Amed", 5, 0, 60, Severity.medium, created_min=0),
    ]
    assert [a.id for a in triage_order(alerts)] == [
        "Acrit", "Aold-high", "Anew-high", "Amed", "Aold-low"]


@pytest.mark.parametrize("kind", ["unknown_thing", ""])
def test_an_unknown_type_is_still_worded(kind: str) -> None:
    t = alert_titles(kind, "X", 1, None)
    assert "_" not in t.en and t.en and t.az
