"""The Charter scorecard (``GET /api/scorecard``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from khazar.api.auth import Reader, StateDep
from khazar.api.services import geography, require_service
from khazar.services.scorecard import scorecard_payload

__all__ = ["router"]

router = APIRouter(tags=["report"])


@router.get("/scorecard", summary="Charter scorecard: indicators by goal, with definitions")
def scorecard(who: Reader, state: StateDep) -> dict[str, Any]:
    """The indicators of ``khazar report`` for the five Charter goals, computed from the
    store now (exercise traffic left out). Coverage indicators need ``--plan``."""
    require_service("khazar.report", "compute_scorecard", "the Charter scorecard")
    geo = geography(state)
    plan = state.cache.get("patrol_plan")
    with state.locked() as store:
        return scorecard_payload(store, state.settings, geo, plan)
