"""Security games: value types shared by every solver.

A compact security game (Kiekintveld et al. 2009) has ``n`` targets and ``m`` identical
defender resources. Coverage ``c_t`` in [0, 1] is the probability that target ``t`` is
protected, with ``sum(c) <= m``. Expected utilities are linear in coverage::

    U_d(t, c) = c * defender_covered[t] + (1 - c) * defender_uncovered[t]
    U_a(t, c) = c * attacker_covered[t] + (1 - c) * attacker_uncovered[t]

The defender commits first; the attacker observes the coverage and attacks the target with
the highest ``U_a``, breaking ties in the defender's favour (strong Stackelberg equilibrium).
Solvers return a :class:`GameSolution` whose :class:`Status` says whether it is an optimum;
an infeasible or failed solve is a value, never an exception.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from khazar.errors import GameError

__all__ = [
    "TIE_TOL",
    "GameSolution",
    "SecurityGame",
    "Status",
    "Target",
    "best_response",
    "game_from_dict",
    "solution_from_coverage",
    "solution_to_dict",
]

FloatArray = npt.NDArray[np.float64]

#: two attacker utilities closer than this are a tie (broken in the defender's favour)
TIE_TOL = 1e-9


class Status(enum.StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Target:
    """One target's four payoffs (the defender's and the attacker's, covered or not)."""

    id: str
    defender_covered: float
    defender_uncovered: float
    attacker_covered: float
    attacker_uncovered: float


@dataclass(frozen=True, slots=True)
class SecurityGame:
    """A compact security game: ``resources`` identical defender resources over ``targets``."""

    resources: float
    targets: tuple[Target, ...]
    zero_sum: bool = False

    def __post_init__(self) -> None:
        if not self.targets:
            raise GameError("game has no targets; give at least one in 'targets'")
        if not (self.resources >= 0 and math.isfinite(self.resources)):
            raise GameError(f"'resources' must be a finite number >= 0, got {self.resources!r}")
        ids = [t.id for t in self.targets]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise GameError(f"target ids must be unique; repeated: {dupes}")

    @property
    def n(self) -> int:
        return len(self.targets)

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(Udc, Udu, Uac, Uau) as float arrays in target order."""
        t = self.targets
        return (
            np.array([x.defender_covered for x in t], dtype=np.float64),
            np.array([x.defender_uncovered for x in t], dtype=np.float64),
            np.array([x.attacker_covered for x in t], dtype=np.float64),
            np.array([x.attacker_uncovered for x in t], dtype=np.float64),
        )

    @classmethod
    def from_arrays(
        cls,
        resources: float,
        udc: Sequence[float] | FloatArray,
        udu: Sequence[float] | FloatArray,
        uac: Sequence[float] | FloatArray,
        uau: Sequence[float] | FloatArray,
        ids: Sequence[str] | None = None,
        zero_sum: bool = False,
    ) -> SecurityGame:
        """Tiny builder: payoffs as four sequences (ids default to ``t0, t1, …``)."""
        n = len(udc)
        if not (len(udu) == len(uac) == len(uau) == n):
            raise GameError("the four payoff sequences must have the same length")
        names = list(ids) if ids is not None else [f"t{i}" for i in range(n)]
        targets = tuple(
            Target(names[i], float(udc[i]), float(udu[i]), float(uac[i]), float(uau[i]))
            for i in range(n)
        )
        return cls(float(resources), targets, zero_sum)


@dataclass(frozen=True, slots=True)
class GameSolution:
    """A solver's outcome. ``coverage`` is in target order; utilities are NaN unless optimal."""

    status: Status
    solver: str
    coverage: tuple[float, ...]
    defender_utility: float
    attacker_utility: float
    attacked_target: int | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.OPTIMAL


