"""The shift handover only reads: an alert overdue for escalation is listed as overdue and
left as it is (the server escalates, or `khazar alerts escalate`, audited). It used to
escalate every overdue alert, from `khazar handover` and `GET /api/handover` alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.alerts.builders import T0, context, event, settings

from khazar.services.alerts import handover, update_alerts
from khazar.store import alerts as repo
from khazar.store import open_store
from khazar.store.audit import list_entries


def test_handover_lists_overdue_alerts_and_changes_nothing(tmp_path: Path) -> None:
    conf = settings()
    with open_store(tmp_path / "k.duckdb") as store:
        raised = update_alerts(store, context(), [event("anchor_drag", asset="acg-ca")],
                               T0 + timedelta(minutes=31))
        assert raised.new
        before = repo.list_alerts(store)
        audit_before = len(list_entries(store, limit=1000))
        late = T0 + timedelta(minutes=31 + conf.alerts.escalate_after_min + 5)
        summary = handover(store, conf, T0, late, include_exercise=False)
        assert [a.id for a in summary.overdue] == [a.id for a in raised.new]
        assert summary.to_dict()["overdue"] == [a.id for a in raised.new]
        assert summary.escalated == ()
        assert repo.list_alerts(store) == before
        assert len(list_entries(store, limit=1000)) == audit_before
