"""Red-team scenarios: one module each, registered by name.

``mixed`` plants all of them in one run of normal traffic; ``normal`` plants none. The
:data:`SINGLES` are planted only when named (not in ``mixed``: the evaluation seeds stay as
they were).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from khazar.sim.scenarios import (
    anchor_drag_eagle_s,
    anchor_drag_yi_peng,
    dark_rendezvous,
    fast_dark_boat,
    loitering_saboteur,
    safety_zone_entry,
    spoofing,
    sts_transfer,
)
from khazar.sim.scenarios.base import ScenarioContext

__all__ = ["RED_TEAM", "SCENARIOS", "SINGLES", "ScenarioContext", "plants_for"]

_MODULES: tuple[ModuleType, ...] = (
    loitering_saboteur,
    anchor_drag_eagle_s,
    anchor_drag_yi_peng,
    dark_rendezvous,
    spoofing,
    safety_zone_entry,
    fast_dark_boat,
    sts_transfer,
)
#: red-team scenario name → its ``plant(ctx)``
RED_TEAM: dict[str, Callable[[ScenarioContext], None]] = {m.NAME: m.plant for m in _MODULES}
#: scenarios planted only when named: the published Eagle S facts (issue 21)
SINGLES: dict[str, Callable[[ScenarioContext], None]] = {
    "eagle_s_published": anchor_drag_eagle_s.plant_published,
}
#: every name ``khazar simulate --scenario`` accepts
SCENARIOS: tuple[str, ...] = ("mixed", "normal", *RED_TEAM, *SINGLES)


def plants_for(scenario: str) -> list[Callable[[ScenarioContext], None]]:
    """The plant functions a scenario name runs (in a fixed order)."""
    if scenario == "mixed":
        return list(RED_TEAM.values())
    if scenario == "normal":
        return []
    if scenario in SINGLES:
        return [SINGLES[scenario]]
    return [RED_TEAM[scenario]]