def best_response(
    game: SecurityGame, coverage: FloatArray, tol: float = 1e-7
) -> tuple[int, float, float]:
    """The attacker's best response to ``coverage``, ties broken for the defender.

    Returns ``(target index, defender utility, attacker utility)``. Utilities within ``tol``
    of the best attacker utility count as ties (solvers' optima are exact only to ~1e-9).
    """
    udc, udu, uac, uau = game.arrays()
    c = np.clip(np.asarray(coverage, dtype=np.float64), 0.0, 1.0)
    ua = c * uac + (1.0 - c) * uau
    ud = c * udc + (1.0 - c) * udu
    best = float(ua.max())
    ties = np.flatnonzero(ua >= best - tol)
    pick = int(ties[np.argmax(ud[ties])])
    return pick, float(ud[pick]), float(ua[pick])


def solution_from_coverage(
    game: SecurityGame, coverage: FloatArray, solver: str, message: str = ""
) -> GameSolution:
    """An optimal :class:`GameSolution` for ``coverage`` (the attacker's response computed)."""
    c = np.clip(np.asarray(coverage, dtype=np.float64), 0.0, 1.0)
    t, ud, ua = best_response(game, c)
    return GameSolution(Status.OPTIMAL, solver, tuple(float(x) for x in c), ud, ua, t, message)


def failed(game: SecurityGame, solver: str, status: Status, message: str) -> GameSolution:
    """A non-optimal outcome: zero coverage, NaN utilities, no attacked target."""
    return GameSolution(status, solver, (0.0,) * game.n, math.nan, math.nan, None, message)


_FIELDS = ("defender_covered", "defender_uncovered", "attacker_covered", "attacker_uncovered")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GameError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise GameError(f"{where} must be finite, got {value!r}")
    return float(value)


def game_from_dict(data: Any) -> SecurityGame:
    """Parse the ``solve-game`` JSON contract; a malformed game raises :class:`GameError`
    naming the field (e.g. ``targets[3].attacker_covered``)."""
    if not isinstance(data, Mapping):
        raise GameError(f"a game must be a JSON object, got {type(data).__name__}")
    if "resources" not in data:
        raise GameError("missing field 'resources' (number of identical defender resources)")
    resources = _number(data["resources"], "'resources'")
    if resources < 0:
        raise GameError(f"'resources' must be >= 0, got {resources}")
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise GameError("field 'targets' must be a non-empty list of target objects")
    zero_sum = data.get("zero_sum", False)
    if not isinstance(zero_sum, bool):
        raise GameError(f"'zero_sum' must be true or false, got {zero_sum!r}")
    targets: list[Target] = []
    for i, raw in enumerate(raw_targets):
        if not isinstance(raw, Mapping):
            raise GameError(f"targets[{i}] must be an object, got {raw!r}")
        if "id" not in raw:
            raise GameError(f"targets[{i}].id is missing")
        tid = raw["id"]
        if not isinstance(tid, str | int) or isinstance(tid, bool):
            raise GameError(f"targets[{i}].id must be a string, got {tid!r}")
        vals: list[float] = []
        for name in _FIELDS:
            if name not in raw:
                raise GameError(f"targets[{i}].{name} is missing (target {tid!r})")
            vals.append(_number(raw[name], f"targets[{i}].{name}"))
        targets.append(Target(str(tid), *vals))
        if zero_sum and not (
            math.isclose(vals[0], -vals[2], abs_tol=1e-9)
            and math.isclose(vals[1], -vals[3], abs_tol=1e-9)
        ):
            raise GameError(
                f"targets[{i}] ({tid!r}): a zero-sum game needs attacker payoffs equal to the "
                f"negated defender payoffs (attacker_covered = -defender_covered, …)"
            )
    return SecurityGame(resources, tuple(targets), zero_sum)


def solution_to_dict(game: SecurityGame, sol: GameSolution) -> dict[str, Any]:
    """The ``solve-game`` JSON output."""

    def num(x: float) -> float | None:
        return None if math.isnan(x) else round(x, 12)

    return {
        "status": sol.status.value,
        "solver": sol.solver,
        "coverage": {t.id: round(c, 12) for t, c in zip(game.targets, sol.coverage, strict=True)},
        "defender_utility": num(sol.defender_utility),
        "attacker_utility": num(sol.attacker_utility),
        "attacked_target": (
            game.targets[sol.attacked_target].id if sol.attacked_target is not None else None
        ),
        "message": sol.message,
    }
