"""Fleet use case: set a boat's status (audited ``fleet.status``).

Used by ``khazar fleet --set`` and ``POST /api/fleet/{boat}/status``: the status and its
audit entry commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from khazar.audit import Action
from khazar.config import Boat
from khazar.domain.fleet import BoatState, BoatStatus
from khazar.errors import InputError
from khazar.store import Store
from khazar.store.audit import audited
from khazar.store.fleet import fleet_status, set_boat_status

__all__ = ["parse_status", "set_status"]

#: longest free-text note kept with a status (characters)
MAX_DETAIL = 500


def parse_status(value: str) -> BoatState:
    """A boat status from its name; :class:`InputError` naming the value otherwise."""
    try:
        return BoatState(value)
    except ValueError:
        raise InputError(f"unknown boat status {value!r}; use one of "
                         f"{', '.join(s.value for s in BoatState)}") from None


def set_status(
    store: Store, fleet: Sequence[Boat], boat: str, status: BoatState, detail: str | None,
    user: str, now: datetime,
) -> BoatStatus:
    """Set ``boat``'s status by ``user`` at ``now`` (UTC), with an optional note; audited
    ``fleet.status`` in the same transaction. Returns the boat's new status."""
    if not user.strip():
        raise InputError(f"boat {boat}: a named user is required to change its status")
    if detail is not None and len(detail) > MAX_DETAIL:
        raise InputError(f"boat {boat}: the note has {len(detail)} characters; "
                         f"keep it under {MAX_DETAIL}")
    with audited(store) as tx:
        set_boat_status(tx, fleet, boat, status, detail, now)
        tx.append(user, Action.fleet_status.value, target=boat,
                  detail={"status": status.value, "detail": detail})
    return next(s for s in fleet_status(store, fleet) if s.boat == boat)
