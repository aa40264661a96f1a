from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from khazar.alerts import AlertState, Severity, handover_summary
from khazar.errors import AlertStateError, InputError
from khazar.services import alerts as svc
from khazar.store import Store, open_store
from khazar.store import alerts as repo
from khazar.store.audit import read_entries, verify_store

from .builders import OTHER, STRANGER, T0, context, event, settings

CTX = context()
NOW = T0 + timedelta(hours=2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "k.duckdb") as s:
        yield s


def _raise(store: Store) -> list[str]:
    events = [
        event("anchor_drag", STRANGER, asset="acg-sangachal-oil"),
        event("encounter", STRANGER, other=OTHER, start_min=10),
        event("loitering", OTHER, asset="nd-line", start_min=20),
    ]
    result = svc.update_alerts(store, CTX, events, NOW)
    return [a.id for a in result.new]


def test_update_is_idempotent_and_audited(store: Store) -> None:
    ids = _raise(store)
    assert len(ids) == 3
    again = svc.update_alerts(
        store, CTX, [event("anchor_drag", STRANGER, asset="acg-sangachal-oil")], NOW
    )
    assert again.new == () and again.updated == ()
    assert len(repo.list_alerts(store)) == 3
    actions = [e.action for e in read_entries(store)]
    assert actions == ["alerts.raise"] * 3
    assert {t.to_state for t in repo.list_transitions(store)} == {AlertState.new}


def test_full_life_cycle_by_named_users(store: Store) -> None:
    aid = _raise(store)[0]
    svc.acknowledge_alert(store, aid, "aysel", NOW + timedelta(minutes=1))
    svc.add_note(store, aid, "aysel", "tanker slowed over the trunk line", NOW)
    svc.assign_alert(store, settings(), aid, "aysel", "SBS-04", NOW + timedelta(minutes=2))
    svc.assign_alert(store, settings(), aid, "rauf", "SBS-05", NOW + timedelta(minutes=3))
    done = svc.resolve_alert(
        store, aid, "rauf", "boarded, anchor chain out, master detained", NOW + timedelta(hours=1)
    )
    assert done.state is AlertState.resolved
    assert done.assigned_boat == "SBS-05"
    assert done.resolution == "boarded, anchor chain out, master detained"
    stored = repo.get_alert(store, aid)
    assert stored == done
    moves = [
        (t.from_state, t.to_state, t.actor, t.boat)
        for t in repo.list_transitions(store, alert_id=aid)
    ]
    assert moves == [
        (None, AlertState.new, "system", None),
        (AlertState.new, AlertState.acknowledged, "aysel", None),
        (AlertState.acknowledged, AlertState.assigned, "aysel", "SBS-04"),
        (AlertState.assigned, AlertState.assigned, "rauf", "SBS-05"),
        (AlertState.assigned, AlertState.resolved, "rauf", "SBS-05"),
    ]
    entries = [e for e in read_entries(store) if e.target == aid]
    assert [(e.actor, e.action) for e in entries] == [
        ("system", "alerts.raise"),
        ("aysel", "alerts.ack"),
        ("aysel", "alerts.note"),
        ("aysel", "alerts.assign"),
        ("rauf", "alerts.assign"),
        ("rauf", "alerts.resolve"),
    ]
    assert verify_store(store).ok


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (["assign"], "is new; cannot move it to assigned: acknowledge it first"),
        (["resolve"], "is new; cannot move it to resolved"),
        (["ack", "ack"], "is acknowledged; cannot move it to acknowledged"),
        (["ack", "resolve", "resolve"], "is resolved; cannot move it to resolved"),
        (["ack", "resolve", "assign"], "is resolved; cannot move it to assigned"),
    ],
)
def test_invalid_transitions_are_clear_errors(store: Store, steps: list[str], message: str) -> None:
    aid = _raise(store)[0]
    actions = {
        "ack": lambda: svc.acknowledge_alert(store, aid, "aysel", NOW),
        "assign": lambda: svc.assign_alert(store, settings(), aid, "aysel", "SBS-01", NOW),
        "resolve": lambda: svc.resolve_alert(store, aid, "aysel", "false alarm: ferry", NOW),
    }
    for step in steps[:-1]:
        actions[step]()
    before = repo.get_alert(store, aid)
    with pytest.raises(AlertStateError, match=message):
        actions[steps[-1]]()
    assert repo.get_alert(store, aid) == before


def test_bad_inputs_name_the_offending_value(store: Store) -> None:
    aid = _raise(store)[0]
    with pytest.raises(InputError, match="no alert with id 'nope'"):
        svc.acknowledge_alert(store, "nope", "aysel", NOW)
    with pytest.raises(InputError, match="named user"):
        svc.acknowledge_alert(store, aid, "  ", NOW)
    svc.acknowledge_alert(store, aid, "aysel", NOW)
    with pytest.raises(InputError, match="unknown boat 'SBS-99'"):
        svc.assign_alert(store, settings(), aid, "aysel", "SBS-99", NOW)
    with pytest.raises(InputError, match="resolution reason is required"):
        svc.resolve_alert(store, aid, "aysel", "", NOW)


def test_unacknowledged_alerts_escalate_once_after_the_delay(store: Store) -> None:
    ids = _raise(store)
    svc.acknowledge_alert(store, ids[1], "aysel", NOW + timedelta(minutes=5))
    after = timedelta(minutes=settings().alerts.escalate_after_min)
    assert svc.escalate_alerts(store, NOW + after - timedelta(seconds=1), after) == ()
    up = svc.escalate_alerts(store, NOW + after, after)
    assert sorted(a.id for a in up) == sorted([ids[0], ids[2]])
    drag = repo.get_alert(store, ids[0])
    assert drag.escalated and drag.severity is Severity.critical  # already at the top
    loiter = repo.get_alert(store, ids[2])
    assert loiter.severity is Severity.high  # medium → high
    assert svc.escalate_alerts(store, NOW + 2 * after, after) == ()
    assert [e.action for e in read_entries(store)].count("alerts.escalate") == 2


def test_handover_summary(store: Store) -> None:
    ids = _raise(store)
    shift = NOW + timedelta(minutes=30)
    svc.acknowledge_alert(store, ids[0], "aysel", shift + timedelta(minutes=1))
    svc.assign_alert(store, settings(), ids[0], "aysel", "SBS-02", shift + timedelta(minutes=2))
    svc.acknowledge_alert(store, ids[1], "aysel", shift + timedelta(minutes=3))
    svc.resolve_alert(store, ids[1], "aysel", "two fishing boats", shift + timedelta(minutes=4))
    svc.escalate_alerts(store, shift + timedelta(minutes=20), timedelta(minutes=15))
    h = handover_summary(
        repo.list_alerts(store),
        repo.list_transitions(store),
        repo.list_notes(store),
        since=shift,
        now=shift + timedelta(hours=1),
    )
    assert [a.id for a in h.open_alerts] == [ids[0], ids[2]]
    assert h.open_by_severity == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    assert [a.id for a in h.unacknowledged] == [ids[2]]
    assert [a.id for a in h.escalated] == [ids[2]]
    assert h.boats_assigned == {"SBS-02": (ids[0],)}
    assert [a.id for a in h.resolved_since] == [ids[1]]
    assert h.new_since == ()  # raised before the shift
    assert len(h.changes) == 5
